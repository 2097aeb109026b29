// The two store backends as the store's tests see them: each gives fresh, empty stores; the same
// test bodies run against both. PostgreSQL is a real server (test/support/postgres.ts), started
// once per test file and removed at the end; where it cannot run, its tests are skipped with the
// reason.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after } from 'node:test';
import { openStore, type Store, type StoreOptions } from '../../src/serve/store/index.js';
import { removeDir, tempDir } from '../support/proc.js';
import { dbName, postgresSkip, startPostgres, type PgServer } from '../support/postgres.js';

export { browserDoc, golden, rerun } from './store-docs.js';

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

/** Runs `n` puts in another process (test/serve/store-writer.ts); resolves to its summary. */
export async function writerProcess(spec: string, worker: number, n: number): Promise<{ ok: number; failed: Record<string, number> }> {
  const script = path.join(import.meta.dirname, 'store-writer.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, spec, String(worker), String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(kill);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? ''));
      } catch {
        reject(new Error(`writer ${worker} exited ${code}: ${err.slice(-2000)}`));
      }
    });
  });
}

/**
 * The store's invariants, read straight from the database: every site's latest report is its newest
 * (by time, then id) and its count is right; every report has exactly its cause rows.
 */
export async function assertConsistent(spec: string): Promise<{ reports: number; sites: number }> {
  const reports = await rawQuery(spec, 'SELECT id, site, outcome, causes, time FROM reports ORDER BY id');
  const causeRows = await rawQuery(spec, 'SELECT report_id, cause FROM report_causes');
  const sites = await rawQuery(spec, 'SELECT site, latest_report_id, latest_time, latest_outcome, reports FROM sites');
  const bySite = new Map<string, Record<string, unknown>[]>();
  for (const r of reports) if (r.site !== null) bySite.set(String(r.site), [...(bySite.get(String(r.site)) ?? []), r]);
  assert.equal(sites.length, bySite.size, 'one sites row per site');
  for (const s of sites) {
    const rs = bySite.get(String(s.site)) ?? [];
    const newest = [...rs].sort((a, b) => Number(b.time) - Number(a.time) || Number(b.id) - Number(a.id))[0];
    assert.equal(Number(s.reports), rs.length, `report count of ${String(s.site)}`);
    assert.equal(Number(s.latest_report_id), Number(newest.id), `latest report of ${String(s.site)}`);
    assert.equal(s.latest_outcome, newest.outcome);
  }
  const want = reports.flatMap((r) => (String(r.causes) ? String(r.causes).split(' ').map((c) => `${Number(r.id)} ${c}`) : [])).sort();
  assert.deepEqual(causeRows.map((c) => `${Number(c.report_id)} ${String(c.cause)}`).sort(), want, 'cause rows match the reports');
  return { reports: reports.length, sites: sites.length };
}
