// The real serve on 127.0.0.1:0, exercised with real clients (node https/tls/net, ws).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';
import net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { startServe, type ServeHandle, type ServeOptions } from '../../src/serve/server.js';
import { createCA, issueCert } from '../../src/net/certs.js';

async function serve(t: { after(fn: () => unknown): void }, extra: Partial<ServeOptions> = {}): Promise<ServeHandle> {
  const h = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }], ...extra });
  t.after(() => h.close());
  return h;
}

function get(
  url: string,
  opts: https.RequestOptions & { body?: Buffer | string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socket: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, { agent: false, timeout: 5000, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString(), socket: res.socket as tls.TLSSocket }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

test('answers every request with the netready JSON and a health endpoint', async (t) => {
  const h = await serve(t);
  assert.equal(h.urls.length, 1);
  assert.match(h.urls[0], /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(h.caPem?.includes('BEGIN CERTIFICATE'));
  const r = await get(`${h.urls[0]}/virtual-room/abc?x=1`, { ca: h.caPem!, servername: 'apps.esignlive.com', headers: { host: 'apps.esignlive.com' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-netready-serve'], '1');
  assert.deepEqual(JSON.parse(r.body), { ok: true, server: 'netready', host: 'apps.esignlive.com', path: '/virtual-room/abc', method: 'GET' });
  const p = await get(`${h.urls[0]}/graphql`, { method: 'POST', ca: h.caPem!, body: '{"query":"{a}"}', headers: { 'content-type': 'application/json' } });
  assert.equal(p.status, 200);
  assert.equal(JSON.parse(p.body).method, 'POST');
  const health = JSON.parse((await get(`${h.urls[0]}/.netready/health`, { ca: h.caPem! })).body);
  assert.equal(health.ok, true);
  assert.equal(typeof health.uptimeMs, 'number');
  assert.ok(health.connections >= 1);
  assert.equal(health.clientAddress, '127.0.0.1', 'the address the client came from (its egress as the probe sees it)');
});

test('health names the probe: its configured names, the address and port the client reached, the Host it used, the version', async (t) => {
  const h = await serve(t, { listen: [{ host: '127.0.0.1', port: 0 }, { host: '127.0.0.2', port: 0 }], names: ['probe.example.test'] });
  const { VERSION } = await import('../../src/shared/version.js');
  for (const [i, addr] of ['127.0.0.1', '127.0.0.2'].entries()) {
    const r = await get(`https://${addr}:${h.addresses[i].port}/.netready/health`, { ca: h.caPem!, servername: 'localhost', headers: { host: `probe.example.test:${h.addresses[i].port}` } });
    assert.deepEqual(JSON.parse(r.body).probe, { names: ['probe.example.test'], address: addr, port: h.addresses[i].port, host: `probe.example.test:${h.addresses[i].port}`, version: VERSION });
  }
  // Without configured names: the certificate's DNS names.
  const ca = await createCA('n');
  const pair = await issueCert(ca, { names: ['a.example.test', 'b.example.test'], ips: ['127.0.0.1'] });
  const g = await serve(t, { certPem: pair.certPem, keyPem: pair.keyPem });
  const r = await get(`${g.urls[0]}/.netready/health`, { ca: ca.certPem, servername: 'a.example.test' });
  assert.deepEqual(JSON.parse(r.body).probe.names, ['a.example.test', 'b.example.test']);
});

test('/.netready/status: the admin view, only with the admin token', async (t) => {
  const h = await serve(t, { adminToken: 'status-admin-token-0123' });
  assert.equal((await get(`${h.urls[0]}/.netready/status`, { ca: h.caPem! })).status, 401);
  assert.equal((await get(`${h.urls[0]}/.netready/status`, { ca: h.caPem!, headers: { authorization: 'Bearer nope' } })).status, 401);
  const r = await get(`${h.urls[0]}/.netready/status`, { ca: h.caPem!, headers: { authorization: 'Bearer status-admin-token-0123' } });
  assert.equal(r.status, 200);
  const s = JSON.parse(r.body);
  assert.equal(s.limits.maxPerAddress, 256);
  assert.equal(typeof s.admission.refusedAddress, 'number');
  const none = await serve(t);
  assert.equal((await get(`${none.urls[0]}/.netready/status?token=`, { ca: none.caPem! })).status, 401, 'no token configured: no admin view');
});

test('issues a certificate per SNI name that verifies against the throw-away CA', async (t) => {
  const h = await serve(t);
  for (const name of ['apps.esignlive.com', 'assets-proxy.upscope.io', 'localhost']) {
    const r = await get(`${h.urls[0]}/`, { ca: h.caPem!, servername: name, headers: { host: name } });
    assert.equal(r.status, 200);
    assert.ok(r.socket.authorized !== false);
    const cert = r.socket.getPeerCertificate();
    assert.equal(cert.subject.CN, name);
    assert.match(cert.subjectaltname ?? '', new RegExp(`DNS:${name.replace(/\./g, '\\.')}`));
    assert.equal(cert.issuer.CN, 'netready throw-away CA');
  }
  // A connection without SNI (by IP) gets the default certificate with the loopback IP SANs.
  await new Promise<void>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: h.addresses[0].port, ca: h.caPem! }, () => {
      assert.equal(s.authorized, true);
      assert.match(s.getPeerCertificate().subjectaltname ?? '', /IP Address:127\.0\.0\.1/);
      assert.equal(s.alpnProtocol, false);
      s.destroy();
      resolve();
    });
    s.on('error', reject);
  });
  // A name the CA did not sign for is rejected by a client that checks.
  const other = await createCA('unrelated CA');
  await assert.rejects(get(`${h.urls[0]}/`, { ca: other.certPem, servername: 'apps.esignlive.com' }), /self-signed|unable to verify|certificate/i);
});

test('serves the given certificate for every name', async (t) => {
  const ca = await createCA('Given CA');
  const pair = await issueCert(ca, { names: ['only.example.test'], ips: ['127.0.0.1'] });
  const h = await serve(t, { certPem: pair.certPem, keyPem: pair.keyPem });
  assert.equal(h.caPem, null);
  const r = await get(`${h.urls[0]}/`, { ca: ca.certPem, servername: 'only.example.test' });
  assert.equal(r.socket.getPeerCertificate().subject.CN, 'only.example.test');
  await assert.rejects(get(`${h.urls[0]}/`, { ca: ca.certPem, servername: 'apps.esignlive.com' }), /altnames|does not match|Hostname/i);
});

test('writes the throw-away CA to a temp file and removes it on close', async () => {
  const h = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }], writeCaFile: true });
  try {
    assert.ok(h.caFile && existsSync(h.caFile));
    assert.equal(readFileSync(h.caFile, 'utf8'), h.caPem);
  } finally {
    await h.close();
  }
  assert.equal(existsSync(h.caFile!), false);
});

test('plain HTTP listeners answer the same JSON', async (t) => {
  const h = await serve(t, { listen: [], httpListen: [{ host: '127.0.0.1', port: 0 }] });
  assert.equal(h.urls.length, 0);
  const r = await get(`${h.httpUrls[0]}/ocsp`, { headers: { host: 'ocsp.digicert.com' } });
  assert.deepEqual(JSON.parse(r.body), { ok: true, server: 'netready', host: 'ocsp.digicert.com', path: '/ocsp', method: 'GET' });
});

interface SseEvent {
  id: string;
  event: string;
  data: { seq: number; offsetMs: number; sentAt: number };
  arrivedMs: number;
}

/** Opens an SSE stream and collects events until it ends or `maxMs`. */
function sse(url: string, ca: string, maxMs: number, extraHeaders: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; events: SseEvent[]; ended: boolean; sentAt: number; bytesAfterFirst: number }>(
    (resolve, reject) => {
      const sentAt = performance.now();
      const req = https.request(url, { agent: false, ca, headers: extraHeaders }, (res) => {
        const events: SseEvent[] = [];
        let buf = '';
        let bytesAfterFirst = 0;
        const timer = setTimeout(() => {
          req.destroy();
          resolve({ status: res.statusCode!, headers: res.headers, events, ended: false, sentAt, bytesAfterFirst });
        }, maxMs);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (events.length > 0) bytesAfterFirst += chunk.length;
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const f: Record<string, string> = {};
            for (const line of block.split('\n')) {
              const c = line.indexOf(': ');
              f[line.slice(0, c)] = line.slice(c + 2);
            }
            events.push({ id: f.id, event: f.event, data: JSON.parse(f.data), arrivedMs: performance.now() - sentAt });
          }
        });
        const done = (ended: boolean) => {
          clearTimeout(timer);
          resolve({ status: res.statusCode!, headers: res.headers, events, ended, sentAt, bytesAfterFirst });
        };
        res.on('end', () => done(true));
        res.on('error', () => {});
        res.on('close', () => done(res.complete));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

test('SSE: events at the interval, monotonic offsetMs, ends after count', async (t) => {
  const h = await serve(t);
  const r = await sse(`${h.urls[0]}/virtual-room/netready-probe/event?interval=100&count=6`, h.caPem!, 5000);
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/event-stream/);
  assert.equal(r.headers['cache-control'], 'no-cache');
  assert.equal(r.headers['x-accel-buffering'], undefined);
  assert.equal(r.ended, true);
  assert.equal(r.events.length, 6);
  r.events.forEach((e, i) => {
    assert.equal(e.event, 'tick');
    assert.equal(e.id, String(i + 1));
    assert.equal(e.data.seq, i + 1);
    assert.ok(Math.abs(e.data.offsetMs - i * 100) < 40, `event ${i} offsetMs ${e.data.offsetMs}`);
    if (i > 0) {
      assert.ok(e.data.offsetMs > r.events[i - 1].data.offsetMs);
      const gap = e.arrivedMs - r.events[i - 1].arrivedMs;
      assert.ok(gap > 50 && gap < 200, `gap ${gap}`);
    }
  });
  assert.ok(r.events[0].data.offsetMs < 20);
  assert.ok(Math.abs(r.events[0].data.sentAt - Date.now()) < 5000);
  // Defaults and Accept-based detection on another path: 8 events at 250 ms is too long; use count.
  const a = await sse(`${h.urls[0]}/anything?count=2&interval=20`, h.caPem!, 3000, { accept: 'text/event-stream' });
  assert.equal(a.events.length, 2);
  // Bounds: count above 200 and interval under 20 are clamped (count=1 ends at once).
  const b = await sse(`${h.urls[0]}/x/event?count=1&interval=1`, h.caPem!, 3000);
  assert.equal(b.events.length, 1);
  assert.equal(b.ended, true);
});

test('SSE idle=1: one event at once, then silence', async (t) => {
  const h = await serve(t);
  const r = await sse(`${h.urls[0]}/virtual-room/netready-probe/event?idle=1&interval=20`, h.caPem!, 1700);
  assert.equal(r.events.length, 1);
  assert.equal(r.bytesAfterFirst, 0);
  assert.equal(r.ended, false);
  assert.ok(r.events[0].arrivedMs < 500);
});

test('SSE streams are cut at maxStreamMs', async (t) => {
  const h = await serve(t, { maxStreamMs: 300 });
  const t0 = performance.now();
  const r = await sse(`${h.urls[0]}/x/event?idle=1`, h.caPem!, 3000);
  assert.equal(r.ended, true);
  assert.ok(performance.now() - t0 < 1500);
});

test('WebSocket: echoes text and binary, sends no pings of its own', async (t) => {
  const h = await serve(t);
  const ws = new WebSocket(`wss://127.0.0.1:${h.addresses[0].port}/virtual-room/ws`, { ca: h.caPem!, servername: 'apps.esignlive.com' } as WebSocket.ClientOptions);
  t.after(() => ws.terminate());
  let pings = 0;
  ws.on('ping', () => pings++);
  const opened = new Promise((r) => ws.once('open', r));
  const upgradeStatus = await new Promise<number>((resolve, reject) => {
    ws.once('upgrade', (res) => resolve(res.statusCode!));
    ws.once('error', reject);
  });
  assert.equal(upgradeStatus, 101);
  await opened;
  const next = () => new Promise<{ data: Buffer; isBinary: boolean }>((r) => ws.once('message', (data, isBinary) => r({ data: data as Buffer, isBinary })));
  let p = next();
  ws.send('hello netready');
  let m = await p;
  assert.equal(m.isBinary, false);
  assert.equal(m.data.toString(), 'hello netready');
  p = next();
  ws.send(Buffer.from([0, 1, 2, 255]));
  m = await p;
  assert.equal(m.isBinary, true);
  assert.deepEqual([...m.data], [0, 1, 2, 255]);
  let frames = 0;
  ws.on('message', () => frames++);
  await new Promise((r) => setTimeout(r, 1600));
  assert.equal(pings, 0);
  assert.equal(frames, 0);
  assert.equal(ws.readyState, WebSocket.OPEN);
});

/** An idle SSE stream held open from `localAddress`; resolves with its status once the head arrived. */
function holdStream(h: ServeHandle, localAddress = '127.0.0.1'): Promise<{ status: number; retryAfter: string | undefined; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${h.urls[0]}/x/event?idle=1`, { ca: h.caPem!, agent: false, localAddress }, (res) => {
      res.on('data', () => {});
      res.on('error', () => {});
      resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, req });
    });
    req.on('error', reject);
  });
}

test('WebSocket echo: a client that sends and never reads is paused, then closed when it stays paused', async (t) => {
  const h = await serve(t, { wsEcho: { stalledMs: 1500 } });
  const sock = tls.connect({ host: '127.0.0.1', port: h.addresses[0].port, ca: h.caPem!, servername: 'localhost' });
  t.after(() => sock.destroy());
  await new Promise((r) => sock.once('secureConnect', r));
  sock.write('GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  await new Promise((r) => sock.once('data', r));
  sock.pause();
  let closed = false;
  sock.on('error', () => (closed = true));
  sock.on('close', () => (closed = true));
  const frame = Buffer.concat([Buffer.from([0x82, 0xfe, 0xf0, 0x00, 0, 0, 0, 0]), Buffer.alloc(61440)]); // masked with a zero key
  let blocked = false;
  let sent = 0;
  for (let i = 0; i < 2000 && !blocked && !closed; i++) {
    if (!sock.write(frame)) blocked = !(await Promise.race([new Promise<boolean>((r) => sock.once('drain', () => r(true))), new Promise<boolean>((r) => setTimeout(() => r(false), 500))]));
    sent += frame.length;
  }
  // Either the serve stopped reading (the client's writes back up) or it closed it (1008 past 1 MiB).
  assert.ok(blocked || closed, 'the serve kept reading');
  assert.ok(sent < 64 * 2 ** 20, `${sent} bytes accepted`);
  const t0 = performance.now();
  for (let i = 0; i < 100 && h.connections() > 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(h.connections(), 0, 'closed after it stayed paused');
  assert.ok(performance.now() - t0 < 4000);
});

test('WebSocket echo: a client that reads late gets every echo (paused, then resumed)', async (t) => {
  const h = await serve(t, { wsEcho: { highWaterBytes: 16 * 1024, maxBufferedBytes: 16 * 2 ** 20 }, adminToken: 'echo-admin-token-0123' });
  const ws = new WebSocket(`wss://127.0.0.1:${h.addresses[0].port}/ws`, { ca: h.caPem!, servername: 'localhost' } as WebSocket.ClientOptions);
  t.after(() => ws.terminate());
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const sock = (ws as unknown as { _socket: net.Socket })._socket;
  sock.pause(); // reads nothing for a while
  let got = 0;
  let bytes = 0;
  ws.on('message', (d: Buffer) => {
    got++;
    bytes += d.length;
  });
  const msg = Buffer.alloc(32 * 1024, 7);
  for (let i = 0; i < 40; i++) ws.send(msg); // 1.25 MiB: more than the echo queues before it pauses
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(ws.readyState, WebSocket.OPEN, 'still open while it does not read');
  sock.resume();
  for (let i = 0; i < 200 && got < 40; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(got, 40, 'every message echoed once the client read again');
  assert.equal(bytes, 40 * msg.length);
  const status = JSON.parse((await get(`${h.urls[0]}/.netready/status`, { ca: h.caPem!, headers: { authorization: 'Bearer echo-admin-token-0123' } })).body);
  assert.ok(status.wsEcho.echoPaused >= 1, `the echo paused: ${JSON.stringify(status.wsEcho)}`);
  assert.equal(status.wsEcho.echoClosedNotReading, 0);
});

test('maxConnections: beyond it a 503 with Retry-After, not a reset; a connection without a request makes room', async (t) => {
  const h = await serve(t, { maxConnections: 3 });
  const held: http.ClientRequest[] = [];
  t.after(() => held.forEach((r) => r.destroy()));
  for (let i = 0; i < 3; i++) {
    const s = await holdStream(h, `127.0.0.${10 + i}`);
    assert.equal(s.status, 200);
    held.push(s.req);
  }
  assert.equal(h.connections(), 3);
  // Three streams: nothing can make room.
  const full = await get(`${h.urls[0]}/more`, { ca: h.caPem!, localAddress: '127.0.0.20' });
  assert.equal(full.status, 503);
  assert.equal(full.headers['retry-after'], '5');
  assert.equal(full.headers.connection, 'close');
  assert.match(JSON.parse(full.body).error, /connection limit/);
  // A silent connection (no request) is the one that makes room for a real client.
  held[0].destroy();
  await new Promise((r) => setTimeout(r, 100));
  const silent = net.connect(h.addresses[0].port, '127.0.0.1');
  silent.on('error', () => {});
  const silentClosed = new Promise<void>((r) => silent.once('close', () => r()));
  await new Promise((r) => silent.once('connect', r));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(h.connections(), 3);
  const r = await get(`${h.urls[0]}/ok`, { ca: h.caPem!, localAddress: '127.0.0.21' });
  assert.equal(r.status, 200);
  await silentClosed;
  assert.equal(h.admission().evicted, 1);
  assert.ok(h.admission().refusedBusy >= 1);
});

test('maxPerAddress: one address over its share gets 503 + Retry-After; another address is served', async (t) => {
  const h = await serve(t, { maxPerAddress: 4 });
  const held: http.ClientRequest[] = [];
  t.after(() => held.forEach((r) => r.destroy()));
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const s = await holdStream(h, '127.0.0.30');
    statuses.push(s.status);
    held.push(s.req);
    if (s.status === 503) assert.equal(s.retryAfter, '10');
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 503, 503]);
  const other = await get(`${h.urls[0]}/other`, { ca: h.caPem!, localAddress: '127.0.0.31' });
  assert.equal(other.status, 200);
  assert.equal(h.admission().refusedAddress, 2);
});

test('oversize body gets 413, oversize headers 431', async (t) => {
  const h = await serve(t, { maxRequestBytes: 8 * 1024 });
  const big = Buffer.alloc(9 * 1024, 'a');
  const r1 = await get(`${h.urls[0]}/upload`, { method: 'POST', ca: h.caPem!, body: big });
  assert.equal(r1.status, 413);
  const r2 = await get(`${h.urls[0]}/upload`, { method: 'POST', ca: h.caPem!, body: Buffer.alloc(4 * 1024, 'a') });
  assert.equal(r2.status, 200);
  // Chunked (no Content-Length) oversize body.
  const r3 = await new Promise<number>((resolve, reject) => {
    const req = https.request(`${h.urls[0]}/chunked`, { method: 'POST', ca: h.caPem!, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', (e) => (String(e).includes('EPIPE') || String(e).includes('ECONNRESET') ? resolve(413) : reject(e)));
    for (let i = 0; i < 12; i++) req.write(Buffer.alloc(1024, 'b'));
    req.end();
  });
  assert.equal(r3, 413);
  const r4 = await get(`${h.urls[0]}/`, { ca: h.caPem!, headers: { 'x-big': 'h'.repeat(10 * 1024) } });
  assert.equal(r4.status, 431);
});

test('a slowloris client is cut after the request timeout', async (t) => {
  const h = await serve(t, { requestTimeoutMs: 800, httpListen: [{ host: '127.0.0.1', port: 0 }] });
  const t0 = performance.now();
  let status = '';
  const closedMs = await new Promise<number>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: h.addresses[0].port, ca: h.caPem!, servername: 'localhost' }, () => {
      s.write('GET / HTTP/1.1\r\nHost: localhost\r\n'); // never finishes the headers
    });
    s.on('data', (d: Buffer) => (status = d.toString('latin1').split('\r\n')[0]));
    s.on('error', () => {});
    s.on('close', () => resolve(performance.now() - t0));
    setTimeout(() => {
      s.destroy();
      reject(new Error('not cut within 5 s'));
    }, 5000).unref();
  });
  assert.ok(closedMs >= 700 && closedMs < 3500, `cut after ${closedMs} ms`);
  assert.equal(status, 'HTTP/1.1 408 Request Timeout');
  // A silent TCP client (no TLS hello) is cut by the handshake timeout.
  // So is one that completes TLS and then sends nothing, and a silent plain-HTTP client.
  const silent = (connect: () => net.Socket) =>
    new Promise<number>((resolve, reject) => {
      const t1 = performance.now();
      const s = connect();
      s.resume();
      s.on('error', () => {});
      s.on('close', () => resolve(performance.now() - t1));
      setTimeout(() => {
        s.destroy();
        reject(new Error('silent socket not cut within 6 s'));
      }, 6000).unref();
    });
  const ms = await Promise.all([
    silent(() => net.connect(h.addresses[0].port, '127.0.0.1')),
    silent(() => tls.connect({ host: '127.0.0.1', port: h.addresses[0].port, ca: h.caPem!, servername: 'localhost' })),
    silent(() => net.connect(h.httpAddresses[0].port, '127.0.0.1')),
  ]);
  for (const m of ms) assert.ok(m >= 700 && m < 4000, `silent socket cut after ${m} ms`);
});

test('close() ends open SSE, WebSocket and idle sockets within 2 s', async () => {
  const h = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 }], httpListen: [{ host: '127.0.0.1', port: 0 }] });
  try {
    const ssePromise = sse(`${h.urls[0]}/x/event?idle=1`, h.caPem!, 10_000);
    const ws = new WebSocket(`wss://127.0.0.1:${h.addresses[1].port}/ws`, { ca: h.caPem!, servername: 'localhost' } as WebSocket.ClientOptions);
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const wsClosed = new Promise((r) => ws.once('close', r));
    ws.on('error', () => {});
    const raw = net.connect(h.httpAddresses[0].port, '127.0.0.1');
    raw.on('error', () => {});
    const rawClosed = new Promise((r) => raw.once('close', r));
    await new Promise((r) => raw.once('connect', r));
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await h.close();
    const closeMs = performance.now() - t0;
    await Promise.all([ssePromise, wsClosed, rawClosed]);
    const allMs = performance.now() - t0;
    assert.ok(closeMs < 2000, `close took ${closeMs} ms`);
    assert.ok(allMs < 2000, `clients saw the close after ${allMs} ms`);
    // The ports are free again.
    await assert.rejects(get(`${h.urls[0]}/`, { ca: h.caPem! }), /ECONNREFUSED/);
  } finally {
    await h.close();
  }
});

test('a port already in use is a clear error', async (t) => {
  const h = await serve(t);
  await assert.rejects(startServe({ listen: [{ host: '127.0.0.1', port: h.addresses[0].port }] }), /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
});
