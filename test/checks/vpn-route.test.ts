// vpn.route against a real VPN-style tunnel: two network namespaces joined by a veth pair, and a
// layer-3 TUN tunnel carried over UDP between them (socat TUN <-> UDP, as OpenVPN does). In the
// client namespace the "media" network 198.18.20.0/24 is routed into the tunnel, 198.18.30.0/24
// goes directly over the veth. The check runs inside the client namespace (`ip netns exec`).
// The kernel here has no ipip/gre/wireguard modules, so the tunnel is a TUN device (ARPHRD_NONE +
// tun_flags) — the kind OpenVPN and most VPN clients create. Needs root; skipped otherwise.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CheckResult } from '../../src/checks/types.js';
import { buildInput } from '../../src/verdict/input.js';
import { rule as vpnRule } from '../../src/verdict/rules/vpn-full-tunnel.js';
import type { RawRun } from '../../src/report/types.js';
import { classifyInterface, parseIpRouteGet, runVpnRoute, vpnRoute } from '../../src/checks/vpn-route.js';
import { config, host, profileSet } from './helpers.js';
import { needs, needsRoot } from '../support/prereqs.js';

const RUNNER = fileURLToPath(new URL('./vpn-route-runner.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

function why(): string | null {
  if (process.platform !== 'linux') return 'Linux only';
  const missing = needsRoot('network namespaces') || needs('ip', 'socat');
  if (missing) return missing;
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'needs iproute2 with network namespace support';
  return null;
}
const skip = why();
if (skip) console.log(`# vpn.route namespace tests skipped: ${skip}`);

const tag = `nrv${process.pid % 100000}`;
const NSC = `${tag}-c`;
const NSG = `${tag}-g`;
const TUN = 'nrvpn0';
const procs: ChildProcess[] = [];

function sh(args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}
function must(args: string[]): string {
  const r = sh(args);
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.err.trim()}`);
  return r.out;
}
const inC = (...a: string[]) => ['ip', 'netns', 'exec', NSC, ...a];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cleanup(): void {
  for (const p of procs) if (p.pid && p.exitCode === null) p.kill('SIGKILL');
  sh(['ip', 'netns', 'del', NSC]);
  sh(['ip', 'netns', 'del', NSG]);
}

async function waitLink(ns: string, dev: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (sh(['ip', '-n', ns, 'link', 'show', dev]).status === 0) return;
    await sleep(100);
  }
  throw new Error(`${dev} did not appear in ${ns}`);
}

/** Run dns.resolve + vpn.route inside the client namespace; the results keyed by target. */
async function runInC(cfg: Record<string, unknown>, hosts: { host: string; role: string }[]): Promise<Map<string, CheckResult>> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', NSC, process.execPath, '--import', 'tsx', RUNNER, JSON.stringify(cfg), JSON.stringify(hosts)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`runner exited ${code}: ${err}`));
      const results = JSON.parse(out) as CheckResult[];
      resolve(new Map(results.filter((r) => r.id === 'vpn.route').map((r) => [r.target, r])));
    });
  });
}

before(async () => {
  if (skip) return;
  cleanup();
  must(['ip', 'netns', 'add', NSC]);
  must(['ip', 'netns', 'add', NSG]);
  for (const ns of [NSC, NSG]) must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  must(['ip', 'link', 'add', 'c0', 'netns', NSC, 'type', 'veth', 'peer', 'name', 'g0', 'netns', NSG]);
  must(['ip', '-n', NSC, 'addr', 'add', '198.18.0.1/24', 'dev', 'c0']);
  must(['ip', '-n', NSG, 'addr', 'add', '198.18.0.2/24', 'dev', 'g0']);
  must(['ip', '-n', NSC, 'link', 'set', 'c0', 'up']);
  must(['ip', '-n', NSG, 'link', 'set', 'g0', 'up']);
  // The gateway's two "servers": one reached through the tunnel, one directly.
  must(['ip', '-n', NSG, 'addr', 'add', '198.18.20.10/32', 'dev', 'lo']);
  must(['ip', '-n', NSG, 'addr', 'add', '198.18.30.10/32', 'dev', 'lo']);
  // The VPN: TUN over UDP 198.18.0.1 <-> 198.18.0.2:5000.
  const g = spawn('ip', ['netns', 'exec', NSG, 'socat', `TUN:198.18.9.2/30,tun-name=${TUN},iff-up`, 'UDP-LISTEN:5000,bind=198.18.0.2'], { stdio: 'ignore' });
  procs.push(g);
  await waitLink(NSG, TUN);
  const c = spawn('ip', ['netns', 'exec', NSC, 'socat', `TUN:198.18.9.1/30,tun-name=${TUN},iff-up`, 'UDP:198.18.0.2:5000'], { stdio: 'ignore' });
  procs.push(c);
  await waitLink(NSC, TUN);
  must(['ip', '-n', NSC, 'route', 'add', '198.18.20.0/24', 'dev', TUN]);
  must(['ip', '-n', NSC, 'route', 'add', '198.18.30.0/24', 'via', '198.18.0.2', 'dev', 'c0']);
});

after(() => {
  if (!skip) cleanup();
});

test('the tunnel is real: traffic to the media network crosses the TUN device', { skip: skip ?? undefined }, () => {
  const rx0 = Number(must(inC('cat', `/sys/class/net/${TUN}/statistics/tx_packets`)).trim());
  assert.equal(sh(inC('ping', '-c', '1', '-W', '3', '198.18.20.10')).status, 0, 'ping through the tunnel');
  const rx1 = Number(must(inC('cat', `/sys/class/net/${TUN}/statistics/tx_packets`)).trim());
  assert.ok(rx1 > rx0, `packets went into ${TUN} (${rx0} -> ${rx1})`);
});

test('media host behind the tunnel: ok, viaTunnel true; direct host: viaTunnel false; the verdict raises vpn-full-tunnel', { skip: skip ?? undefined }, async () => {
  const cfg = {
    resolve: { 'media.example.test': '198.18.20.10', 'direct.example.test': '198.18.30.10', 'sign.example.test': '198.18.20.10', 'ct.example.test': '198.18.30.10' },
    connectTo: [{ host: 'ct.example.test', port: 443, toHost: '198.18.20.11', toPort: 443 }],
  };
  const hosts = [
    { host: 'media.example.test', role: 'video' },
    { host: 'direct.example.test', role: 'media' },
    { host: 'ct.example.test', role: 'video' },
    { host: 'sign.example.test', role: 'sign' },
  ];
  const m = await runInC(cfg, hosts);
  assert.equal(m.has('sign.example.test'), false, 'sign hosts are not routed');

  const t = m.get('media.example.test')!;
  assert.equal(t.status, 'ok', JSON.stringify(t));
  assert.equal(t.details?.host, 'media.example.test');
  assert.equal(t.details?.address, '198.18.20.10');
  assert.equal(t.details?.interface, TUN);
  assert.equal(t.details?.viaTunnel, true);
  assert.equal(t.details?.kind, 'tun');
  assert.equal(t.details?.viaProxy, null);

  const d = m.get('direct.example.test')!;
  assert.equal(d.status, 'ok', JSON.stringify(d));
  assert.equal(d.details?.interface, 'c0');
  assert.equal(d.details?.viaTunnel, false);
  assert.equal(d.details?.kind, 'ether');
  assert.equal(d.details?.gateway, '198.18.0.2');

  const ct = m.get('ct.example.test')!;
  assert.equal(ct.status, 'ok', JSON.stringify(ct));
  assert.equal(ct.details?.address, '198.18.20.11', '--connect-to wins over the name\'s own address');
  assert.equal(ct.details?.viaTunnel, true);

  const raw = { hosts: hosts.map((h) => host(h as Parameters<typeof host>[0])), results: [...m.values()], media: true } as unknown as RawRun;
  const cause = vpnRule.evaluate(buildInput(raw));
  assert.ok(cause, 'vpn-full-tunnel raised');
  assert.equal(cause!.id, 'vpn-full-tunnel');
  assert.match(cause!.summary, new RegExp(TUN));
  assert.match(cause!.summary, /media\.example\.test/);
  assert.doesNotMatch(cause!.summary, /direct\.example\.test/);
});

test('through a proxy the proxy address is routed; a split tunnel raises nothing; no route is NO_ROUTE', { skip: skip ?? undefined }, async () => {
  // The proxy sits behind the tunnel: the media host's traffic goes there.
  const viaProxy = await runInC(
    { proxy: 'http://proxy.example.test:3128', resolve: { 'proxy.example.test': '198.18.20.20', 'direct.example.test': '198.18.30.10' } },
    [{ host: 'direct.example.test', role: 'video' }],
  );
  const p = viaProxy.get('direct.example.test')!;
  assert.equal(p.status, 'ok', JSON.stringify(p));
  assert.equal(p.details?.address, '198.18.20.20');
  assert.equal(p.details?.viaTunnel, true);
  assert.equal(p.details?.via, 'proxy');
  assert.deepEqual(p.details?.viaProxy, { display: 'http://proxy.example.test:3128', source: 'explicit', from: '--proxy' });

  // Split tunnel (only the corporate network in the tunnel): nothing to raise.
  const split = await runInC({ resolve: { 'direct.example.test': '198.18.30.10' } }, [{ host: 'direct.example.test', role: 'video' }]);
  const raw = { hosts: [host({ host: 'direct.example.test', role: 'video' })], results: [...split.values()], media: true } as unknown as RawRun;
  assert.equal(vpnRule.evaluate(buildInput(raw)), null);

  // No default route in the client namespace: the address is unroutable.
  const lost = await runInC({ resolve: { 'lost.example.test': '198.19.255.1' } }, [{ host: 'lost.example.test', role: 'video' }]);
  const l = lost.get('lost.example.test')!;
  assert.equal(l.status, 'failed', JSON.stringify(l));
  assert.equal(l.error?.code, 'NO_ROUTE');
});

test('a name that does not resolve: dns.resolve fails and vpn.route is skipped', { skip: skip ?? undefined }, async () => {
  const m = await runInC({ resolve: { 'bad.example.test': 'not-an-address' } }, [{ host: 'bad.example.test', role: 'video' }]);
  const r = m.get('bad.example.test')!;
  assert.equal(r.status, 'skipped');
  assert.match(r.reason ?? '', /^dns\.resolve bad\.example\.test failed \(DNS_NO_ADDRESS\)/);
});

test('plan: only video/media hosts of media profiles; dns.resolve dependency only when direct', () => {
  const hosts = [host({ host: 'v.example.test', role: 'video' }), host({ host: 's.example.test', role: 'sign' })];
  assert.deepEqual(vpnRoute.plan({ ...profileSet(hosts), media: false }, config()), []);
  const direct = vpnRoute.plan({ ...profileSet(hosts), media: true }, config());
  assert.deepEqual(direct.map((t) => [t.target, t.dependsOn]), [['v.example.test', ['dns.resolve v.example.test']]]);
  const proxied = vpnRoute.plan({ ...profileSet(hosts), media: true }, config({ proxy: 'http://127.0.0.1:3128' }));
  assert.deepEqual(proxied.map((t) => t.dependsOn), [[]]);
});

test('an OS without a route reader: skipped with a reason (macOS and Windows: test/net/routes/routes.test.ts)', async () => {
  const [task] = vpnRoute.plan({ ...profileSet([host({ host: 'v.example.test', role: 'video' })]), media: true }, config());
  const out = await runVpnRoute(task, { signal: new AbortController().signal } as never, 'openbsd');
  assert.equal(out.status, 'skipped');
  assert.match(out.reason ?? '', /Linux, macOS and Windows.*openbsd/);
});

test('classification of the root namespace loopback and of ip -j route get output', async () => {
  if (process.platform === 'linux') assert.deepEqual(await classifyInterface('lo'), { tunnel: false, kind: 'loopback', arphrd: 772 });
  assert.deepEqual(parseIpRouteGet('[{"dst":"198.18.20.10","dev":"wg0","prefsrc":"10.0.0.2","flags":[],"uid":0,"cache":[]}]', '198.18.20.10'), {
    address: '198.18.20.10',
    interface: 'wg0',
    gateway: null,
    source: '10.0.0.2',
    method: 'ip-route',
  });
  assert.equal(parseIpRouteGet('not json', 'x'), null);
});
