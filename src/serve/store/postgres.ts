// The PostgreSQL backend (`--store postgres://…`), for organisations that run several probes behind
// a load balancer or keep years of history. `pg` (node-postgres: pure JavaScript, no install
// script) with a pool; the tables live in their own schema `netready`.
//
// Faults: a transaction is committed whole or not at all (a connection lost mid-write rolls it
// back on the server). A write that fails on a lost connection, a server shutting down or
// starting up, a serialization failure or a deadlock is run again on a fresh connection (the pool
// reconnects by itself; a retry of an upload that did commit is recognised by its digest and
// answered as a duplicate); when the server stays away, StoreUnavailableError (retryable: phase 2
// answers 503 with Retry-After). Idle pooled connections that the server drops are discarded
// (the pool's 'error' event is handled: a restart of PostgreSQL never takes the serve down).

import type { Pool, PoolClient, PoolConfig } from 'pg';
import { applyMigrations, backoffMs, sleep, type Driver, type Query } from './driver.js';
import { oneLine, StoreError, StoreOpenError, StoreUnavailableError } from './errors.js';
import { STORE_TABLES } from './schema.js';
import type { StoreOptions } from './types.js';

export const PG_SCHEMA = 'netready';
export const PG_DEFAULTS = { connectTimeoutMs: 3000, poolSize: 10, statementTimeoutMs: 15_000, retries: 2, conflictRetries: 5 } as const;
/** pg_advisory_xact_lock key for migrations: probes starting together migrate one after another. */
const MIGRATE_LOCK = 0x6e72_7374; // "nrst"

/** The URL without its password (for messages and StoreInfo). */
export function redactPgUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@\s]*:)[^@/\s]*@/, '$1***@');
  }
}

const CONN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const CONN_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable|Query read timeout|the database system is (starting up|shutting down|in recovery mode)/i;

/** Lost or refused connection, server going down or coming up: the store is unavailable for now. */
export function isConnectionError(e: unknown): boolean {
  const code = String((e as { code?: unknown })?.code ?? '');
  if (CONN_CODES.has(code)) return true;
  if (/^08/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
  return CONN_MESSAGES.test((e as Error)?.message ?? '');
}
/** Serialization failure, deadlock: run the transaction again. */
const isConflict = (e: unknown) => ['40001', '40P01'].includes(String((e as { code?: unknown })?.code ?? ''));
/** Statement timeout, disk full, out of memory: the server cannot take it now. */
const isOverload = (e: unknown) => /^(57014|53\d{3})$/.test(String((e as { code?: unknown })?.code ?? ''));

const msg = (e: unknown) => oneLine((e as Error)?.message || String((e as { code?: unknown })?.code ?? e));

const numbered = new Map<string, string>();
/** `?` placeholders as $1, $2, … (the store's SQL has no literal question marks). */
function pgSql(sql: string): string {
  let s = numbered.get(sql);
  if (s === undefined) {
    let n = 0;
    s = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, s);
  }
  return s;
}

function queryOf(c: PoolClient): Query {
  return {
    dialect: 'postgres',
    async all<T>(sql: string, params: readonly unknown[] = []) {
      return (await c.query(pgSql(sql), params as unknown[])).rows as T[];
    },
    async get<T>(sql: string, params: readonly unknown[] = []) {
      return (await c.query(pgSql(sql), params as unknown[])).rows[0] as T | undefined;
    },
    async run(sql: string, params: readonly unknown[] = []) {
      return (await c.query(pgSql(sql), params as unknown[])).rowCount ?? 0;
    },
  };
}

export async function openPostgresDriver(url: string, opts: StoreOptions = {}): Promise<Driver> {
  const location = redactPgUrl(url);
  const connectTimeoutMs = opts.connectTimeoutMs ?? PG_DEFAULTS.connectTimeoutMs;
  const statementTimeoutMs = opts.statementTimeoutMs ?? PG_DEFAULTS.statementTimeoutMs;
  const pg = (await import('pg')).default;
  const int8 = (v: string) => Number(v);
  const config: PoolConfig = {
    connectionString: url,
    max: opts.poolSize ?? PG_DEFAULTS.poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 5000,
    application_name: 'netready',
    keepAlive: true,
    options: `-c search_path=${PG_SCHEMA}`,
    // BIGINT (ids, times in ms, counts) as numbers: all stay below 2^53.
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? int8 : pg.types.getTypeParser(oid, format))) as never },
  };
  let pool: Pool;
  try {
    pool = new pg.Pool(config);
  } catch (e) {
    throw new StoreOpenError('STORE_SPEC', `${location}: not a usable PostgreSQL URL (${msg(e)})`, e);
  }
  // A pooled idle connection the server dropped (restart, failover): the pool discards it. Without
  // a listener, this event would end the process.
  pool.on('error', () => {});

  // Opening: reach the server (waiting while it starts up), take the migration lock, migrate.
  const openDeadline = Date.now() + Math.max(connectTimeoutMs, opts.busyTimeoutMs ?? 5000);
  for (let attempt = 0; ; attempt++) {
    let client: PoolClient | undefined;
    let broken: Error | undefined;
    const onError = (e: Error) => (broken ??= e);
    try {
      client = await pool.connect();
      client.on('error', onError);
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK]);
      const ours = await client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [PG_SCHEMA]);
      const names = ours.rows.map((r: { table_name: string }) => r.table_name);
      if (names.length && !names.includes('schema_migrations'))
        throw new StoreOpenError('STORE_OPEN_FAILED', `${location}: schema "${PG_SCHEMA}" holds tables that are not a netready store (${names.slice(0, 5).join(', ')})`);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${PG_SCHEMA}`);
      await applyMigrations(queryOf(client), location);
      await client.query('COMMIT');
      const have = (await client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [PG_SCHEMA])).rows.map((r: { table_name: string }) => r.table_name);
      const missing = STORE_TABLES.filter((t) => !have.includes(t));
      if (missing.length) throw new StoreOpenError('STORE_CORRUPT', `${location}: the store is missing tables ${missing.join(', ')}`);
      break;
    } catch (e) {
      if (client) {
        if (isConnectionError(e)) broken = e as Error;
        else await client.query('ROLLBACK').catch((e2: Error) => (broken = e2));
      }
      const startingUp = String((e as { code?: unknown })?.code) === '57P03';
      if ((startingUp || (isConnectionError(e) && attempt < 1)) && Date.now() < openDeadline) {
        client?.off('error', onError);
        client?.release(broken);
        client = undefined;
        await sleep(backoffMs(attempt, 100, 1000));
        continue;
      }
      client?.off('error', onError);
      client?.release(broken);
      client = undefined;
      await pool.end().catch(() => {});
      if (e instanceof StoreError) throw e;
      if (isConnectionError(e)) throw new StoreOpenError('STORE_OPEN_FAILED', `${location}: cannot reach PostgreSQL (${msg(e)})`, e);
      throw new StoreOpenError('STORE_OPEN_FAILED', `${location}: cannot open the store (${msg(e)})`, e);
    } finally {
      client?.off('error', onError);
      client?.release(broken);
    }
  }

  let closed = false;
  const unavailable = (e: unknown) => new StoreUnavailableError(`${location}: PostgreSQL is unavailable (${msg(e)})`, 5000, e);

  async function run<T>(fn: (q: Query) => Promise<T>, tx: boolean): Promise<T> {
    let connRetries = 0;
    let conflictRetries = 0;
    for (let attempt = 0; ; attempt++) {
      if (closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
      let client: PoolClient | undefined;
      let broken: Error | undefined;
      let again = false;
      const onError = (e: Error) => (broken ??= e);
      try {
        client = await pool.connect();
        // A checked-out client also emits 'error' when its connection drops (besides failing the
        // query): without a listener that would end the process.
        client.on('error', onError);
        if (tx) await client.query('BEGIN');
        const r = await fn(queryOf(client));
        if (tx) await client.query('COMMIT');
        return r;
      } catch (e) {
        if (client) {
          if (isConnectionError(e)) broken = e as Error;
          else if (tx) await client.query('ROLLBACK').catch((e2: Error) => (broken = e2));
        }
        if (isConnectionError(e) && connRetries < PG_DEFAULTS.retries) (connRetries++, (again = true));
        else if (isConflict(e) && conflictRetries < PG_DEFAULTS.conflictRetries) (conflictRetries++, (again = true));
        else if (e instanceof StoreError) throw e;
        else if (isConnectionError(e) || isOverload(e)) throw unavailable(e);
        else throw e;
      } finally {
        client?.off('error', onError);
        client?.release(broken);
      }
      if (again) await sleep(backoffMs(attempt, 50, 500));
    }
  }

  return {
    dialect: 'postgres',
    location,
    write: (fn) => run(fn, true),
    read: (fn) => run(fn, false),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end().catch(() => {});
    },
  };
}
