import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { startUdpEcho, parsePortList, DEFAULT_ECHO_PORTS, MAX_ECHO_PORTS } from '../../src/serve/udp-echo.js';
import { issue, decodeToken, encodeEchoRequest, echoReplyFor, parseEchoPacket } from '../../src/protocol/echo-token.js';
import { UsageError } from '../../src/cli/errors.js';

const SECRET = 'echo-secret';

async function exchange(port: number, packets: Buffer[], waitMs = 300, host = '127.0.0.1'): Promise<Buffer[]> {
  const s = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  for (const p of packets) s.send(p, port, host);
  await new Promise((r) => setTimeout(r, waitMs));
  s.close();
  return got;
}

test('a valid token is echoed with exactly the bytes received, on every port', async (t) => {
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0, 0, 0], secret: SECRET });
  t.after(() => echo.close());
  assert.equal(echo.ports.length, 3);
  const token = issue(SECRET, { ttlMs: 60_000, now: Date.now() });
  for (const port of echo.ports) {
    for (const size of [43, 64, 500, 1200]) {
      const req = encodeEchoRequest(token, size, 1, size);
      const got = await exchange(port, [req], 100);
      assert.equal(got.length, 1);
      assert.equal(got[0].length, req.length, 'never more bytes than received');
      assert.ok(got[0].equals(echoReplyFor(req)));
    }
  }
  assert.ok(echo.stats.bytesOut <= echo.stats.bytesIn);
});

test('silence for garbage, expired, tampered, foreign-secret tokens, replies and oversize packets', async (t) => {
  let now = 1_700_000_000_000;
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret: SECRET, now: () => now });
  t.after(() => echo.close());
  const good = issue(SECRET, { ttlMs: 5000, now });
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
  assert.equal((await exchange(echo.ports[0], packets)).length, 0);
  // The same good token works now ...
  assert.equal((await exchange(echo.ports[0], [req], 100)).length, 1);
  // ... and is refused after it expired.
  now += 5000;
  assert.equal((await exchange(echo.ports[0], [req])).length, 0);
  assert.equal(echo.stats.answered, 1);
});

test('per-source rate limit holds under a flood', async (t) => {
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret: SECRET, ratePerSec: 20, burst: 20 });
  t.after(() => echo.close());
  const token = issue(SECRET, { ttlMs: 60_000, now: Date.now() });
  const got = await exchange(echo.ports[0], Array.from({ length: 300 }, (_, i) => encodeEchoRequest(token, i, 0, 64)), 500);
  assert.ok(got.length >= 20 && got.length <= 35, `answered ${got.length} of 300`);
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
