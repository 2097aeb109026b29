import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issue, verify, encodeEchoRequest, parseEchoPacket, echoReplyFor, decodeToken, MAX_TTL_MS, ECHO_HEADER_BYTES, ECHO_MAX_BYTES, COOKIE_ECHO_HEADER_BYTES, CHALLENGE_BYTES, COOKIE_WINDOW_MS, EchoClient, encodeChallenge, issueCookie, parseChallenge, verifyCookie } from '../../src/protocol/echo-token.js';

const NOW = 1_700_000_000_000;

test('a token verifies until it expires, then never', () => {
  const t = issue('secret', { ttlMs: 5000, now: NOW });
  assert.equal(t.length, 36);
  assert.deepEqual(verify('secret', t, NOW), { ok: true, expiresAt: NOW + 5000 });
  assert.equal(verify('secret', t, NOW + 4999).ok, true);
  assert.deepEqual(verify('secret', t, NOW + 5000), { ok: false, error: 'TOKEN_EXPIRED' });
});

test('ttl is capped, and a token claiming a far expiry is refused', () => {
  const t = issue('secret', { ttlMs: 10 * MAX_TTL_MS, now: NOW });
  const r = verify('secret', t, NOW);
  assert.ok(r.ok && r.expiresAt === NOW + MAX_TTL_MS);
  assert.deepEqual(verify('secret', t, NOW - 60_000), { ok: false, error: 'TOKEN_TOO_FAR' });
});

test('tampering and a wrong secret are detected', () => {
  const t = issue('secret', { ttlMs: 60_000, now: NOW });
  assert.deepEqual(verify('other', t, NOW), { ok: false, error: 'TOKEN_BAD_MAC' });
  const raw = decodeToken(t)!;
  for (let i = 2; i < raw.length; i++) {
    const x = Buffer.from(raw);
    x[i] ^= 0x01;
    assert.equal(verify('secret', x.toString('base64url'), NOW).ok, false, `byte ${i}`);
  }
  // Extending the expiry is a tamper too.
  const x = Buffer.from(raw);
  x.writeUIntBE(NOW + 120_000, 2, 6);
  assert.deepEqual(verify('secret', x.toString('base64url'), NOW), { ok: false, error: 'TOKEN_BAD_MAC' });
});

test('client-bound tokens only verify for that client', () => {
  const t = issue('secret', { ttlMs: 60_000, now: NOW, clientAddr: '198.18.0.5' });
  assert.equal(verify('secret', t, NOW, '198.18.0.5').ok, true);
  assert.deepEqual(verify('secret', t, NOW, '198.18.0.6'), { ok: false, error: 'TOKEN_WRONG_CLIENT' });
  assert.deepEqual(verify('secret', t, NOW), { ok: false, error: 'TOKEN_WRONG_CLIENT' });
});

test('garbage tokens are malformed, never a throw', () => {
  for (const g of ['', 'x', 'a'.repeat(36), '!'.repeat(36), 'A'.repeat(35), null as unknown as string, 42 as unknown as string])
    assert.equal(verify('secret', g, NOW).ok, false);
});

test('echo packets: encode, parse, reply is the same size with the reply magic', () => {
  const t = issue('secret', { ttlMs: 60_000, now: NOW });
  const p = encodeEchoRequest(t, 7, 123.5, 200);
  assert.equal(p.length, 200);
  const parsed = parseEchoPacket(p)!;
  assert.equal(parsed.reply, false);
  assert.equal(parsed.seq, 7);
  assert.equal(parsed.sentAt, 123.5);
  assert.ok(parsed.token.equals(decodeToken(t)!));
  const r = echoReplyFor(p);
  assert.equal(r.length, p.length);
  assert.equal(parseEchoPacket(r)!.reply, true);
  // sizes are clamped
  assert.equal(encodeEchoRequest(t, 1, 0, 1).length, ECHO_HEADER_BYTES);
  assert.equal(encodeEchoRequest(t, 1, 0, 1e6).length, ECHO_MAX_BYTES);
});

test('the echo parser rejects garbage', () => {
  assert.equal(parseEchoPacket(Buffer.alloc(0)), null);
  assert.equal(parseEchoPacket(Buffer.alloc(100)), null);
  assert.equal(parseEchoPacket(Buffer.alloc(ECHO_MAX_BYTES + 1)), null);
  const t = issue('secret', { ttlMs: 60_000, now: NOW });
  const p = encodeEchoRequest(t, 1, 0);
  const bad = Buffer.from(p);
  bad[0] = 0x58;
  assert.equal(parseEchoPacket(bad), null);
  const nan = Buffer.from(p);
  nan.writeDoubleBE(NaN, 8 + 27);
  assert.equal(parseEchoPacket(nan), null);
  assert.equal(parseEchoPacket(p.subarray(0, ECHO_HEADER_BYTES - 1)), null);
});

test('cookie requests: encode, parse, reply; the challenge is smaller than any request', () => {
  const t = issue('secret', { ttlMs: 60_000, now: NOW });
  const cookie = issueCookie('k', '198.18.0.5', 4000, NOW);
  const p = encodeEchoRequest(t, 9, 1.5, 100, cookie);
  assert.equal(p.length, 100);
  const parsed = parseEchoPacket(p)!;
  assert.equal(parsed.reply, false);
  assert.ok(parsed.cookie?.equals(cookie));
  assert.equal(parsed.seq, 9);
  assert.equal(parsed.sentAt, 1.5);
  const r = parseEchoPacket(echoReplyFor(p))!;
  assert.equal(r.reply, true);
  assert.equal(r.seq, 9);
  assert.equal(encodeEchoRequest(t, 1, 0, 1, cookie).length, COOKIE_ECHO_HEADER_BYTES);
  assert.equal(parseEchoPacket(p.subarray(0, COOKIE_ECHO_HEADER_BYTES - 1)), null);
  assert.ok(CHALLENGE_BYTES < ECHO_HEADER_BYTES, 'a challenge never outgrows the smallest request');
  const ch = encodeChallenge(9, cookie);
  assert.equal(ch.length, CHALLENGE_BYTES);
  assert.deepEqual(parseChallenge(ch), { seq: 9, cookie });
  assert.equal(parseChallenge(p), null);
  assert.equal(parseEchoPacket(ch), null);
});

test('cookies: tied to the source address and port, valid for one window and the next', () => {
  const c = issueCookie('k', '198.18.0.5', 4000, NOW);
  assert.equal(verifyCookie('k', c, '198.18.0.5', 4000, NOW), true);
  assert.equal(verifyCookie('k', c, '198.18.0.5', 4000, NOW + COOKIE_WINDOW_MS), true);
  assert.equal(verifyCookie('k', c, '198.18.0.5', 4000, NOW + 2 * COOKIE_WINDOW_MS + 1), false);
  assert.equal(verifyCookie('k', c, '198.18.0.6', 4000, NOW), false);
  assert.equal(verifyCookie('k', c, '198.18.0.5', 4001, NOW), false);
  assert.equal(verifyCookie('other', c, '198.18.0.5', 4000, NOW), false);
  assert.equal(verifyCookie('k', Buffer.alloc(3), '198.18.0.5', 4000, NOW), false);
});

test('EchoClient: plain requests until a challenge, then the cookie on every request', () => {
  const t = issue('secret', { ttlMs: 60_000, now: NOW });
  const ec = new EchoClient(t);
  assert.equal(parseEchoPacket(ec.request(1, 0, 64))!.cookie, null);
  const cookie = issueCookie('k', '198.18.0.5', 4000, NOW);
  assert.deepEqual(ec.receive(encodeChallenge(1, cookie)), { kind: 'challenge', seq: 1 });
  const req = ec.request(2, 0, 64);
  assert.ok(parseEchoPacket(req)!.cookie?.equals(cookie));
  const got = ec.receive(echoReplyFor(req));
  assert.equal(got?.kind, 'reply');
  assert.equal(ec.receive(req), null, 'a request is not a reply');
  assert.equal(ec.receive(Buffer.from('junk')), null);
});
