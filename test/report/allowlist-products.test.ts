// The allowlist snippets in the real products: the Squid snippet through `squid -k parse` and a real
// squid (allow, splice instead of bump, deny everything else), the nftables snippet through
// `nft -c -f` and a real ruleset in a throw-away network namespace (198.18.0.0/15 only).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { allowlistText } from '../../src/cli/allowlist-command.js';
import { builtinProfileIds } from '../../src/profiles/load.js';
import { SQUID_BIN, startSquid } from '../support/squid.js';
import { startUpstream } from '../support/upstream.js';
import { freeLoopbackAddress } from '../support/proc.js';
import { curl } from '../support/client.js';

const isRoot = process.getuid?.() === 0;
const NFT = ['/usr/sbin/nft', '/sbin/nft'].find((p) => existsSync(p));
const noSquid = existsSync(SQUID_BIN) ? false : 'needs squid (Debian package squid-openssl)';
const noNft = !NFT ? 'needs nft (Debian package nftables)' : !isRoot ? 'needs root for nft -c (netlink)' : false;
const noNetns = noNft || (spawnSync('ip', ['netns', 'list']).status === 0 ? false : 'needs ip netns (Debian package iproute2)');
const noCurl = spawnSync('curl', ['--version']).status === 0 ? false : 'needs curl (Debian package curl)';

const dir = mkdtempSync(join(tmpdir(), 'nr-allowlist-products-'));
chmodSync(dir, 0o755); // squid reads the included snippet after dropping to its own user
test.after(() => rmSync(dir, { recursive: true, force: true }));

const PROFILE_SETS: string[][] = [...builtinProfileIds().map((id) => [id]), builtinProfileIds()];
const label = (p: string[]) => p.join('+');

test('squid -k parse accepts the snippet of every profile, and of all of them at once, without a warning', { skip: noSquid }, () => {
  for (const profiles of PROFILE_SETS)
    for (const param of [[], ...(profiles.includes('onespan-virtual-room') ? [['unified=true']] : [])]) {
      const snippet = join(dir, `${label(profiles)}.conf`);
      writeFileSync(snippet, allowlistText({ profile: profiles, param, format: 'squid' }));
      const conf = join(dir, `squid-${label(profiles)}.conf`);
      // A minimal squid.conf with ssl-bump rules after the included snippet, as the snippet asks.
      writeFileSync(conf, ['http_port 127.0.0.1:3128', 'pid_filename none', 'acl step1 at_step SslBump1', `include ${snippet}`, 'ssl_bump peek step1', 'ssl_bump bump all', 'http_access deny all', ''].join('\n'));
      const r = spawnSync(SQUID_BIN, ['-k', 'parse', '-f', conf], { encoding: 'utf8', timeout: 30_000 });
      const out = `${r.stdout}${r.stderr}`;
      assert.equal(r.status, 0, `${label(profiles)}: squid -k parse exit ${r.status}\n${out.slice(-2000)}`);
      assert.match(out, new RegExp(`Processing Configuration File: ${snippet.replace(/[.+]/g, '\\$&')} \\(depth 1\\)`), `${label(profiles)}: squid read the snippet`);
      if (!profiles.every((p) => p === 'pcc-local-agent')) assert.match(out, /Processing: http_access allow netready_dst_/, `${label(profiles)}: squid read the allow rules`);
      assert.doesNotMatch(out, /WARNING|ERROR|FATAL|Bungled/, `${label(profiles)}: ${out.split('\n').filter((l) => /WARNING|ERROR|FATAL|Bungled/.test(l)).join('\n')}`);
    }
});

test('a real squid with the Virtual Room snippet: listed names pass, the no-inspection list is spliced, the Sign domain is bumped, the rest is denied', { skip: noSquid || noCurl || (!isRoot && 'needs root to listen on port 443'), timeout: 90_000 }, async (t) => {
  // Names from the document (seed 000): the Sign domain, two under *.opentok.com/*.tokbox.com, Upscope, the viewer.
  const names = ['apps.esignlive.com', 'anvil.opentok.com', 'hlg.tokbox.com', 'assets-proxy.upscope.io', 'cobrowsingapi.com', 'example.com'];
  const addr = await freeLoopbackAddress(443);
  const up = await startUpstream({ host: addr, port: 443, names });
  t.after(() => up.close());
  const snippet = join(dir, 'vr-live.conf');
  // The admin's own rules after the snippet: everything else is denied.
  writeFileSync(snippet, allowlistText({ profile: ['onespan-virtual-room'], format: 'squid' }) + 'http_access deny all\n');
  chmodSync(snippet, 0o644);
  const squid = await startSquid({ bump: true, include: snippet, hosts: Object.fromEntries(names.map((n) => [n, addr])) });
  t.after(() => squid.stop());
  const upstreamCa = join(dir, 'upstream-ca.pem');
  writeFileSync(upstreamCa, up.ca!.certPem);
  // Through the proxy; --cacert decides which chain is accepted: the origin's own, or squid's interception CA.
  const get = (url: string, ca: string) => curl(['-x', squid.url, '--cacert', ca, '-o', '/dev/null', url]);
  for (const n of ['anvil.opentok.com', 'hlg.tokbox.com', 'assets-proxy.upscope.io', 'cobrowsingapi.com']) {
    const r = await get(`https://${n}/`, upstreamCa);
    assert.equal(r.status, 200, `${n} is allowed and spliced (the origin's own certificate): ${r.stderr}`);
  }
  // The Sign domain is allowed but not on the document's no-inspection list: squid bumps it.
  assert.equal((await get('https://apps.esignlive.com/', upstreamCa)).status, 0, 'apps.esignlive.com is re-signed by squid');
  assert.equal((await get('https://apps.esignlive.com/', squid.caFile!)).status, 200, 'apps.esignlive.com through the interception CA');
  // A name outside the list, and a listed name on a port the list does not give: denied. (Squid
  // bumps a denied CONNECT to deliver its error page over TLS, so the answer is squid's 403.)
  for (const url of ['https://example.com/', 'https://apps.esignlive.com:8443/']) {
    const r = await curl(['-x', squid.url, '--cacert', squid.caFile!, '-D', '-', '-o', '/dev/null', url]);
    assert.equal(r.status, 403, `${url} is denied: ${r.stdout} ${r.stderr}`);
    assert.match(r.stdout, /X-Squid-Error: ERR_ACCESS_DENIED/i, url);
  }
  assert.equal(up.seen.length, 5, `the origin saw only the allowed requests: ${up.seen.join(', ')}`);
});

function nft(args: string[], ns?: string) {
  const cmd = ns ? ['ip', ['netns', 'exec', ns, NFT!, ...args]] as const : [NFT!, args] as const;
  return spawnSync(cmd[0], [...cmd[1]], { encoding: 'utf8', timeout: 20_000 });
}

test('nft -c -f accepts the snippet of every profile, and of all of them at once', { skip: noNft }, () => {
  for (const profiles of PROFILE_SETS) {
    const f = join(dir, `${label(profiles)}.nft`);
    writeFileSync(f, allowlistText({ profile: profiles, format: 'nft' }));
    const r = nft(['-c', '-f', f]);
    assert.equal(r.status, 0, `${label(profiles)}: nft -c -f exit ${r.status}: ${r.stderr}`);
  }
});

function netns(t: { after(fn: () => unknown): void }): string {
  const ns = `nr-allow-${randomBytes(3).toString('hex')}`;
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  t.after(() => spawnSync('ip', ['netns', 'del', ns]));
  return ns;
}

test('the nftables snippet in a real ruleset: the ranges and ports it lists, loaded twice (idempotent)', { skip: noNetns }, (t) => {
  const ns = netns(t);
  const f = join(dir, 'all.nft');
  writeFileSync(f, allowlistText({ profile: builtinProfileIds(), format: 'nft' }));
  for (let i = 0; i < 2; i++) assert.equal(nft(['-f', f], ns).status, 0, nft(['-f', f], ns).stderr);
  const r = nft(['-j', 'list', 'chain', 'inet', 'filter', 'netready_allowlist'], ns);
  assert.equal(r.status, 0, r.stderr);
  const rules = (JSON.parse(r.stdout).nftables as Record<string, { expr?: unknown[] }>[]).filter((x) => x.rule).map((x) => JSON.stringify(x.rule!.expr));
  // Loaded twice: flushed, not doubled (3 range rules of the 2013 document + the 3 media rules, of
  // the Virtual Room document and the TokBox one merged).
  assert.equal(rules.length, 6, rules.join('\n'));
  const has = (...parts: string[]) => rules.some((x) => parts.every((p) => x.includes(p)));
  assert.ok(has('"prefix":{"addr":"70.42.47.64","len":26}', '"prefix":{"addr":"212.118.226.32","len":27}', '"range":[1025,65535]', '"udp"'), 'UDP 1025-65535 to the 2013 media ranges');
  assert.ok(has('"prefix":{"addr":"72.5.167.128","len":26}', '5560', '3478', '"tcp"'), 'TCP 80/443/3478/5560 to the 2013 ranges');
  assert.ok(has('216.151.209.20', '216.151.209.15', '"tcp"'), 'TCP 80/443 to the two 2013 hosts');
  assert.ok(has('"udp"', '"right":3478') && has('"tcp"', '"right":443'), 'the media ports to the unnamed Vonage media servers');
});

test('the nftables snippet filters real packets: the Virtual Room media ports pass, other ports are dropped', { skip: noNetns, timeout: 30_000 }, async (t) => {
  // Two namespaces joined by a veth pair: the client (198.18.0.2, the snippet in its egress chain)
  // and a far end (198.18.0.1) listening on TCP 443 and 80.
  const client = netns(t);
  const far = netns(t);
  const ip = (ns: string, ...a: string[]) => assert.equal(spawnSync('ip', ['-n', ns, ...a]).status, 0, a.join(' '));
  ip(client, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', far);
  ip(client, 'addr', 'add', '198.18.0.2/24', 'dev', 'v0');
  ip(far, 'addr', 'add', '198.18.0.1/24', 'dev', 'v1');
  for (const [ns, dev] of [[client, 'v0'], [far, 'v1'], [client, 'lo'], [far, 'lo']] as const) ip(ns, 'link', 'set', dev, 'up');
  const server = spawn('ip', ['netns', 'exec', far, process.execPath, '-e', `
    const net = require('node:net'); let n = 0;
    for (const p of [443, 80]) net.createServer((s) => s.end()).listen(p, '198.18.0.1', () => { if (++n === 2) console.log('ready'); });
    setTimeout(() => process.exit(0), 25000);`], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => server.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    server.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    server.on('exit', (c) => reject(new Error(`far end exited ${c}`)));
  });
  const f = join(dir, 'vr-filter.nft');
  // The admin's egress chain: drop by default, jump to the snippet's chain.
  writeFileSync(
    f,
    allowlistText({ profile: ['onespan-virtual-room'], format: 'nft' }) +
      'add chain inet filter egress { type filter hook output priority 0; policy drop; }\nadd rule inet filter egress oif lo accept\nadd rule inet filter egress jump netready_allowlist\n',
  );
  const load = nft(['-f', f], client);
  assert.equal(load.status, 0, load.stderr);
  // A datagram the output hook drops fails with EPERM; a TCP SYN it drops never connects.
  const script = `
    const dgram = require('node:dgram'); const net = require('node:net');
    const udp = (port) => new Promise((res) => { const s = dgram.createSocket('udp4'); s.send('x', port, '198.18.0.1', (e) => { s.close(); res(e ? e.code : 'sent'); }); });
    const tcp = (port) => new Promise((res) => { const c = net.connect({ host: '198.18.0.1', port }); const t = setTimeout(() => { c.destroy(); res('no answer'); }, 1500); c.on('connect', () => { clearTimeout(t); c.destroy(); res('connected'); }); c.on('error', (e) => { clearTimeout(t); res(e.code); }); });
    (async () => { const out = {}; for (const p of [3478, 1025, 40000, 65535, 53, 1024]) out['udp' + p] = await udp(p); for (const p of [443, 80]) out['tcp' + p] = await tcp(p); console.log(JSON.stringify(out)); })();`;
  const r = spawnSync('ip', ['netns', 'exec', client, process.execPath, '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim()), { udp3478: 'sent', udp1025: 'sent', udp40000: 'sent', udp65535: 'sent', udp53: 'EPERM', udp1024: 'EPERM', tcp443: 'connected', tcp80: 'no answer' });
});
