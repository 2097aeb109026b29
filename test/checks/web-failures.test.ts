// The network checks against real misbehaving far ends and a real CONNECT proxy on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import net from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { startServe } from '../../src/serve/server.js';
import { createCA, issueCert } from '../../src/net/certs.js';
import { CHECKS } from '../../src/checks/registry.js';
import { config, get, host, profileSet, runChecks } from './helpers.js';
import { connectProxy } from '../net/connect-proxy.js';

const byId = (...ids: string[]) => CHECKS.filter((c) => ids.includes(c.id));

test('through an explicit proxy: DNS is the proxy\'s, TCP is a CONNECT tunnel, web checks pass', async (t) => {
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => serve.close());
  const proxy = await connectProxy(t, { map: { 'apps.test': serve.addresses[0].port } });
  const ps = profileSet([host({ host: 'apps.test', http: [{ path: '/graphql' }], ws: [{ path: '/graphql' }], sse: [{ path: '/virtual-room/r/event' }] })]);
  const cfg = config({ proxy: `http://127.0.0.1:${proxy.port}`, publicRootsPem: [serve.caPem!] });
  const { byKey, results } = await runChecks(CHECKS, ps, cfg);
  const dnsR = get(byKey, 'dns.resolve apps.test');
  assert.equal(dnsR.status, 'skipped');
  assert.equal(dnsR.reason, 'the proxy resolves this name');
  const tcp = get(byKey, 'tcp.connect apps.test:443');
  assert.equal(tcp.status, 'ok', JSON.stringify(tcp));
  assert.deepEqual(tcp.details?.proxy, { display: `http://127.0.0.1:${proxy.port}`, source: 'explicit', from: '--proxy' });
  for (const r of results.filter((r) => !['dns.resolve'].includes(r.id))) assert.equal(r.status, 'ok', `${r.id} ${r.target}: ${JSON.stringify(r)}`);
  assert.ok(proxy.seen.every((l) => l === 'CONNECT apps.test:443 HTTP/1.1'), String(proxy.seen));
  const pc = get(byKey, 'proxy.config proxy');
  assert.equal((pc.details?.perHost as Record<string, { kind: string }>)['apps.test'].kind, 'http');
});

test('a proxy refusing CONNECT for a keyword host: PROXY_CONNECT_REFUSED and HTTP_BLOCKED_BY_PROXY', async (t) => {
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => serve.close());
  const proxy = await connectProxy(t, { deny: /proxy\.upscope/, map: { 'js.upscope.io': serve.addresses[0].port } });
  const ps = profileSet([
    host({ host: 'assets-proxy.upscope.io', role: 'cobrowse', http: [{ path: '/', anyStatus: true }] }),
    host({ host: 'js.upscope.io', role: 'cobrowse', http: [{ path: '/', anyStatus: true }] }),
  ]);
  const cfg = config({ proxy: `http://127.0.0.1:${proxy.port}`, publicRootsPem: [serve.caPem!] });
  const { byKey } = await runChecks(CHECKS, ps, cfg);
  const tcp = get(byKey, 'tcp.connect assets-proxy.upscope.io:443');
  assert.equal(tcp.error?.code, 'PROXY_CONNECT_REFUSED');
  assert.equal(tcp.details?.proxyStatus, 403);
  const h = get(byKey, 'http.path https://assets-proxy.upscope.io/');
  assert.equal(h.status, 'failed');
  assert.equal(h.error?.code, 'HTTP_BLOCKED_BY_PROXY');
  assert.equal(h.details?.blockedBy, 'proxy');
  assert.equal(h.details?.proxyStatus, 403);
  assert.match(String(h.details?.marker), /X-Squid-Error/);
  assert.equal(get(byKey, 'http.path https://js.upscope.io/').status, 'ok');
});

test('a proxy demanding authentication: PROXY_AUTH_REQUIRED', async (t) => {
  const proxy = await connectProxy(t, { auth: 'alice:pw' });
  const ps = profileSet([host({ host: 'apps.test', http: [{ path: '/' }] })]);
  const { byKey } = await runChecks(CHECKS, ps, config({ proxy: `http://127.0.0.1:${proxy.port}` }));
  assert.equal(get(byKey, 'tcp.connect apps.test:443').error?.code, 'PROXY_AUTH_REQUIRED');
  const h = get(byKey, 'http.path https://apps.test/');
  assert.equal(h.error?.code, 'PROXY_AUTH_REQUIRED');
  assert.equal(h.details?.proxyStatus, 407);
  assert.deepEqual(get(byKey, 'proxy.config proxy').details?.proxyAuth, [
    { proxy: `http://127.0.0.1:${proxy.port}`, source: 'explicit', host: 'apps.test', credentialsGiven: false, status: 407, demandsAuth: true, schemes: ['Basic'] },
  ]);
});

test('a proxy demanding authentication, with credentials given: netready gets through, and still learns the proxy demands it', async (t) => {
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => serve.close());
  const proxy = await connectProxy(t, { auth: 'alice:pw', map: { 'apps.test': serve.addresses[0].port } });
  const ps = profileSet([host({ host: 'apps.test', http: [{ path: '/' }] })]);
  const { byKey } = await runChecks(CHECKS, ps, config({ proxy: `http://alice:pw@127.0.0.1:${proxy.port}`, publicRootsPem: [serve.caPem!] }));
  assert.equal(get(byKey, 'http.path https://apps.test/').status, 'ok');
  const row = (get(byKey, 'proxy.config proxy').details?.proxyAuth as Record<string, unknown>[])[0];
  assert.equal(row.demandsAuth, true);
  assert.equal(row.credentialsGiven, true);
  assert.deepEqual(row.schemes, ['Basic']);
  assert.equal(row.proxy, `http://alice:***@127.0.0.1:${proxy.port}`);
});

test('direct: DNS failure skips TCP and the web checks with the reason; refused TCP skips TLS', async (t) => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const closed = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  const ps = profileSet([host({ host: 'down.test', http: [{ path: '/' }] }), host({ host: 'nowhere.test', http: [{ path: '/' }] })]);
  const { byKey } = await runChecks(CHECKS, ps, config({ resolve: { 'down.test': `127.0.0.1:${closed}`, 'nowhere.test': 'not-an-address' } }));
  assert.equal(get(byKey, 'tcp.connect down.test:443').error?.code, 'TCP_REFUSED');
  assert.equal(get(byKey, 'tls.handshake down.test:443').status, 'skipped');
  assert.equal(get(byKey, 'http.path https://down.test/').status, 'skipped');
  assert.equal(get(byKey, 'dns.resolve nowhere.test').error?.code, 'DNS_NO_ADDRESS');
  assert.match(String(get(byKey, 'tcp.connect nowhere.test:443').reason), /^dns\.resolve nowhere\.test failed \(DNS_NO_ADDRESS\)/);
});

/** An HTTPS server with a certificate for apps.test from a CA the test treats as the public web PKI. */
async function httpsServer(t: { after(fn: () => unknown): void }, handler: http.RequestListener) {
  const ca = await createCA('Test CA');
  const leaf = await issueCert(ca, { names: ['apps.test'] });
  const srv = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, handler);
  const socks = new Set<Duplex>();
  srv.on('connection', (s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of socks) s.destroy();
    return new Promise<void>((r) => srv.close(() => r()));
  });
  const port = (srv.address() as net.AddressInfo).port;
  return { srv, port, ca: ca.certPem, cfg: { resolve: { 'apps.test': `127.0.0.1:${port}` }, publicRootsPem: [ca.certPem] } };
}

test('ws.upgrade: the probe (or an interceptor that strips Upgrade) answering 200 is WS_NO_UPGRADE', async (t) => {
  const { cfg } = await httpsServer(t, (_req, res) => res.end('{"ok":true}'));
  const ps = profileSet([host({ host: 'apps.test', role: 'probe', ws: [{ path: '/graphql' }] })]);
  const { byKey } = await runChecks(CHECKS, ps, config(cfg));
  const r = get(byKey, 'ws.upgrade wss://apps.test/graphql');
  assert.equal(r.error?.code, 'WS_NO_UPGRADE');
  assert.equal(r.details?.status, 200);
});

/** A raw 101 with the right accept, then silence: no pong, no frame (what a frame-dropping middlebox leaves). */
function silentUpgrade(srv: https.Server): void {
  srv.on('upgrade', (req, sock) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    sock.on('data', () => {}); // reads everything, answers nothing
  });
}

const FAST = { resolveMs: 1000, connectMs: 1000, tlsMs: 1000, firstByteMs: 400, streamMs: 1000 };

test('ws.upgrade on a vendor host: a real origin answers the ping with a pong and echoes nothing — ok', async (t) => {
  const { srv, cfg } = await httpsServer(t, (_req, res) => res.end());
  const wss = new WebSocketServer({ noServer: true }); // ws answers pings (RFC 6455), ignores messages
  srv.on('upgrade', (req, sock, head) => wss.handleUpgrade(req, sock, head, () => {}));
  t.after(() => wss.close());
  const ps = profileSet([host({ host: 'apps.test', ws: [{ path: '/graphql' }] })]);
  const r = get((await runChecks(CHECKS, ps, config({ ...cfg, timeouts: FAST }))).byKey, 'ws.upgrade wss://apps.test/graphql');
  assert.equal(r.status, 'ok', JSON.stringify(r));
  assert.equal(r.details?.answer, 'pong');
  assert.equal(typeof r.metrics.pingRttMs, 'number');
});

test('ws.upgrade on a vendor host: the origin refusing the unauthenticated upgrade (401, its own chain) proves the path', async (t) => {
  const { srv, cfg } = await httpsServer(t, (_req, res) => res.end());
  srv.on('upgrade', (_req, sock) => sock.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'));
  const ps = profileSet([host({ host: 'apps.test', ws: [{ path: '/graphql' }] })]);
  const r = get((await runChecks(CHECKS, ps, config(cfg))).byKey, 'ws.upgrade wss://apps.test/graphql');
  assert.equal(r.status, 'ok', JSON.stringify(r));
  assert.equal(r.details?.refusedByOrigin, 401);
});

test('ws.upgrade: 101, then no pong (vendor) or no echo (probe) is WS_NO_FRAMES', async (t) => {
  const { srv, cfg } = await httpsServer(t, (_req, res) => res.end());
  silentUpgrade(srv);
  const ps = profileSet([host({ host: 'apps.test', ws: [{ path: '/x' }] })]);
  const r = get((await runChecks(CHECKS, ps, config({ ...cfg, timeouts: FAST }))).byKey, 'ws.upgrade wss://apps.test/x');
  assert.equal(r.error?.code, 'WS_NO_FRAMES');
  assert.match(r.error!.message, /no pong/);
  // the probe must echo: ws answers the ping but not the text frame
  const probeSrv = await httpsServer(t, (_req, res) => res.end());
  const wss = new WebSocketServer({ noServer: true });
  probeSrv.srv.on('upgrade', (req, sock, head) => wss.handleUpgrade(req, sock, head, () => {}));
  t.after(() => wss.close());
  const pps = profileSet([host({ host: 'apps.test', role: 'probe', ws: [{ path: '/.netready/ws' }] })]);
  const p = get((await runChecks(CHECKS, pps, config({ ...probeSrv.cfg, timeouts: FAST }))).byKey, 'ws.upgrade wss://apps.test/.netready/ws');
  assert.equal(p.error?.code, 'WS_NO_FRAMES');
  assert.match(p.error!.message, /echo/);
});

test('ws.upgrade through an interceptor (a chain to a trusted but private root, --ca): a non-101 answer is WS_NO_UPGRADE', async (t) => {
  const { cfg, ca } = await httpsServer(t, (_req, res) => res.end('{"ok":true}'));
  const ps = profileSet([host({ host: 'apps.test', ws: [{ path: '/graphql' }] })]);
  const r = get((await runChecks(CHECKS, ps, config({ resolve: cfg.resolve, caPem: [ca] }))).byKey, 'ws.upgrade wss://apps.test/graphql');
  assert.equal(r.error?.code, 'WS_NO_UPGRADE');
  assert.equal(r.details?.inspected, true);
  assert.equal(r.details?.trustedBy, 'ca');
});

test('sse.stream on the probe: a middlebox that batches the stream is SSE_BUFFERED; a non-stream is SSE_NO_STREAM', async (t) => {
  const { cfg } = await httpsServer(t, (req, res) => {
    if (!req.url?.startsWith('/batch/event')) {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end('<html>blocked by DLP</html>');
    }
    // Like a scanning proxy: hold 8 events stamped 250 ms apart, deliver them together after 1.9 s.
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    setTimeout(() => {
      let out = '';
      for (let i = 0; i < 8; i++) out += `data: {"seq":${i + 1},"offsetMs":${i * 250},"sentAt":0}\n\n`;
      res.end(out);
    }, 1900);
  });
  const ps = profileSet([host({ host: 'apps.test', role: 'probe', sse: [{ path: '/batch/event' }, { path: '/page/event' }] })]);
  const { byKey } = await runChecks(CHECKS, ps, config(cfg));
  const r = get(byKey, 'sse.stream https://apps.test/batch/event');
  assert.equal(r.error?.code, 'SSE_BUFFERED', JSON.stringify(r));
  assert.equal(r.metrics.eventsCount, 8);
  assert.ok(r.metrics.batchedCount >= 6, String(r.metrics.batchedCount));
  assert.ok(r.metrics.firstEventDelayMs >= 1850, String(r.metrics.firstEventDelayMs));
  const n = get(byKey, 'sse.stream https://apps.test/page/event');
  assert.equal(n.error?.code, 'SSE_NO_STREAM');
  assert.equal(n.details?.contentType, 'text/html');
});

test('sse.stream on a vendor host: the origin answering 401 JSON to the unauthenticated event stream is ok', async (t) => {
  const { cfg } = await httpsServer(t, (_req, res) => {
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end('{"error":"unauthorized"}');
  });
  const ps = profileSet([host({ host: 'apps.test', sse: [{ path: '/virtual-room/r/event' }] })]);
  const r = get((await runChecks(CHECKS, ps, config(cfg))).byKey, 'sse.stream https://apps.test/virtual-room/r/event');
  assert.equal(r.status, 'ok', JSON.stringify(r));
  assert.equal(r.details?.status, 401);
  assert.equal(r.details?.contentType, 'application/json');
});

test('conn.idle (on the probe): a middlebox that cuts idle connections after 1 s is IDLE_CUT with idleCutMs', async (t) => {
  const { srv, cfg } = await httpsServer(t, (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write(`data: {"seq":1,"offsetMs":0,"sentAt":0}\n\n`);
    setTimeout(() => res.destroy(), 1000);
  });
  const wss = new WebSocketServer({ noServer: true });
  srv.on('upgrade', (req, sock, head) =>
    wss.handleUpgrade(req, sock, head, (ws) => {
      ws.on('message', (m) => ws.send(m));
      setTimeout(() => ws.terminate(), 1000);
    }),
  );
  t.after(() => wss.close());
  const ps = profileSet([host({ host: 'apps.test', role: 'probe', ws: [{ path: '/graphql' }], sse: [{ path: '/vr/event' }], idle: true })]);
  const { byKey } = await runChecks(byId('dns.resolve', 'tcp.connect', 'ws.upgrade', 'conn.idle'), ps, config({ ...cfg, idleWindowMs: 3000 }));
  for (const target of ['wss://apps.test/graphql#idle', 'https://apps.test/vr/event#idle']) {
    const r = get(byKey, `conn.idle ${target}`);
    assert.equal(r.error?.code, 'IDLE_CUT', JSON.stringify(r));
    assert.ok(r.metrics.idleCutMs > 700 && r.metrics.idleCutMs < 1500, `${target} ${r.metrics.idleCutMs}`);
  }
  // a vendor host is never held idle: its real server closes unauthenticated sockets itself
  const vendor = profileSet([host({ host: 'apps.test', ws: [{ path: '/graphql' }], sse: [{ path: '/vr/event' }], idle: true })]);
  assert.deepEqual(byId('conn.idle')[0].plan(vendor, config(cfg)), []);
});

test('PAC: the PAC proxy applies to a video host; tcp.connect records directOk and proxy.config pacRequired', async (t) => {
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => serve.close());
  const proxy = await connectProxy(t, { map: { 'config.opentok.com': serve.addresses[0].port } });
  const dir = mkdtempSync(join(tmpdir(), 'netready-pac-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pac = join(dir, 'corp.pac');
  writeFileSync(pac, `function FindProxyForURL(url, host) { return dnsDomainIs(host, ".opentok.com") ? "PROXY 127.0.0.1:${proxy.port}; DIRECT" : "DIRECT"; }`);
  // Direct to config.opentok.com is refused (a closed port): only the PAC proxy gets out.
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const closed = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  const ps = profileSet([host({ host: 'config.opentok.com', role: 'video', http: [{ path: '/', anyStatus: true }] })]);
  const { byKey } = await runChecks(CHECKS, ps, config({ pac, publicRootsPem: [serve.caPem!], resolve: { 'config.opentok.com': `127.0.0.1:${closed}` } }));
  const tcp = get(byKey, 'tcp.connect config.opentok.com:443');
  assert.equal(tcp.status, 'ok', JSON.stringify(tcp));
  assert.equal((tcp.details?.proxy as { source: string }).source, 'pac');
  assert.equal(tcp.details?.directOk, false);
  assert.deepEqual(get(byKey, 'proxy.config proxy').details?.pacRequired, ['config.opentok.com']);
  assert.equal(get(byKey, 'http.path https://config.opentok.com/').status, 'ok');
});

test('plain-HTTP hosts (port 80) through a proxy: an absolute-URI GET; tcp.connect is skipped', async (t) => {
  const serve = await startServe({ listen: [], httpListen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => serve.close());
  const proxy = await connectProxy(t, { map: { 'ocsp.test': serve.httpAddresses[0].port }, deny: /crl\.test/ });
  const ps = profileSet([
    host({ host: 'ocsp.test', role: 'ocsp', tcp: [80], tls: false, http: [{ path: '/', anyStatus: true }] }),
    host({ host: 'crl.test', role: 'ocsp', tcp: [80], tls: false, http: [{ path: '/', anyStatus: true }] }),
  ]);
  const { byKey } = await runChecks(CHECKS, ps, config({ env: { httpProxy: `http://127.0.0.1:${proxy.port}` } }));
  const tcp = get(byKey, 'tcp.connect ocsp.test:80');
  assert.equal(tcp.status, 'skipped');
  assert.equal(tcp.reason, 'plain HTTP goes through the proxy');
  const ok = get(byKey, 'http.path http://ocsp.test/');
  assert.equal(ok.status, 'ok', JSON.stringify(ok));
  assert.equal(ok.details?.status, 200);
  assert.equal((ok.details?.proxy as { source: string }).source, 'env');
  assert.ok(proxy.seen.includes('GET http://ocsp.test/ HTTP/1.1'), String(proxy.seen));
  const blocked = get(byKey, 'http.path http://crl.test/');
  assert.equal(blocked.error?.code, 'HTTP_BLOCKED_BY_PROXY');
  assert.equal(blocked.details?.status, 403);
});
