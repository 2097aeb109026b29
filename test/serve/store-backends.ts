// The two store backends as the store's tests see them: each gives fresh, empty stores; the same
// test bodies run against both. PostgreSQL is a real server (test/support/postgres.ts), started
// once per test file and removed at the end; where it cannot run, its tests are skipped with the
// reason.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { openStore, type Store, type StoreOptions } from '../../src/serve/store/index.js';
import type { Report } from '../../src/report/types.js';
import type { BrowserResults } from '../../src/serve/browser-page.js';
import { removeDir, tempDir } from '../support/proc.js';
import { dbName, postgresSkip, startPostgres, type PgServer } from '../support/postgres.js';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Why this backend's tests are skipped here, or false. */
  skip: string | false;
  /** A new, empty store (and its spec, to open it again or from another process). */
  fresh(opts?: StoreOptions): Promise<{ store: Store; spec: string }>;
}

let pgServer: Promise<PgServer> | null = null;
/** The file's PostgreSQL server (started on first use, destroyed after the file's tests). */
export function pgServerOnce(): Promise<PgServer> {
  pgServer ??= startPostgres({ fsync: false });
  return pgServer;
}
// Registered when the test file loads this module: runs once, after all of the file's tests.
after(async () => {
  const s = await pgServer?.catch(() => null);
  await s?.destroy();
});

/** Call at the top level of a test file (its temp directory is removed after the file's tests). */
export function backends(): Backend[] {
  const dir = tempDir('store');
  after(() => removeDir(dir));
  let n = 0;
  return [
    {
      name: 'sqlite',
      skip: false,
      async fresh(opts) {
        const spec = `sqlite:${path.join(dir, `s${++n}.db`)}`;
        return { store: await openStore(spec, opts), spec };
      },
    },
    {
      name: 'postgres',
      skip: postgresSkip(),
      async fresh(opts) {
        const srv = await pgServerOnce();
        const spec = await srv.createDatabase(dbName('store'));
        return { store: await openStore(spec, opts), spec };
      },
    },
  ];
}

const GOLDEN = path.join(import.meta.dirname, '..', 'fixtures', 'golden');

/** A golden report (valid netready/report@1), as a fresh object. */
export function golden(name: string): Report {
  return JSON.parse(readFileSync(path.join(GOLDEN, `${name}.report.json`), 'utf8')) as Report;
}

/** The same report as another run: its own start time (and so its own digest). */
export function rerun<T extends { startedAt: string }>(doc: T, at: Date | string | number): T {
  return { ...structuredClone(doc), startedAt: new Date(at).toISOString() };
}

/** A browser page result (netready/browser@1), as the page posts it. */
export function browserDoc(opts: { cameraBlocked?: boolean; startedAt?: string } = {}): BrowserResults {
  return {
    schema: 'netready/browser@1',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
    startedAt: opts.startedAt ?? '2026-11-25T16:00:00.000Z',
    durationMs: 4100,
    origin: 'https://probe.example.test',
    checks: [
      { id: 'browser.camera', target: 'camera', status: opts.cameraBlocked ? 'failed' : 'ok', durationMs: 300, metrics: {}, error: opts.cameraBlocked ? { code: 'CAMERA_DENIED', message: 'NotAllowedError: Permission denied' } : null },
      { id: 'browser.ws', target: 'wss://probe.example.test/.netready/ws-probe', status: 'ok', durationMs: 40, metrics: { rttMs: 3.2 }, error: null },
    ],
    causes: opts.cameraBlocked
      ? [{ id: 'camera-blocked', severity: 'blocking', summary: 'The camera is blocked', evidence: ['browser.camera'], remedy: 'Allow the camera for this site' }]
      : [],
    checklist: [{ id: 'camera-mic-policy', status: opts.cameraBlocked ? 'fail' : 'pass', evidence: ['browser.camera'] }],
  };
}

/** Run SQL on a store's database directly (not through the store): inspecting, planting faults. */
export async function rawQuery(spec: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  if (spec.startsWith('sqlite:')) {
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as unknown as {
      DatabaseSync: new (f: string) => { prepare(s: string): { all(...p: unknown[]): Record<string, unknown>[] }; close(): void };
    };
    const db = new DatabaseSync(spec.slice('sqlite:'.length));
    try {
      return db.prepare(sql).all(...params);
    } finally {
      db.close();
    }
  }
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: spec, options: '-c search_path=netready' });
  await c.connect();
  try {
    let n = 0;
    return (await c.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
  } finally {
    await c.end();
  }
}
