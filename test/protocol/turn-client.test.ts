// Playbooks for the sans-I/O TURN client (src/protocol/turn-client.ts): input events (answers,
// indications, ChannelData, timer ticks) -> expected outputs and state. No sockets: the server's
// answers are built with the STUN codec, the way a TURN server (RFC 8656) writes them; the client
// against a real coturn is test/checks/turn-allocate.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Attr,
  Method,
  attr,
  decodeChannelData,
  decodeMessage,
  encodeChannelData,
  encodeMessage,
  getAttr,
  getData,
  getLifetime,
  getString,
  getXorAddress,
  getChannelNumber,
  hasFingerprint,
  longTermKey,
  verifyIntegrity,
  type StunAttribute,
  type StunMessage,
  type TransportAddress,
} from '../../src/protocol/stun.js';
import { FIRST_CHANNEL, TurnClient, TurnError, turnErrorClass, type TurnClientOptions, type TurnOutput } from '../../src/protocol/turn-client.js';

const USER = '1700000000:netready';
const PASS = 'secret-credential';
const REALM = 'netready.test';
const KEY = longTermKey(USER, REALM, PASS);
const RELAYED: TransportAddress = { family: 4, address: '198.18.0.9', port: 49152 };
const MAPPED: TransportAddress = { family: 4, address: '198.18.0.2', port: 40000 };
const PEER: TransportAddress = { family: 4, address: '198.18.0.20', port: 5000 };

/** Deterministic transaction ids: 1, 2, 3 ... in the last byte. */
function ids(): () => Buffer {
  let n = 0;
  return () => {
    const b = Buffer.alloc(12);
    b.writeUInt32BE(++n, 8);
    return b;
  };
}

function client(over: Partial<TurnClientOptions> = {}): TurnClient {
  return new TurnClient({ username: USER, password: PASS, reliable: false, timeoutMs: 3000, transactionId: ids(), ...over });
}

const sends = (out: TurnOutput[]) => out.filter((o): o is Extract<TurnOutput, { type: 'send' }> => o.type === 'send').map((o) => o.bytes);
const events = (out: TurnOutput[]) => out.filter((o) => o.type !== 'send');
/** The one request the outputs send, decoded. */
function sent(out: TurnOutput[]): StunMessage {
  const s = sends(out);
  assert.equal(s.length, 1, `one send expected, got ${s.length}`);
  return decodeMessage(s[0]);
}
function failure(out: TurnOutput[]): TurnError {
  const f = out.find((o) => o.type === 'failed');
  assert.ok(f && f.type === 'failed', `a failure expected, got ${JSON.stringify(out.map((o) => o.type))}`);
  return f.error;
}

/** A TURN server's answer to `req`. */
function answer(req: StunMessage, cls: 'success' | 'error', attributes: (tid: Buffer) => StunAttribute[], key?: Buffer): Buffer {
  return encodeMessage({ method: req.method, cls, transactionId: req.transactionId, attributes: attributes(req.transactionId) }, { integrityKey: key, fingerprint: true });
}
const challenge = (req: StunMessage, nonce = 'nonce-1', code = 401, reason = 'Unauthorized') =>
  answer(req, 'error', () => [attr.errorCode(code, reason), attr.realm(REALM), attr.nonce(nonce)]);
const refuse = (req: StunMessage, code: number, reason: string) => answer(req, 'error', () => [attr.errorCode(code, reason)], KEY);
const allocated = (req: StunMessage) =>
  answer(
    req,
    'success',
    (tid) => [attr.xorAddress(Attr.XorRelayedAddress, RELAYED, tid), attr.xorAddress(Attr.XorMappedAddress, MAPPED, tid), attr.lifetime(300), attr.software('coturn-test')],
    KEY,
  );
const ok = (req: StunMessage) => answer(req, 'success', () => [], KEY);

/** Playbook: allocate -> 401 -> authenticated Allocate -> success. Returns the client and the requests. */
function allocatedClient(over: Partial<TurnClientOptions> = {}): TurnClient {
  const c = client(over);
  const first = sent(c.allocate(0));
  const second = sent(c.receive(challenge(first), 5));
  const out = c.receive(allocated(second), 10);
  assert.equal(out[0]?.type, 'allocated');
  return c;
}

test('Allocate: unauthenticated first, 401 -> retry with USERNAME/REALM/NONCE, MESSAGE-INTEGRITY and FINGERPRINT -> allocated', () => {
  const c = client();
  assert.equal(c.state, 'idle');
  const first = sent(c.allocate(0));
  assert.equal(c.state, 'challenge');
  assert.equal(first.method, Method.Allocate);
  assert.equal(first.cls, 'request');
  assert.equal(getAttr(first, Attr.RequestedTransport)?.[0], 17, 'REQUESTED-TRANSPORT UDP');
  assert.equal(getLifetime(first), 300);
  assert.equal(getAttr(first, Attr.Username), undefined, 'no credentials before the challenge');
  assert.equal(getAttr(first, Attr.MessageIntegrity), undefined);
  assert.equal(getString(first, Attr.Software), 'netready');
  assert.ok(hasFingerprint(first));

  const out = c.receive(challenge(first), 20);
  assert.deepEqual(events(out), []);
  assert.equal(c.state, 'authenticating');
  const second = sent(out);
  assert.notDeepEqual(second.transactionId, first.transactionId, 'a new transaction');
  assert.equal(getString(second, Attr.Username), USER);
  assert.equal(getString(second, Attr.Realm), REALM);
  assert.equal(getString(second, Attr.Nonce), 'nonce-1');
  assert.ok(verifyIntegrity(second, KEY), 'MESSAGE-INTEGRITY with the long-term key MD5(user:realm:pass)');
  assert.ok(hasFingerprint(second));

  const done = c.receive(allocated(second), 30);
  assert.deepEqual(done, [{ type: 'allocated', allocation: { relayed: RELAYED, mapped: MAPPED, lifetimeSec: 300, software: 'coturn-test', realm: REALM } }]);
  assert.equal(c.state, 'allocated');
  assert.equal(c.pendingCount, 0);
  assert.equal(c.nextTimer(), null, 'nothing pending, no timer');
});

test('401 again after the credentials: TURN_AUTH_FAILED (class unauthorized), no third try', () => {
  const c = client();
  const second = sent(c.receive(challenge(sent(c.allocate(0))), 1));
  const out = c.receive(challenge(second, 'nonce-2'), 2);
  assert.deepEqual(sends(out), []);
  const e = failure(out);
  assert.equal(e.code, 'TURN_AUTH_FAILED');
  assert.equal(e.stunError, 401);
  assert.equal(e.class, 'unauthorized');
  assert.equal(e.op, 'allocate');
  assert.equal(c.state, 'failed');
  assert.throws(() => c.createPermission(PEER, 3), /needs an allocation/);
});

test('438 Stale Nonce: one retry with the new nonce (and realm), new transaction; a second 438 fails', () => {
  const c = client();
  const second = sent(c.receive(challenge(sent(c.allocate(0))), 1));
  const retry = sent(c.receive(challenge(second, 'nonce-fresh', 438, 'Stale Nonce'), 2));
  assert.equal(getString(retry, Attr.Nonce), 'nonce-fresh');
  assert.notDeepEqual(retry.transactionId, second.transactionId);
  assert.ok(verifyIntegrity(retry, KEY));
  assert.equal(c.receive(allocated(retry), 3)[0].type, 'allocated');

  const d = client();
  const s2 = sent(d.receive(challenge(sent(d.allocate(0))), 1));
  const r2 = sent(d.receive(challenge(s2, 'n2', 438, 'Stale Nonce'), 2));
  const e = failure(d.receive(challenge(r2, 'n3', 438, 'Stale Nonce'), 3));
  assert.equal(e.code, 'TURN_ALLOCATE_FAILED');
  assert.equal(e.stunError, 438);
  assert.equal(e.class, 'stale-nonce');
});

test('438 on CreatePermission is retried once with the new nonce; then permitted', () => {
  const c = allocatedClient();
  const req = sent(c.createPermission(PEER, 100));
  assert.equal(req.method, Method.CreatePermission);
  assert.deepEqual(getXorAddress(req, Attr.XorPeerAddress), PEER);
  assert.equal(getString(req, Attr.Nonce), 'nonce-1');
  const retry = sent(c.receive(challenge(req, 'nonce-2', 438, 'Stale Nonce'), 110));
  assert.equal(getString(retry, Attr.Nonce), 'nonce-2');
  assert.deepEqual(getXorAddress(retry, Attr.XorPeerAddress), PEER, 'XOR-PEER-ADDRESS re-encoded for the new transaction id');
  assert.ok(verifyIntegrity(retry, KEY));
  assert.deepEqual(c.receive(ok(retry), 120), [{ type: 'permitted', peer: PEER }]);
  assert.ok(c.isPermitted(PEER));
});

test('an Allocate answered with success before any credentials: TURN_OPEN_RELAY', () => {
  const c = client();
  const first = sent(c.allocate(0));
  const e = failure(c.receive(answer(first, 'success', (tid) => [attr.xorAddress(Attr.XorRelayedAddress, RELAYED, tid)]), 1));
  assert.equal(e.code, 'TURN_OPEN_RELAY');
  assert.equal(c.state, 'failed');
});

test('error classes: 437, 486, 508 to the first Allocate; 403 to the authenticated one', () => {
  for (const [code, reason, cls] of [
    [437, 'Allocation Mismatch', 'allocation-mismatch'],
    [486, 'Allocation Quota Reached', 'quota'],
    [508, 'Insufficient Capacity', 'capacity'],
  ] as const) {
    const c = client();
    const e = failure(c.receive(refuse(sent(c.allocate(0)), code, reason), 1));
    assert.equal(e.code, 'TURN_ALLOCATE_FAILED');
    assert.equal(e.stunError, code);
    assert.equal(e.reason, reason);
    assert.equal(e.class, cls);
    assert.equal(e.message, `Allocate refused: ${code} ${reason}`);
  }
  const c = client();
  const second = sent(c.receive(challenge(sent(c.allocate(0))), 1));
  const e = failure(c.receive(refuse(second, 403, 'Forbidden'), 2));
  assert.equal(e.code, 'TURN_FORBIDDEN');
  assert.equal(e.class, 'forbidden');
  // The same codes after the credentials.
  const d = client();
  const s2 = sent(d.receive(challenge(sent(d.allocate(0))), 1));
  const q = failure(d.receive(refuse(s2, 486, 'Allocation Quota Reached'), 2));
  assert.equal(q.code, 'TURN_ALLOCATE_FAILED');
  assert.equal(q.class, 'quota');
  assert.equal(turnErrorClass(599), 'other');
});

test('403 to CreatePermission: TURN_PEER_FORBIDDEN naming the peer; the allocation stays', () => {
  const c = allocatedClient();
  const req = sent(c.createPermission(PEER, 100));
  const e = failure(c.receive(refuse(req, 403, 'Forbidden IP'), 101));
  assert.equal(e.code, 'TURN_PEER_FORBIDDEN');
  assert.equal(e.op, 'permission');
  assert.equal(e.stunError, 403);
  assert.deepEqual(e.peer, PEER);
  assert.match(e.message, /198\.18\.0\.20:5000 \(403 Forbidden IP\)/);
  assert.equal(c.state, 'allocated');
  assert.equal(c.isPermitted(PEER), false);
  // 437 to a later request (the server lost the allocation): typed, not fatal to the client.
  const req2 = sent(c.createPermission(PEER, 200));
  const e2 = failure(c.receive(refuse(req2, 437, 'Allocation Mismatch'), 201));
  assert.equal(e2.code, 'TURN_PERMISSION_FAILED');
  assert.equal(e2.class, 'allocation-mismatch');
});

test('the Allocate success with a wrong MESSAGE-INTEGRITY: TURN_INTEGRITY', () => {
  const c = client();
  const second = sent(c.receive(challenge(sent(c.allocate(0))), 1));
  const forged = answer(second, 'success', (tid) => [attr.xorAddress(Attr.XorRelayedAddress, RELAYED, tid)], longTermKey(USER, REALM, 'not-the-password'));
  assert.equal(failure(c.receive(forged, 2)).code, 'TURN_INTEGRITY');
  assert.equal(c.state, 'failed');
});

test('truncated answers: TURN_PROTOCOL with the parse code; truncated bytes of no pending request are dropped', () => {
  const c = client();
  const first = sent(c.allocate(0));
  const full = challenge(first);
  // A datagram cut short: the header is intact, the attributes are not.
  const cut = full.subarray(0, full.length - 10);
  const e = failure(c.receive(cut, 1));
  assert.equal(e.code, 'TURN_PROTOCOL');
  assert.equal(e.parseError, 'LENGTH_MISMATCH');
  assert.equal(e.op, 'allocate');
  assert.match(e.message, /the answer to Allocate is truncated or garbled/);
  assert.equal(c.state, 'failed');

  const d = client();
  sent(d.allocate(0));
  const other = Buffer.from(cut);
  other[19] ^= 0xff; // another transaction id
  assert.deepEqual(d.receive(other, 1), []);
  assert.deepEqual(d.receive(Buffer.from([0, 1, 0]), 1), [], 'shorter than a header');
  assert.equal(d.ignored, 2);
  assert.equal(d.state, 'challenge', 'still waiting');
});

test('garbled answers: bad address family, malformed or missing ERROR-CODE, bad FINGERPRINT, no XOR-RELAYED-ADDRESS -> TURN_PROTOCOL', () => {
  const cases: [string, (req: StunMessage) => Buffer, string][] = [
    [
      'XOR-RELAYED-ADDRESS family 7',
      (req) => answer(req, 'success', () => [{ type: Attr.XorRelayedAddress, value: Buffer.from([0, 7, 0, 0, 1, 2, 3, 4]) }], KEY),
      'BAD_ATTRIBUTE',
    ],
    ['no XOR-RELAYED-ADDRESS', (req) => answer(req, 'success', () => [attr.lifetime(300)], KEY), 'MISSING_ATTRIBUTE'],
    ['ERROR-CODE 999', (req) => answer(req, 'error', () => [{ type: Attr.ErrorCode, value: Buffer.from([0, 0, 9, 99]) }]), 'BAD_ATTRIBUTE'],
    ['an error without ERROR-CODE', (req) => answer(req, 'error', () => [attr.realm(REALM)]), 'MISSING_ATTRIBUTE'],
    [
      'FINGERPRINT flipped',
      (req) => {
        const b = allocated(req);
        b[b.length - 1] ^= 1;
        return b;
      },
      'BAD_FINGERPRINT',
    ],
  ];
  for (const [name, make, parse] of cases) {
    const c = client();
    const second = sent(c.receive(challenge(sent(c.allocate(0))), 1));
    const e = failure(c.receive(make(second), 2));
    assert.equal(e.code, 'TURN_PROTOCOL', name);
    assert.equal(e.parseError, parse, name);
    assert.equal(c.state, 'failed', name);
  }
  // A garbled REALM in the 401 challenge.
  const c = client();
  const first = sent(c.allocate(0));
  const e = failure(c.receive(answer(first, 'error', () => [attr.errorCode(401, 'Unauthorized'), { type: Attr.Realm, value: Buffer.alloc(800, 0x61) }, attr.nonce('n')]), 1));
  assert.equal(e.code, 'TURN_PROTOCOL');
  assert.equal(e.parseError, 'BAD_ATTRIBUTE');
});

test('an answer with a wrong transaction id (or method) is ignored; the right one is taken after it', () => {
  const c = client();
  const first = sent(c.allocate(0));
  const stray = challenge({ ...first, transactionId: Buffer.alloc(12, 7) });
  assert.deepEqual(c.receive(stray, 1), []);
  const wrongMethod = encodeMessage({ method: Method.Refresh, cls: 'error', transactionId: first.transactionId, attributes: [attr.errorCode(401, 'Unauthorized')] });
  assert.deepEqual(c.receive(wrongMethod, 2), []);
  assert.equal(c.ignored, 2);
  assert.equal(c.state, 'challenge');
  assert.equal(c.pendingCount, 1);
  const second = sent(c.receive(challenge(first), 3));
  assert.equal(getString(second, Attr.Username), USER);
  // A late duplicate of the answered challenge: ignored too.
  assert.deepEqual(c.receive(challenge(first), 4), []);
  assert.equal(c.receive(allocated(second), 5)[0].type, 'allocated');
});

test('UDP retransmission: RTO 250 ms doubling, at most 4 sends, TURN_NO_RESPONSE at the timeout; late answers ignored', () => {
  const c = client({ timeoutMs: 3000 });
  const first = sends(c.allocate(1000))[0];
  const at: number[] = [];
  for (let guard = 0; guard < 20; guard++) {
    const t = c.nextTimer();
    if (t === null) break;
    const out = c.handleTimer(t);
    for (const b of sends(out)) {
      assert.deepEqual(b, first, 'the same bytes again');
      at.push(t);
    }
    if (out.some((o) => o.type === 'failed')) {
      const e = failure(out);
      assert.equal(e.code, 'TURN_NO_RESPONSE');
      assert.equal(e.message, 'the TURN server did not answer within 3000 ms');
      assert.equal(t, 4000);
    }
  }
  assert.deepEqual(at, [1250, 1750, 2750], 'sends 2-4 at 250, 750 and 1750 ms');
  assert.equal(c.state, 'failed');
  assert.equal(c.nextTimer(), null);
  assert.deepEqual(c.receive(challenge(decodeMessage(first)), 4100), [], 'an answer after the timeout is ignored');
  // An early tick does nothing.
  const d = client();
  d.allocate(0);
  assert.deepEqual(d.handleTimer(100), []);
});

test('TCP/TLS (reliable): one send per request, only the timeout timer; ChannelData padded to 4 bytes', () => {
  const c = client({ reliable: true, timeoutMs: 2000 });
  c.allocate(0);
  assert.equal(c.nextTimer(), 2000);
  assert.deepEqual(sends(c.handleTimer(1999)), []);
  assert.equal(failure(c.handleTimer(2000)).code, 'TURN_NO_RESPONSE');

  const r = allocatedClient({ reliable: true });
  const bind = sent(r.bindChannel(PEER, 50));
  r.receive(ok(bind), 51);
  const [bytes] = sends(r.sendChannelData(FIRST_CHANNEL, Buffer.from('abcde')));
  assert.equal(bytes.length, 4 + 8, '5 bytes of data padded to 8');
  assert.deepEqual(decodeChannelData(bytes.subarray(0, 9)).data, Buffer.from('abcde'));
});

test('Send indication out, Data indication in: data from the peer; a garbled or data-less indication is dropped', () => {
  const c = allocatedClient();
  const [ind] = sends(c.sendIndication(PEER, Buffer.from('ping')));
  const m = decodeMessage(ind);
  assert.equal(m.method, Method.Send);
  assert.equal(m.cls, 'indication');
  assert.deepEqual(getXorAddress(m, Attr.XorPeerAddress), PEER);
  assert.deepEqual(getData(m), Buffer.from('ping'));
  assert.equal(getAttr(m, Attr.MessageIntegrity), undefined, 'indications carry no integrity');

  const data = (attrs: (tid: Buffer) => StunAttribute[]) => {
    const tid = Buffer.alloc(12, 3);
    return encodeMessage({ method: Method.Data, cls: 'indication', transactionId: tid, attributes: attrs(tid) });
  };
  assert.deepEqual(c.receive(data((tid) => [attr.xorAddress(Attr.XorPeerAddress, PEER, tid), attr.data(Buffer.from('pong'))]), 1), [
    { type: 'data', via: 'indication', peer: PEER, channel: null, data: Buffer.from('pong') },
  ]);
  assert.deepEqual(c.receive(data(() => [{ type: Attr.XorPeerAddress, value: Buffer.from([0, 9, 0, 0]) }, attr.data(Buffer.from('x'))]), 2), []);
  assert.deepEqual(c.receive(data((tid) => [attr.xorAddress(Attr.XorPeerAddress, PEER, tid)]), 3), []);
  assert.equal(c.ignored, 2);
});

test('ChannelBind -> channel-bound; ChannelData both ways; unknown channels dropped; a refused bind is typed and not fatal', () => {
  const c = allocatedClient();
  assert.throws(() => c.sendChannelData(FIRST_CHANNEL, Buffer.from('x')), /not bound/);
  const bind = sent(c.bindChannel(PEER, 10));
  assert.equal(bind.method, Method.ChannelBind);
  assert.equal(getChannelNumber(bind), FIRST_CHANNEL);
  assert.deepEqual(getXorAddress(bind, Attr.XorPeerAddress), PEER);
  assert.ok(verifyIntegrity(bind, KEY));
  assert.deepEqual(c.receive(ok(bind), 11), [{ type: 'channel-bound', channel: FIRST_CHANNEL, peer: PEER }]);
  assert.ok(c.isPermitted(PEER), 'a binding installs a permission');
  const [out] = sends(c.sendChannelData(FIRST_CHANNEL, Buffer.from('abcde')));
  assert.equal(out.length, 9, 'over UDP no padding');
  assert.deepEqual(c.receive(encodeChannelData(FIRST_CHANNEL, Buffer.from('back')), 12), [{ type: 'data', via: 'channel', peer: PEER, channel: FIRST_CHANNEL, data: Buffer.from('back') }]);
  assert.deepEqual(c.receiveChannelData(FIRST_CHANNEL + 1, Buffer.from('?')), []);
  assert.deepEqual(c.receive(Buffer.from([0x40, 0x00, 0x00, 0x09, 1]), 13), [], 'ChannelData shorter than it says');
  assert.equal(c.ignored, 2);

  const peer2: TransportAddress = { family: 6, address: '2001:db8::5', port: 7 };
  const bind2 = sent(c.bindChannel(peer2, 20, FIRST_CHANNEL + 1));
  const e = failure(c.receive(refuse(bind2, 400, 'Bad Request'), 21));
  assert.equal(e.code, 'TURN_CHANNEL_FAILED');
  assert.equal(e.class, 'bad-request');
  assert.equal(c.state, 'allocated');
  assert.deepEqual(c.receiveChannelData(FIRST_CHANNEL + 1, Buffer.from('?')), [], 'the refused channel is not bound');
  assert.throws(() => c.bindChannel(PEER, 22, 0x3fff), RangeError);
});

test('Refresh with lifetime 0 releases the allocation; its own timeout and send count', () => {
  const c = allocatedClient();
  const req = sent(c.refresh(0, 100, { timeoutMs: 300, maxSends: 1 }));
  assert.equal(req.method, Method.Refresh);
  assert.equal(getLifetime(req), 0);
  assert.ok(verifyIntegrity(req, KEY));
  assert.equal(c.nextTimer(), 400, 'one send: only the 300 ms timeout');
  assert.deepEqual(c.receive(answer(req, 'success', () => [attr.lifetime(0)], KEY), 150), [{ type: 'refreshed', lifetimeSec: 0 }]);
  assert.equal(c.state, 'released');

  const d = allocatedClient();
  sent(d.refresh(0, 100, { timeoutMs: 300, maxSends: 1 }));
  const e = failure(d.handleTimer(400));
  assert.equal(e.code, 'TURN_NO_RESPONSE');
  assert.equal(e.op, 'refresh');
  assert.equal(d.state, 'allocated', 'a lost Refresh does not end the allocation here');
});

test('misuse is a programming error: allocate twice, permission before the allocation', () => {
  const c = client();
  assert.throws(() => c.createPermission(PEER, 0), /needs an allocation \(state idle\)/);
  c.allocate(0);
  assert.throws(() => c.allocate(1), /allocate in state challenge/);
});

test('fuzz: 10 000 mutated answers never throw; the client either waits or fails with a typed error', () => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 10_000; i++) {
    const c = client();
    const first = sent(c.allocate(0));
    const second = sent(c.receive(challenge(first), 1));
    const base = i % 2 ? allocated(second) : refuse(second, 486, 'Allocation Quota Reached');
    const b = Buffer.from(base.subarray(0, rand(4) === 0 ? rand(base.length + 1) : base.length));
    for (let k = 1 + rand(4); k > 0 && b.length; k--) b[rand(b.length)] ^= 1 << rand(8);
    const out = c.receive(b, 2);
    const f = out.find((o) => o.type === 'failed');
    const tag = f && f.type === 'failed' ? f.error.code : (out[0]?.type ?? `waiting:${c.state}`);
    assert.ok(!f || f.type !== 'failed' || f.error instanceof TurnError);
    outcomes.set(tag, (outcomes.get(tag) ?? 0) + 1);
  }
  assert.ok((outcomes.get('TURN_PROTOCOL') ?? 0) > 0, JSON.stringify([...outcomes]));
  assert.ok((outcomes.get('waiting:authenticating') ?? 0) > 0, 'mangled headers are dropped');
  console.log(`fuzz outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
});
