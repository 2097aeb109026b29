// The WebRTC far end's bounds, against a real serve on loopback: the peer limit, malformed and
// oversized signalling, the plain echo still answering other WebSocket paths, and the codec.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServe, type ServeHandle } from '../../src/serve/server.js';
import { webrtcServeModule, serveIceServer } from '../../src/serve/webrtc-peer.js';
import { parseSignal, SIGNAL_MAX_BYTES } from '../../src/net/webrtc.js';

let serve: ServeHandle;
before(async () => {
  serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }], modules: [webrtcServeModule({ maxPeers: 2, offerMs: 800 })] });
});
after(async () => {
  await serve?.close();
});

const wsUrl = (path: string) => serve.urls[0].replace('https:', 'wss:') + path;

function open(path = '/.netready/webrtc'): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(path), { ca: serve.caPem!, maxPayload: 1 << 20 });
    const messages: string[] = [];
    ws.on('message', (d) => messages.push(String(d)));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('error', reject);
  });
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
};

test('hello -> ready with the bounds; other WebSocket paths keep the plain echo', async () => {
  const a = await open();
  a.ws.send(JSON.stringify({ type: 'hello' }));
  assert.ok(await until(() => a.messages.length > 0));
  assert.deepEqual(JSON.parse(a.messages[0]), { type: 'ready', peerMs: 20000, maxMessageBytes: 16384 });
  a.ws.close();
  const e = await open('/other');
  e.ws.send('x');
  assert.ok(await until(() => e.messages.length > 0));
  assert.equal(e.messages[0], 'x');
  e.ws.close();
});

test('more peers than maxPeers at once are refused with "busy"; a peer without an offer is closed', async () => {
  const a = await open();
  const b = await open();
  const c = await open();
  assert.ok(await until(() => c.messages.length > 0));
  assert.match(JSON.parse(c.messages[0]).message, /busy/);
  assert.equal(await c.closed, 1013);
  // offerMs = 800: both idle peers are sent "bye" and closed.
  const codes = await Promise.all([a.closed, b.closed]);
  assert.deepEqual(codes, [1000, 1000]);
  assert.ok(a.messages.some((m) => JSON.parse(m).type === 'bye'));
});

test('malformed or oversized signalling ends the session', async () => {
  const a = await open();
  a.ws.send('{"type":"offer","sdp":42}');
  assert.ok(await until(() => a.messages.length > 0));
  assert.equal(JSON.parse(a.messages[0]).type, 'error');
  await a.closed;
  const b = await open();
  b.ws.send('x'.repeat(SIGNAL_MAX_BYTES + 10));
  const code = await b.closed;
  assert.equal(code, 1009, 'message too big');
});

test('parseSignal accepts the protocol and nothing else', () => {
  assert.deepEqual(parseSignal('{"type":"hello"}'), { type: 'hello' });
  assert.deepEqual(parseSignal('{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}}'), {
    type: 'candidate',
    candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 },
  });
  for (const bad of ['', 'null', '[]', '{"type":"offer","sdp":"x"}', '{"type":"candidate","candidate":{"candidate":1}}', '{"type":"candidate","candidate":{"candidate":"c","sdpMLineIndex":-1}}', '{"type":"nope"}', 'x'.repeat(SIGNAL_MAX_BYTES + 1)])
    assert.equal(parseSignal(bad), null, bad.slice(0, 40));
  // Never throws on random bytes.
  for (let i = 0; i < 2000; i++) parseSignal(Buffer.from(Array.from({ length: (i % 64) + 1 }, () => Math.floor(Math.random() * 256))));
});

test('serveIceServer prefers TURN/UDP, always names the port, and signs credentials with the secret', () => {
  const s = serveIceServer({ secret: 's3cret', urls: ['turns:turn.example?transport=tcp', 'turn:turn.example:3478?transport=udp'] }, 1_700_000_000_000);
  assert.equal(s?.urls, 'turn:turn.example:3478?transport=udp');
  assert.match(String(s?.username), /^\d+:netready$/);
  const tls = serveIceServer({ secret: 's', urls: ['turns:turn.example'] });
  assert.equal(tls?.urls, 'turns:turn.example:443?transport=tcp');
  assert.equal(serveIceServer(undefined), null);
});
