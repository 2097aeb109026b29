// Errors the CLI turns into one line on stderr and an exit code (a leaf module: it imports nothing
// of netready's).

import type { ErrorCode } from './error-codes.js';

/** Bad usage or bad input: one line on stderr, exit 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A network error with a stable code; checks turn these into `failed`/`timeout` results. */
export class NetError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** `timeout` for phase timeouts, `failed` for the network saying no. */
    readonly kind: 'failed' | 'timeout' = 'failed',
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'NetError';
  }
}

/** The reason an aborted run gives a phase (the engine's deadline reason, or a cancellation). */
export function abortError(signal: AbortSignal): NetError {
  const reason = signal.reason;
  if (reason instanceof NetError) return reason;
  return new NetError('DEADLINE_EXCEEDED', 'the run was stopped (deadline or cancellation)', 'timeout');
}
