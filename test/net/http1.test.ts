import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedDecoder, parseHead, proxyRefusalMarker } from '../../src/net/http1.js';
import { encodeClientFrame, FrameDecoder, wsAccept } from '../../src/net/ws-frame.js';

test('chunked decoding byte by byte', () => {
  const wire = Buffer.from('5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n');
  const d = new ChunkedDecoder();
  const out: Buffer[] = [];
  for (const b of wire) out.push(...d.push(Buffer.from([b])));
  assert.equal(Buffer.concat(out).toString(), 'hello world');
  assert.equal(d.done, true);
  const bad = new ChunkedDecoder();
  bad.push(Buffer.from('zz\r\n'));
  assert.equal(bad.error, 'bad chunk size');
});

test('parseHead and the middlebox markers', () => {
  const h = parseHead('HTTP/1.1 403 Forbidden\r\nServer: squid/6.13\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\nVia: 1.1 a\r\nVia: 1.1 b');
  assert.equal(h?.status, 403);
  assert.equal(h?.headers.via, '1.1 a, 1.1 b');
  assert.equal(proxyRefusalMarker(403, h!.headers), 'X-Squid-Error: ERR_ACCESS_DENIED 0');
  assert.equal(proxyRefusalMarker(403, { server: 'nginx' }), null); // the server's own 403
  assert.equal(proxyRefusalMarker(403, { 'x-netready-serve': '1', via: '1.1 squid' }), null);
  assert.equal(proxyRefusalMarker(403, { via: '1.1 fw' }), 'Via: 1.1 fw');
  assert.equal(proxyRefusalMarker(403, {}, '<html>Zscaler blocked this</html>'), 'block page mentions "Zscaler"');
  assert.equal(proxyRefusalMarker(200, { server: 'squid' }), null);
  assert.equal(parseHead('SSH-2.0-OpenSSH'), null);
});

test('WebSocket accept key (RFC 6455 example) and a masked frame decoded back', () => {
  assert.equal(wsAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  const f = encodeClientFrame(Buffer.from('x'.repeat(300)));
  const d = new FrameDecoder();
  const got = [...d.push(f.subarray(0, 3)), ...d.push(f.subarray(3))];
  assert.equal(got.length, 1);
  assert.equal(got[0].opcode, 1);
  assert.equal(got[0].payload.toString(), 'x'.repeat(300));
});
