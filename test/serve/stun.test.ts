import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { startStunServer } from '../../src/serve/stun.js';
import { Attr, Method, decodeMessage, encodeMessage, getString, getXorAddress, hasFingerprint, newTransactionId, attr } from '../../src/protocol/stun.js';

function bindingReq(tid = newTransactionId()) {
  return encodeMessage({ method: Method.Binding, cls: 'request', transactionId: tid, attributes: [] });
}

/** A Binding request long enough (64 bytes) for the full answer. */
function paddedReq(tid = newTransactionId()) {
  return encodeMessage({ method: Method.Binding, cls: 'request', transactionId: tid, attributes: [attr.software('x'.repeat(32))] }, { fingerprint: true });
}

async function udpExchange(port: number, packets: Buffer[], waitMs = 300): Promise<Buffer[]> {
  const s = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  for (const p of packets) s.send(p, port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, waitMs));
  s.close();
  return got;
}

test('UDP binding: XOR-MAPPED-ADDRESS is the client address, with SOFTWARE and FINGERPRINT', async (t) => {
  const srv = await startStunServer({ host: '127.0.0.1', port: 0 });
  t.after(() => srv.close());
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  t.after(() => s.close());
  const tid = newTransactionId();
  const reply = new Promise<Buffer>((r) => s.once('message', r));
  s.send(paddedReq(tid), srv.port, '127.0.0.1');
  const m = decodeMessage(await reply);
  assert.equal(m.cls, 'success');
  assert.ok(m.transactionId.equals(tid));
  assert.deepEqual(getXorAddress(m, Attr.XorMappedAddress), { family: 4, address: '127.0.0.1', port: s.address().port });
  assert.equal(getString(m, Attr.Software), 'netready');
  assert.ok(hasFingerprint(m));
});

test('TCP binding on the same port, several requests on one stream', async (t) => {
  const srv = await startStunServer({ host: '127.0.0.1', port: 0 });
  t.after(() => srv.close());
  const sock = net.connect(srv.port, '127.0.0.1');
  t.after(() => sock.destroy());
  await new Promise((r) => sock.once('connect', r));
  const t1 = newTransactionId();
  const t2 = newTransactionId();
  let buf = Buffer.alloc(0);
  const done = new Promise<void>((resolve) =>
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 20 && buf.length >= 20 + buf.readUInt16BE(2) + 20) resolve();
    }),
  );
  const both = Buffer.concat([bindingReq(t1), bindingReq(t2)]);
  sock.write(both.subarray(0, 13));
  setTimeout(() => sock.write(both.subarray(13)), 20);
  await done;
  const len1 = 20 + buf.readUInt16BE(2);
  const m1 = decodeMessage(buf.subarray(0, len1));
  const m2 = decodeMessage(buf.subarray(len1));
  assert.ok(m1.transactionId.equals(t1) && m2.transactionId.equals(t2));
  assert.equal(getXorAddress(m1)!.port, sock.localPort);
});

test('garbage, non-binding methods, responses and indications get no answer', async (t) => {
  const srv = await startStunServer({ host: '127.0.0.1', port: 0 });
  t.after(() => srv.close());
  const tid = newTransactionId();
  const got = await udpExchange(srv.port, [
    Buffer.from('hello'),
    Buffer.alloc(200),
    encodeMessage({ method: Method.Allocate, cls: 'request', transactionId: tid, attributes: [attr.requestedTransport()] }),
    encodeMessage({ method: Method.Binding, cls: 'success', transactionId: tid, attributes: [] }),
    encodeMessage({ method: Method.Binding, cls: 'indication', transactionId: tid, attributes: [] }),
    Buffer.concat([bindingReq(), Buffer.alloc(4)]), // length lie
  ]);
  assert.equal(got.length, 0);
  assert.equal(srv.stats.answered, 0);
  // TCP garbage closes the connection.
  const sock = net.connect(srv.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  await new Promise((r) => sock.once('close', r));
});

test('per-source rate limit holds', async (t) => {
  const srv = await startStunServer({ host: '127.0.0.1', port: 0, ratePerSec: 10 });
  t.after(() => srv.close());
  const got = await udpExchange(srv.port, Array.from({ length: 100 }, () => paddedReq()), 400);
  // burst 20 + ~0.4 s x 10/s
  assert.ok(got.length >= 15 && got.length <= 30, `answered ${got.length} of 100`);
});

test('close() frees both sockets; abort signal closes too', async () => {
  const ac = new AbortController();
  const srv = await startStunServer({ host: '127.0.0.1', port: 0, signal: ac.signal });
  ac.abort();
  await new Promise((r) => setTimeout(r, 50));
  const again = await startStunServer({ host: '127.0.0.1', port: srv.port });
  await again.close();
});

test('UDP: no answer longer than its request, except the 32-byte answer to a bare 20-byte request (what Chromium sends), under its own tight bucket', async (t) => {
  const srv = await startStunServer({ host: '127.0.0.1', port: 0, ratePerSec: 1000 });
  t.after(() => srv.close());
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  t.after(() => s.close());
  const ask = (req: Buffer) =>
    new Promise<Buffer>((resolve) => {
      s.once('message', resolve);
      s.send(req, srv.port, '127.0.0.1');
    });
  for (const [req, want] of [
    [paddedReq(), 52], // the full answer (XOR-MAPPED-ADDRESS, SOFTWARE, FINGERPRINT) fits in 64 bytes
    [encodeMessage({ method: Method.Binding, cls: 'request', transactionId: newTransactionId(), attributes: [attr.software('abcdef')] }, { fingerprint: true }), 40], // 40 bytes: no SOFTWARE
    [encodeMessage({ method: Method.Binding, cls: 'request', transactionId: newTransactionId(), attributes: [] }, { fingerprint: true }), 32], // 28 bytes: the mapped address alone
    [bindingReq(), 32],
  ] as const) {
    const res = await ask(req);
    assert.equal(res.length, want, `a ${req.length}-byte request`);
    assert.equal(getXorAddress(decodeMessage(res), Attr.XorMappedAddress)?.port, s.address().port);
    if (req.length >= 32) assert.ok(res.length <= req.length, 'never longer than the request');
  }
  assert.equal(srv.stats.larger, 2, 'only the two requests shorter than 32 bytes got a longer answer');
  // A flood of bare requests from one source: the tight bucket (burst 10, 5/s).
  const got = await udpExchange(srv.port, Array.from({ length: 100 }, () => bindingReq()), 400);
  assert.ok(got.length <= 12, `bare requests answered ${got.length} of 100`);
});

test('TCP: 300 idle connections from one address do not keep another client out', async (t) => {
  const srv = await startStunServer({ host: '127.0.0.1', port: 0 });
  t.after(() => srv.close());
  const idle: net.Socket[] = [];
  t.after(() => idle.forEach((k) => k.destroy()));
  for (let i = 0; i < 300; i++) {
    const k = net.connect({ host: '127.0.0.1', port: srv.port, localAddress: '127.0.0.60' });
    k.on('error', () => {});
    idle.push(k);
  }
  await new Promise((r) => setTimeout(r, 300));
  const answered = await new Promise<boolean>((resolve) => {
    const k = net.connect({ host: '127.0.0.1', port: srv.port, localAddress: '127.0.0.61' }, () => k.write(paddedReq()));
    k.once('data', () => (k.destroy(), resolve(true)));
    k.on('error', () => resolve(false));
    setTimeout(() => resolve(false), 3000);
  });
  assert.equal(answered, true);
  assert.ok(srv.stats.tcpRefused >= 290, `refused ${srv.stats.tcpRefused} (8 per address)`);
});
