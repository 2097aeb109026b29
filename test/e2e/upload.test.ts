// `netready check --upload` and `netready invite` end to end: the real CLI (bin/netready.js over
// dist/) against a real `netready serve --store` (startProbe, a SQLite file) on loopback, every
// profile name resolved to it (--resolve, --connect-to), its throw-away CA given with --ca. The
// report is stored and its share link renders; a failed upload leaves the local report and the
// exit code as they were; usage errors stop before the run (exit 2).

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startProbe, type ProbeHandle } from '../../src/serve/probe.js';
import { runCli } from '../support/cli.js';
import { freePort, removeDir, tempDir } from '../support/proc.js';
import { PROFILE, PROBE_HOST, SIGN_DOMAIN, profileHosts } from './harness.js';
import { NEEDS_SQUID, startSquid } from '../support/squid.js';

const ADMIN = 'admin-token-for-the-upload-e2e';
const UPLOAD = 'upload-token-for-the-upload-e2e';

function get(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = https.request({ host: '127.0.0.1', port: u.port, path: u.pathname + u.search, servername: u.hostname, headers: { Host: u.host, ...headers }, ca, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('check --upload and invite, through the real CLI', () => {
  const dir = tempDir('upload-e2e');
  let probe: ProbeHandle;
  let port: number;
  let caFile: string;
  let tokenFile: string;
  let adminFile: string;
  const dbFile = path.join(dir, 'results.db');
  before(async () => {
    probe = await startProbe({ listen: [{ host: '127.0.0.1', port: 0 }], adminToken: ADMIN, results: { store: `sqlite:${dbFile}`, uploadToken: UPLOAD } });
    port = probe.addresses[0].port;
    caFile = path.join(dir, 'ca.pem');
    writeFileSync(caFile, probe.caPem!);
    tokenFile = path.join(dir, 'upload.token');
    writeFileSync(tokenFile, `${UPLOAD}\n`);
    adminFile = path.join(dir, 'admin.token');
    writeFileSync(adminFile, `${ADMIN}\n`);
  });
  after(async () => {
    await probe?.close();
    removeDir(dir);
  });

  const common = () => [
    '--profile', PROFILE,
    '--sign-domain', SIGN_DOMAIN,
    ...profileHosts().flatMap((h) => ['--resolve', `${h}:127.0.0.1`]),
    '--connect-to', `::127.0.0.1:${port}`,
    '--ca', caFile,
    '--no-system-proxy',
  ];
  const env = { HTTPS_PROXY: '', HTTP_PROXY: '', https_proxy: '', http_proxy: '', NO_PROXY: '', no_proxy: '', ALL_PROXY: '', all_proxy: '' };
  const uploadUrl = () => `https://${PROBE_HOST}:${port}`;

  it('usage errors stop before the run (exit 2, one line)', async () => {
    const noToken = await runCli(['check', ...common(), '--upload', uploadUrl(), '--site', 'Paris'], { env: { ...env, NETREADY_UPLOAD_TOKEN: '' }, timeoutMs: 20_000 });
    assert.equal(noToken.code, 2, noToken.stderr);
    assert.match(noToken.stderr, /^netready: --upload needs the serve's upload token/m);
    assert.equal(noToken.stderr.trim().split('\n').length, 1);
    const badUrl = await runCli(['check', ...common(), '--upload', 'ftp://x', '--upload-token-file', tokenFile], { env, timeoutMs: 20_000 });
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /--upload: expected an https URL/);
    const siteAlone = await runCli(['check', ...common(), '--site', 'Paris'], { env, timeoutMs: 20_000 });
    assert.equal(siteAlone.code, 2);
    assert.match(siteAlone.stderr, /--site goes with --upload/);
  });

  let rawFile: string;
  let exitOfRun: number;

  it('a real run uploads its report and prints the share link, which renders the report', async () => {
    const json = path.join(dir, 'run.json');
    rawFile = path.join(dir, 'run.raw.json');
    const r = await runCli(
      ['check', ...common(), '--probe', `https://${PROBE_HOST}:${port}`, '--deadline', '20', '--idle-window', '1', '--quality-seconds', '1', '--json', json, '--save-raw', rawFile, '--upload', uploadUrl(), '--site', 'Paris office', '--upload-token-file', tokenFile],
      { env, timeoutMs: 40_000 },
    );
    exitOfRun = r.code ?? -1;
    assert.ok([0, 1, 4].includes(exitOfRun), `exit ${r.code}: ${r.stderr.slice(-2000)}`);
    const m = /netready: report uploaded to [^:]+:\d+: (https:\/\/\S+\/r\/[A-Za-z0-9_-]+)$/m.exec(r.stderr);
    assert.ok(m, r.stderr.slice(-2000));
    const local = JSON.parse(readFileSync(json, 'utf8')) as { startedAt: string; outcome: string };
    const page = await get(m[1], probe.caPem!);
    assert.equal(page.status, 200);
    assert.match(page.body, /netready report/);
    const csv = await get(`https://${PROBE_HOST}:${port}/results.csv?site=Paris%20office`, probe.caPem!, { Authorization: `Bearer ${ADMIN}` });
    assert.equal(csv.status, 200);
    const rows = csv.body.trim().split(/\r?\n/).slice(1);
    assert.equal(rows.length, 1);
    assert.ok(rows[0].includes(local.startedAt), 'the stored report is the run\'s');
    assert.ok(rows[0].includes(`,${local.outcome},`));
  });

  it('a failed upload says so in one line; the local report and the exit code are as without it', async () => {
    const closed = await freePort();
    const plain = path.join(dir, 'plain.json');
    const withUpload = path.join(dir, 'failed-upload.json');
    const a = await runCli(['check', '--from-raw', rawFile, '--json', plain], { env, timeoutMs: 20_000 });
    const b = await runCli(['check', '--from-raw', rawFile, '--json', withUpload, '--upload', `https://127.0.0.1:${closed}`, '--upload-token-file', tokenFile, '--site', 'Paris office'], { env, timeoutMs: 40_000 });
    assert.equal(b.code, a.code);
    assert.equal(a.code, exitOfRun, 'the replay judges as the run did');
    assert.equal(readFileSync(withUpload, 'utf8'), readFileSync(plain, 'utf8'));
    const lines = b.stderr.trim().split('\n').filter((l) => l.includes('upload'));
    assert.equal(lines.length, 1, b.stderr);
    assert.match(lines[0], /^netready: upload to https:\/\/127\.0\.0\.1:\d+\/\.netready\/reports failed \(ECONNREFUSED.*\); the local report is unchanged$/);
    // A wrong token: the serve's answer, in one line.
    const wrong = path.join(dir, 'wrong.token');
    writeFileSync(wrong, 'not-the-upload-token-at-all\n');
    const c = await runCli(['check', '--from-raw', rawFile, '--json', withUpload, '--upload', uploadUrl(), '--upload-token-file', wrong, '--ca', caFile, '--resolve', `${PROBE_HOST}:127.0.0.1`], { env, timeoutMs: 40_000 });
    assert.equal(c.code, a.code);
    assert.match(c.stderr, /failed \(HTTP 401: uploads need the upload token/);
  });

  it('goes through the proxy the run names (--proxy: a real squid resolves the serve\'s name; direct could not)', { skip: NEEDS_SQUID, timeout: 60_000 }, async () => {
    const squid = await startSquid({ hosts: { [PROBE_HOST]: '127.0.0.1' } });
    try {
      const out = path.join(dir, 'proxied.json');
      const r = await runCli(['check', '--from-raw', rawFile, '--json', out, '--upload', uploadUrl(), '--upload-token-file', tokenFile, '--site', 'Behind squid', '--ca', caFile, '--proxy', squid.url], { env, timeoutMs: 40_000 });
      assert.match(r.stderr, /netready: report uploaded to [^:]+:\d+: https:\/\/\S+\/r\/[A-Za-z0-9_-]+$/m, r.stderr);
      assert.match(squid.accessLog(), new RegExp(`CONNECT ${PROBE_HOST.replace(/\./g, '\\.')}:${port}`));
      const csv = await get(`https://${PROBE_HOST}:${port}/results.csv?site=Behind%20squid`, probe.caPem!, { Authorization: `Bearer ${ADMIN}` });
      assert.equal(csv.body.trim().split(/\r?\n/).length, 2, 'stored once');
    } finally {
      await squid.stop();
    }
  });

  it('a TLS certificate the run does not trust fails the upload (no --ca)', async () => {
    const out = path.join(dir, 'untrusted.json');
    const r = await runCli(['check', '--from-raw', rawFile, '--json', out, '--upload', uploadUrl(), '--upload-token-file', tokenFile, '--resolve', `${PROBE_HOST}:127.0.0.1`], { env, timeoutMs: 40_000 });
    assert.match(r.stderr, /upload to .* failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/);
  });

  it('netready invite creates an invite link on the serve (exit 0), refuses a wrong admin token (exit 1)', async () => {
    const r = await runCli(['invite', '--probe', uploadUrl(), '--label', 'Customer Jane', '--site', 'Signers', '--expires', '7d', '--admin-token-file', adminFile, '--ca', caFile, '--resolve', `${PROBE_HOST}:127.0.0.1`], { env, timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    const link = r.stdout.trim();
    assert.match(link, new RegExp(`^https://${PROBE_HOST.replace(/\./g, '\\.')}:${port}/i/[A-Za-z0-9_-]{32}$`));
    const page = await get(link, probe.caPem!);
    assert.equal(page.status, 200);
    const bad = await runCli(['invite', '--probe', uploadUrl(), '--label', 'x', '--admin-token-file', tokenFile, '--ca', caFile, '--resolve', `${PROBE_HOST}:127.0.0.1`], { env, timeoutMs: 20_000 });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invite not created \(HTTP 401/);
    const usage = await runCli(['invite', '--probe', uploadUrl(), '--admin-token-file', adminFile], { env, timeoutMs: 20_000 });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--label/);
  });
});
