// `netready serve` as a command: input validation, in-process run, and the real CLI under SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { serveCommand, parseListen } from '../../src/cli/serve-command.js';
import { UsageError } from '../../src/shared/errors.js';
import { createCA, issueCert } from '../../src/net/certs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function getJson(url: string, ca: string, servername = 'localhost'): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, servername, agent: false, timeout: 3000 }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(b) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

test('parseListen accepts ADDR:PORT, [v6]:PORT and host:PORT', () => {
  assert.deepEqual(parseListen('127.0.0.1:8443'), { host: '127.0.0.1', port: 8443 });
  assert.deepEqual(parseListen('[::1]:443'), { host: '::1', port: 443 });
  assert.deepEqual(parseListen('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
  assert.deepEqual(parseListen('localhost:65535'), { host: 'localhost', port: 65535 });
});

test('bad --listen input is a UsageError with one clear line', async () => {
  const cases: Array<[string, RegExp]> = [
    ['127.0.0.1', /--listen: expected ADDR:PORT, got "127\.0\.0\.1"/],
    ['8443', /--listen: expected ADDR:PORT, got "8443"/],
    ['::1:443', /--listen: expected ADDR:PORT, got "::1:443"/],
    ['127.0.0.1:abc', /--listen: expected ADDR:PORT/],
    ['127.0.0.1:70000', /--listen: port out of range \(0-65535\)/],
    ['127.0.0.1:-1', /--listen: expected ADDR:PORT/],
    ['[not-v6]:443', /--listen: "not-v6" is not an IP address/],
    ['bad_host!:443', /--listen: expected ADDR:PORT|is not an IP address or host name/],
    ['', /--listen: expected ADDR:PORT/],
  ];
  for (const [v, re] of cases) {
    await assert.rejects(serveCommand({ listen: [v] }), (e: unknown) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n'), v);
  }
  await assert.rejects(serveCommand({ listen: [] }), /at least one --listen/);
  await assert.rejects(serveCommand({ listen: ['127.0.0.1:0'], http: ['x'] }), /--http: expected ADDR:PORT, got "x"/);
  await assert.rejects(serveCommand({ listen: ['127.0.0.1:0'], maxConnections: 'many' }), /--max-connections: expected a whole number/);
  await assert.rejects(serveCommand({ listen: ['127.0.0.1:0'], turnUrl: ['turn:127.0.0.1:3478'] }), /--turn-url needs --turn-secret/);
  await assert.rejects(serveCommand({ listen: ['127.0.0.1:0'], udpEcho: 'nowhere' }), /--udp-echo: expected an IP address/);
  await assert.rejects(serveCommand({ listen: ['127.0.0.1:0'], turnRelayIp: ['127.0.0.1'] }), /^UsageError: --turn-relay-ip needs at least one --turn-url$/);
  await assert.rejects(
    serveCommand({ listen: ['127.0.0.1:0'], turnUrl: ['turn:127.0.0.1:3478'], turnSecret: 's', turnRelayIp: ['relay.example'] }),
    /^UsageError: --turn-relay-ip: expected an IP address, got "relay.example"$/,
  );
  await assert.rejects(serveCommand({ listen: ['127.0.0.1:0'], webrtcHost: ['vm.example.com'] }), (e: unknown) => e instanceof UsageError && e.message === `--webrtc-host: expected an IP address, got "vm.example.com"`);
});

test('--cert/--key problems name the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netready-serve-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'nope.pem');
  await assert.rejects(serveCommand({ listen: ['127.0.0.1:0'], cert: missing, key: missing }), (e: unknown) => e instanceof UsageError && e.message === `--cert: cannot read "${missing}": no such file`);
  await assert.rejects(serveCommand({ listen: ['127.0.0.1:0'], cert: missing }), /--cert needs --key/);
  const ca = await createCA('t');
  const a = await issueCert(ca, { names: ['a.test'] });
  const b = await issueCert(ca, { names: ['b.test'] });
  writeFileSync(join(dir, 'a.crt'), a.certPem);
  writeFileSync(join(dir, 'b.key'), b.keyPem);
  writeFileSync(join(dir, 'junk.key'), 'not a key');
  await assert.rejects(serveCommand({ listen: ['127.0.0.1:0'], cert: join(dir, 'a.crt'), key: join(dir, 'junk.key') }), /--key: ".*junk\.key" holds no PEM private key/);
  await assert.rejects(serveCommand({ listen: ['127.0.0.1:0'], cert: join(dir, 'a.crt'), key: join(dir, 'b.key') }), /--cert\/--key: .* do not go together/);
});

test('runs in-process: prints listeners and the CA path, serves, stops on abort', async () => {
  const lines: string[] = [];
  const ac = new AbortController();
  let info: { urls: string[]; caFile?: string } | undefined;
  const done = serveCommand(
    { listen: ['127.0.0.1:0'], http: ['127.0.0.1:0'] },
    { signal: ac.signal, out: (l) => lines.push(l), err: () => {}, onReady: (i) => (info = i) },
  );
  for (let i = 0; i < 100 && !info; i++) await new Promise((r) => setTimeout(r, 20));
  try {
    assert.ok(info, 'serve did not come up');
    assert.ok(info.caFile && existsSync(info.caFile));
    assert.ok(lines.some((l) => /^https +127\.0\.0\.1:\d+ +HTTPS, WSS, SSE$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^http +127\.0\.0\.1:\d+ +plain HTTP$/.test(l)));
    assert.ok(lines.some((l) => l.startsWith('ca ') && l.includes(info!.caFile!)));
    const r = await getJson(`${info.urls[0]}/graphql`, readFileSync(info.caFile, 'utf8'), 'apps.esignlive.com');
    assert.equal(r.body.server, 'netready');
  } finally {
    ac.abort();
  }
  assert.equal(await done, 0);
  assert.equal(existsSync(info!.caFile!), false);
});

test('the real CLI: serve until SIGTERM, then exit 0 within 2 s with a stream open', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--listen', '127.0.0.1:0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout} ${stderr}`)), 15_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('running')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const port = Number(/https +127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
  const caFile = /ca +(\S+)/.exec(stdout)?.[1];
  assert.ok(port > 0 && caFile, stdout);
  const ca = readFileSync(caFile!, 'utf8');
  assert.equal((await getJson(`https://127.0.0.1:${port}/x`, ca)).status, 200);
  // An SSE stream that stays open (idle=1) must not hold the shutdown.
  const streamClosed = new Promise<void>((resolve, reject) => {
    https
      .get(`https://127.0.0.1:${port}/v/event?idle=1`, { ca, servername: 'localhost', agent: false }, (res) => {
        res.resume();
        res.on('close', () => resolve());
        res.on('error', () => resolve());
      })
      .on('error', reject);
  });
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  child.kill('SIGTERM');
  const code = await exited;
  const ms = performance.now() - t0;
  await streamClosed;
  assert.equal(code, 0, stderr);
  assert.ok(ms < 2000, `exit took ${ms} ms`);
  assert.equal(existsSync(caFile!), false);
  assert.equal(stderr, '');
});
