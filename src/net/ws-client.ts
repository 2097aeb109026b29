// A hand-written WebSocket client over a dialed socket: the upgrade request, the 101 and accept
// check; then either a ping that any server answers with a pong (RFC 6455 5.5.2: "Upon receipt of
// a Ping frame, an endpoint MUST send a Pong frame in response") — what a vendor's real server
// shows — or a masked text frame that must come back (netready serve, the probe, echoes).

import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { NetError } from '../shared/errors.js';
import { watchSocket } from './watch.js';
import { readHead, writeRequest, type ResponseHead } from './http1.js';
import { encodeClientFrame, FrameDecoder, wsAccept, wsKey, type WsFrame } from './ws-frame.js';

export interface WsOpened {
  head: ResponseHead;
  /** 101 with the right Sec-WebSocket-Accept. */
  upgraded: boolean;
  acceptOk: boolean;
  upgradeMs: number;
  decoder: FrameDecoder;
}

export interface WsCtx {
  signal: AbortSignal;
  now(): number;
  firstByteMs: number;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

export async function wsOpen(sock: Duplex, hostHeader: string, path: string, c: WsCtx, extraHeaders: Record<string, string> = {}): Promise<WsOpened> {
  const key = wsKey();
  const t0 = c.now();
  writeRequest(sock, {
    target: path,
    host: hostHeader,
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Version': '13',
      Origin: `https://${hostHeader}`,
      ...extraHeaders,
    },
  });
  const head = await readHead(sock, {
    timeoutMs: c.firstByteMs,
    signal: c.signal,
    timeoutError: () => new NetError('FIRST_BYTE_TIMEOUT', `no answer to the WebSocket upgrade of ${path} within ${c.firstByteMs} ms`, 'timeout'),
    closedError: () => new NetError('CONN_RESET', `the connection closed before an answer to the WebSocket upgrade of ${path}`, 'failed'),
  });
  const upgradeMs = r1(c.now() - t0);
  const acceptOk = head.headers['sec-websocket-accept'] === wsAccept(key);
  const decoder = new FrameDecoder(64 * 1024);
  return { head, upgraded: head.status === 101 && acceptOk, acceptOk, upgradeMs, decoder };
}

/**
 * Send one masked frame (opcode) carrying a fresh payload, then read the server's frames until
 * `judge` settles on one (a value, or null to keep reading). Null when nothing settled in time,
 * the connection ended, or the frames did not decode. The shared wait of wsEcho and wsPing.
 */
function wsRoundTrip<T>(sock: Duplex, opened: WsOpened, c: WsCtx, pending: Buffer, opcode: number, judge: (f: WsFrame, payload: Buffer, rttMs: number) => T | null): Promise<T | null> {
  const payload = Buffer.from(`netready-${randomBytes(6).toString('hex')}`);
  const t0 = c.now();
  return watchSocket<T | null>(sock, {
    signal: c.signal,
    timeoutMs: c.firstByteMs,
    pending,
    start(end) {
      try {
        sock.write(encodeClientFrame(payload, opcode));
      } catch {
        end(null);
      }
    },
    data(chunk, end) {
      for (const f of opened.decoder.push(chunk)) {
        const v = judge(f, payload, r1(c.now() - t0));
        if (v !== null) return end(v);
      }
      if (opened.decoder.error) end(null);
    },
    closed: () => null,
    timeout: () => null,
  });
}

/** A sentinel for "the connection is over": wsEcho ends with null on the server's Close. */
const CLOSED = Symbol('closed');

/**
 * Send one masked text frame and wait for the same payload back. Resolves the round trip in ms, or
 * null when nothing came back in time / the connection closed. Pings are answered, others ignored.
 */
export async function wsEcho(sock: Duplex, opened: WsOpened, c: WsCtx, pending: Buffer = opened.head.rest): Promise<number | null> {
  const got = await wsRoundTrip<number | typeof CLOSED>(sock, opened, c, pending, 1, (f, payload, rttMs) => {
    if (f.opcode === 9) sock.write(encodeClientFrame(f.payload, 10));
    if (f.opcode === 8) return CLOSED;
    return (f.opcode === 1 || f.opcode === 2) && f.payload.equals(payload) ? rttMs : null;
  });
  return got === CLOSED ? null : got;
}

/** What came back after a ping: the pong, another frame of the server's, or its Close. */
export interface WsPingAnswer {
  answer: 'pong' | 'frame' | 'close';
  rttMs: number;
}

/**
 * Send a masked ping and wait for the server's answer: its pong, or any frame it sends meanwhile
 * (a greeting, its Close) — each proves frames pass after the upgrade. Null when nothing came back
 * in time or the connection ended without a frame.
 */
export function wsPing(sock: Duplex, opened: WsOpened, c: WsCtx, pending: Buffer = opened.head.rest): Promise<WsPingAnswer | null> {
  return wsRoundTrip<WsPingAnswer>(sock, opened, c, pending, 9, (f, _payload, rttMs) => {
    if (f.opcode === 9) sock.write(encodeClientFrame(f.payload, 10));
    return { answer: f.opcode === 10 ? 'pong' : f.opcode === 8 ? 'close' : 'frame', rttMs };
  });
}

export function wsClose(sock: Duplex): void {
  // The far end may have ended the socket already (a proxy's idle cut): a write then emits EPIPE
  // asynchronously, which must not become an unhandled 'error' event.
  sock.on('error', () => {});
  try {
    if (sock.writable) sock.write(encodeClientFrame(Buffer.from([0x03, 0xe8]), 8));
  } catch {
    /* already gone */
  }
  sock.destroy();
}
