import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { startUdpEcho, parsePortList, DEFAULT_ECHO_PORTS, MAX_ECHO_PORTS } from '../../src/serve/udp-echo.js';
import { issue, decodeToken, encodeEchoRequest, echoReplyFor, parseEchoPacket, parseChallenge, EchoClient, CHALLENGE_BYTES } from '../../src/protocol/echo-token.js';
import { UsageError } from '../../src/shared/errors.js';

const SECRET = 'echo-secret';

/** One client socket on `bindAddr` (kept, so a cookie for its address and port stays valid). */
async function client(t: { after(fn: () => unknown): void }, bindAddr = '127.0.0.1') {
  const s = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(0, bindAddr, r));
  t.after(() => s.close());
  return {
    address: bindAddr,
    port: s.address().port,
    async send(port: number, packets: Buffer[], waitMs = 150): Promise<Buffer[]> {
      got.length = 0;
      for (const p of packets) s.send(p, port, '127.0.0.1');
      for (let i = 0; i < waitMs / 10 && got.length < packets.length; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 20));
      return got.splice(0);
    },
  };
}

test('a token bound to the source is echoed at once with exactly the bytes received, on every port', async (t) => {
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0, 0, 0], secret: SECRET });
  t.after(() => echo.close());
  assert.equal(echo.ports.length, 3);
  const c = await client(t);
  const token = issue(SECRET, { ttlMs: 60_000, now: Date.now(), clientAddr: '127.0.0.1' });
  for (const port of echo.ports) {
    for (const size of [43, 64, 500, 1200]) {
      const req = encodeEchoRequest(token, size, 1, size);
      const got = await c.send(port, [req]);
      assert.equal(got.length, 1);
      assert.equal(got[0].length, req.length, 'never more bytes than received');
      assert.ok(got[0].equals(echoReplyFor(req)));
    }
  }
  assert.equal(echo.stats.challenged, 0);
  assert.ok(echo.stats.bytesOut <= echo.stats.bytesIn);
});

test('return routability: an unproven source gets a 24-byte challenge, then echoes with its cookie; the cookie is tied to its address and port', async (t) => {
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0, 0], secret: SECRET });
  t.after(() => echo.close());
  // The token was issued to another address (as through a proxy); this source proves itself.
  const token = issue(SECRET, { ttlMs: 60_000, now: Date.now(), clientAddr: '127.0.0.9' });
  const plain = issue(SECRET, { ttlMs: 60_000, now: Date.now() });
  const c = await client(t, '127.0.0.2');
  // A bound token from the wrong address: silence (it cannot be checked here).
  assert.deepEqual(await c.send(echo.ports[0], [encodeEchoRequest(token, 1, 0, 64)]), []);
  const ec = new EchoClient(plain);
  const first = ec.request(7, 0, 64);
  const got = await c.send(echo.ports[0], [first]);
  assert.equal(got.length, 1);
  assert.equal(got[0].length, CHALLENGE_BYTES);
  assert.ok(got[0].length < first.length, 'the challenge is smaller than the request');
  assert.deepEqual(ec.receive(got[0]), { kind: 'challenge', seq: 7 });
  // With the cookie: echoed, same size, on every port of the echo (the cookie names the source).
  for (const port of echo.ports) {
    const req = ec.request(8, 0, 200);
    const back = await c.send(port, [req]);
    assert.equal(back.length, 1);
    assert.equal(back[0].length, req.length);
    const r = ec.receive(back[0]);
    assert.equal(r?.kind, 'reply');
    assert.equal(r?.kind === 'reply' && r.packet.seq, 8);
  }
  // The same cookie from another source address, or another port of this one: a fresh challenge.
  const other = await client(t, '127.0.0.3');
  const again = await other.send(echo.ports[0], [ec.request(9, 0, 64)]);
  assert.equal(again.length, 1);
  assert.ok(parseChallenge(again[0]));
  const samehost = await client(t, '127.0.0.2');
  assert.ok(parseChallenge((await samehost.send(echo.ports[0], [ec.request(10, 0, 64)]))[0]));
  assert.ok(echo.stats.bytesOut <= echo.stats.bytesIn);
});

test('silence for garbage, expired, tampered, foreign-secret tokens, replies and oversize packets', async (t) => {
  let now = 1_700_000_000_000;
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret: SECRET, now: () => now });
  t.after(() => echo.close());
  const c = await client(t);
  const good = issue(SECRET, { ttlMs: 5000, now, clientAddr: '127.0.0.1' });
  const tampered = decodeToken(good)!;
  tampered[5] ^= 0x10;
  const foreign = issue('another-secret', { ttlMs: 5000, now });
  const req = encodeEchoRequest(good, 1, 0, 100);
  const packets = [
    Buffer.from('hello'),
    Buffer.alloc(64),
    Buffer.alloc(2000, 1),
    encodeEchoRequest(tampered, 2, 0, 100),
    encodeEchoRequest(foreign, 3, 0, 100),
    echoReplyFor(req), // a reply is never answered: no ping-pong between echoes
    Buffer.concat([req, Buffer.alloc(1200)]), // oversize
  ];
  assert.equal((await c.send(echo.ports[0], packets, 300)).length, 0);
  // The same good token works now ...
  assert.equal((await c.send(echo.ports[0], [req])).length, 1);
  // ... and is refused after it expired.
  now += 5000;
  assert.equal((await c.send(echo.ports[0], [req], 300)).length, 0);
  assert.equal(echo.stats.answered, 1);
  assert.equal(echo.stats.challenged, 0);
});

test('per-source rate limits hold under a flood (challenges and echoes)', async (t) => {
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret: SECRET, ratePerSec: 20, burst: 20, boundRatePerSec: 40, boundBurst: 40 });
  t.after(() => echo.close());
  const c = await client(t);
  const plain = issue(SECRET, { ttlMs: 60_000, now: Date.now() });
  const challenges = await c.send(echo.ports[0], Array.from({ length: 300 }, (_, i) => encodeEchoRequest(plain, i, 0, 64)), 500);
  assert.ok(challenges.length >= 20 && challenges.length <= 35, `challenged ${challenges.length} of 300`);
  for (const g of challenges) assert.ok(parseChallenge(g));
  const bound = issue(SECRET, { ttlMs: 60_000, now: Date.now(), clientAddr: '127.0.0.1' });
  const got = await c.send(echo.ports[0], Array.from({ length: 300 }, (_, i) => encodeEchoRequest(bound, i, 0, 64)), 500);
  assert.ok(got.length >= 40 && got.length <= 60, `answered ${got.length} of 300`);
  for (const g of got) assert.ok(parseEchoPacket(g)?.reply);
});

test('port lists: ranges, dedupe, caps and one-line errors', () => {
  assert.deepEqual(parsePortList('1025,5000,20000-20003,65535'), [1025, 5000, 20000, 20001, 20002, 20003, 65535]);
  assert.deepEqual(parsePortList(' 5000 , 5000,1025 '), [1025, 5000]);
  for (const bad of ['', 'abc', '0', '65536', '10-5', '1-100000', '1,,2', '-5', '1-2-3', `1-${MAX_ECHO_PORTS + 1}`]) {
    assert.throws(() => parsePortList(bad), UsageError, bad);
  }
  assert.ok(DEFAULT_ECHO_PORTS.length >= 24 && DEFAULT_ECHO_PORTS.length <= 64);
  assert.ok(DEFAULT_ECHO_PORTS.includes(1025) && DEFAULT_ECHO_PORTS.includes(65535) && DEFAULT_ECHO_PORTS.includes(50000));
  assert.ok(DEFAULT_ECHO_PORTS.every((p) => p >= 1025 && p <= 65535));
});

test('a busy port is reported, not fatal', async (t) => {
  const a = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret: SECRET });
  t.after(() => a.close());
  const b = await startUdpEcho({ host: '127.0.0.1', ports: [a.ports[0], 0], secret: SECRET });
  t.after(() => b.close());
  assert.equal(b.ports.length, 1);
  assert.equal(b.failed[0].port, a.ports[0]);
});
