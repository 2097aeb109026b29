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
  decodeType,
  encodeChannelData,
  encodeMessage,
  encodeType,
  getErrorCode,
  getString,
  getXorAddress,
  getMappedAddress,
  getUint32,
  getChannelNumber,
  getRequestedTransport,
  longTermKey,
  newTransactionId,
  shortTermKey,
  verifyIntegrity,
  crc32,
} from '../../src/protocol/stun.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 5769 test vectors.
const REQ_2_1 = hex(`00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
00 24 00 04 6e 00 01 ff
80 29 00 08 93 2f f9 b1 51 26 3b 36
00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
80 28 00 04 e5 7a 3b cf`);
const RES_2_2 = hex(`01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
00 20 00 08 00 01 a1 47 e1 12 a6 43
00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
80 28 00 04 c0 7d 4c 96`);
const RES_2_3 = hex(`01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
80 28 00 04 c8 fb 0b 4c`);
const REQ_2_4 = hex(`00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`);

test('RFC 5769 2.1: request with short-term integrity and fingerprint', () => {
  const m = decodeMessage(REQ_2_1);
  assert.equal(m.method, Method.Binding);
  assert.equal(m.cls, 'request');
  assert.equal(getString(m, Attr.Username), 'evtj:h6vY');
  assert.equal(getString(m, Attr.Software), 'STUN test client');
  assert.ok(verifyIntegrity(m, shortTermKey('VOkJxbRl1RmTxUk/WvJxBt')));
  assert.ok(!verifyIntegrity(m, shortTermKey('wrong')));
});

test('RFC 5769 2.2 / 2.3: XOR-MAPPED-ADDRESS v4 and v6', () => {
  const key = shortTermKey('VOkJxbRl1RmTxUk/WvJxBt');
  const v4 = decodeMessage(RES_2_2);
  assert.equal(v4.cls, 'success');
  assert.deepEqual(getXorAddress(v4), { family: 4, address: '192.0.2.1', port: 32853 });
  assert.ok(verifyIntegrity(v4, key));
  const v6 = decodeMessage(RES_2_3);
  assert.deepEqual(getXorAddress(v6), { family: 6, address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 });
  assert.ok(verifyIntegrity(v6, key));
});

test('RFC 5769 2.4: long-term credentials', () => {
  const m = decodeMessage(REQ_2_4);
  assert.equal(getString(m, Attr.Realm), 'example.org');
  const user = getString(m, Attr.Username)!;
  assert.equal(user, '\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9');
  assert.ok(verifyIntegrity(m, longTermKey(user, 'example.org', 'TheMatrIX')));
});

test('encode -> decode round trip with every attribute kind, integrity and fingerprint', () => {
  const tid = newTransactionId();
  const key = longTermKey('u', 'r', 'p');
  const bytes = encodeMessage(
    {
      method: Method.Allocate,
      cls: 'error',
      transactionId: tid,
      attributes: [
        attr.xorAddress(Attr.XorRelayedAddress, { family: 4, address: '198.18.0.7', port: 50000 }, tid),
        attr.xorAddress(Attr.XorPeerAddress, { family: 6, address: '::1', port: 1 }, tid),
        attr.mappedAddress({ family: 4, address: '10.1.2.3', port: 3478 }),
        attr.errorCode(438, 'Stale Nonce'),
        attr.realm('netready.test'),
        attr.nonce('abc'),
        attr.lifetime(600),
        attr.requestedTransport(17),
        attr.channelNumber(0x4001),
        attr.data(Buffer.from([1, 2, 3])),
        attr.software('netready'),
      ],
    },
    { integrityKey: key, fingerprint: true },
  );
  assert.equal(bytes.length % 4, 0);
  const m = decodeMessage(bytes);
  assert.equal(m.method, Method.Allocate);
  assert.equal(m.cls, 'error');
  assert.deepEqual(getXorAddress(m, Attr.XorRelayedAddress), { family: 4, address: '198.18.0.7', port: 50000 });
  assert.deepEqual(getXorAddress(m, Attr.XorPeerAddress), { family: 6, address: '::1', port: 1 });
  assert.deepEqual(getMappedAddress(m), { family: 4, address: '10.1.2.3', port: 3478 });
  assert.deepEqual(getErrorCode(m), { code: 438, reason: 'Stale Nonce' });
  assert.equal(getUint32(m, Attr.Lifetime), 600);
  assert.equal(getRequestedTransport(m), 17);
  assert.equal(getChannelNumber(m), 0x4001);
  assert.ok(verifyIntegrity(m, key));
  assert.ok(!verifyIntegrity(m, longTermKey('u', 'r', 'q')));
});

test('method/class type encoding round-trips for all 12-bit methods', () => {
  for (let method = 0; method < 0x1000; method += 7)
    for (const cls of ['request', 'indication', 'success', 'error'] as const) assert.deepEqual(decodeType(encodeType(method, cls)), { method, cls });
});

test('crc32 matches the IEEE check value', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
});

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StunParseError, `not a StunParseError: ${e}`);
    return e.code;
  }
  return 'no error';
}

test('strict validation: each malformation has its own code', () => {
  assert.equal(code(() => decodeMessage(Buffer.alloc(10))), 'TOO_SHORT');
  const ok = encodeMessage({ method: 1, cls: 'request', transactionId: newTransactionId(), attributes: [attr.software('x')] }, { fingerprint: true });
  const notStun = Buffer.from(ok);
  notStun[0] |= 0x80;
  assert.equal(code(() => decodeMessage(notStun)), 'NOT_STUN');
  const badCookie = Buffer.from(ok);
  badCookie[4] = 0;
  assert.equal(code(() => decodeMessage(badCookie)), 'BAD_COOKIE');
  const lenLie = Buffer.from(ok);
  lenLie.writeUInt16BE(ok.length - 20 + 4, 2);
  assert.equal(code(() => decodeMessage(lenLie)), 'LENGTH_MISMATCH');
  const odd = Buffer.from(ok);
  odd.writeUInt16BE(3, 2);
  assert.equal(code(() => decodeMessage(odd)), 'BAD_LENGTH');
  const overflow = Buffer.from(ok);
  overflow.writeUInt16BE(0xfff0, 22); // SOFTWARE attribute length
  assert.equal(code(() => decodeMessage(overflow)), 'ATTR_OVERFLOW');
  const fp = Buffer.from(ok);
  fp[fp.length - 1] ^= 1;
  assert.equal(code(() => decodeMessage(fp)), 'BAD_FINGERPRINT');
  const shortAddr = encodeMessage({ method: 1, cls: 'success', transactionId: newTransactionId(), attributes: [{ type: Attr.XorMappedAddress, value: Buffer.from([0, 1, 0]) }] });
  assert.equal(code(() => getXorAddress(decodeMessage(shortAddr))), 'BAD_ATTRIBUTE');
  const fam = encodeMessage({ method: 1, cls: 'success', transactionId: newTransactionId(), attributes: [{ type: Attr.XorMappedAddress, value: Buffer.from([0, 9, 0, 0, 1, 2, 3, 4]) }] });
  assert.equal(code(() => getXorAddress(decodeMessage(fam))), 'BAD_ATTRIBUTE');
});

test('ChannelData encode/decode, padding over streams', () => {
  const d = Buffer.from('hello');
  const udp = encodeChannelData(0x4000, d);
  assert.equal(udp.length, 9);
  assert.deepEqual(decodeChannelData(udp), { channel: 0x4000, data: d });
  const tcp = encodeChannelData(0x4000, d, true);
  assert.equal(tcp.length, 12);
  assert.deepEqual(decodeChannelData(tcp), { channel: 0x4000, data: d });
  assert.equal(code(() => decodeChannelData(Buffer.from([0x50, 0, 0, 0]))), 'BAD_CHANNEL');
  assert.equal(code(() => decodeChannelData(Buffer.from([0x40, 0, 0, 9, 1]))), 'LENGTH_MISMATCH');
});

test('StreamFramer splits STUN and padded ChannelData from arbitrary chunking', () => {
  const tid = newTransactionId();
  const stun = encodeMessage({ method: 1, cls: 'success', transactionId: tid, attributes: [attr.software('netready')] }, { fingerprint: true });
  const cd = encodeChannelData(0x4001, Buffer.from('abcde'), true);
  const stream = Buffer.concat([stun, cd, stun, cd]);
  for (const step of [1, 3, 7, stream.length]) {
    const f = new StreamFramer();
    const frames = [];
    for (let i = 0; i < stream.length; i += step) frames.push(...f.push(stream.subarray(i, i + step)));
    assert.equal(frames.length, 4, `step ${step}`);
    assert.equal(frames[0].kind, 'stun');
    assert.ok(frames[0].kind === 'stun' && frames[0].bytes.equals(stun));
    assert.deepEqual(frames[1], { kind: 'channel', channel: 0x4001, data: Buffer.from('abcde') });
    assert.equal(f.pending, 0);
  }
  const bad = new StreamFramer();
  assert.equal(code(() => bad.push(Buffer.from([0xc0, 0, 0, 0]))), 'BAD_FRAME');
  assert.equal(code(() => bad.push(stun)), 'BAD_FRAME'); // a broken stream stays broken
});
