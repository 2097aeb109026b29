// 100 000 random and mutated packets through the STUN decoder, every attribute getter, the
// ChannelData decoder, the TCP stream framer and the echo packet parser: no crash, no exception
// other than StunParseError, bounded time and memory. Deterministic (seeded PRNG) so a failure
// reproduces; the seed is printed on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Attr,
  Method,
  StreamFramer,
  StunParseError,
  attr,
  decodeChannelData,
  decodeMessage,
  encodeChannelData,
  encodeMessage,
  getChannelNumber,
  getErrorCode,
  getLifetime,
  getMappedAddress,
  getRequestedTransport,
  getString,
  getXorAddress,
  longTermKey,
  verifyIntegrity,
  MAX_MESSAGE_LENGTH,
} from '../../src/protocol/stun.js';
import { issue, parseEchoPacket, verifyRaw, encodeEchoRequest, verify } from '../../src/protocol/echo-token.js';

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const N = 100_000;
const KEY = longTermKey('1700000000:netready', 'netready.test', 'secret');

function seeds(): Buffer[] {
  const tid = Buffer.from('0123456789ab');
  const out: Buffer[] = [];
  out.push(encodeMessage({ method: Method.Binding, cls: 'request', transactionId: tid, attributes: [] }, { fingerprint: true }));
  out.push(
    encodeMessage(
      {
        method: Method.Binding,
        cls: 'success',
        transactionId: tid,
        attributes: [attr.xorAddress(Attr.XorMappedAddress, { family: 4, address: '198.18.1.2', port: 40000 }, tid), attr.software('netready')],
      },
      { fingerprint: true },
    ),
  );
  out.push(
    encodeMessage(
      {
        method: Method.Allocate,
        cls: 'success',
        transactionId: tid,
        attributes: [
          attr.xorAddress(Attr.XorRelayedAddress, { family: 6, address: '2001:db8::1', port: 50000 }, tid),
          attr.xorAddress(Attr.XorMappedAddress, { family: 4, address: '10.0.0.1', port: 1 }, tid),
          attr.lifetime(600),
        ],
      },
      { integrityKey: KEY, fingerprint: true },
    ),
  );
  out.push(
    encodeMessage(
      { method: Method.Allocate, cls: 'error', transactionId: tid, attributes: [attr.errorCode(401, 'Unauthorized'), attr.realm('netready.test'), attr.nonce('0123456789abcdef')] },
      { fingerprint: true },
    ),
  );
  out.push(
    encodeMessage({
      method: Method.Data,
      cls: 'indication',
      transactionId: tid,
      attributes: [attr.xorAddress(Attr.XorPeerAddress, { family: 4, address: '127.0.0.1', port: 9 }, tid), attr.data(Buffer.alloc(61, 7))],
    }),
  );
  out.push(
    encodeMessage(
      { method: Method.ChannelBind, cls: 'request', transactionId: tid, attributes: [attr.channelNumber(0x4000), attr.requestedTransport(17), attr.mappedAddress({ family: 4, address: '1.2.3.4', port: 5 })] },
      { integrityKey: KEY },
    ),
  );
  out.push(encodeChannelData(0x4000, Buffer.alloc(33, 1), true));
  out.push(encodeEchoRequest(issue('s', { ttlMs: 60_000, now: 1_700_000_000_000 }), 1, 1, 64));
  return out;
}

function mutate(rand: () => number, base: Buffer): Buffer {
  const b = Buffer.from(base);
  const r = rand();
  const pos = (n = b.length) => Math.floor(rand() * Math.max(1, n));
  if (r < 0.3) {
    // bit flips
    const flips = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < flips && b.length; i++) b[pos()] ^= 1 << Math.floor(rand() * 8);
    return b;
  }
  if (r < 0.45) return b.subarray(0, pos(b.length + 1)); // truncation
  if (r < 0.6) {
    // message length lies
    if (b.length >= 4) b.writeUInt16BE(Math.floor(rand() * 0x10000), 2);
    return b;
  }
  if (r < 0.75) {
    // attribute length overflow / lie at a 4-aligned offset past the header
    if (b.length > 24) {
      const off = 20 + 4 * Math.floor(rand() * ((b.length - 20) / 4));
      if (off + 4 <= b.length) b.writeUInt16BE(rand() < 0.5 ? 0xffff : Math.floor(rand() * 64), off + 2);
    }
    return b;
  }
  if (r < 0.85) {
    // splice random bytes in / append garbage
    const extra = Buffer.alloc(Math.floor(rand() * 40));
    for (let i = 0; i < extra.length; i++) extra[i] = Math.floor(rand() * 256);
    const at = pos(b.length + 1);
    return Buffer.concat([b.subarray(0, at), extra, b.subarray(at)]);
  }
  // fully random, often with a plausible header
  const n = Math.floor(rand() * 200);
  const x = Buffer.alloc(n);
  for (let i = 0; i < n; i++) x[i] = Math.floor(rand() * 256);
  if (n >= 20 && rand() < 0.7) {
    x[0] &= 0x3f;
    x.writeUInt32BE(0x2112a442, 4);
    x.writeUInt16BE((n - 20) & ~3, 2);
  }
  return x;
}

function exercise(pkt: Buffer): void {
  const guard = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof StunParseError)) throw e;
    }
  };
  guard(() => {
    const m = decodeMessage(pkt);
    for (const t of [Attr.XorMappedAddress, Attr.XorPeerAddress, Attr.XorRelayedAddress]) guard(() => getXorAddress(m, t));
    guard(() => getMappedAddress(m));
    guard(() => getErrorCode(m));
    guard(() => getString(m, Attr.Realm));
    guard(() => getString(m, Attr.Username));
    guard(() => getLifetime(m));
    guard(() => getChannelNumber(m));
    guard(() => getRequestedTransport(m));
    verifyIntegrity(m, KEY);
  });
  guard(() => decodeChannelData(pkt));
  const p = parseEchoPacket(pkt);
  if (p) verifyRaw('s', p.token, 1_700_000_000_000);
  verify('s', pkt.toString('base64url').slice(0, 36), 0);
}

test(`fuzz: ${N} random and mutated packets through decode, getters, framer and echo parser`, () => {
  const seed = Number(process.env.FUZZ_SEED ?? 0x5eed);
  const rand = prng(seed);
  const base = seeds();
  const t0 = performance.now();
  let framer = new StreamFramer();
  let decoded = 0;
  let framerErrors = 0;
  let maxPending = 0;
  for (let i = 0; i < N; i++) {
    const pkt = mutate(rand, base[Math.floor(rand() * base.length)]);
    try {
      exercise(pkt);
      try {
        decodeMessage(pkt);
        decoded++;
      } catch {
        /* counted only */
      }
      // The stream framer sees the same bytes, cut at random points.
      const cut = Math.floor(rand() * (pkt.length + 1));
      for (const part of [pkt.subarray(0, cut), pkt.subarray(cut)]) {
        try {
          for (const f of framer.push(part)) if (f.kind === 'stun') exercise(f.bytes);
        } catch (e) {
          if (!(e instanceof StunParseError)) throw e;
          framerErrors++;
          framer = new StreamFramer();
        }
        maxPending = Math.max(maxPending, framer.pending);
      }
      // Every 64 packets start a fresh stream so a long partial frame does not swallow the rest.
      if (i % 64 === 63) framer = new StreamFramer();
    } catch (e) {
      assert.fail(`seed ${seed} packet ${i} (${pkt.toString('hex')}): ${(e as Error).stack}`);
    }
  }
  const ms = performance.now() - t0;
  console.log(`fuzz: ${N} packets in ${ms.toFixed(0)} ms, ${decoded} decoded cleanly, ${framerErrors} framing errors, max framer buffer ${maxPending} B`);
  assert.ok(ms < 10_000, `took ${ms} ms`);
  assert.ok(decoded > 1000, 'the mutations should leave some packets valid');
  assert.ok(maxPending <= MAX_MESSAGE_LENGTH + 4, `framer held ${maxPending} bytes`);
});
