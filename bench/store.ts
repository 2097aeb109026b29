// `BENCH_ONLY=store npm run bench`: the results store (issue 15) at the store level, on SQLite and
// on a real PostgreSQL (started here in a temp directory, fsync on; skipped with the reason where it
// cannot run), and over HTTP through a running serve.
//
// 1. uploads: BENCH_STORE_UPLOADS (default 1000) puts of a typical report — the clean-media golden
//    report (a recorded full run with media and quality), passed as JSON bytes as an upload body
//    arrives — from 8 concurrent writers; each put validates, redacts, stores and makes a share
//    link. Bounds (ours): ≥ 100 uploads/s (1 000 uploads absorbed in 10 s) and p99 ≤ 200 ms.
//    SQLite also shows the longest event-loop stall (the store is synchronous inside the serve).
// 2. fill to BENCH_STORE_REPORTS (default 100 000) reports over 1 000 sites: a mix of full reports,
//    PCC reports and browser results, copied set-wise (see fill()).
// 3. the latest outcome per site over all of them: bound < 200 ms (issue 15), every run.
// 4. HTTP uploads: the same 1 000 reports POSTed to /.netready/reports of a running serve
//    (startProbe --store, its own fresh store) by 8 concurrent keep-alive HTTPS clients — token
//    check, body limit, validation, redaction, the store, the share link, the answer. Same bounds.
//    Clients and serve share this one process (and its 2 cores): the figure is a floor.

import { statSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import https from 'node:https';
import { openStore, type Store } from '../src/serve/store/index.js';
import { startProbe } from '../src/serve/probe.js';
import type { Driver } from '../src/serve/store/driver.js';
import { openSqliteDriver } from '../src/serve/store/sqlite.js';
import { openPostgresDriver } from '../src/serve/store/postgres.js';
import { prepare } from '../src/serve/store/prepare.js';
import { redactor } from '../src/serve/store/redact.js';
import { insertPrepared } from '../src/serve/store/store.js';
import { browserDoc, golden, rerun } from '../test/serve/store-docs.js';
import { removeDir, tempDir } from '../test/support/proc.js';
import { postgresSkip, startPostgres } from '../test/support/postgres.js';

const UPLOADS = Number(process.env.BENCH_STORE_UPLOADS ?? 1000);
const REPORTS = Number(process.env.BENCH_STORE_REPORTS ?? 100_000);
const WRITERS = 8;
const SITES = 1000;
const BOUNDS = { uploadsPerS: 100, p99Ms: 200, latestMs: 200 };
const T0 = Date.parse('2025-01-01T00:00:00.000Z');

const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const mark = (ok: boolean) => (ok ? '✔' : '✘');

async function uploads(store: Store, withLoop: boolean) {
  const doc = golden('clean-media');
  const bodies = Array.from({ length: UPLOADS }, (_x, i) => Buffer.from(JSON.stringify(rerun(doc, T0 + i * 1000))));
  const lat: number[] = [];
  // The longest gap between 5 ms ticks, beyond the 5 ms: how long the event loop was held.
  let stall = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last - 5);
    last = now;
  }, 5);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let i = next++; i < UPLOADS; i = next++) {
        const s = performance.now();
        await store.put(bodies[i], { site: `upload-site-${i % 50}` });
        lat.push(performance.now() - s);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  clearInterval(tick);
  const rate = UPLOADS / (wallMs / 1000);
  const p99 = pct(lat, 99);
  console.log(
    `uploads: ${UPLOADS} × a typical report (${bodies[0].length} B of JSON) from ${WRITERS} concurrent writers: ${fmt(rate)} uploads/s (bound ≥ ${BOUNDS.uploadsPerS}) ${mark(rate >= BOUNDS.uploadsPerS)}; ` +
      `latency p50 ${fmt(pct(lat, 50), 1)} ms, p99 ${fmt(p99, 1)} ms (bound ≤ ${BOUNDS.p99Ms} ms) ${mark(p99 <= BOUNDS.p99Ms)}, max ${fmt(Math.max(...lat), 1)} ms` +
      (withLoop ? `; longest event-loop stall ${fmt(stall, 1)} ms` : ''),
  );
}

async function httpUploads(spec: string) {
  const token = 'bench-upload-token-0123456789';
  const probe = await startProbe({ listen: [{ host: '127.0.0.1', port: 0 }], results: { store: spec, uploadToken: token } });
  const agent = new https.Agent({ keepAlive: true, maxSockets: WRITERS, ca: probe.caPem! });
  const url = new URL('/.netready/reports', probe.urls[0]);
  const doc = golden('clean-media');
  const bodies = Array.from({ length: UPLOADS }, (_x, i) => Buffer.from(JSON.stringify(rerun(doc, T0 + i * 1000))));
  const post = (body: Buffer, site: string) =>
    new Promise<number>((resolve, reject) => {
      const u = new URL(url);
      u.searchParams.set('site', site);
      const req = https.request(u, { method: 'POST', agent, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': body.length }, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(body);
    });
  const lat: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        for (let i = next++; i < UPLOADS; i = next++) {
          const s = performance.now();
          const st = await post(bodies[i], `http-site-${i % 50}`);
          statuses[st] = (statuses[st] ?? 0) + 1;
          lat.push(performance.now() - s);
        }
      }),
    );
  } finally {
    agent.destroy();
    await probe.close();
  }
  const rate = UPLOADS / ((performance.now() - t0) / 1000);
  const p99 = pct(lat, 99);
  console.log(
    `HTTP uploads: ${UPLOADS} POST /.netready/reports (${bodies[0].length} B) from ${WRITERS} concurrent HTTPS clients: ${fmt(rate)} uploads/s (bound ≥ ${BOUNDS.uploadsPerS}) ${mark(rate >= BOUNDS.uploadsPerS)}; ` +
      `latency p50 ${fmt(pct(lat, 50), 1)} ms, p99 ${fmt(p99, 1)} ms (bound ≤ ${BOUNDS.p99Ms} ms) ${mark(p99 <= BOUNDS.p99Ms)}; answers ${JSON.stringify(statuses)}`,
  );
}

/**
 * The bulk of the 100 000: seven documents (full reports, a PCC report, browser results) are stored
 * through the upload's own insert (insertPrepared), then copied set-wise, each copy with its own
 * time, site and digest, and the per-site table rebuilt from the rows — a data generator, so that
 * the fill takes seconds, not the hours that one upload at a time would on a shared 2-core machine.
 */
async function fill(driver: Driver, have: number): Promise<{ ms: number }> {
  const red = redactor([]);
  const docs = [golden('clean-media'), golden('dns-blocked'), golden('tls-inspection'), golden('udp-blocked'), golden('pcc-clean'), browserDoc(), browserDoc({ cameraBlocked: true })];
  const t0 = performance.now();
  await driver.write(async (q) => {
    await q.run('CREATE TABLE fill_tpl (k INTEGER PRIMARY KEY, id BIGINT NOT NULL, label TEXT NOT NULL)');
    for (const [k, d] of docs.entries()) {
      const p = prepare(d, { maxBytes: 1 << 20, nowMs: Date.now(), redactor: red });
      const label = `fill-template-${k}`;
      const r = await insertPrepared(q, p, { site: null, label, inviteId: null, nowMs: Date.now() });
      await q.run('INSERT INTO fill_tpl (k, id, label) VALUES (?, ?, ?)', [k, r.id, label]);
    }
  });
  const K = docs.length;
  const CHUNK = 10_000;
  for (let a = have + K; a < REPORTS; a += CHUNK) {
    const b = Math.min(REPORTS, a + CHUNK) - 1;
    await driver.write(async (q) => {
      const before = Number((await q.get<{ m: number }>('SELECT MAX(id) AS m FROM reports'))?.m ?? 0);
      await q.run(
        `INSERT INTO reports (digest, site, label, source, outcome, tier, causes, time, received_at, invite_id, down_bps, up_bps, rtt_ms, jitter_ms, loss_ratio, mos, bytes)
         WITH RECURSIVE series (n) AS (SELECT CAST(? AS BIGINT) UNION ALL SELECT n + 1 FROM series WHERE n < ?)
         SELECT 'fill-' || g.n, 'site-' || (g.n % ${SITES}), ft.label, t.source, t.outcome, t.tier, t.causes, ? + g.n * 60000, t.received_at, NULL,
                t.down_bps, t.up_bps, t.rtt_ms, t.jitter_ms, t.loss_ratio, t.mos, t.bytes
         FROM series g JOIN fill_tpl ft ON ft.k = g.n % ${K} JOIN reports t ON t.id = ft.id`,
        [a, b, T0],
      );
      await q.run(
        `INSERT INTO report_docs (report_id, doc)
         SELECT r.id, td.doc FROM reports r JOIN fill_tpl ft ON ft.label = r.label JOIN report_docs td ON td.report_id = ft.id
         WHERE r.id > ?`,
        [before],
      );
    });
  }
  await driver.write(async (q) => {
    await q.run(`INSERT INTO report_causes (report_id, cause)
      SELECT r.id, rc.cause FROM reports r JOIN fill_tpl ft ON ft.label = r.label JOIN report_causes rc ON rc.report_id = ft.id WHERE r.id <> ft.id`);
    await q.run('DELETE FROM sites');
    await q.run(`INSERT INTO sites (site, latest_report_id, latest_time, latest_outcome, reports)
      SELECT site, id, time, outcome, n FROM (
        SELECT site, id, time, outcome, COUNT(*) OVER (PARTITION BY site) AS n, ROW_NUMBER() OVER (PARTITION BY site ORDER BY time DESC, id DESC) AS rn
        FROM reports WHERE site IS NOT NULL) x
      WHERE rn = 1`);
    await q.run('DROP TABLE fill_tpl');
  });
  return { ms: performance.now() - t0 };
}

async function queries(store: Store) {
  const info = await store.info();
  const runs: number[] = [];
  let sites = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    sites = (await store.latestBySite()).length;
    runs.push(performance.now() - t);
  }
  const max = Math.max(...runs);
  console.log(
    `latest outcome per site over ${info.reports} stored reports (${sites} sites), 5 runs: median ${fmt(pct(runs, 50), 1)} ms, max ${fmt(max, 1)} ms (bound < ${BOUNDS.latestMs} ms) ${mark(max < BOUNDS.latestMs)}`,
  );
  let t = performance.now();
  await store.list({}, { limit: 100 });
  const listMs = performance.now() - t;
  t = performance.now();
  const h = await store.history('site-7');
  const histMs = performance.now() - t;
  t = performance.now();
  const f = await store.list({ outcome: 'not-ready', cause: 'tls-inspection' }, { limit: 100 });
  const filtMs = performance.now() - t;
  console.log(`newest list page (100 rows) ${fmt(listMs, 1)} ms; filtered page (not-ready + tls-inspection, ${f.rows.length} rows) ${fmt(filtMs, 1)} ms; a site's history (${h.length} points) ${fmt(histMs, 1)} ms`);
}

async function sqlite() {
  console.log('== store: SQLite (node:sqlite; WAL, synchronous=FULL) ==');
  const dir = tempDir('bench-store');
  const file = path.join(dir, 'store.db');
  try {
    const store = await openStore(`sqlite:${file}`);
    await uploads(store, true);
    await httpUploads(`sqlite:${path.join(dir, 'http.db')}`);
    const driver = await openSqliteDriver(file);
    const f = await fill(driver, (await store.info()).reports);
    await driver.write((q) => q.run('ANALYZE'));
    await driver.close();
    console.log(`fill: to ${REPORTS} reports (copies of 7 documents, ${SITES} sites) in ${fmt(f.ms / 1000, 1)} s; file ${fmt(statSync(file).size / 2 ** 20)} MiB`);
    await queries(store);
    await store.close();
  } finally {
    removeDir(dir);
  }
}

async function postgres() {
  console.log('== store: PostgreSQL (pg pool; fsync on) ==');
  const skip = postgresSkip();
  if (skip) {
    console.log(`skipped: ${skip}`);
    return;
  }
  const srv = await startPostgres({ fsync: true });
  try {
    const url = await srv.createDatabase('bench');
    const store = await openStore(url);
    await uploads(store, false);
    await httpUploads(await srv.createDatabase('bench_http'));
    const driver = await openPostgresDriver(url);
    const f = await fill(driver, (await store.info()).reports);
    await driver.write((q) => q.run('ANALYZE'));
    const size = await driver.read((q) => q.get<{ s: number }>('SELECT pg_database_size(current_database()) AS s'));
    await driver.close();
    console.log(`fill: to ${REPORTS} reports (copies of 7 documents, ${SITES} sites) in ${fmt(f.ms / 1000, 1)} s; database ${fmt(Number(size?.s) / 2 ** 20)} MiB`);
    await queries(store);
    await store.close();
  } finally {
    await srv.destroy();
  }
}

export async function storeBench() {
  console.log(`(machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the start: figures scale with it)`);
  await sqlite();
  await postgres();
}
