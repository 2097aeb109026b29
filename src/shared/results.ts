// A check's result as plain data: what raw runs hold and the verdict and the reports read (a leaf
// module: it imports nothing of netready's but the other shared leaves).

import type { ErrorCode } from './error-codes.js';
import type { CheckStatus } from './vocabulary.js';

export interface CheckError {
  /** Stable UPPER_SNAKE code, e.g. TCP_REFUSED, TLS_CERT_UNTRUSTED, TIMEOUT_CONNECT. */
  code: ErrorCode;
  message: string;
}

/** Metric names carry their unit: ...Ms, ...Bps, ...Ratio, ...Bytes, ...Count. */
export type Metrics = Record<string, number>;

export interface CheckResult {
  id: string;
  target: string;
  status: CheckStatus;
  durationMs: number;
  /** When it started, in ms since the run started (set by the CLI from the engine's start events; optional). */
  startMs?: number;
  metrics: Metrics;
  error: CheckError | null;
  /** Why a check was skipped (status "skipped"), or a short note. */
  reason?: string;
  /** Structured evidence for the verdict and the reports (issuer, HTTP status, proxy used ...). */
  details?: Record<string, unknown>;
}
