// The real CLI process: `netready allowlist`, `netready profiles <id>` and `netready report NEW
// --compare OLD` — output, files, exit codes, and bad input as one line with exit 2.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nr-allowlist-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const FIX = fileURLToPath(new URL('../fixtures/', import.meta.url));
const BEFORE = join(FIX, 'compare', 'lab-before.report.json');
const AFTER = join(FIX, 'compare', 'lab-after.report.json');

function assertUsage(res: { code: number | null; stderr: string; stdout: string }, pattern: RegExp) {
  assert.equal(res.code, 2, `exit 2, got ${res.code}; stderr: ${res.stderr}`);
  const lines = res.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${res.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.equal(res.stdout, '', 'nothing on stdout');
}

test('allowlist: stdout by default (Markdown), --out FILE, every format the same as the goldens', async () => {
  const md = await runCli(['allowlist']);
  assert.equal(md.code, 0, md.stderr);
  assert.equal(md.stdout, readFileSync(join(FIX, 'allowlist', 'onespan-virtual-room.md'), 'utf8'));
  const out = join(dir, 'vr.squid.conf');
  const r = await runCli(['allowlist', '--profile', 'onespan-virtual-room', '--format', 'squid', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(readFileSync(out, 'utf8'), readFileSync(join(FIX, 'allowlist', 'onespan-virtual-room.squid.conf'), 'utf8'));
  const pac = await runCli(['allowlist', '--profile', 'onespan-virtual-room', '--profile', 'pcc-local-agent', '--format', 'pac', '--proxy', 'http://proxy.corp.test:3128']);
  assert.equal(pac.stdout, readFileSync(join(FIX, 'allowlist', 'onespan-virtual-room+pcc-local-agent.proxy.pac'), 'utf8'));
  const eu = await runCli(['allowlist', '--sign-domain', 'eu.esignlive.com', '--param', 'unified=true', '--format', 'csv']);
  assert.match(eu.stdout, /^eu\.esignlive\.com,name,tcp,443,/m);
  assert.match(eu.stdout, /^\*\.vonage\.com,wildcard,tcp,443,/m);
});

test('allowlist: bad input is one line, exit 2', async () => {
  assertUsage(await runCli(['allowlist', '--format', 'yaml']), /--format: expected one of csv, json, md, squid, nft, pac, ngfw, got "yaml"/);
  assertUsage(await runCli(['allowlist', '--proxy', 'http://proxy.corp.test:3128']), /--proxy: only for --format pac/);
  assertUsage(await runCli(['allowlist', '--format', 'pac', '--proxy', 'http://u:p@proxy.corp.test:3128']), /cannot carry credentials/);
  assertUsage(await runCli(['allowlist', '--format', 'pac', '--proxy', 'socks5://proxy.corp.test:1080']), /unsupported proxy scheme "socks5"/);
  assertUsage(await runCli(['allowlist', '--profile', 'no-such-profile']), /unknown profile "no-such-profile"/);
  assertUsage(await runCli(['allowlist', '--sign-domain', 'bad host!']), /--sign-domain: not a valid host name/);
  assertUsage(await runCli(['allowlist', '--param', 'nope=1']), /unknown parameter "nope"/);
  assertUsage(await runCli(['allowlist', '--out', join(dir, 'no', 'such', 'dir', 'x.csv')]), /--out: cannot write .*ENOENT/);
});

test('profiles <id>: hosts, ports, checks and parameters; --json; an unknown id is exit 2', async () => {
  const r = await runCli(['profiles', 'onespan-virtual-room', '--sign-domain', 'eu.esignlive.com']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {2}eu\.esignlive\.com {2}sign · always · TCP 443 · TLS$/m);
  assert.match(r.stdout, /checks: dns\.resolve, tcp\.connect, tls\.handshake, http\.path ×3, ws\.upgrade, sse\.stream\n/);
  assert.match(r.stdout, /signDomain = "eu\.esignlive\.com" \(default "apps\.esignlive\.com"\)/);
  assert.match(r.stdout, /with --probe URL.*udp\.range/);
  const j = await runCli(['profiles', 'opentok-2013', '--json']);
  assert.equal(j.code, 0, j.stderr);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.document, 'OpenTok Network Connectivity Requirements (2013)');
  assert.equal(doc.hosts.length, 50);
  assert.deepEqual(doc.hosts.find((h: { host: string }) => h.host === 'hlg.tokbox.com').ipRanges, ['216.151.209.20/32', '216.151.209.15/32']);
  assert.ok(doc.hosts[1].checks.some((c: { id: string; target: string }) => c.id === 'tcp.connect' && c.target.endsWith(':5560')));
  const pcc = JSON.parse((await runCli(['profiles', 'pcc-local-agent', '--json'])).stdout);
  assert.equal(pcc.pcc.checks.length, 7);
  assertUsage(await runCli(['profiles', 'no-such-profile']), /unknown profile "no-such-profile"/);
  // Without an id: the list, as before.
  assert.match((await runCli(['profiles'])).stdout, /^vonage-video {2}— {2}/m);
});

test('report NEW --compare OLD: terminal, --md, --html; the exit code is the new outcome', async () => {
  const md = join(dir, 'cmp.md');
  const html = join(dir, 'cmp.html');
  const r = await runCli(['report', AFTER, '--compare', BEFORE, '--md', md, '--html', html]);
  assert.equal(r.code, 1, `not ready now: exit 1; ${r.stderr}`);
  assert.equal(r.stdout, readFileSync(join(FIX, 'compare', 'after-vs-before.compare.txt'), 'utf8'));
  assert.equal(readFileSync(md, 'utf8'), readFileSync(join(FIX, 'compare', 'after-vs-before.compare.md'), 'utf8'));
  assert.equal(readFileSync(html, 'utf8'), readFileSync(join(FIX, 'compare', 'after-vs-before.compare.html'), 'utf8'));
  assert.equal((await runCli(['report', BEFORE, '--compare', AFTER])).code, 0, 'ready now: exit 0');
  const incomplete = join(dir, 'incomplete.report.json');
  writeFileSync(incomplete, JSON.stringify({ ...JSON.parse(readFileSync(BEFORE, 'utf8')), ready: false, outcome: 'incomplete' }));
  const i = await runCli(['report', incomplete, '--compare', AFTER]);
  assert.equal(i.code, 4, 'incomplete now: exit 4');
  assert.match(i.stdout, /NOT READY → INCOMPLETE \(improved\)/);
});

test('report --compare: bad input is one line, exit 2', async () => {
  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, '{ "schema": ');
  const notReport = join(dir, 'other.json');
  writeFileSync(notReport, JSON.stringify({ schema: 'something/else@1' }));
  const noCauses = join(dir, 'no-causes.json');
  writeFileSync(noCauses, JSON.stringify({ ...JSON.parse(readFileSync(BEFORE, 'utf8')), causes: 'none' }));
  assertUsage(await runCli(['report', AFTER, '--compare', notJson]), /not\.json is not JSON/);
  assertUsage(await runCli(['report', notJson, '--compare', BEFORE]), /not\.json is not JSON/);
  assertUsage(await runCli(['report', AFTER, '--compare', notReport]), /other\.json is not a netready\/report@1 report/);
  assertUsage(await runCli(['report', AFTER, '--compare', noCauses]), /no-causes\.json is not a valid netready\/report@1 report: \/causes must be array/);
  assertUsage(await runCli(['report', AFTER, '--compare', join(dir, 'missing.json')]), /cannot read .*missing\.json: ENOENT/);
  assertUsage(await runCli(['report', AFTER, '--compare', BEFORE, '--json', '-']), /--json cannot be combined with --compare/);
});
