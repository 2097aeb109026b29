// Regression tests for the abuse defects of issue 13 ("The probe as a product"), each against the
// real serve: a WebSocket client that never reads (the serve's memory stays bounded), one address
// opening 600 streams (others are still served), a 1 GiB body to a 405 route (closed after the
// answer), random SNI names (minting bounded), tokens tied to addresses and no UDP/STUN answer
// larger than its request. Figures (throughput, latency under load) are in `npm run bench`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startServe } from '../../src/serve/server.js';
import { browserPageModule } from '../../src/serve/browser-page.js';
import { mediaServeModule } from '../../src/serve/turn-creds.js';
import { MINT_BURST } from '../../src/serve/tls-certs.js';
import { encodeEchoRequest, parseChallenge } from '../../src/protocol/echo-token.js';
import { encodeMessage, Method, newTransactionId, attr } from '../../src/protocol/stun.js';
import { freePort } from '../support/proc.js';
import { holdStreams } from '../support/hold-streams.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function vmKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

test('a WebSocket client that never reads: the serve pauses it and closes it; its memory stays bounded (the real CLI)', { timeout: 60_000 }, async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--listen', '127.0.0.1:0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  for (let i = 0; i < 300 && !/running/.test(out); i++) await sleep(50);
  const port = Number(/https +127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  const ca = readFileSync(/\bca +(\S+)/.exec(out)![1], 'utf8');
  const rssBefore = vmKiB(child.pid!, 'VmRSS');
  const sock = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
  await new Promise<void>((r, j) => (sock.once('secureConnect', () => r()), sock.once('error', j)));
  sock.write(`GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await new Promise<void>((r) => sock.once('data', () => r()));
  sock.pause(); // never reads again
  const mask = randomBytes(4);
  const payload = Buffer.from(randomBytes(60 * 1024).map((b, i) => b ^ mask[i & 3]));
  const frame = Buffer.concat([Buffer.from([0x82, 0xfe, 0xf0, 0x00]), mask, payload]); // 61440-byte binary frames
  let sent = 0;
  let closed = false;
  sock.on('error', () => (closed = true));
  sock.on('close', () => (closed = true));
  const end = Date.now() + 6000;
  while (Date.now() < end && !closed) {
    if (!sock.write(frame)) {
      const drained = await Promise.race([new Promise<boolean>((r) => sock.once('drain', () => r(true))), sleep(1000).then(() => false)]);
      if (!drained) break; // the serve stopped reading: backpressure reached the client
    }
    sent += frame.length;
  }
  const peak = vmKiB(child.pid!, 'VmHWM');
  sock.destroy();
  // Before: the serve read everything (498 MiB in 10 s) and grew by ~500 MiB.
  assert.ok(sent < 64 * 2 ** 20, `the client pushed ${Math.round(sent / 2 ** 20)} MiB: the serve kept reading`);
  assert.ok(peak - rssBefore < 100 * 1024, `serve RSS grew from ${rssBefore} to a peak of ${peak} KiB`);
  console.log(`never-reading WebSocket client: pushed ${(sent / 2 ** 20).toFixed(1)} MiB, serve RSS ${Math.round(rssBefore / 1024)} -> peak ${Math.round(peak / 1024)} MiB`);
});

test('one address opening 600 streams: it gets its share (256) and 503s; another address is still served', { timeout: 60_000 }, async (t) => {
  const h = await startServe({ listen: [], httpListen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => h.close());
  const port = h.httpAddresses[0].port;
  const { codes, reqs } = await holdStreams(600, (cb) => http.get({ host: '127.0.0.1', port, path: '/x/event?idle=1', agent: false, localAddress: '127.0.0.80' }, cb));
  t.after(() => reqs.forEach((r) => r.destroy()));
  assert.deepEqual(Object.fromEntries(codes), { 200: 256, '503 Retry-After': 344 }, 'no resets: every refusal is a 503 with Retry-After');
  const other = await new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/other', agent: false, localAddress: '127.0.0.81' }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject);
  });
  assert.equal(other, 200);
  assert.equal(h.connections(), 256 + 0, 'the refused connections are gone');
});

test('a 1 GiB body to a 405 route: answered, then closed without reading on', { timeout: 60_000 }, async (t) => {
  const h = await startServe({ listen: [], httpListen: [{ host: '127.0.0.1', port: 0 }], modules: [browserPageModule()] });
  t.after(() => h.close());
  for (const path of ['/.netready/page', '/upload']) {
    const sock = net.connect(h.httpAddresses[0].port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    let status = '';
    let closed = false;
    sock.on('data', (d: Buffer) => (status ||= d.toString('latin1').split('\r\n')[0]));
    sock.on('error', () => (closed = true));
    sock.on('close', () => (closed = true));
    sock.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: ${2 ** 30}\r\n\r\n`);
    const chunk = Buffer.alloc(256 * 1024, 'x');
    let written = 0;
    const end = Date.now() + 20_000;
    while (!closed && written < 2 ** 30 && Date.now() < end) {
      if (!sock.write(chunk)) await Promise.race([new Promise((r) => sock.once('drain', r)), sleep(200)]);
      written += chunk.length;
    }
    sock.destroy();
    // Before: the 405 route read all 1024 MiB. Kernel socket buffers on loopback hold a few MiB.
    assert.ok(closed, `${path}: still open after ${written} bytes`);
    assert.ok(written < 64 * 2 ** 20, `${path}: the client wrote ${Math.round(written / 2 ** 20)} MiB before the close`);
    assert.equal(status, path === '/upload' ? 'HTTP/1.1 413 Payload Too Large' : 'HTTP/1.1 405 Method Not Allowed');
  }
});

test('random SNI names: minting is bounded (one key, a burst then the default certificate), the cache too', { timeout: 60_000 }, async (t) => {
  // A slow refill (1 a second) so the figure does not depend on how fast this machine is.
  const burst = 10;
  const h = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }], sniMint: { ratePerSec: 1, burst } });
  t.after(() => h.close());
  const t0 = Date.now();
  const cnFor = (servername: string) =>
    new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: h.addresses[0].port, servername, rejectUnauthorized: false }, () => {
        const cert = s.getPeerCertificate();
        s.destroy();
        resolve(String(cert.subject.CN));
      });
      s.on('error', reject);
    });
  const names = Array.from({ length: 60 }, () => `${randomBytes(5).toString('hex')}.example.test`);
  const cns = [];
  for (const n of names) cns.push(await cnFor(n));
  const minted = cns.filter((cn, i) => cn === names[i]).length;
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(minted >= burst && minted <= burst + Math.ceil(seconds) + 1, `minted ${minted} of ${names.length} in ${seconds} s`);
  assert.ok(MINT_BURST >= burst);
  assert.ok(cns.includes('localhost'), 'past the mint budget: the default certificate');
  // A minted name is served from the cache afterwards.
  assert.equal(await cnFor(names[0]), names[0]);
});

test('UDP: an echo token from another address gets only a challenge smaller than the request; STUN answers are never longer than the request (but the bounded bare case)', async (t) => {
  const echoPort = await freePort();
  const media = mediaServeModule({ stun: { host: '127.0.0.1', port: 0 }, echo: { host: '127.0.0.1', ports: [echoPort] } });
  const h = await startServe({ listen: [], httpListen: [{ host: '127.0.0.1', port: 0 }], modules: [media] });
  t.after(() => h.close());
  const tok = await new Promise<{ token: string; boundToken: string }>((resolve, reject) =>
    http.get({ host: '127.0.0.1', port: h.httpAddresses[0].port, path: '/.netready/udp-token', agent: false }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(JSON.parse(b)));
    }).on('error', reject),
  );
  const stunPort = Number(/stun +udp\+tcp 127\.0\.0\.1:(\d+)/.exec(h.moduleLines.join('\n'))?.[1]);
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.2', r)); // not the address that asked
  t.after(() => sock.close());
  const ask = async (pkt: Buffer, port: number) => {
    const got: Buffer[] = [];
    const on = (m: Buffer) => got.push(m);
    sock.on('message', on);
    sock.send(pkt, port, '127.0.0.1');
    await sleep(150);
    sock.off('message', on);
    return got;
  };
  for (const size of [43, 64, 300, 1200]) {
    const req = encodeEchoRequest(tok.token, size, 0, size);
    const got = await ask(req, echoPort);
    assert.equal(got.length, 1);
    assert.ok(parseChallenge(got[0]) && got[0].length < req.length, `a ${size}-byte request: a ${got[0].length}-byte challenge`);
    assert.deepEqual(await ask(encodeEchoRequest(tok.boundToken, size, 0, size), echoPort), [], 'a token bound to 127.0.0.1 is not answered at 127.0.0.2');
  }
  const larger: number[] = [];
  for (let pad = 0; pad <= 80; pad += 4) {
    const req = encodeMessage({ method: Method.Binding, cls: 'request', transactionId: newTransactionId(), attributes: pad ? [attr.software('p'.repeat(pad))] : [] });
    for (const r of await ask(req, stunPort)) if (r.length > req.length) larger.push(req.length);
  }
  assert.deepEqual(larger, [20, 28], 'only the bare request (and one 8 bytes longer) get the 32-byte minimum');
});
