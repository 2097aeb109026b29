// The STUN binding responder of `netready serve` (RFC 8489): UDP and TCP on the same port.
// Answers only valid Binding requests, with XOR-MAPPED-ADDRESS + SOFTWARE + FINGERPRINT; anything
// else is dropped silently. Per-source token bucket; bounded TCP connections, each with an idle
// timeout and a framer that holds at most one message.
// Default port 3478: seed 000_637c892c7d775e13.txt "UDP 3478 (STUN/TURN)".

import dgram from 'node:dgram';
import net from 'node:net';
import { isIP } from 'node:net';
import {
  Attr,
  Method,
  StreamFramer,
  StunParseError,
  attr,
  decodeMessage,
  encodeMessage,
  looksLikeStun,
  type StunMessage,
} from '../protocol/stun.js';
import { RateLimiter } from './rate-limit.js';

export const STUN_DEFAULT_PORT = 3478; // seed 000: UDP 3478 (STUN/TURN)
export const STUN_SOFTWARE = 'netready';

export interface StunServerOptions {
  host: string;
  /** 0 = a random port free for both UDP and TCP. */
  port: number;
  signal?: AbortSignal;
  /** Per source address, requests per second (default 20, burst 40). */
  ratePerSec?: number;
  maxTcpConnections?: number;
  tcpIdleMs?: number;
}

export interface StunServer {
  host: string;
  port: number;
  /** Requests answered / dropped (for tests and the serve log). */
  stats: { answered: number; dropped: number };
  close(): Promise<void>;
}

/** Build the Binding success response for a request seen from `from` (pure). Null = ignore. */
export function bindingResponse(request: Buffer, from: { address: string; port: number }): Buffer | null {
  if (!looksLikeStun(request)) return null;
  let msg: StunMessage;
  try {
    msg = decodeMessage(request);
  } catch (e) {
    if (e instanceof StunParseError) return null;
    throw e;
  }
  if (msg.method !== Method.Binding || msg.cls !== 'request') return null;
  // Unknown attributes (ICE's PRIORITY etc.) are not an error for a plain binding responder.
  const address = from.address.startsWith('::ffff:') && isIP(from.address.slice(7)) === 4 ? from.address.slice(7) : from.address;
  const family = isIP(address) === 6 ? 6 : 4;
  return encodeMessage(
    {
      method: Method.Binding,
      cls: 'success',
      transactionId: msg.transactionId,
      attributes: [attr.xorAddress(Attr.XorMappedAddress, { family, address, port: from.port }, msg.transactionId), attr.software(STUN_SOFTWARE)],
    },
    { fingerprint: true },
  );
}

async function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  const type = isIP(host) === 6 ? 'udp6' : 'udp4';
  const sock = dgram.createSocket({ type, reuseAddr: false });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address: host, port, exclusive: true }, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  return sock;
}

async function listenTcp(srv: net.Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host, port, exclusive: true }, () => {
      srv.off('error', reject);
      resolve();
    });
  });
}

export async function startStunServer(opts: StunServerOptions): Promise<StunServer> {
  const limiter = new RateLimiter({ ratePerSec: opts.ratePerSec ?? 20, burst: (opts.ratePerSec ?? 20) * 2 });
  const stats = { answered: 0, dropped: 0 };
  const maxConns = opts.maxTcpConnections ?? 256;
  const idleMs = opts.tcpIdleMs ?? 30_000;
  const conns = new Set<net.Socket>();

  const tcp = net.createServer((sock) => {
    if (conns.size >= maxConns) {
      sock.destroy();
      return;
    }
    conns.add(sock);
    sock.setTimeout(idleMs, () => sock.destroy());
    const framer = new StreamFramer({ allowChannelData: false });
    sock.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = framer.push(chunk);
      } catch {
        stats.dropped++;
        sock.destroy();
        return;
      }
      // A client that sends over-long frames is held to one frame of buffer by the framer itself.
      for (const f of frames) {
        const res = f.kind === 'stun' && limiter.allow(sock.remoteAddress ?? '?', Date.now())
          ? bindingResponse(f.bytes, { address: sock.remoteAddress ?? '0.0.0.0', port: sock.remotePort ?? 0 })
          : null;
        if (res) {
          stats.answered++;
          sock.write(res);
        } else stats.dropped++;
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => conns.delete(sock));
  });
  tcp.maxConnections = maxConns;

  let udp: dgram.Socket | undefined;
  let port = opts.port;
  // Port 0: find a port free for both protocols (bounded attempts).
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      udp = await bindUdp(opts.host, port);
      port = udp.address().port;
      await listenTcp(tcp, opts.host, port);
      break;
    } catch (e) {
      udp?.close();
      udp = undefined;
      if (opts.port !== 0) throw e;
      port = 0;
    }
  }
  if (!udp) throw new Error(`could not bind STUN on ${opts.host} (UDP and TCP on one port)`);
  const u = udp;
  u.on('message', (msg, rinfo) => {
    if (!limiter.allow(rinfo.address, Date.now())) {
      stats.dropped++;
      return;
    }
    const res = bindingResponse(msg, rinfo);
    if (!res) {
      stats.dropped++;
      return;
    }
    stats.answered++;
    u.send(res, rinfo.port, rinfo.address);
  });
  u.on('error', () => {
    /* ICMP errors on send: ignore */
  });

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const s of conns) s.destroy();
    await Promise.all([new Promise<void>((r) => tcp.close(() => r())), new Promise<void>((r) => u.close(() => r()))]);
  };
  opts.signal?.addEventListener('abort', () => void close(), { once: true });
  return { host: opts.host, port, stats, close };
}
