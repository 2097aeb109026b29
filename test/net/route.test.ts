// Routes per destination, against real sockets on loopback: the resolver following what discovery
// decided (a system proxy and its bypass list, a discovered PAC), and the dialer walking a PAC's list
// "PROXY a; PROXY b; DIRECT" the way browsers do — the next entry only when one cannot be reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { defaultConfig } from '../../src/shared/config.js';
import { NetError } from '../../src/shared/errors.js';
import { canFallOver, dial } from '../../src/net/dial.js';
import { compilePac, type PacEngine } from '../../src/net/pac.js';
import { createProxyResolver, parsePacResult, proxyMayApply, type ProxyChoice, type SystemRoute } from '../../src/net/proxy.js';
import type { ManualProxy } from '../../src/net/discovery/types.js';
import { connectProxy } from './connect-proxy.js';
import { ctx } from './dial-helpers.js';

async function echoServer(t: { after(fn: () => unknown): void }): Promise<number> {
  const s = net.createServer((c) => c.pipe(c));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  return (s.address() as { port: number }).port;
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A route as the resolver hands it out for a PAC answer (with the run's retry list). */
async function pacRoute(answer: string, url = 'https://vendor.test/'): Promise<ProxyChoice> {
  const engine = (await compilePac(`function FindProxyForURL(u, h) { return ${JSON.stringify(answer)}; }`, 'route.pac')) as PacEngine;
  const r = createProxyResolver(defaultConfig(), { kind: 'pac', origin: 'wpad', from: 'PAC http://wpad.corp.example/wpad.dat (WPAD auto-discovery)', ref: 'http://wpad.corp.example/wpad.dat', engine });
  const c = await r.forUrl(url);
  engine.dispose();
  return c;
}

test('PROXY dead; PROXY live; DIRECT: the dead proxy is skipped (and tried last for the rest of the run), the live one carries it', async (t) => {
  const target = await echoServer(t);
  const live = await connectProxy(t);
  const dead = await closedPort();
  const route = await pacRoute(`PROXY 127.0.0.1:${dead}; PROXY 127.0.0.1:${live.port}; DIRECT`);
  const d = await dial({ host: '127.0.0.1', port: target, proxy: route }, ctx());
  d.socket.destroy();
  assert.deepEqual(d.route, { carriedBy: `PROXY 127.0.0.1:${live.port}`, tried: [{ entry: `PROXY 127.0.0.1:${dead}`, code: 'PROXY_UNREACHABLE' }] });
  assert.equal(d.proxy?.display, `http://127.0.0.1:${live.port}`);
  assert.equal(d.choice?.kind === 'http' && d.choice.port, live.port);
  // The same route again: the dead proxy is now tried last, so the live one carries it at once.
  const again = await dial({ host: '127.0.0.1', port: target, proxy: route }, ctx());
  again.socket.destroy();
  assert.deepEqual(again.route, { carriedBy: `PROXY 127.0.0.1:${live.port}`, tried: [] });
  assert.deepEqual(live.seen, [`CONNECT 127.0.0.1:${target} HTTP/1.1`, `CONNECT 127.0.0.1:${target} HTTP/1.1`]);
});

test('every proxy dead: DIRECT, the last entry, carries it', async (t) => {
  const target = await echoServer(t);
  const [a, b] = [await closedPort(), await closedPort()];
  const route = await pacRoute(`PROXY 127.0.0.1:${a}; PROXY 127.0.0.1:${b}; DIRECT`);
  const d = await dial({ host: '127.0.0.1', port: target, proxy: route }, ctx());
  d.socket.destroy();
  assert.equal(d.route?.carriedBy, 'DIRECT');
  assert.deepEqual(d.route?.tried.map((x) => x.code), ['PROXY_UNREACHABLE', 'PROXY_UNREACHABLE']);
  assert.equal(d.proxy, null);
});

test('DIRECT; PROXY live: a refused direct connection falls over to the proxy (browsers try the next entry for DIRECT too)', async (t) => {
  const target = await echoServer(t);
  const closed = await closedPort();
  // The proxy reaches the host where direct TCP is refused (its own way out).
  const live = await connectProxy(t, { map: { 'vendor.test': target } });
  const route = await pacRoute(`DIRECT; PROXY 127.0.0.1:${live.port}`);
  const d = await dial({ host: 'vendor.test', port: 443, proxy: route }, ctx({ resolve: { 'vendor.test': `127.0.0.1:${closed}` } }));
  d.socket.destroy();
  assert.deepEqual(d.route, { carriedBy: `PROXY 127.0.0.1:${live.port}`, tried: [{ entry: 'DIRECT', code: 'TCP_REFUSED' }] });
});

test('a proxy that answers is no fallover: 403 to CONNECT and 407 end the route there (the browser shows that error)', async (t) => {
  const target = await echoServer(t);
  const denying = await connectProxy(t, { deny: /^127\.0\.0\.1/ });
  const authing = await connectProxy(t, { auth: 'u:p' });
  const live = await connectProxy(t);
  for (const [first, code] of [
    [denying.port, 'PROXY_CONNECT_REFUSED'],
    [authing.port, 'PROXY_AUTH_REQUIRED'],
  ] as const) {
    const route = await pacRoute(`PROXY 127.0.0.1:${first}; PROXY 127.0.0.1:${live.port}`);
    const e = await dial({ host: '127.0.0.1', port: target, proxy: route }, ctx()).then(
      () => assert.fail('expected the route to fail'),
      (err: unknown) => err as NetError,
    );
    assert.equal(e.code, code);
    assert.equal(canFallOver(e), false);
    assert.deepEqual((e.details.route as { tried: { entry: string }[] }).tried.map((x) => x.entry), [`PROXY 127.0.0.1:${first}`]);
  }
  assert.deepEqual(live.seen, [], 'the next proxy was never tried');
});

test('a route that cannot be reached at all: the last entry\'s error, with every entry tried', async () => {
  const [a, b] = [await closedPort(), await closedPort()];
  const route = await pacRoute(`PROXY 127.0.0.1:${a}; DIRECT`);
  const e = await dial({ host: '127.0.0.1', port: b, proxy: route }, ctx()).then(
    () => assert.fail('expected the route to fail'),
    (err: unknown) => err as NetError,
  );
  assert.equal(e.code, 'TCP_REFUSED');
  assert.deepEqual((e.details.route as { tried: { entry: string; code: string }[] }).tried, [
    { entry: `PROXY 127.0.0.1:${a}`, code: 'PROXY_UNREACHABLE' },
    { entry: 'DIRECT', code: 'TCP_REFUSED' },
  ]);
  assert.equal(e.details.proxy, null);
});

const manual = (https: string, bypass: string[], simple = false): ManualProxy => {
  const [host, port] = https.split(':');
  return { https: { scheme: 'http', host, port: Number(port), from: 'ProxyServer' }, http: null, socks: null, bypass: { flavour: 'wininet', entries: bypass, simpleHostnames: simple, reversed: false, from: 'ProxyOverride' } };
};

test('a system proxy: its bypass list (Chromium rules) sends hosts direct, the rest go through it; planning knows it without evaluating anything', async () => {
  const m = manual('proxy.corp.example:8080', ['*.corp.example', 'localhost.esignlive.com'], true);
  const system: SystemRoute = { kind: 'manual', origin: 'wininet', from: 'Windows Internet Settings (WinINET)', manual: m };
  // the environment names another proxy: the browser's way (the system's) wins
  const config = defaultConfig({ systemProxy: true, discovered: { kind: 'manual', manual: m }, env: { httpsProxy: 'http://env.corp.example:3128' } });
  const r = createProxyResolver(config, system);
  const v = await r.forUrl('https://config.opentok.com/');
  assert.equal(v.kind === 'http' && `${v.host}:${v.port} ${v.source} ${v.origin} ${v.from}`, 'proxy.corp.example:8080 system wininet Windows Internet Settings (WinINET)');
  assert.deepEqual(await r.forUrl('https://intranet.corp.example/'), { kind: 'direct', source: 'system', origin: 'wininet', from: 'Windows Internet Settings (WinINET), bypass list (ProxyOverride)' });
  assert.equal((await r.forUrl('https://localhost.esignlive.com:26666/')).kind, 'direct');
  assert.equal((await r.forUrl('https://printer/')).kind, 'direct', '<local>');
  assert.equal((await r.forUrl('http://ocsp.example/')).kind, 'direct', 'no proxy for http:// in this setting');
  assert.equal(proxyMayApply('https://config.opentok.com/', config), true);
  assert.equal(proxyMayApply('https://intranet.corp.example/', config), false);
  // a SOCKS-only setting: netready cannot test through it and says so
  const socks: ManualProxy = { https: null, http: null, socks: { scheme: 'socks5', host: 's.corp.example', port: 1080, from: 'socks' }, bypass: m.bypass };
  const s = await createProxyResolver(config, { kind: 'manual', origin: 'gnome', from: 'GNOME proxy settings (gsettings)', manual: socks }).forUrl('https://config.opentok.com/');
  assert.equal(s.kind, 'direct');
  assert.match(s.note ?? '', /SOCKS proxy s\.corp\.example:1080; netready cannot test through SOCKS/);
});

test('a discovered PAC: its answer per URL is the route with fallbacks; where it throws for a URL the browser goes direct (evidence, not an error)', async () => {
  const engine = (await compilePac('function FindProxyForURL(u, h) { if (h === "bad.example") throw new Error("no rule"); return "PROXY a.corp.example:3128; HTTPS b.corp.example:8443; SOCKS s:1080; DIRECT"; }', 'http://wpad.corp.example/wpad.dat')) as PacEngine;
  const r = createProxyResolver(defaultConfig({ systemProxy: true }), { kind: 'pac', origin: 'wpad', from: 'PAC http://wpad.corp.example/wpad.dat (WPAD auto-discovery)', ref: 'http://wpad.corp.example/wpad.dat', engine });
  const c = await r.forUrl('https://config.opentok.com/');
  assert.equal(c.kind === 'http' && c.display, 'http://a.corp.example:3128');
  assert.deepEqual(c.fallbacks?.map((f) => (f.kind === 'http' ? f.display : 'DIRECT')), ['https://b.corp.example:8443', 'DIRECT'], 'SOCKS left out');
  assert.equal(c.from, 'PAC http://wpad.corp.example/wpad.dat (WPAD auto-discovery)');
  assert.equal(r.pacInUse?.(), 'http://wpad.corp.example/wpad.dat');
  const bad = await r.forUrl('https://bad.example/');
  assert.equal(bad.kind, 'direct');
  assert.match(bad.note ?? '', /throws for https:\/\/bad\.example\/: no rule; the browser goes direct/);
  r.dispose?.();
});

test('parsePacResult keeps the whole list; an empty or SOCKS-only answer is DIRECT', () => {
  const c = parsePacResult('PROXY a:1; PROXY b:2; DIRECT', 'x.pac');
  assert.deepEqual([c.kind, ...(c.fallbacks ?? []).map((f) => (f.kind === 'http' ? `${f.host}:${f.port}` : 'DIRECT'))], ['http', 'b:2', 'DIRECT']);
  assert.equal(parsePacResult('SOCKS5 s:1080', 'x.pac').kind, 'direct');
});
