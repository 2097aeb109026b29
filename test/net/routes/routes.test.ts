// The route readers on every OS, from recorded outputs (test/fixtures/routes/, see its README), and
// vpn.route on macOS and Windows through the same injected runner (no test depends on the host OS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFormatList } from '../../../src/net/routes/parse.js';
import { readRoute, WINDOWS_INTERFACES_SCRIPT, type RouteReading } from '../../../src/net/routes/read.js';
import { runVpnRoute, vpnRoute } from '../../../src/checks/vpn-route.js';
import { createProxyResolver } from '../../../src/net/proxy.js';
import { buildInput } from '../../../src/verdict/input.js';
import { rule as vpnRule } from '../../../src/verdict/rules/vpn-full-tunnel.js';
import type { RawRun } from '../../../src/report/types.js';
import type { CommandResult } from '../../../src/net/discovery/runner.js';
import { fixture, fixtureRunner, ok } from '../discovery/fixture-runner.js';
import { config, host, profileSet } from '../../checks/helpers.js';

const err = (code: number, rel: string): CommandResult => ({ kind: 'exit', code, stdout: '', stderr: fixture(rel) });
const linux = (route: CommandResult, links: Record<string, CommandResult>, addr = '10.20.1.5') =>
  readRoute(addr, {
    platform: 'linux',
    runner: fixtureRunner({ [`ip -j route get ${addr}`]: route, ...Object.fromEntries(Object.entries(links).map(([d, r]) => [`ip -d -j link show dev ${d}`, r])) }),
  });
const okOf = (r: RouteReading) => {
  assert.equal(r.state, 'ok', JSON.stringify(r));
  return r as Extract<RouteReading, { state: 'ok' }>;
};

test('Linux (recorded iproute2 output): a TUN route with its MTU, the default route over a veth, TAP, WireGuard, AnyConnect, loopback', async () => {
  const t = okOf(await linux(ok('routes/linux/route-get-tun.json'), { tun0: ok('routes/linux/link-tun.json') }));
  assert.deepEqual(t.route, { address: '10.20.1.5', interface: 'tun0', gateway: null, source: '10.9.0.2', method: 'ip-route' });
  assert.deepEqual(t.iface, { name: 'tun0', description: null, mtu: 1420, vendor: null, tunnel: true, kind: 'tun' });
  const d = okOf(await linux(ok('routes/linux/route-get-default.json'), { v0: ok('routes/linux/link-veth.json') }, '203.0.113.7'));
  assert.deepEqual([d.route.gateway, d.iface.tunnel, d.iface.kind, d.iface.mtu], ['198.18.5.254', false, 'ether', 1500]);
  const tap = okOf(await linux(ok('routes/linux/route-get-tun.json'), { tun0: ok('routes/linux/link-tap.json') }));
  assert.deepEqual([tap.iface.name, tap.iface.kind, tap.iface.tunnel], ['tap0', 'tap', true]);
  const wg = okOf(await linux(ok('routes/linux/route-get-tun.json'), { tun0: ok('routes/linux/link-wireguard.json') }));
  assert.deepEqual([wg.iface.kind, wg.iface.tunnel, wg.iface.vendor, wg.iface.mtu], ['wireguard', true, 'WireGuard', 1420]);
  const cisco = okOf(await linux(ok('routes/linux/route-get-tun.json'), { tun0: ok('routes/linux/link-cscotun.json') }));
  assert.deepEqual([cisco.iface.kind, cisco.iface.vendor, cisco.iface.mtu], ['tun', 'Cisco AnyConnect / Secure Client', 1390]);
  const lo = okOf(await linux(ok('routes/linux/route-get-tun.json'), { tun0: ok('routes/linux/link-lo.json') }));
  assert.deepEqual([lo.iface.kind, lo.iface.tunnel], ['loopback', false]);
});

test('Linux: no route, ip missing, output not understood, link unreadable', async () => {
  const none = await linux(err(2, 'routes/linux/route-get-unreachable.stderr'), {}, '203.0.113.7');
  assert.deepEqual([none.state, 'message' in none && none.message], ['no-route', 'no route to 203.0.113.7: Network is unreachable']);
  assert.equal((await readRoute('10.20.1.5', { platform: 'linux', runner: fixtureRunner({}) })).state, 'not-available');
  assert.equal((await linux(ok('routes/linux/malformed.txt'), {})).state, 'malformed');
  const noLink = okOf(await linux(ok('routes/linux/route-get-tun.json'), { tun0: err(1, 'routes/linux/link-missing.stderr') }));
  assert.equal(noLink.iface.kind, 'unknown');
  assert.match(noLink.notes[0], /Device "nope" does not exist/);
  assert.equal((await readRoute('not-an-ip', { platform: 'linux', runner: fixtureRunner({}) })).state, 'malformed');
});

const mac = (route: CommandResult, ifname: string, ifc: CommandResult) =>
  readRoute('203.0.113.7', { platform: 'darwin', runner: fixtureRunner({ 'route -n get 203.0.113.7': route, [`ifconfig ${ifname}`]: ifc }) });

test('macOS: route -n get + ifconfig — utun with its MTU, ppp, the default route over en0; not in table; malformed', async () => {
  const u = okOf(await mac(ok('routes/macos/route-get-utun.txt'), 'utun4', ok('routes/macos/ifconfig-utun4.txt')));
  assert.deepEqual(u.route, { address: '203.0.113.7', interface: 'utun4', gateway: null, source: null, method: 'route-get' });
  assert.deepEqual([u.iface.tunnel, u.iface.kind, u.iface.mtu], [true, 'utun', 1390]);
  const e = okOf(await mac(ok('routes/macos/route-get-default.txt'), 'en0', ok('routes/macos/ifconfig-en0.txt')));
  assert.deepEqual([e.route.gateway, e.iface.tunnel, e.iface.kind, e.iface.mtu], ['192.168.1.1', false, 'ether', 1500]);
  const viaPpp: CommandResult = { kind: 'ok', stdout: fixture('routes/macos/route-get-utun.txt').replace('utun4', 'ppp0').replace(' 1390 ', ' 1280 '), stderr: '' };
  const ppp = okOf(await mac(viaPpp, 'ppp0', ok('routes/macos/ifconfig-ppp0.txt')));
  assert.deepEqual([ppp.iface.tunnel, ppp.iface.kind, ppp.iface.mtu], [true, 'ppp', 1280]);
  // A point-to-point link without a MAC address under a name no VPN list knows is still a tunnel.
  const viaOdd: CommandResult = { kind: 'ok', stdout: fixture('routes/macos/route-get-utun.txt').replace('utun4', 'en7'), stderr: '' };
  const odd = okOf(await mac(viaOdd, 'en7', { kind: 'ok', stdout: fixture('routes/macos/ifconfig-ppp0.txt').replace(/^ppp0/, 'en7'), stderr: '' }));
  assert.deepEqual([odd.iface.tunnel, odd.iface.kind], [true, 'point-to-point']);
  const none = await mac(err(1, 'routes/macos/route-get-notintable.stderr'), 'x', ok('routes/macos/ifconfig-en0.txt'));
  assert.deepEqual([none.state, 'message' in none && none.message], ['no-route', 'no route to 203.0.113.7: writing to routing socket: not in table']);
  assert.equal((await mac(ok('routes/macos/malformed.txt'), 'x', ok('routes/macos/ifconfig-en0.txt'))).state, 'malformed');
});

const PS = 'powershell -NoProfile -NonInteractive -Command';
const win = (route: CommandResult, ifaces: CommandResult = ok('routes/windows/interfaces.txt')) =>
  readRoute('203.0.113.7', {
    platform: 'win32',
    runner: fixtureRunner({ [`${PS} "Find-NetRoute -RemoteIPAddress '203.0.113.7' | Format-List"`]: route, [`${PS} "${WINDOWS_INTERFACES_SCRIPT}"`]: ifaces }),
  });

test('Windows: Find-NetRoute + the interface list — a GlobalProtect adapter, plain Ethernet, no route, no Find-NetRoute', async () => {
  const v = okOf(await win(ok('routes/windows/find-netroute-vpn.txt')));
  assert.deepEqual(v.route, { address: '203.0.113.7', interface: 'Ethernet 3', gateway: null, source: '10.60.1.20', method: 'find-netroute' });
  assert.deepEqual(v.iface, { name: 'Ethernet 3', description: 'PANGP Virtual Ethernet Adapter Secure', mtu: 1400, vendor: 'Palo Alto GlobalProtect', tunnel: true, kind: 'vpn-adapter' });
  const e = okOf(await win(ok('routes/windows/find-netroute-ethernet.txt')));
  assert.deepEqual([e.route.gateway, e.route.source, e.iface.tunnel, e.iface.kind, e.iface.mtu], ['172.31.232.1', '172.31.234.140', false, 'ether', 1500]);
  const none = await win(err(1, 'routes/windows/find-netroute-error.stderr'));
  assert.equal(none.state, 'no-route');
  assert.match('message' in none ? none.message : '', /The network location cannot be reached/);
  assert.equal((await win(err(1, 'routes/windows/malformed.txt'))).state, 'not-available');
  assert.equal((await win({ kind: 'ok', stdout: 'garbage\r\n', stderr: '' })).state, 'malformed');
  // Format-List wraps long values onto indented lines.
  const recs = parseFormatList(fixture('routes/windows/interfaces.txt'));
  assert.equal(recs.find((r) => r.ifIndex === '12' && 'InterfaceDescription' in r)?.InterfaceDescription, 'Cisco AnyConnect Secure Mobility Client Virtual Miniport Adapter for Windows x64');
  assert.equal(recs.find((r) => r.Name === 'Corp VPN')?.InterfaceType, '131');
});

async function vpnRouteOn(platform: NodeJS.Platform, answers: Record<string, CommandResult>) {
  const cfg = config({ resolve: { 'media.example.test': '203.0.113.7' } });
  const [task] = vpnRoute.plan({ ...profileSet([host({ host: 'media.example.test', role: 'video' })]), media: true }, cfg);
  const ctx = { signal: new AbortController().signal, config: cfg, timeouts: cfg.timeouts, proxy: createProxyResolver(cfg), result: () => undefined, now: () => performance.now() };
  return runVpnRoute(task, ctx, platform, undefined, fixtureRunner(answers));
}

test('vpn.route on macOS and Windows: the tunnel, its vendor and MTU in the evidence, and vpn-full-tunnel raised', async () => {
  const m = await vpnRouteOn('darwin', { 'route -n get 203.0.113.7': ok('routes/macos/route-get-utun.txt'), 'ifconfig utun4': ok('routes/macos/ifconfig-utun4.txt') });
  assert.equal(m.status, 'ok', JSON.stringify(m));
  assert.deepEqual([m.details?.interface, m.details?.viaTunnel, m.details?.kind, m.details?.mtu], ['utun4', true, 'utun', 1390]);
  const w = await vpnRouteOn('win32', {
    [`${PS} "Find-NetRoute -RemoteIPAddress '203.0.113.7' | Format-List"`]: ok('routes/windows/find-netroute-vpn.txt'),
    [`${PS} "${WINDOWS_INTERFACES_SCRIPT}"`]: ok('routes/windows/interfaces.txt'),
  });
  assert.equal(w.status, 'ok', JSON.stringify(w));
  assert.deepEqual([w.details?.interface, w.details?.viaTunnel, w.details?.vendor, w.details?.mtu], ['Ethernet 3', true, 'Palo Alto GlobalProtect', 1400]);
  assert.match(w.reason ?? '', /tunnel interface Ethernet 3 \(Palo Alto GlobalProtect, MTU 1400\)/);
  const result = { id: 'vpn.route', target: 'media.example.test', durationMs: 1, metrics: {}, error: null, ...w };
  const raw = { hosts: [host({ host: 'media.example.test', role: 'video' })], results: [result], media: true } as unknown as RawRun;
  assert.equal(vpnRule.evaluate(buildInput(raw))?.id, 'vpn-full-tunnel');
  const none = await vpnRouteOn('win32', { [`${PS} "Find-NetRoute -RemoteIPAddress '203.0.113.7' | Format-List"`]: err(1, 'routes/windows/find-netroute-error.stderr') }).catch((e) => e);
  assert.equal(none.code, 'NO_ROUTE');
});

test('vpn.route on an OS without a route reader: skipped with a reason', async () => {
  const cfg = config();
  const [task] = vpnRoute.plan({ ...profileSet([host({ host: 'v.example.test', role: 'video' })]), media: true }, cfg);
  const out = await runVpnRoute(task, { signal: new AbortController().signal } as never, 'aix');
  assert.equal(out.status, 'skipped');
  assert.match(out.reason ?? '', /Linux, macOS and Windows \(this is aix\)/);
});
