// Results that travel, over HTTP: a real `startProbe` with a real results store — a SQLite file and a
// real PostgreSQL (started by the tests on loopback, skipped with the reason where it cannot run),
// the same test bodies for both: uploads (token, size, type, schema, redaction), share links
// (render, expire, revoke, unknown), the admin view (401, Bearer, sign-in cookie, CSV), the store
// going away (503 + Retry-After, then back), webhooks (one event per outcome change, retried after a
// 500), and the browser page's results landing in the store.

import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startProbe, type ProbeHandle } from '../../src/serve/probe.js';
import { browserDoc, golden, pgServerOnce, rawQuery, rerun } from './store-backends.js';
import { dbName, postgresSkip } from '../support/postgres.js';
import { removeDir, tempDir } from '../support/proc.js';

const ADMIN = 'admin-token-0123456789abcdef';
const UPLOAD = 'upload-token-0123456789abcdef';

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(base: string, ca: string, p: string, o: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(p, base), { method: o.method ?? 'GET', headers: o.headers ?? {}, ca, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    req.end(o.body);
  });
}

const dir = tempDir('results-http');
after(() => removeDir(dir));
let n = 0;

const BACKENDS = [
  { name: 'sqlite', skip: false as string | false, spec: async () => `sqlite:${path.join(dir, `r${++n}.db`)}` },
  { name: 'postgres', skip: postgresSkip(), spec: async () => (await pgServerOnce()).createDatabase(dbName('results')) },
];

async function start(spec: string, extra: { webhooks?: string[]; shareDays?: number } = {}) {
  const probe = await startProbe(
    { listen: [{ host: '127.0.0.1', port: 0 }], adminToken: ADMIN, results: { store: spec, uploadToken: UPLOAD, ...extra } },
    { webhookOptions: { baseMs: 50, attempts: 4, timeoutMs: 2000 } },
  );
  const base = probe.urls[0];
  const ca = probe.caPem!;
  const req = (p: string, o: Parameters<typeof request>[3] = {}) => request(base, ca, p, o);
  const upload = (doc: unknown, q = '', token = UPLOAD) =>
    req(`/.netready/reports${q}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: typeof doc === 'string' ? doc : JSON.stringify(doc) });
  return { probe, base, req, upload };
}

const json = (r: Res) => JSON.parse(r.body) as Record<string, unknown>;
const oneLineError = (r: Res) => {
  const b = json(r);
  assert.equal(b.ok, false);
  assert.equal(typeof b.error, 'string');
  assert.ok(!String(b.error).includes('\n'));
  return String(b.error);
};

for (const b of BACKENDS) {
  describe(`serve --store ${b.name}: uploads, share links, admin view`, { skip: b.skip }, () => {
    let s: Awaited<ReturnType<typeof start>>;
    let spec: string;
    after(() => s?.probe.close());

    it('starts with a store', async () => {
      spec = await b.spec();
      s = await start(spec);
    });

    it('stores an upload and answers 201 with a share link that renders the report', async () => {
      const doc = golden('clean-media');
      const r = await s.upload(doc, '?site=Paris%20office&label=wave%201');
      assert.equal(r.status, 201, r.body);
      const a = json(r);
      assert.equal(a.ok, true);
      assert.equal(a.outcome, 'ready');
      assert.equal(a.site, 'Paris office');
      const url = new URL(String(a.url));
      assert.equal(url.origin, new URL(s.base).origin);
      const m = /^\/r\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
      assert.ok(m, String(a.url));
      assert.ok(Buffer.from(m[1], 'base64url').length * 8 >= 128, 'the share id carries at least 128 bits');
      const page = await s.req(url.pathname);
      assert.equal(page.status, 200);
      assert.match(String(page.headers['content-type']), /text\/html/);
      assert.match(page.body, /netready report/);
      assert.match(page.body, /Where and how this ran/, 'the report renderer drew it');
      assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    });

    it('refuses a wrong or missing upload token (401), another type (415), too large (413), not JSON or not a report (400)', async () => {
      const doc = golden('clean-media');
      const bad = await s.upload(doc, '', 'not-the-upload-token-at-all');
      assert.equal(bad.status, 401);
      assert.match(oneLineError(bad), /upload token/);
      const admin = await s.upload(doc, '', ADMIN);
      assert.equal(admin.status, 401, 'the admin token is not the upload token');
      const none = await s.req('/.netready/reports', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      assert.equal(none.status, 401);
      const form = await s.req('/.netready/reports', { method: 'POST', headers: { Authorization: `Bearer ${UPLOAD}`, 'Content-Type': 'text/plain' }, body: 'x' });
      assert.equal(form.status, 415);
      oneLineError(form);
      const big = await s.upload(JSON.stringify({ ...doc, notes: ['x'.repeat(1100 * 1024)] }));
      assert.equal(big.status, 413);
      assert.match(oneLineError(big), /larger than/);
      const broken = await s.upload('{"schema": "netready/report@1", ');
      assert.equal(broken.status, 400);
      assert.match(oneLineError(broken), /not JSON/);
      const invalid = await s.upload({ ...doc, checks: 'none' });
      assert.equal(invalid.status, 400);
      assert.match(oneLineError(invalid), /not a valid netready\/report@1/);
      const rows = await rawQuery(spec, 'SELECT COUNT(*) AS n FROM reports');
      assert.equal(Number(rows[0].n), 1, 'nothing refused was stored');
    });

    it('never stores a secret: proxy credentials, tokens in URLs, the serve\'s own tokens', async () => {
      const doc = rerun(golden('clean-media'), '2026-11-02T09:00:00.000Z');
      doc.params = { ...doc.params, pacUrl: 'https://pac.example.test/proxy.pac?token=SEKRETPACTOKEN123' };
      doc.notes = [...(doc.notes ?? []), `proxy http://alice:HUNTER2PASSWORD@proxy.example.test:3128 used; upload token ${UPLOAD}`];
      const r = await s.upload(doc, '?site=Paris%20office');
      assert.equal(r.status, 201, r.body);
      assert.ok(Number(json(r).redactions) >= 2, `redactions: ${json(r).redactions}`);
      const stored = await rawQuery(spec, 'SELECT doc FROM report_docs WHERE report_id = ?', [json(r).id]);
      const text = String(stored[0].doc);
      for (const secret of ['SEKRETPACTOKEN123', 'HUNTER2PASSWORD', UPLOAD]) assert.ok(!text.includes(secret), `${secret} is not stored`);
      const page = await s.req(new URL(String(json(r).url)).pathname);
      assert.ok(!page.body.includes('HUNTER2PASSWORD'));
    });

    it('a share link expires (410), can be revoked with the admin token (410), and an unknown one is 404', async () => {
      const r1 = json(await s.upload(rerun(golden('clean-media'), '2026-11-03T09:00:00.000Z'), '?site=Lyon'));
      const r2 = json(await s.upload(rerun(golden('clean-media'), '2026-11-04T09:00:00.000Z'), '?site=Lyon'));
      const p1 = new URL(String(r1.url)).pathname;
      const p2 = new URL(String(r2.url)).pathname;
      assert.equal((await s.req(p1)).status, 200);
      await rawQuery(spec, 'UPDATE shares SET expires_at = ? WHERE report_id = ?', [Date.now() - 1000, r1.id]);
      const gone = await s.req(p1);
      assert.equal(gone.status, 410);
      assert.match(gone.body, /expired/);

      const noAdmin = await s.req(p2, { method: 'DELETE' });
      assert.equal(noAdmin.status, 401);
      assert.equal((await s.req(p2)).status, 200, 'still there');
      const del = await s.req(p2, { method: 'DELETE', headers: { Authorization: `Bearer ${ADMIN}` } });
      assert.equal(del.status, 200, del.body);
      assert.equal(json(del).revoked, true);
      const revoked = await s.req(p2);
      assert.equal(revoked.status, 410);
      assert.match(revoked.body, /withdrawn/);
      assert.equal((await s.req('/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status, 404);
      assert.equal((await s.req('/r/short')).status, 404);
    });

    it('the admin view: 401 without the token, the sites and a history chart with it, a sign-in cookie, CSV export, escaped', async () => {
      const xss = '<script>alert(1)</script>';
      assert.equal((await s.upload(rerun(golden('combo-office-proxy'), '2026-11-05T09:00:00.000Z'), `?site=${encodeURIComponent(xss)}`)).status, 201);
      const anon = await s.req('/results');
      assert.equal(anon.status, 401);
      assert.equal((await s.req('/results.csv')).status, 401);
      assert.equal((await s.req('/results', { headers: { Authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
      const signin = await s.req('/results', { headers: { Accept: 'text/html' } });
      assert.equal(signin.status, 401);
      assert.match(signin.body, /<form method="post" action="\/results\/signin">/);

      const view = await s.req('/results', { headers: { Authorization: `Bearer ${ADMIN}` } });
      assert.equal(view.status, 200);
      assert.match(view.body, /Paris office/);
      assert.match(view.body, /Lyon/);
      assert.ok(!view.body.includes(xss), 'site names are escaped');
      assert.ok(view.body.includes('&lt;script&gt;'));
      const hist = await s.req('/results?site=Paris%20office', { headers: { Authorization: `Bearer ${ADMIN}` } });
      assert.match(hist.body, /<svg[^>]*role="img"/);
      assert.match(hist.body, /2 ready/);
      const filtered = await s.req('/results?outcome=not-ready', { headers: { Authorization: `Bearer ${ADMIN}` } });
      assert.ok(!/<td>Paris office<\/td>/.test(filtered.body), 'the outcome filter leaves the ready reports out');

      const wrong = await s.req('/results/signin', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=nope' });
      assert.equal(wrong.status, 401);
      const ok = await s.req('/results/signin', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN}` });
      assert.equal(ok.status, 303);
      const cookie = String(ok.headers['set-cookie']);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.ok(!cookie.includes(ADMIN), 'the cookie is not the token');
      const withCookie = await s.req('/results', { headers: { Cookie: cookie.split(';')[0] } });
      assert.equal(withCookie.status, 200);
      assert.equal((await s.req('/results', { headers: { Cookie: `${cookie.split('=')[0]}=99999999999999.forged` } })).status, 401);

      const csv = await s.req('/results.csv?site=Lyon', { headers: { Authorization: `Bearer ${ADMIN}` } });
      assert.equal(csv.status, 200);
      assert.match(String(csv.headers['content-type']), /text\/csv/);
      const lines = csv.body.trim().split(/\r?\n/);
      assert.match(lines[0], /^id,time,/);
      assert.equal(lines.length, 3, 'header + the two Lyon reports');
      const report = await s.req('/results/report/1', { headers: { Authorization: `Bearer ${ADMIN}` } });
      assert.equal(report.status, 200);
      assert.match(report.body, /netready report/);
    });

    it('creates an invite through the admin API (401 without the token)', async () => {
      const body = JSON.stringify({ label: 'Customer Jane', site: 'Signers', days: 3 });
      assert.equal((await s.req('/.netready/invites', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status, 401);
      const r = await s.req('/.netready/invites', { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, body });
      assert.equal(r.status, 201, r.body);
      assert.match(String(json(r).url), /\/i\/[A-Za-z0-9_-]{32}$/);
      const bad = await s.req('/.netready/invites', { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, body: '{"label":""}' });
      assert.equal(bad.status, 400);
      oneLineError(bad);
    });

    it('the admin view creates an invite from its form (shown once) and refuses one without a label', async () => {
      const form = { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/x-www-form-urlencoded' };
      const made = await s.req('/results/invites', { method: 'POST', headers: form, body: 'label=Customer%20Ann&site=Signers&days=2' });
      assert.equal(made.status, 200);
      assert.match(made.body, /Invite created: <a href="https:\/\/[^"]+\/i\/[A-Za-z0-9_-]{32}">/);
      assert.match(made.body, /<td>Customer Ann<\/td>/);
      const none = await s.req('/results/invites', { method: 'POST', headers: form, body: 'label=&days=2' });
      assert.equal(none.status, 400);
      assert.match(none.body, /An invite needs a label/);
      assert.equal((await s.req('/results/invites', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'label=x' })).status, 401);
    });

    it('the browser page\'s results land in the store (source browser)', async () => {
      const r = await s.req('/.netready/browser-results', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(browserDoc({ cameraBlocked: true })) });
      assert.equal(r.status, 201, r.body);
      const a = json(r);
      assert.equal(typeof a.reportId, 'number');
      const rows = await rawQuery(spec, 'SELECT source, outcome FROM reports WHERE id = ?', [a.reportId]);
      assert.deepEqual({ ...rows[0] }, { source: 'browser', outcome: 'not-ready' });
      const page = await s.req(new URL(String(a.url)).pathname);
      assert.equal(page.status, 200);
      assert.match(page.body, /The camera is blocked/);
    });

    if (b.name === 'postgres') {
      it('answers 503 with Retry-After while PostgreSQL is away, and stores again once it is back', async () => {
        const srv = await pgServerOnce();
        await srv.stop('SIGINT');
        try {
          const r = await s.upload(rerun(golden('clean-media'), '2026-11-06T09:00:00.000Z'), '?site=Paris%20office');
          assert.equal(r.status, 503, r.body);
          assert.ok(Number(r.headers['retry-after']) >= 1);
          assert.match(oneLineError(r), /unavailable/);
        } finally {
          await srv.start();
        }
        let r;
        for (let i = 0; i < 20; i++) {
          r = await s.upload(rerun(golden('clean-media'), '2026-11-06T09:00:00.000Z'), '?site=Paris%20office');
          if (r.status !== 503) break;
          await new Promise((res) => setTimeout(res, 250));
        }
        assert.equal(r!.status, 201, r!.body);
      });
    }
  });

  describe(`serve --store ${b.name}: webhooks`, { skip: b.skip }, () => {
    it('posts exactly one event per outcome change and one on recovery, retrying after a 500, never on unchanged runs', async () => {
      const seen: Record<string, unknown>[] = [];
      let calls = 0;
      const receiver = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          calls++;
          if (calls === 1) {
            res.writeHead(500).end('try again');
            return;
          }
          seen.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      const port = (receiver.address() as { port: number }).port;
      const s = await start(await b.spec(), { webhooks: [`http://127.0.0.1:${port}/hook`] });
      try {
        const ready = golden('clean-media');
        const bad = golden('combo-office-proxy');
        const seq = [ready, ready, bad, bad, ready, ready];
        for (const [i, d] of seq.entries()) {
          const r = await s.upload(rerun(d, Date.parse('2026-11-10T09:00:00.000Z') + i * 3600_000), '?site=Berlin');
          assert.equal(r.status, 201, r.body);
        }
        const deadline = Date.now() + 10_000;
        while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 500)); // nothing more arrives
        assert.equal(seen.length, 2, JSON.stringify(seen));
        assert.equal(calls, 3, 'the first delivery got a 500 and was retried');
        assert.deepEqual(
          seen.map((e) => [e.type, e.site, e.from, e.to]),
          [
            ['outcome-changed', 'Berlin', 'ready', 'not-ready'],
            ['recovered', 'Berlin', 'not-ready', 'ready'],
          ],
        );
        for (const e of seen) {
          assert.match(String(e.url), /\/r\//);
          assert.equal(typeof e.reportId, 'number');
          assert.ok(!Number.isNaN(Date.parse(String(e.at))));
        }
      } finally {
        await s.probe.close();
        await new Promise((r) => receiver.close(r));
      }
    });
  });
}

export type { ProbeHandle };
