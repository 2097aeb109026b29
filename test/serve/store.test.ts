// The results store's behaviour, the same tests against SQLite and against a real PostgreSQL.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  csvLines,
  deriveOutcome,
  STORE_SCHEMA_VERSION,
  StoreError,
  StoreInviteError,
  StoreOpenError,
  StoreValidationError,
  openStore,
  type Store,
} from '../../src/serve/store/index.js';
import { backends, browserDoc, golden, pgServerOnce, rawQuery, rerun } from './store-backends.js';
import { dbName, postgresSkip } from '../support/postgres.js';

const DAY = 24 * 3600_000;
const T0 = Date.parse('2026-11-01T09:00:00.000Z');

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function rejectsWith(code: string) {
  return (e: unknown) => {
    assert.ok(e instanceof StoreError, `expected a StoreError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  };
}

const BACKENDS = backends();

for (const b of BACKENDS) {
  describe(`results store on ${b.name}`, { skip: b.skip }, () => {
    it('stores a report whole, with its indexed columns', async () => {
      const { store } = await b.fresh();
      const doc = golden('clean-media');
      const r = await store.put(doc, { site: 'Paris office', label: 'rollout wave 1' });
      assert.equal(r.duplicate, false);
      assert.equal(r.outcome, 'ready');
      assert.equal(r.source, 'cli');
      const got = await store.get(r.id);
      assert.ok(got);
      assert.deepEqual(got.doc, doc, 'the JSON comes back as it was (nothing to redact in it)');
      assert.equal(got.site, 'Paris office');
      assert.equal(got.label, 'rollout wave 1');
      assert.equal(got.tier, doc.tier);
      assert.equal(got.time, doc.startedAt);
      assert.equal(got.source, 'cli');
      assert.equal(got.inviteId, null);
      assert.deepEqual(got.quality, { downBps: doc.quality!.downBps, upBps: doc.quality!.upBps, rttMs: doc.quality!.rttMs, jitterMs: doc.quality!.jitterMs, lossRatio: doc.quality!.lossRatio, mos: doc.quality!.mos });
      assert.equal(got.bytes, Buffer.byteLength(JSON.stringify(doc)));

      const bad = golden('combo-office-proxy');
      const r2 = await store.put(bad, { site: 'Lyon' });
      const row = (await store.get(r2.id))!;
      assert.equal(row.outcome, 'not-ready', 'ready: false and no outcome field → not-ready');
      assert.deepEqual(row.causes, bad.causes.map((c) => c.id));
      assert.equal(await store.get(999_999), null);
      await store.close();
    });

    it('stores browser results (netready/browser@1) with source browser and the page verdict', async () => {
      const { store } = await b.fresh();
      const ok = await store.put(browserDoc(), { site: 'Paris office' });
      const blocked = await store.put(browserDoc({ cameraBlocked: true, startedAt: '2026-11-25T17:00:00.000Z' }), { site: 'Paris office' });
      const a = (await store.get(ok.id))!;
      const c = (await store.get(blocked.id))!;
      assert.equal(a.source, 'browser');
      assert.equal(a.outcome, 'ready');
      assert.equal(a.tier, null);
      assert.deepEqual(a.quality, { downBps: null, upBps: null, rttMs: null, jitterMs: null, lossRatio: null, mos: null });
      assert.equal(c.outcome, 'not-ready');
      assert.deepEqual(c.causes, ['camera-blocked']);
      assert.deepEqual(c.doc, browserDoc({ cameraBlocked: true, startedAt: '2026-11-25T17:00:00.000Z' }));
      await store.close();
    });

    it('takes JSON text and bytes as well as objects, and an upload sent twice is stored once', async () => {
      const { store } = await b.fresh();
      const doc = golden('clean-media');
      const first = await store.put(JSON.stringify(doc), { site: 'Oslo' });
      const again = await store.put(Buffer.from(JSON.stringify(doc, null, 2)), { site: 'Oslo' });
      assert.equal(again.duplicate, true);
      assert.equal(again.id, first.id);
      assert.ok(again.share && first.share && again.share.token !== first.share.token, 'the retry gets a working share link of its own');
      const otherSite = await store.put(doc, { site: 'Bergen' });
      assert.notEqual(otherSite.id, first.id);
      assert.equal((await store.info()).reports, 2);
      assert.equal((await store.getByShare(again.share!.token)).state, 'ok');
      await store.close();
    });

    it('keeps the latest outcome per site by report time, and says when it changes (one change, one recovery)', async () => {
      const { store } = await b.fresh();
      const ready = golden('clean-media');
      const notReady = golden('tls-inspection');
      const steps = [
        { doc: rerun(ready, T0), changed: false, prev: null },
        { doc: rerun(ready, T0 + 1 * DAY), changed: false, prev: 'ready' },
        { doc: rerun(notReady, T0 + 2 * DAY), changed: true, prev: 'ready' },
        { doc: rerun(notReady, T0 + 3 * DAY), changed: false, prev: 'not-ready' },
        { doc: rerun(ready, T0 + 4 * DAY), changed: true, prev: 'not-ready' },
        // an older run uploaded late: stored, counted, but not the latest and no change
        { doc: rerun(notReady, T0 + 0.5 * DAY), changed: false, prev: 'ready' },
      ];
      for (const [i, s] of steps.entries()) {
        const r = await store.put(s.doc, { site: 'Madrid' });
        assert.equal(r.changed, s.changed, `step ${i}: changed`);
        assert.equal(r.previousOutcome, s.prev, `step ${i}: previous outcome`);
      }
      await store.put(rerun(notReady, T0), { site: 'Berlin' });
      await store.put(browserDoc(), {}); // no site: not in the per-site view
      const latest = await store.latestBySite();
      assert.deepEqual(latest.map((l) => [l.site, l.reports, l.latest.outcome, l.latest.time]), [
        ['Berlin', 1, 'not-ready', new Date(T0).toISOString()],
        ['Madrid', 6, 'ready', new Date(T0 + 4 * DAY).toISOString()],
      ]);
      assert.deepEqual(latest[1].latest.causes, []);
      assert.deepEqual(latest[0].latest.causes, notReady.causes.map((c) => c.id));
      await store.close();
    });

    it('gives a site history (outcome and quality over time), oldest first, within a range and a limit', async () => {
      const { store } = await b.fresh();
      const base = golden('clean-media');
      for (let i = 0; i < 6; i++) {
        const d = rerun(base, T0 + i * DAY);
        d.quality = { ...d.quality!, downBps: 1e6 * (i + 1), mos: 3 + i / 10 };
        if (i === 3) Object.assign(d, { ready: false, outcome: 'not-ready' });
        await store.put(d, { site: 'Rome' });
      }
      await store.put(rerun(base, T0), { site: 'Milan' });
      const h = await store.history('Rome');
      assert.equal(h.length, 6);
      assert.deepEqual(h.map((p) => p.quality.downBps), [1e6, 2e6, 3e6, 4e6, 5e6, 6e6]);
      assert.deepEqual(h.map((p) => p.outcome), ['ready', 'ready', 'ready', 'not-ready', 'ready', 'ready']);
      assert.equal(h[0].time, new Date(T0).toISOString());
      const mid = await store.history('Rome', { from: T0 + DAY, to: new Date(T0 + 3 * DAY) });
      assert.deepEqual(mid.map((p) => p.quality.downBps), [2e6, 3e6]);
      const last2 = await store.history('Rome', { limit: 2 });
      assert.deepEqual(last2.map((p) => p.quality.downBps), [5e6, 6e6], 'the newest points, oldest first');
      assert.deepEqual(await store.history('Nowhere'), []);
      await store.close();
    });

    it('lists with filters (site, outcome, source, cause, time range, invite) and pages through everything once', async () => {
      const { store } = await b.fresh();
      const names = ['clean', 'dns-blocked', 'udp-blocked', 'tls-inspection', 'clean-media'];
      let n = 0;
      for (const site of ['A', 'B', 'C']) for (const name of names) await store.put(rerun(golden(name), T0 + n++ * 3600_000), { site });
      await store.put(browserDoc({ cameraBlocked: true }), { site: 'A' });
      const all = await store.list({}, { limit: 1000 });
      assert.equal(all.rows.length, 16);
      assert.equal(all.next, null);
      const times = all.rows.map((r) => Date.parse(r.time));
      assert.deepEqual(times, [...times].sort((x, y) => y - x), 'newest first');

      assert.equal((await store.list({ site: 'B' })).rows.length, 5);
      assert.ok((await store.list({ outcome: 'ready' })).rows.every((r) => r.outcome === 'ready'));
      const browser = await store.list({ source: 'browser' });
      assert.deepEqual(browser.rows.map((r) => r.site), ['A']);
      const tls = await store.list({ cause: 'tls-inspection' });
      assert.equal(tls.rows.length, 3);
      assert.ok(tls.rows.every((r) => r.causes.includes('tls-inspection')));
      const range = await store.list({ from: T0 + 5 * 3600_000, to: T0 + 10 * 3600_000 });
      assert.deepEqual(range.rows.map((r) => r.site), ['B', 'B', 'B', 'B', 'B']);
      assert.equal((await store.list({ site: 'A', outcome: 'not-ready', source: 'cli' })).rows.length, 2);

      const seen: number[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<Store['list']>> = await store.list({}, { limit: 3, after });
        seen.push(...page.rows.map((r) => r.id));
        after = page.next;
        pages++;
      } while (after && pages < 20);
      assert.deepEqual(seen, all.rows.map((r) => r.id), 'pages cover every row once, in order');
      await assert.rejects(store.list({}, { after: 'garbage' }), rejectsWith('STORE_INVALID'));
      await assert.rejects(store.list({ outcome: 'maybe' as never }), rejectsWith('STORE_INVALID'));
      await assert.rejects(store.list({ from: 'not a date' }), rejectsWith('STORE_INVALID'));
      await store.close();
    });

    it('exports CSV rows for every match, with formula cells defused', async () => {
      const { store } = await b.fresh();
      await store.put(rerun(golden('clean-media'), T0), { site: '=HYPERLINK("http://x.test","y")', label: 'a, "quoted" label' });
      await store.put(rerun(golden('dns-blocked'), T0 + 1000), { site: 'Plain' });
      const lines = await collect(csvLines(store.exportRows()));
      assert.equal(lines.length, 3);
      assert.equal(lines[0], 'id,time,receivedAt,site,label,source,outcome,tier,causes,inviteId,downBps,upBps,rttMs,jitterMs,lossRatio,mos\r\n');
      assert.match(lines[1], /,Plain,,cli,not-ready,/);
      assert.match(lines[2], /,"'=HYPERLINK\(""http:\/\/x\.test"",""y""\)","a, ""quoted"" label",cli,ready,optimal,,,9100000,8700000,24\.1,1\.9,0\.004,4\.36\r\n$/);
      const only = await collect(store.exportRows({ site: 'Plain' }));
      assert.deepEqual(only.map((r) => r.causes), ['dns-blocked']);
      await store.close();
    });

    it('share links: unguessable, 30 days by default, expire and can be revoked', async () => {
      let now = Date.parse('2026-12-01T10:00:00.000Z');
      const { store } = await b.fresh({ now: () => now });
      const r = await store.put(golden('clean'), { site: 'Oslo' });
      assert.ok(r.share);
      assert.match(r.share.token, /^[A-Za-z0-9_-]{32}$/);
      assert.equal(Date.parse(r.share.expiresAt) - now, 30 * DAY);
      const ok = await store.getByShare(r.share.token);
      assert.equal(ok.state, 'ok');
      assert.equal(ok.state === 'ok' && ok.report.id, r.id);

      const short = await store.createShare(r.id, { ttlMs: 3600_000 });
      now += 3600_000;
      assert.equal((await store.getByShare(short.token)).state, 'expired');
      assert.equal((await store.getByShare(r.share.token)).state, 'ok');
      assert.equal(await store.revokeShare(r.share.id), true);
      assert.equal(await store.revokeShare(r.share.id), false, 'already revoked');
      assert.equal((await store.getByShare(r.share.token)).state, 'revoked');
      assert.equal((await store.getByShare('A'.repeat(32))).state, 'unknown');
      assert.equal((await store.getByShare('../../etc/passwd')).state, 'unknown');
      assert.deepEqual((await store.listShares(r.id)).map((s) => [s.id, s.revokedAt !== null]), [[r.share.id, true], [short.id, false]]);
      const none = await store.put(rerun(golden('clean'), now), { site: 'Oslo', share: false });
      assert.equal(none.share, null);
      assert.deepEqual(await store.listShares(none.id), []);
      await assert.rejects(store.createShare(987_654), rejectsWith('STORE_INVALID'));
      await assert.rejects(store.createShare(r.id, { ttlMs: -5 }), rejectsWith('STORE_INVALID'));
      await store.close();
    });

    it('invites: a result lands under its invite; expired, revoked or unknown invites store nothing', async () => {
      let now = Date.parse('2026-12-01T10:00:00.000Z');
      const { store } = await b.fresh({ now: () => now });
      const inv = await store.createInvite({ label: 'Ms Signer (loan 4711)', site: 'signers' });
      assert.match(inv.token, /^[A-Za-z0-9_-]{32}$/);
      assert.equal(Date.parse(inv.expiresAt) - now, 7 * DAY);
      const look = await store.lookupInvite(inv.token);
      assert.equal(look.state, 'ok');
      assert.equal(look.state === 'ok' && look.invite.uses, 0);

      const r = await store.put(browserDoc({ cameraBlocked: true }), { inviteToken: inv.token });
      assert.equal(r.inviteId, inv.id);
      assert.equal(r.site, 'signers', 'the invite names the site');
      const row = (await store.get(r.id))!;
      assert.equal(row.label, 'Ms Signer (loan 4711)');
      assert.equal(row.inviteId, inv.id);
      now += 60_000;
      await store.put(browserDoc({ startedAt: new Date(now).toISOString() }), { inviteToken: inv.token });
      const after = await store.lookupInvite(inv.token);
      assert.ok(after.state === 'ok');
      assert.equal(after.invite.uses, 2);
      assert.equal(after.invite.usedAt, new Date(now - 60_000).toISOString(), 'first use');
      assert.equal(after.invite.lastOutcome, 'ready', 'Try again worked');
      assert.equal((await store.list({ inviteId: inv.id })).rows.length, 2);

      const before = (await store.info()).reports;
      const short = await store.createInvite({ label: 'Mr Late', ttlMs: 1000 });
      now += 1000;
      await assert.rejects(store.put(browserDoc(), { inviteToken: short.token }), (e) => e instanceof StoreInviteError && e.code === 'STORE_INVITE_EXPIRED');
      assert.equal((await store.lookupInvite(short.token)).state, 'expired');
      assert.equal(await store.revokeInvite(inv.id), true);
      await assert.rejects(store.put(browserDoc({ startedAt: '2026-11-26T00:00:00.000Z' }), { inviteToken: inv.token }), (e) => e instanceof StoreInviteError && e.state === 'revoked');
      await assert.rejects(store.put(browserDoc(), { inviteToken: 'x'.repeat(32) }), rejectsWith('STORE_INVITE_UNKNOWN'));
      assert.equal((await store.info()).reports, before, 'nothing stored for rejected invites');
      assert.deepEqual((await store.listInvites()).map((i) => [i.label, i.revokedAt !== null]), [['Mr Late', false], ['Ms Signer (loan 4711)', true]]);
      await assert.rejects(store.createInvite({ label: '  ' }), rejectsWith('STORE_INVALID'));
      await store.close();
    });

    it('refuses malformed, oversized and other-schema documents with typed errors, storing nothing', async () => {
      const { store } = await b.fresh({ maxDocBytes: 20_000 });
      const cases: [unknown, string, RegExp][] = [
        ['{"schema": "netready/report@1", ', 'STORE_INVALID', /not JSON/],
        [[1, 2], 'STORE_INVALID', /not a JSON object/],
        [{ schema: 'something/else' }, 'STORE_INVALID', /"schema" must be/],
        [{ ...golden('pcc-clean'), schema: 'netready/report@2' }, 'STORE_INVALID', /report@2.*upgrade/],
        [{ ...golden('pcc-clean'), tier: 'excellent' }, 'STORE_INVALID', /\/tier/],
        [{ ...golden('pcc-clean'), checks: 'none' }, 'STORE_INVALID', /\/checks/],
        [{ ...browserDoc(), checks: [{ id: 'x' }] }, 'STORE_INVALID', /browser@1.*checks\[0\]/],
        [rerun(golden('pcc-clean'), Date.now() + 3 * DAY), 'STORE_INVALID', /ahead of the probe's clock/],
        [golden('clean-media'), 'STORE_TOO_LARGE', /more than the limit of 20000/],
        [JSON.stringify(golden('clean-media')), 'STORE_TOO_LARGE', /more than the limit/],
      ];
      for (const [doc, code, re] of cases) {
        await assert.rejects(store.put(doc, { site: 'X' }), (e) => {
          assert.ok(e instanceof StoreValidationError, String(e));
          assert.equal(e.code, code);
          assert.match(e.message, re);
          assert.ok(!e.message.includes('\n'));
          return true;
        });
      }
      const many = { ...golden('pcc-clean'), tier: 'x', durationMs: -1, ready: 'yes' };
      await assert.rejects(store.put(many), (e) => e instanceof StoreValidationError && e.problems.length >= 3);
      await assert.rejects(store.put(golden('pcc-clean'), { site: 'bad\nsite' }), rejectsWith('STORE_INVALID'));
      await assert.rejects(store.put(golden('pcc-clean'), { site: 'x'.repeat(201) }), rejectsWith('STORE_INVALID'));
      assert.equal((await store.info()).reports, 0);
      await store.put(golden('pcc-clean'), { site: 'X' });
      assert.equal((await store.info()).reports, 1);
      await store.close();
      await assert.rejects(store.put(golden('pcc-clean')), rejectsWith('STORE_CLOSED'));
    });

    it('applies migrations once, keeps data across reopening, and refuses a newer schema at open', async () => {
      const { store, spec } = await b.fresh();
      const r = await store.put(golden('clean'), { site: 'Kept' });
      await store.close();
      const again = await openStore(spec);
      assert.equal((await again.get(r.id))?.site, 'Kept');
      const info = await again.info();
      assert.equal(info.schemaVersion, STORE_SCHEMA_VERSION);
      assert.equal(info.backend, b.name);
      await again.ping();
      await again.close();
      const versions = await rawQuery(spec, 'SELECT version, name FROM schema_migrations ORDER BY version');
      assert.deepEqual(versions.map((v) => Number(v.version)), [1], 'each migration applied once');

      await rawQuery(spec, 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [99, 'from the future', Date.now()]);
      await assert.rejects(openStore(spec), (e) => {
        assert.ok(e instanceof StoreOpenError);
        assert.equal(e.code, 'STORE_SCHEMA_NEWER');
        assert.match(e.message, /version 99, newer than this netready knows \(1\): upgrade netready/);
        assert.ok(e.message.includes(b.name === 'sqlite' ? spec.slice('sqlite:'.length) : '127.0.0.1'), 'names the store');
        return true;
      });
    });
  });
}

describe('one schema on both backends', { skip: postgresSkip() }, () => {
  let sqliteCols: string[];
  let pgCols: string[];
  before(async () => {
    const [sq, pgb] = BACKENDS;
    const a = await sq.fresh();
    const p = await pgb.fresh();
    await a.store.close();
    await p.store.close();
    const tables = await rawQuery(a.spec, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
    sqliteCols = [];
    for (const t of tables) for (const c of await rawQuery(a.spec, `SELECT name FROM pragma_table_info('${String(t.name)}')`)) sqliteCols.push(`${String(t.name)}.${String(c.name)}`);
    pgCols = (await rawQuery(p.spec, "SELECT table_name || '.' || column_name AS c FROM information_schema.columns WHERE table_schema = 'netready'")).map((r) => String(r.c));
  });
  it('has the same tables and columns in SQLite and PostgreSQL', () => {
    assert.ok(sqliteCols.length >= 40, `${sqliteCols.length} columns`);
    assert.deepEqual([...pgCols].sort(), [...sqliteCols].sort());
  });
});

describe('outcome', () => {
  it('is the report\'s own outcome when it has one, else derived from ready (report@1) or blocking causes (browser@1)', () => {
    const { outcome: _o, unverified: _u, ...r } = golden('clean-media'); // a report of netready 0.1: no outcome field
    assert.equal(deriveOutcome(r), 'ready');
    assert.equal(deriveOutcome({ ...r, ready: false }), 'not-ready');
    assert.equal(deriveOutcome({ ...r, ready: false, outcome: 'incomplete' } as never), 'incomplete');
    assert.equal(deriveOutcome({ ...r, outcome: 'bogus' } as never), 'ready');
    assert.equal(deriveOutcome(golden('clean')), 'incomplete', 'a run without a probe is incomplete');
    assert.equal(deriveOutcome(browserDoc()), 'ready');
    assert.equal(deriveOutcome(browserDoc({ cameraBlocked: true })), 'not-ready');
  });
});

describe('opening', () => {
  it('names the problem in one line for a bad --store spec', async () => {
    for (const [spec, re] of [
      ['mysql://x', /expected sqlite:PATH or postgres:\/\//],
      ['sqlite:', /expected sqlite:PATH/],
      ['postgres://user:hunter2secret@', /not a valid PostgreSQL URL/],
    ] as const) {
      await assert.rejects(openStore(spec), (e) => {
        assert.ok(e instanceof StoreOpenError && e.code === 'STORE_SPEC', String(e));
        assert.match(e.message, re);
        assert.ok(!e.message.includes('hunter2secret'), 'no password in messages');
        assert.equal(e.exitCode, 2);
        return true;
      });
    }
  });
  it('says when PostgreSQL cannot be reached, without the password', { skip: postgresSkip() }, async () => {
    const srv = await pgServerOnce();
    await assert.rejects(openStore(`postgres://netready:s3cret-pw@127.0.0.1:${srv.port}/${dbName('missing')}`, { connectTimeoutMs: 2000 }), (e) => {
      assert.ok(e instanceof StoreOpenError, String(e));
      assert.match(e.message, /^postgres:\/\/netready:\*\*\*@127\.0\.0\.1:\d+\/missing_\w+: cannot (reach PostgreSQL|open the store) \(database "[\w_]+" does not exist\)$/);
      return true;
    });
  });
});
