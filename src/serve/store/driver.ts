// The narrow SQL interface the store's logic (store.ts) is written against; sqlite.ts and postgres.ts
// implement it. SQL is written once with `?` placeholders (the PostgreSQL driver numbers them).

import { StoreOpenError, StoreValidationError } from './errors.js';
import { LATEST_VERSION, MIGRATIONS, migrationSql, migrationsTableSql, type Dialect } from './schema.js';

export type Row = Record<string, unknown>;

export interface Query {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface Driver {
  readonly dialect: Dialect;
  /** The file path, or the URL without its password. */
  readonly location: string;
  /**
   * `fn` inside one transaction, committed whole or not at all. The driver may run `fn` again after
   * a transient failure (lock, lost connection), so `fn` must only act through `q`.
   */
  write<T>(fn: (q: Query) => Promise<T>): Promise<T>;
  read<T>(fn: (q: Query) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Brings the schema to LATEST_VERSION inside the caller's exclusive transaction (SQLite: BEGIN
 * IMMEDIATE; PostgreSQL: an advisory lock), so probes starting together migrate once.
 */
export async function applyMigrations(q: Query, location: string): Promise<number> {
  await q.run(migrationsTableSql(q.dialect));
  const row = await q.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  const current = Number(row?.v ?? 0);
  if (current > LATEST_VERSION)
    throw new StoreOpenError('STORE_SCHEMA_NEWER', `${location}: the store's schema is version ${current}, newer than this netready knows (${LATEST_VERSION}): upgrade netready`);
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    for (const s of migrationSql(m, q.dialect)) await q.run(s);
    await q.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
  }
  return LATEST_VERSION;
}

/** A time filter as milliseconds since the epoch. */
export function toMs(what: string, v: Date | string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) throw new StoreValidationError('STORE_INVALID', `${what}: not a time`);
  return ms;
}

/** Retry pause: exponential with jitter, capped. */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  const exp = Math.min(capMs, baseMs * 2 ** attempt);
  return exp / 2 + Math.random() * (exp / 2);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
