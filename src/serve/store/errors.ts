// Typed errors of the results store. Each has a stable UPPER_SNAKE code and a one-line message (no
// stack trace belongs in front of a user); phase 2 maps them to HTTP answers:
//   StoreValidationError  STORE_INVALID / STORE_TOO_LARGE   → 422 / 413
//   StoreInviteError      STORE_INVITE_UNKNOWN/EXPIRED/REVOKED → 404 / 410
//   StoreBusyError        STORE_BUSY (retryable)            → 503 + Retry-After
//   StoreUnavailableError STORE_UNAVAILABLE (retryable)     → 503 + Retry-After
//   StoreOpenError        STORE_OPEN_FAILED / STORE_LOCKED / STORE_CORRUPT / STORE_SCHEMA_NEWER / STORE_SPEC
//                         at start: one line naming the file or URL, exit 2 (bad input)
//   StoreCorruptError     STORE_CORRUPT after opening (a file damaged under a running serve) → 500

export type StoreErrorCode =
  | 'STORE_INVALID'
  | 'STORE_TOO_LARGE'
  | 'STORE_INVITE_UNKNOWN'
  | 'STORE_INVITE_EXPIRED'
  | 'STORE_INVITE_REVOKED'
  | 'STORE_BUSY'
  | 'STORE_UNAVAILABLE'
  | 'STORE_OPEN_FAILED'
  | 'STORE_LOCKED'
  | 'STORE_CORRUPT'
  | 'STORE_SCHEMA_NEWER'
  | 'STORE_SPEC'
  | 'STORE_CLOSED';

export class StoreError extends Error {
  /** Worth trying again later (the same request, unchanged). */
  readonly retryable: boolean;
  /** A hint for Retry-After, when retryable. */
  readonly retryAfterMs: number | null;
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    opts: { retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(oneLine(message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StoreError';
    this.retryAfterMs = opts.retryAfterMs ?? null;
    this.retryable = this.retryAfterMs !== null;
  }
}

/** The document is not a valid report@1/browser@1, or too large. Nothing was stored. */
export class StoreValidationError extends StoreError {
  constructor(
    code: 'STORE_INVALID' | 'STORE_TOO_LARGE',
    message: string,
    /** Every problem found, one line each (the message names the first ones). */
    readonly problems: string[] = [],
  ) {
    super(code, message);
    this.name = 'StoreValidationError';
  }
}

/** The invite token is unknown, expired or revoked. Nothing was stored. */
export class StoreInviteError extends StoreError {
  constructor(readonly state: 'unknown' | 'expired' | 'revoked') {
    super(
      state === 'unknown' ? 'STORE_INVITE_UNKNOWN' : state === 'expired' ? 'STORE_INVITE_EXPIRED' : 'STORE_INVITE_REVOKED',
      state === 'unknown' ? 'no such invite' : `the invite has been ${state}`,
    );
    this.name = 'StoreInviteError';
  }
}

/** Another writer holds the lock longer than the busy timeout (SQLite). Nothing was stored; retry. */
export class StoreBusyError extends StoreError {
  constructor(message: string, retryAfterMs = 1000) {
    super('STORE_BUSY', message, { retryAfterMs });
    this.name = 'StoreBusyError';
  }
}

/** The database cannot be reached (PostgreSQL down or restarting, disk full). Nothing half-written; retry. */
export class StoreUnavailableError extends StoreError {
  constructor(message: string, retryAfterMs = 5000, cause?: unknown) {
    super('STORE_UNAVAILABLE', message, { retryAfterMs, cause });
    this.name = 'StoreUnavailableError';
  }
}

/** The store cannot be opened: bad spec, locked or corrupt file, unreachable database, newer schema. */
export class StoreOpenError extends StoreError {
  /** The CLI's exit code for it: bad input. */
  readonly exitCode = 2;
  constructor(code: 'STORE_OPEN_FAILED' | 'STORE_LOCKED' | 'STORE_CORRUPT' | 'STORE_SCHEMA_NEWER' | 'STORE_SPEC', message: string, cause?: unknown) {
    super(code, message, { cause });
    this.name = 'StoreOpenError';
  }
}

/** The store file turned out damaged while in use. */
export class StoreCorruptError extends StoreError {
  constructor(message: string, cause?: unknown) {
    super('STORE_CORRUPT', message, { cause });
    this.name = 'StoreCorruptError';
  }
}

/** Messages travel as one line (driver errors sometimes carry newlines and detail blocks). */
export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
