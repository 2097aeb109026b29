// PostgreSQL store faults against a real server: the server stopped in the middle of a write and
// while writers are busy (really stopped by its PID, then restarted), writes while it is away,
// several clients at once, an address where nothing listens.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { openStore, StoreError, StoreOpenError, StoreUnavailableError, type Store } from '../../src/serve/store/index.js';
import { freePort } from '../support/proc.js';
import { dbName, postgresSkip } from '../support/postgres.js';
import { assertConsistent, golden, pgServerOnce, rawQuery, rerun, writerProcess } from './store-backends.js';

const skip = postgresSkip();
const T0 = Date.parse('2026-10-01T00:00:00.000Z');

function isUnavailable(e: unknown, port: number): boolean {
  assert.ok(e instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(e)}`);
  assert.equal(e.code, 'STORE_UNAVAILABLE');
  assert.equal(e.retryable, true);
  assert.ok((e.retryAfterMs ?? 0) > 0);
  assert.match(e.message, new RegExp(`^postgres://netready@127\\.0\\.0\\.1:${port}/\\w+: PostgreSQL is unavailable \\(.+\\)$`));
  return true;
}

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('PostgreSQL store: the server goes away', { skip }, () => {
  it('a write cut off mid-transaction is answered "unavailable" and leaves nothing half-written; the store reconnects after a restart', async () => {
    const srv = await pgServerOnce();
    const spec = await srv.createDatabase(dbName('midwrite'));
    const store = await openStore(spec, { connectTimeoutMs: 1000 });
    await store.put(rerun(golden('clean-media'), T0), { site: 'hq' });

    // Another session holds the site's row: the next write to 'hq' inserts its report and causes,
    // then waits for that row inside its transaction.
    const blocker = new pg.Client({ connectionString: spec, options: '-c search_path=netready' });
    blocker.on('error', () => {});
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query("SELECT * FROM sites WHERE site = 'hq' FOR UPDATE");
    const cut = rerun(golden('combo-office-proxy'), T0 + 60_000);
    const pending = store.put(cut, { site: 'hq' }).then(
      () => null,
      (e: unknown) => e,
    );
    await until('the write to wait on the site row', async () => {
      const r = await blocker.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'netready' AND wait_event_type = 'Lock'");
      return r.rows[0].n === 1;
    });
    const seen = await blocker.query('SELECT count(*)::int AS n FROM reports');
    assert.equal(seen.rows[0].n, 1, 'the half-done write is invisible to others');

    await srv.stop('SIGQUIT'); // immediate shutdown, as in a crash
    const err = await pending;
    assert.ok(isUnavailable(err, srv.port));

    // While it is away: writes and reads answer "unavailable" (retryable), and quickly.
    await assert.rejects(store.put(rerun(golden('clean-media'), T0 + 120_000), { site: 'hq' }), (e) => isUnavailable(e, srv.port));
    await assert.rejects(store.list(), (e) => isUnavailable(e, srv.port));
    await assert.rejects(store.ping(), (e) => e instanceof StoreUnavailableError);

    await srv.start();
    await blocker.end().catch(() => {});
    const again = await store.put(cut, { site: 'hq' });
    assert.equal(again.duplicate, false, 'the cut write had left nothing behind');
    assert.equal(again.previousOutcome, 'ready');
    assert.equal(again.changed, true);
    const c = await assertConsistent(spec);
    assert.deepEqual(c, { reports: 2, sites: 1 });
    assert.equal(Number((await rawQuery(spec, 'SELECT count(*) AS n FROM report_causes'))[0].n), 5);
    await store.close();
  });

  it('under 8 busy writers, a restart loses nothing: each write is acknowledged or refused "unavailable", and once retried, stored exactly once', async () => {
    const srv = await pgServerOnce();
    const spec = await srv.createDatabase(dbName('outage'));
    const store = await openStore(spec, { connectTimeoutMs: 1000 });
    const WRITERS = 8;
    const EACH = 15;
    const docs = [golden('clean'), golden('dns-blocked'), golden('tls-inspection'), golden('udp-blocked')];
    const acked = new Map<string, number>();
    const refused: { key: string; doc: unknown; site: string }[] = [];
    const unexpected: unknown[] = [];
    let stopping: Promise<void> | null = null;
    const writer = async (w: number) => {
      for (let i = 0; i < EACH; i++) {
        const key = `${w}/${i}`;
        const doc = rerun(docs[(w + i) % docs.length], T0 + (w * EACH + i) * 1000);
        const site = `site-${(w + i) % 4}`;
        try {
          const r = await store.put(doc, { site });
          acked.set(key, r.id);
          if (acked.size === (WRITERS * EACH) / 2 && !stopping) stopping = srv.stop('SIGQUIT');
        } catch (e) {
          if (e instanceof StoreUnavailableError) refused.push({ key, doc, site });
          else unexpected.push(e);
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_x, w) => writer(w)));
    assert.ok(stopping, 'the server was stopped while writers ran');
    await stopping;
    assert.deepEqual(unexpected, [], 'only "unavailable" while the server is away');
    assert.ok(refused.length > 0, 'the outage hit writes');
    assert.equal(acked.size + refused.length, WRITERS * EACH);

    await srv.start();
    for (const r of refused) {
      let done = false;
      for (let t = 0; t < 30 && !done; t++) {
        try {
          acked.set(r.key, (await store.put(r.doc, { site: r.site })).id);
          done = true;
        } catch (e) {
          if (!(e instanceof StoreUnavailableError)) throw e;
          await new Promise((res) => setTimeout(res, 200));
        }
      }
      assert.ok(done, `retry of ${r.key}`);
    }
    const counts = (await rawQuery(spec, 'SELECT count(*) AS n, count(DISTINCT digest) AS d FROM reports'))[0];
    assert.equal(Number(counts.n), WRITERS * EACH, 'every write stored');
    assert.equal(Number(counts.d), WRITERS * EACH, 'none twice');
    const ids = new Set((await rawQuery(spec, 'SELECT id FROM reports')).map((r) => Number(r.id)));
    assert.ok([...acked.values()].every((id) => ids.has(id)), 'every acknowledged id is there');
    await assertConsistent(spec);
    await store.close();
  });
});

describe('PostgreSQL store: several clients', { skip }, () => {
  it('two writer processes and two pools here, writing the same sites at once, store everything consistently', async () => {
    const srv = await pgServerOnce();
    const spec = await srv.createDatabase(dbName('clients'));
    const a = await openStore(spec);
    const b = await openStore(spec, { poolSize: 3 });
    const local = (s: Store, tag: number) =>
      Promise.all(
        [0, 1, 2, 3].map(async (lane) => {
          for (let i = 0; i < 6; i++) await s.put(rerun(golden('clean-media'), T0 + (tag * 100 + lane * 10 + i) * 1000 + 3), { site: `site-${i % 5}` });
        }),
      );
    const [p1, p2] = await Promise.all([writerProcess(spec, 0, 25), writerProcess(spec, 1, 25), local(a, 1), local(b, 2)]);
    assert.deepEqual(p1, { ok: 25, failed: {} });
    assert.deepEqual(p2, { ok: 25, failed: {} });
    assert.deepEqual(await assertConsistent(spec), { reports: 98, sites: 5 });
    await a.close();
    await b.close();
  });
});

describe('PostgreSQL store: opening', () => {
  it('names an address where nothing listens, in one line', async () => {
    const port = await freePort();
    await assert.rejects(openStore(`postgres://netready:pw-not-shown@127.0.0.1:${port}/x`, { connectTimeoutMs: 1000 }), (e) => {
      assert.ok(e instanceof StoreOpenError && e instanceof StoreError);
      assert.equal(e.code, 'STORE_OPEN_FAILED');
      assert.equal(e.message, `postgres://netready:***@127.0.0.1:${port}/x: cannot reach PostgreSQL (connect ECONNREFUSED 127.0.0.1:${port})`);
      return true;
    });
  });
});
