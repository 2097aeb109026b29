// Bad input: one clear line on stderr, exit 2, no stack trace — through the real CLI process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import http from 'node:http';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nr-badinput-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function assertUsage(res: { code: number | null; stderr: string; stdout: string }, pattern: RegExp) {
  assert.equal(res.code, 2, `exit 2, got ${res.code}; stderr: ${res.stderr}`);
  const lines = res.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${res.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
}

test('unknown profile', async () => {
  assertUsage(await runCli(['check', '--profile', 'no-such-profile']), /unknown profile "no-such-profile"/);
});

test('broken YAML profile names the file', async () => {
  const f = join(dir, 'broken.yaml');
  writeFileSync(f, 'id: x\nhosts: [\n');
  assertUsage(await runCli(['check', '--profile', f]), /broken\.yaml: not valid YAML/);
});

test('a profile with a wrong field names the field and what was expected', async () => {
  const f = join(dir, 'wrong.yaml');
  writeFileSync(f, 'id: x\ntitle: t\nsource: 000.txt\nmedia: maybe\nparams: []\nhosts: []\n');
  assertUsage(await runCli(['check', '--profile', f]), /wrong\.yaml: field media: expected true or false, got "maybe"/);
});

test('malformed URL and host', async () => {
  assertUsage(await runCli(['check', '--proxy', 'http//nope']), /--proxy: malformed URL/);
  assertUsage(await runCli(['check', '--probe', 'ftp://x.example/']), /--probe: expected a http or https URL/);
  assertUsage(await runCli(['check', '--sign-domain', 'bad host!']), /--sign-domain: not a valid host name/);
  assertUsage(await runCli(['check', '--resolve', 'example.com:not-an-ip']), /--resolve: "not-an-ip" is not an IP address|--resolve: expected HOST:ADDR/);
});

test('a port out of range', async () => {
  assertUsage(await runCli(['check', '--connect-to', '::127.0.0.1:70000']), /port out of range/);
  assertUsage(await runCli(['check', '--proxy', 'http://127.0.0.1:99999']), /--proxy: (malformed URL|port out of range)/);
});

// Only a malformed --probe is bad input: an unreachable one is the network's doing and ends in a
// written report (test/cli/probe.test.ts).
test('a malformed --probe', async () => {
  assertUsage(await runCli(['check', '--probe', 'not a url']), /--probe: malformed URL "not a url"/);
  assertUsage(await runCli(['check', '--probe', 'ftp://probe.example.test']), /--probe: expected a http or https URL/);
  assertUsage(await runCli(['check', '--probe', 'https://probe.example.test:99999']), /--probe/);
});

test('bad numbers, unknown options, missing files', async () => {
  assertUsage(await runCli(['check', '--deadline', 'soon']), /--deadline: expected a number of seconds/);
  assertUsage(await runCli(['check', '--bogus']), /unknown option '--bogus'/);
  assertUsage(await runCli(['check', '--ca', join(dir, 'missing.pem')]), /--ca: cannot read .*missing\.pem: ENOENT/);
  assertUsage(await runCli(['report', join(dir, 'missing.json')]), /report: cannot read .*missing\.json: ENOENT/);
  assertUsage(await runCli(['check', '--from-raw', join(dir, 'missing.json')]), /--from-raw: cannot read/);
  assertUsage(await runCli(['serve', '--listen', 'nowhere']), /--listen: expected ADDR:PORT/);
});

// --pac: a PAC that cannot be read or fetched, does not parse, throws or runs too long is bad input,
// found before the run starts (today's 249 "netready bug" results are gone).
test('a bad --pac is one line naming the file, exit 2, before any check runs', async () => {
  const pac = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const missing = join(dir, 'nonexistent.pac');
  assertUsage(await runCli(['check', '--pac', missing]), /^netready: cannot read the PAC file .*nonexistent\.pac: ENOENT$/);
  assertUsage(await runCli(['check', '--pac', pac('broken.pac', 'function FindProxyForURL(url, host) { return ')]), /the PAC file .*broken\.pac does not compile/);
  assertUsage(await runCli(['check', '--pac', pac('throws.pac', 'function FindProxyForURL(url, host) { throw new Error("no rule for " + host); }')]), /the PAC file .*throws\.pac throws for https:\/\/\S+: no rule for /);
  assertUsage(await runCli(['check', '--pac', pac('nofn.pac', 'var x = 1;')]), /the PAC file .*nofn\.pac defines no FindProxyForURL function/);
  // CPU-bound loops: the QuickJS sandbox is interrupted (a timer alone would never fire).
  assertUsage(await runCli(['check', '--pac', pac('loop.pac', 'function FindProxyForURL(url, host) { while (true) {} }')]), /the PAC file .*loop\.pac ran longer than \d+ ms of CPU time for https:\/\/\S+ \(interrupted\)/);
  assertUsage(await runCli(['check', '--pac', pac('toploop.pac', 'for (;;) {}\nfunction FindProxyForURL(url, host) { return "DIRECT"; }')]), /the PAC file .*toploop\.pac ran longer than \d+ ms of CPU time while loading/);
});

test('a --pac URL that answers 404 or refuses is one line naming the URL, exit 2', async (t) => {
  const srv = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const port = (srv.address() as { port: number }).port;
  assertUsage(await runCli(['check', '--pac', `http://127.0.0.1:${port}/proxy.pac`]), new RegExp(`cannot fetch the PAC file http://127\\.0\\.0\\.1:${port}/proxy\\.pac: HTTP 404`));
  const closed = await closedPort();
  assertUsage(await runCli(['check', '--pac', `http://127.0.0.1:${closed}/proxy.pac`]), /cannot fetch the PAC file http:\/\/127\.0\.0\.1:\d+\/proxy\.pac: ECONNREFUSED/);
});

test('a broken NETREADY_TEST_DISCOVERY fixture (test-only) is one line naming the file and the field, exit 2', async () => {
  const f = join(dir, 'discovery.json');
  writeFileSync(f, JSON.stringify({ platform: 'beos' }));
  assertUsage(await runCli(['check'], { env: { NETREADY_TEST_DISCOVERY: f } }), /NETREADY_TEST_DISCOVERY: .*discovery\.json: field platform: linux \| win32/);
  assertUsage(await runCli(['check'], { env: { NETREADY_TEST_DISCOVERY: join(dir, 'none.json') } }), /NETREADY_TEST_DISCOVERY: cannot read .*none\.json: ENOENT/);
});
