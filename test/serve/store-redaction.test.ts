// Nothing that could be a secret is ever stored: secrets planted wherever a report or a browser
// result can carry them, then the bytes the database wrote are searched (the SQLite file and its
// WAL; PostgreSQL's rows as text and its data directory after a CHECKPOINT). A marker stored on
// purpose must be found by the same search, so the search is known to see the stored bytes.

import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { validateReport } from '../../src/report/validate.js';
import { REDACTED, redactor } from '../../src/serve/store/index.js';
import type { Report } from '../../src/report/types.js';
import { backends, browserDoc, golden, pgServerOnce, rawQuery } from './store-backends.js';

// Random letters that occur nowhere else in a report: a stored copy would be found byte for byte
// (even inside PostgreSQL's compressed TOAST data, whose first copy of new bytes is literal).
const ALPHA = 'QXZJKVWqxzjkvw';
const rnd = (n = 18) => Array.from({ length: n }, () => ALPHA[randomInt(ALPHA.length)]).join('');
const S = {
  paramPw: rnd(),
  paramQuery: rnd(),
  paramKey: rnd(),
  proxyPw: rnd(),
  proxyUser: rnd(),
  envPw: rnd(),
  envUserToken: rnd(),
  basic: Buffer.from(`bob:${rnd()}`).toString('base64'),
  bearer: rnd(24),
  turnCred: rnd(),
  turnUser: rnd(),
  echoToken: rnd(),
  serveToken: `NRUP${rnd(24)}`,
  targetPw: rnd(),
  noteSig: rnd(),
  pem: rnd(30),
  headerCookie: rnd(),
  sitePw: rnd(),
  labelToken: rnd(),
};
const MARKER = `MARK${rnd()}`;

function plantedReport(): Report {
  const r = golden('proxy-auth-required');
  r.startedAt = '2026-11-30T08:00:00.000Z';
  r.params = {
    ...r.params,
    probeUrl: `https://alice:${S.paramPw}@probe.example.test/?token=${S.paramQuery}`,
    apiKey: S.paramKey,
  };
  const [c0, c1, c2, c3] = r.checks;
  c0.target = `https://dave:${S.targetPw}@probe.example.test:443`;
  c0.details = {
    ...c0.details,
    proxy: { kind: 'http', display: `http://${S.proxyUser}:${S.proxyPw}@proxy.corp.test:3128`, source: 'explicit', auth: true },
    env: { HTTPS_PROXY: `carol:${S.envPw}@proxy.corp.test:3128`, ALL_PROXY: `http://${S.envUserToken}@proxy.corp.test:8080` },
    key: `-----BEGIN PRIVATE KEY-----\nMIIEv${S.pem}\n-----END PRIVATE KEY-----`,
  };
  c1.status = 'failed';
  c1.error = { code: 'PROXY_AUTH_REQUIRED', message: `407 from the proxy; we sent Proxy-Authorization: Basic ${S.basic} and Authorization: Bearer ${S.bearer}; Cookie: sid=${S.headerCookie}` };
  c2.details = { ...c2.details, turn: { username: `1764590000:${S.turnUser}`, credential: S.turnCred }, token: S.echoToken };
  c3.reason = `the upload token ${S.serveToken} was in the environment`;
  r.notes = [`internal error: GET https://probe.example.test/x?sig=${S.noteSig}&a=1 failed`, `kept on purpose: ${MARKER}`];
  r.causes = [...r.causes, { id: 'proxy-auth-required', severity: 'blocking', summary: 'The proxy demands Basic authentication', evidence: ['tcp.connect'], remedy: 'Let the media hosts bypass proxy authentication' }];
  return r;
}

const NEEDLES = Object.values(S);

function searchFiles(files: string[], needles: string[]): Set<string> {
  const found = new Set<string>();
  for (const f of files) {
    const buf = readFileSync(f);
    for (const n of needles) if (buf.includes(Buffer.from(n))) found.add(n);
  }
  return found;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile() && st.size > 0) out.push(p);
  }
  return out;
}

describe('redaction (unit)', () => {
  const red = redactor(['a-known-serve-token-123']);
  it('masks credentials in URLs, query secrets, auth headers, bearer/basic tokens, keys, known literals', () => {
    const cases: [string, string][] = [
      ['http://user:pw@proxy:3128', 'http://***@proxy:3128'],
      ['https://TOKEN123@host/x', 'https://***@host/x'],
      ['HTTPS_PROXY=bob:secret@proxy.corp:3128', 'HTTPS_PROXY=***@proxy.corp:3128'],
      ['GET /x?a=1&token=abc&sig=zz#f', 'GET /x?a=1&token=***&sig=***#f'],
      ['Authorization: Bearer abc.def.ghi', `Authorization: ${REDACTED}`],
      ['sent Basic dXNlcjpwYXNz and more', 'sent Basic *** and more'],
      ['token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc_def', `token ${REDACTED}`],
      ['with a-known-serve-token-123 inside', `with ${REDACTED} inside`],
      ['The proxy demands Basic authentication (407)', 'The proxy demands Basic authentication (407)'],
      ['Bearer Authentication is not supported', 'Bearer Authentication is not supported'],
      ['wss://probe.example.test/.netready/ws-probe', 'wss://probe.example.test/.netready/ws-probe'],
      ['contact ops@example.test', 'contact ops@example.test'],
    ];
    for (const [input, want] of cases) assert.equal(red.text(input), want, input);
  });
  it('replaces values under secret-named keys, and a user name beside a credential', () => {
    const { value, count } = red.value({ a: { uploadToken: 'x1', turn_secret: 'x2', 'Proxy-Authorization': 'x3', apiKey: 'x4', password: 'x5', bypass: 'keep', auth: true }, u: { username: 'keep-alone' }, t: { username: 'u', credential: 'c' } });
    assert.deepEqual(value, { a: { uploadToken: REDACTED, turn_secret: REDACTED, 'Proxy-Authorization': REDACTED, apiKey: REDACTED, password: REDACTED, bypass: 'keep', auth: true }, u: { username: 'keep-alone' }, t: { username: REDACTED, credential: REDACTED } });
    assert.equal(count, 7);
  });
});

for (const b of backends()) {
  describe(`nothing secret is stored (${b.name})`, { skip: b.skip }, () => {
    it('redacts planted secrets before they reach the database; the stored report still validates', async () => {
      const { store, spec } = await b.fresh({ secrets: [S.serveToken] });
      // PostgreSQL compresses large values (pglz interleaves control bytes with literals): for this
      // test database only, keep the document uncompressed so that its bytes can be searched.
      if (b.name === 'postgres') await rawQuery(spec, 'ALTER TABLE report_docs ALTER COLUMN doc SET STORAGE EXTERNAL');
      const planted = plantedReport();
      assert.deepEqual(validateReport(planted), [], 'the planted report is a valid report@1');
      const r = await store.put(planted, { site: `https://x:${S.sitePw}@site.test`, label: `branch token=${S.labelToken}` });
      assert.equal(r.redactions, 13, 'every planted string value changed (site and label are not document values)');

      const inv = await store.createInvite({ label: 'signer' });
      const bdoc = browserDoc();
      bdoc.checks[1].target = `wss://probe.example.test/i/${inv.token}/ws`;
      bdoc.checks[1].details = { page: `https://probe.example.test/i/${inv.token}` };
      const rb = await store.put(bdoc, { inviteToken: inv.token });

      const got = (await store.get(r.id))!;
      assert.deepEqual(validateReport(got.doc), [], 'the redacted report is still a valid report@1');
      const text = JSON.stringify(got.doc);
      for (const n of NEEDLES) assert.ok(!text.includes(n), `not in the stored document: ${n}`);
      assert.ok(text.includes(MARKER));
      assert.ok(text.includes('The proxy demands Basic authentication'), 'prose kept');
      assert.equal((got.doc as Report).checks[0].details!.proxy && ((got.doc as Report).checks[0].details!.proxy as { display: string }).display, 'http://***@proxy.corp.test:3128');
      assert.equal(((got.doc as Report).checks[2].details!.turn as { credential: string }).credential, REDACTED);
      assert.equal(got.site, 'https://***@site.test');
      const btext = JSON.stringify((await store.get(rb.id))!.doc);
      assert.ok(!btext.includes(inv.token), 'the invite token in the page URL is not kept');
      const shareToken = r.share!.token;
      await store.close();

      const needles = [...NEEDLES, inv.token, shareToken];
      if (b.name === 'sqlite') {
        const file = spec.slice('sqlite:'.length);
        const files = [file, `${file}-wal`].filter(existsSync);
        const found = searchFiles(files, [...needles, MARKER]);
        assert.ok(found.has(MARKER), 'the search sees the stored bytes');
        assert.deepEqual(needles.filter((n) => found.has(n)), [], 'no secret in the SQLite file or its WAL');
      } else {
        // Every row of every table as text, then the server's files after a checkpoint.
        const dump: string[] = [];
        for (const t of ['reports', 'report_docs', 'report_causes', 'sites', 'invites', 'shares', 'schema_migrations'])
          for (const row of await rawQuery(spec, `SELECT row_to_json(t)::text AS j FROM ${t} t`)) dump.push(String(row.j));
        const all = dump.join('\n');
        assert.ok(all.includes(MARKER));
        assert.deepEqual(needles.filter((n) => all.includes(n)), [], 'no secret in any row');
        await rawQuery(spec, 'CHECKPOINT');
        const srv = await pgServerOnce();
        const found = searchFiles(filesUnder(srv.dataDir), [...needles, MARKER]);
        assert.ok(found.has(MARKER), 'the search sees the stored bytes');
        assert.deepEqual(needles.filter((n) => found.has(n)), [], 'no secret in the data directory (tables, WAL)');
      }
    });
  });
}
