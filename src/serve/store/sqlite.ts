// The SQLite backend, the embedded default (`--store sqlite:PATH`).
//
// Why Node's built-in `node:sqlite` and not a library (better-sqlite3, the well-kept choice):
// - nothing to install: better-sqlite3 is a native addon whose install script downloads a prebuilt
//   binary or compiles with node-gyp (python3, make, g++), which this npm runs only once approved;
//   a burden for CI, and a native `.node` file cannot live inside the single-file executable (Node
//   SEA) that `npm run build:exe` makes. node:sqlite is part of the node binary, SEA included;
// - no warning noise: on Node 24 (the project's runtime) loading it prints nothing (checked:
//   `node -e "require('node:sqlite')"` writes nothing to stderr on 24.22); Node 20 has no
//   node:sqlite (older lines hide it behind a flag or a warning): opening says it needs Node 24;
// - same engine, same features: SQLite 3.5x with WAL, busy timeouts, RETURNING and ON CONFLICT.
// Both are synchronous APIs. A write is ~0.1-2 ms (an fsync: synchronous=FULL, so an acknowledged
// upload survives a power cut), but SQLite's own busy handler sleeps inside the call, which would
// stall the serve's event loop (and its timing measurements) while another process holds the
// lock. So the handler waits only BUSY_SLICE_MS per try, and the rest of the wait is an async
// retry with backoff up to `busyTimeoutMs`; then a retryable StoreBusyError. Each transaction
// runs in its own macrotask. What stays on the event loop: a commit's fsync and, every ~1000 pages,
// SQLite's automatic WAL checkpoint (the bench prints the longest stall); the Driver interface is
// asynchronous, so the connection can move to a worker thread if that ever matters.
//
// Locking: WAL journal (readers never wait for the writer; several processes on one file on one
// host — WAL needs shared memory, so not over a network file system); every write transaction is
// BEGIN IMMEDIATE (takes the write lock first: no deadlock between two upgrading readers); calls
// on this connection are serialised by a queue, since a transaction spans awaits.

import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { applyMigrations, backoffMs, sleep, type Driver, type Query } from './driver.js';
import { StoreBusyError, StoreCorruptError, StoreError, StoreOpenError, StoreUnavailableError } from './errors.js';
import { LATEST_VERSION, STORE_TABLES } from './schema.js';
import type { StoreOptions } from './types.js';

/** How long SQLite's own busy handler may block the event loop per try. */
export const BUSY_SLICE_MS = 50;
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

// The part of node:sqlite used here (typed locally: @types/node 20 has no node:sqlite).
interface SqliteStatement {
  all(...params: unknown[]): Record<string, unknown>[];
  get(...params: unknown[]): Record<string, unknown> | undefined;
  run(...params: unknown[]): { changes: number | bigint };
}
interface SqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  close(): void;
}
interface SqliteModule {
  DatabaseSync: new (file: string, opts?: { timeout?: number; enableForeignKeyConstraints?: boolean }) => SqliteDatabase;
}

// SQLite primary result codes (https://sqlite.org/rescode.html).
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

function resultCode(e: unknown): number | null {
  const c = (e as { errcode?: unknown })?.errcode;
  return typeof c === 'number' ? c & 0xff : null;
}
const isBusy = (e: unknown) => {
  const c = resultCode(e);
  return c === 5 || c === 6; // SQLITE_BUSY, SQLITE_LOCKED
};
const msg = (e: unknown) => (e as Error)?.message ?? String(e);

function loadSqlite(file: string): SqliteModule {
  const mod = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.('node:sqlite') as SqliteModule | undefined;
  if (!mod?.DatabaseSync) throw new StoreOpenError('STORE_OPEN_FAILED', `${file}: the SQLite store needs Node.js 24 (node:sqlite); this is Node.js ${process.versions.node}`);
  return mod;
}

/** A SQLite error after opening, as the store's typed error. */
function runtimeError(file: string, e: unknown): unknown {
  if (e instanceof StoreError) return e;
  const c = resultCode(e);
  if (c === null) return e;
  if (isBusy(e)) return new StoreBusyError(`${file} is locked by another writer; try again`);
  if (c === SQLITE_CORRUPT || c === SQLITE_NOTADB) return new StoreCorruptError(`${file} is damaged (${msg(e)}): restore it from a backup`, e);
  if (c === SQLITE_FULL) return new StoreUnavailableError(`${file}: the disk is full`, 30_000, e);
  if (c === SQLITE_IOERR || c === SQLITE_READONLY || c === SQLITE_CANTOPEN) return new StoreUnavailableError(`${file}: ${msg(e)}`, 5000, e);
  return e;
}

function openError(file: string, e: unknown): unknown {
  if (e instanceof StoreError) return e;
  const c = resultCode(e);
  if (c === SQLITE_NOTADB || c === SQLITE_CORRUPT) return new StoreOpenError('STORE_CORRUPT', `${file} is not a usable SQLite store (${msg(e)}): corrupt, or another kind of file`, e);
  if (isBusy(e)) return new StoreOpenError('STORE_LOCKED', `${file} is locked by another process (still locked after the busy timeout)`, e);
  if (c !== null) return new StoreOpenError('STORE_OPEN_FAILED', `${file}: cannot open the store (${msg(e)})`, e);
  return e;
}

/** One promise chain: each call runs after the previous one finished. */
function queue() {
  let tail: Promise<void> = Promise.resolve();
  return async (): Promise<() => void> => {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = tail;
    tail = prev.then(() => next);
    await prev;
    return release;
  };
}

export async function openSqliteDriver(fileArg: string, opts: StoreOptions = {}): Promise<Driver> {
  const file = path.resolve(fileArg);
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const dir = path.dirname(file);
  if (!existsSync(dir)) throw new StoreOpenError('STORE_OPEN_FAILED', `${file}: the directory ${dir} does not exist`);
  if (existsSync(file) && statSync(file).isDirectory()) throw new StoreOpenError('STORE_OPEN_FAILED', `${file} is a directory, not a store file`);
  const sqlite = loadSqlite(file);
  // Reports name hosts and addresses: the file (and its -wal/-shm, which SQLite creates with the
  // same mode) is readable by its owner only.
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreOpenError('STORE_OPEN_FAILED', `${file}: cannot create the store (${msg(e)})`, e);
  }

  let db: SqliteDatabase;
  try {
    db = new sqlite.DatabaseSync(file, { timeout: BUSY_SLICE_MS, enableForeignKeyConstraints: true });
  } catch (e) {
    throw openError(file, e);
  }

  const stmts = new Map<string, SqliteStatement>();
  const stmt = (sql: string) => {
    let s = stmts.get(sql);
    if (!s) {
      if (stmts.size > 256) stmts.clear();
      s = db.prepare(sql);
      stmts.set(sql, s);
    }
    return s;
  };
  const q: Query = {
    dialect: 'sqlite',
    async all<T>(sql: string, params: readonly unknown[] = []) {
      return stmt(sql).all(...params) as T[];
    },
    async get<T>(sql: string, params: readonly unknown[] = []) {
      return stmt(sql).get(...params) as T | undefined;
    },
    async run(sql: string, params: readonly unknown[] = []) {
      return Number(stmt(sql).run(...params).changes);
    },
  };

  // Opening: check it is ours, switch to WAL, migrate. A lock held by another process is waited
  // for up to busyTimeoutMs, then a one-line STORE_LOCKED naming the file.
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    let began = false;
    try {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
      if (tables.length && !tables.includes('schema_migrations'))
        throw new StoreOpenError('STORE_OPEN_FAILED', `${file} is a SQLite database but not a netready store (it has tables ${tables.slice(0, 5).join(', ')}): choose another file`);
      const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode?: string } | undefined;
      if (mode?.journal_mode !== 'wal') throw new StoreOpenError('STORE_OPEN_FAILED', `${file}: cannot switch to WAL mode (got ${mode?.journal_mode ?? 'nothing'})`);
      db.exec('PRAGMA synchronous = FULL');
      // Migrate only when behind (a write lock); an up-to-date store opens with reads alone, so it
      // opens while another process is writing.
      const v = tables.includes('schema_migrations') ? Number((db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0) : 0;
      if (v !== LATEST_VERSION) {
        db.exec('BEGIN IMMEDIATE');
        began = true;
        await applyMigrations(q, file);
        db.exec('COMMIT');
        began = false;
      }
      const have = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
      const missing = STORE_TABLES.filter((t) => !have.includes(t));
      if (missing.length) throw new StoreOpenError('STORE_CORRUPT', `${file}: the store is missing tables ${missing.join(', ')}`);
      break;
    } catch (e) {
      if (began) {
        try {
          db.exec('ROLLBACK');
        } catch {
          /* nothing begun */
        }
      }
      if (isBusy(e) && Date.now() < deadline) {
        await sleep(backoffMs(attempt, 20, 250));
        continue;
      }
      db.close();
      throw openError(file, e);
    }
  }

  const lock = queue();
  let closed = false;

  async function withRetry<T>(fn: () => Promise<T>, tx: boolean): Promise<T> {
    const end = Date.now() + busyTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      const release = await lock();
      // Each transaction in a macrotask of its own: queued writes would otherwise run back to back
      // as one chain of microtasks, and timers and sockets would wait for all of them.
      await new Promise<void>((r) => setImmediate(r));
      let began = false;
      let busy = false;
      try {
        if (closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
        if (tx) {
          db.exec('BEGIN IMMEDIATE');
          began = true;
        }
        const r = await fn();
        if (tx) {
          db.exec('COMMIT');
          began = false;
        }
        return r;
      } catch (e) {
        if (began) {
          try {
            db.exec('ROLLBACK');
          } catch {
            /* already rolled back */
          }
        }
        if (!isBusy(e) || Date.now() >= end) throw runtimeError(file, e);
        busy = true;
      } finally {
        release();
      }
      if (busy) await sleep(backoffMs(attempt, 10, 250));
    }
  }

  return {
    dialect: 'sqlite',
    location: file,
    write: (fn) => withRetry(() => fn(q), true),
    read: (fn) => withRetry(() => fn(q), false),
    async close() {
      const release = await lock();
      try {
        if (!closed) {
          closed = true;
          db.close();
        }
      } finally {
        release();
      }
    },
  };
}
