// A tiny standalone WebSocket client for the selftest, run in the client namespace (no code of the
// product: node:tls and RFC 6455 framing by hand). It opens wss://HOST/PATH, checks the 101 and the
// Sec-WebSocket-Accept, sends a ping and waits for the pong, sends a text frame and watches whether
// anything comes back, and optionally waits for the server's Close frame. Prints one JSON line.
// Usage: ws-check.ts URL CAFILE [WAIT_CLOSE_S]

import tls from 'node:tls';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [url, caFile, waitCloseArg] = process.argv.slice(2);
if (!url || !caFile) {
  console.error('ws-check: usage: ws-check.ts wss://HOST/PATH CAFILE [WAIT_CLOSE_S]');
  process.exit(2);
}
const u = new URL(url);
const waitCloseS = Number(waitCloseArg ?? 0);
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode: number, payload: Buffer): Buffer {
  // client frames are masked (RFC 6455 5.3); payloads here are < 126 bytes
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, body]);
}

interface Frame {
  opcode: number;
  payload: Buffer;
  at: number;
}

const t0 = Date.now();
const out: Record<string, unknown> = { url };
const sock = tls.connect({ host: u.hostname, port: Number(u.port || 443), servername: u.hostname, ca: readFileSync(caFile), ALPNProtocols: ['http/1.1'] });
const hard = setTimeout(() => finish('timeout'), (waitCloseS + 15) * 1000);
let buf = Buffer.alloc(0);
let upgraded = false;
const frames: Frame[] = [];
let onFrame: (() => void) | null = null;

function finish(why: string): void {
  clearTimeout(hard);
  out.end = why;
  out.frames = frames.map((f) => ({ opcode: f.opcode, afterS: Math.round((f.at - t0) / 100) / 10 }));
  console.log(JSON.stringify(out));
  sock.destroy();
  process.exit(0);
}

function parseFrames(): void {
  for (;;) {
    if (buf.length < 2) return;
    let len = buf[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (buf.length < 4) return;
      len = buf.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (buf.length < 10) return;
      len = Number(buf.readBigUInt64BE(2));
      off = 10;
    }
    if (buf.length < off + len) return;
    frames.push({ opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len), at: Date.now() });
    buf = buf.subarray(off + len);
    onFrame?.();
  }
}

const waitFor = (pred: () => boolean, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (pred()) return resolve(true);
    const t = setTimeout(() => ((onFrame = null), resolve(false)), ms);
    onFrame = () => {
      if (pred()) {
        clearTimeout(t);
        onFrame = null;
        resolve(true);
      }
    };
  });

sock.on('error', (e) => ((out.error = e.message), finish('error')));
sock.on('close', () => finish('closed'));
sock.once('secureConnect', () => {
  out.issuer = sock.getPeerCertificate().issuer?.CN ?? null;
  const key = randomBytes(16).toString('base64');
  out.wantAccept = createHash('sha1').update(key + GUID).digest('base64');
  sock.write(
    `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://${u.host}\r\n\r\n`,
  );
});
sock.on('data', (d: Buffer) => {
  buf = Buffer.concat([buf, d]);
  if (!upgraded) {
    const i = buf.indexOf('\r\n\r\n');
    if (i < 0) return;
    const head = buf.subarray(0, i).toString('latin1').split('\r\n');
    buf = buf.subarray(i + 4);
    out.status = Number(head[0].split(' ')[1]);
    const h = Object.fromEntries(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    out.acceptOk = h['sec-websocket-accept'] === out.wantAccept;
    out.contentType = h['content-type'] ?? null;
    out.server = h['server'] ?? null;
    if (out.status !== 101) {
      out.body = buf.toString('utf8').slice(0, 200);
      return finish('no-upgrade');
    }
    upgraded = true;
    void afterUpgrade();
  }
  parseFrames();
});

async function afterUpgrade(): Promise<void> {
  const ping = Buffer.from(`nrl-ping-${randomBytes(3).toString('hex')}`);
  const tp = Date.now();
  sock.write(frame(9, ping));
  out.pong = await waitFor(() => frames.some((f) => f.opcode === 10 && f.payload.equals(ping)), 3000);
  if (out.pong) out.pongMs = Date.now() - tp;
  const text = Buffer.from(`nrl-text-${randomBytes(3).toString('hex')}`);
  const before = frames.length;
  sock.write(frame(1, text));
  await waitFor(() => frames.slice(before).some((f) => f.opcode === 1 || f.opcode === 2), 2000);
  out.textEchoed = frames.slice(before).some((f) => (f.opcode === 1 || f.opcode === 2) && f.payload.equals(text));
  out.dataFramesAfterText = frames.slice(before).filter((f) => f.opcode === 1 || f.opcode === 2).length;
  if (waitCloseS > 0) {
    const got = await waitFor(() => frames.some((f) => f.opcode === 8), waitCloseS * 1000);
    const c = frames.find((f) => f.opcode === 8);
    if (got && c) out.close = { code: c.payload.length >= 2 ? c.payload.readUInt16BE(0) : null, reason: c.payload.subarray(2).toString(), afterS: Math.round((c.at - t0) / 100) / 10 };
    else out.close = null;
  }
  finish('done');
}
