// The results store's public vocabulary (issue 15 "Results that travel", phase 1). Phase 2 (uploads,
// share links, invites, the signer page, the admin view, webhooks) builds on these types only; the
// backends (sqlite.ts, postgres.ts) and the SQL stay behind `Store`.

import type { Quality, Report, Tier } from '../../report/types.js';
import type { BrowserResults } from '../browser-page.js';

/** The contract's `outcome`; reports without it derive it from `ready` (see prepare.ts). */
export type Outcome = 'ready' | 'not-ready' | 'incomplete';
export const OUTCOMES: readonly Outcome[] = ['ready', 'not-ready', 'incomplete'];

/** Where a stored document came from: `netready check` (report@1) or the browser page (browser@1). */
export type Source = 'cli' | 'browser';
export const SOURCES: readonly Source[] = ['cli', 'browser'];

/** What the store keeps whole: a `netready/report@1` or a `netready/browser@1` document (redacted). */
export type StoredDoc = Report | BrowserResults;

/** The quality figures kept as columns for history charts (null where the report has none). */
export type QualityFigures = Pick<Quality, 'downBps' | 'upBps' | 'rttMs' | 'jitterMs' | 'lossRatio' | 'mos'>;

/** One stored report as listings show it: the indexed columns, not the document. */
export interface ReportRow {
  id: number;
  site: string | null;
  label: string | null;
  outcome: Outcome;
  tier: Tier | null;
  /** Cause ids, in the report's order. */
  causes: string[];
  /** The report's own `startedAt` (ISO 8601): the time history and filters use. */
  time: string;
  /** When the store accepted it (ISO 8601, the store's clock). */
  receivedAt: string;
  source: Source;
  inviteId: number | null;
  quality: QualityFigures;
  /** Size of the stored (redacted) JSON in bytes. */
  bytes: number;
}

/** One stored report with its document. */
export interface StoredReport extends ReportRow {
  doc: StoredDoc;
}

export interface PutMeta {
  /** The site the upload names (`check --upload --site NAME`); defaults to the invite's site. */
  site?: string | null;
  /** A free label (defaults to the invite's label). */
  label?: string | null;
  /** The invite token from `/i/<token>`: the report lands under that invite (rejected if expired or revoked). */
  inviteToken?: string | null;
  /** Create a share link in the same transaction (default: yes, with the default expiry). */
  share?: false | { ttlMs?: number };
}

export interface ShareLink {
  /** Non-secret id (admin listings, revocation). */
  id: number;
  reportId: number;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

/** A share link as created: the secret token is handed out once and never stored (only its SHA-256). */
export interface NewShare extends ShareLink {
  token: string;
}

export interface PutResult {
  id: number;
  /** The same document (same site, invite and bytes after redaction) was stored before: nothing new was written. */
  duplicate: boolean;
  site: string | null;
  outcome: Outcome;
  source: Source;
  inviteId: number | null;
  /** The site's latest outcome before this report (null: first report of the site, or no site). */
  previousOutcome: Outcome | null;
  /** This report became the site's latest and its outcome differs from the previous latest (webhooks). */
  changed: boolean;
  share: NewShare | null;
  /** How many values the redaction pass replaced. */
  redactions: number;
}

export interface ListFilter {
  site?: string;
  outcome?: Outcome;
  source?: Source;
  inviteId?: number;
  /** Only reports naming this cause id. */
  cause?: string;
  /** Report time range on `time`: from (inclusive) and to (exclusive); Date, ISO string or ms. */
  from?: Date | string | number;
  to?: Date | string | number;
}

export interface ListPage {
  rows: ReportRow[];
  /** Pass as `after` to get the next page (newest first); null at the end. */
  next: string | null;
}

export interface SiteLatest {
  site: string;
  reports: number;
  latest: ReportRow;
}

export interface HistoryPoint {
  reportId: number;
  time: string;
  outcome: Outcome;
  tier: Tier | null;
  source: Source;
  quality: QualityFigures;
}

export interface Invite {
  id: number;
  label: string;
  site: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  /** The first time a result landed under it. */
  usedAt: string | null;
  uses: number;
  lastReportId: number | null;
  lastOutcome: Outcome | null;
}

/** An invite as created: the token (for `/i/<token>`) is handed out once and only its SHA-256 is stored. */
export interface NewInvite extends Invite {
  token: string;
}

export type LinkState = 'ok' | 'expired' | 'revoked' | 'unknown';

export type InviteLookup = { state: 'ok' | 'expired' | 'revoked'; invite: Invite } | { state: 'unknown' };

export type ShareLookup =
  | { state: 'ok'; share: ShareLink; report: StoredReport }
  | { state: 'expired' | 'revoked'; share: ShareLink }
  | { state: 'unknown' };

/** One CSV export row (the columns `csvLines` writes, in order). */
export interface CsvRow {
  id: number;
  time: string;
  receivedAt: string;
  site: string;
  label: string;
  source: Source;
  outcome: Outcome;
  tier: string;
  causes: string;
  inviteId: string;
  downBps: string;
  upBps: string;
  rttMs: string;
  jitterMs: string;
  lossRatio: string;
  mos: string;
}

export interface StoreInfo {
  backend: 'sqlite' | 'postgres';
  /** The file path, or the PostgreSQL URL without its password. */
  location: string;
  schemaVersion: number;
  reports: number;
  sites: number;
  invites: number;
}

export interface StoreOptions {
  /** The largest document accepted, as JSON bytes (default 1 MiB; a full report is ~40-55 KB). */
  maxDocBytes?: number;
  /** Literal values that must never be stored (the serve's upload/admin tokens, the TURN secret). */
  secrets?: readonly string[];
  /** Default share-link lifetime (default 30 days). */
  shareTtlMs?: number;
  /** Default invite lifetime (default 7 days). */
  inviteTtlMs?: number;
  /**
   * How long a write may wait for a lock held by another writer before it is answered with a
   * retryable StoreBusyError (SQLite; default 5 s). Opening waits as long for a locked file.
   */
  busyTimeoutMs?: number;
  /** PostgreSQL: connect timeout per attempt (default 3 s) and the pool size (default 10). */
  connectTimeoutMs?: number;
  poolSize?: number;
  /** PostgreSQL: a statement running longer is cancelled (default 15 s). */
  statementTimeoutMs?: number;
  /** The clock (ms since the epoch); tests of expiry set it. */
  now?: () => number;
}

/** The results store: one interface, two backends (SQLite, PostgreSQL). Every method may throw a StoreError. */
export interface Store {
  readonly backend: 'sqlite' | 'postgres';
  /** Validate, redact and store a report@1 or browser@1 document (object, JSON text or bytes). */
  put(doc: unknown, meta?: PutMeta): Promise<PutResult>;
  get(id: number): Promise<StoredReport | null>;
  list(filter?: ListFilter, page?: { limit?: number; after?: string | null }): Promise<ListPage>;
  /** Every site with its latest report (by report time) and its report count, by site name. */
  latestBySite(): Promise<SiteLatest[]>;
  /** A site's outcome and quality over time, oldest first (the newest `limit` points, default 1000). */
  history(site: string, opts?: { from?: Date | string | number; to?: Date | string | number; limit?: number }): Promise<HistoryPoint[]>;
  /** The CSV export's rows, newest first, read in pages (bounded memory). */
  exportRows(filter?: ListFilter): AsyncIterable<CsvRow>;

  createShare(reportId: number, opts?: { ttlMs?: number }): Promise<NewShare>;
  /** The report behind a share token, if the link is neither expired nor revoked. */
  getByShare(token: string): Promise<ShareLookup>;
  listShares(reportId: number): Promise<ShareLink[]>;
  /** Returns false when no such share (or already revoked). */
  revokeShare(shareId: number): Promise<boolean>;

  createInvite(opts: { label: string; site?: string | null; ttlMs?: number }): Promise<NewInvite>;
  lookupInvite(token: string): Promise<InviteLookup>;
  listInvites(): Promise<Invite[]>;
  revokeInvite(inviteId: number): Promise<boolean>;

  info(): Promise<StoreInfo>;
  /** Resolves when the backend answers (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
