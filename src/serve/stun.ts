// The STUN binding responder of `netready serve` (RFC 8489): UDP and TCP on the same port.
// Answers only valid Binding requests, with XOR-MAPPED-ADDRESS (+ FINGERPRINT + SOFTWARE when
// they fit); anything else is dropped silently.
//
// Amplification: over UDP the answer is cut to the request's size (FINGERPRINT and SOFTWARE are
// left out when they do not fit). The one answer that cannot fit is XOR-MAPPED-ADDRESS alone (32
// bytes for IPv4, 44 for IPv6) to a request shorter than that — and that is what browsers send:
// Chromium gathers its server-reflexive candidate with a bare 20-byte Binding request (measured:
// issue 13). Those get the 32/44-byte answer under their own tight bucket (SMALL_PER_SOURCE per
// source, SMALL_GLOBAL in all, per second): at most SMALL_GLOBAL x 44 bytes/s (8.8 KB/s) more than
// the requests, at 1.6x (IPv4) / 2.2x (IPv6). Everything longer is never amplified.
//
// A responder on a public address answers no private, loopback, link-local or CGNAT source over
// UDP (address-scope.ts). Per-source token bucket; TCP: bounded connections, at most maxTcpPerAddress from one address,
// and when full the least recently active connection makes room; each with a first-message and an
// idle timeout, and a framer that holds at most one message.
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
import { Admission } from './admission.js';
import { mayAnswer } from './address-scope.js';

export const STUN_DEFAULT_PORT = 3478; // seed 000: UDP 3478 (STUN/TURN)
export const STUN_SOFTWARE = 'netready';
/** Answers larger than their request (bare Binding requests), per source and in all, per second. */
export const SMALL_PER_SOURCE = 5;
export const SMALL_GLOBAL = 200;

export interface StunServerOptions {
  host: string;
  /** 0 = a random port free for both UDP and TCP. */
  port: number;
  signal?: AbortSignal;
  /** Per source address, requests per second (default 20, burst 40). */
  ratePerSec?: number;
  maxTcpConnections?: number;
  maxTcpPerAddress?: number;
  /** A TCP connection must send its first message within this (default 5 000 ms). */
  tcpFirstMessageMs?: number;
  tcpIdleMs?: number;
}

export interface StunServer {
  host: string;
  port: number;
  /** Requests answered / dropped; answers larger than their request (bare requests, see above). */
  stats: { answered: number; dropped: number; larger: number; tcpRefused: number; tcpEvicted: number };
  close(): Promise<void>;
}

/**
 * Build the Binding success response for a request seen from `from` (pure). Null = ignore. With
 * `fitTo`, FINGERPRINT and then SOFTWARE are left out until the answer fits (XOR-MAPPED-ADDRESS
 * always stays: it may still be longer than `fitTo`).
 */
export function bindingResponse(request: Buffer, from: { address: string; port: number }, o: { fitTo?: number } = {}): Buffer | null {
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
  const mapped = attr.xorAddress(Attr.XorMappedAddress, { family, address, port: from.port }, msg.transactionId);
  const build = (software: boolean, fingerprint: boolean) =>
    encodeMessage({ method: Method.Binding, cls: 'success', transactionId: msg.transactionId, attributes: software ? [mapped, attr.software(STUN_SOFTWARE)] : [mapped] }, { fingerprint });
  const fit = o.fitTo ?? Infinity;
  for (const [software, fingerprint] of [[true, true], [false, true]] as const) {
    const b = build(software, fingerprint);
    if (b.length <= fit) return b;
  }
  return build(false, false);
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
  const small = new RateLimiter({ ratePerSec: SMALL_PER_SOURCE, burst: SMALL_PER_SOURCE * 2, globalPerSec: SMALL_GLOBAL });
  const stats = { answered: 0, dropped: 0, larger: 0, tcpRefused: 0, tcpEvicted: 0 };
  const idleMs = opts.tcpIdleMs ?? 30_000;
  const firstMs = opts.tcpFirstMessageMs ?? 5_000;
  // Refused TCP connections are reset (STUN has no way to say "busy"); when full, the least
  // recently active connection makes room.
  const admission = new Admission({ maxConnections: opts.maxTcpConnections ?? 256, maxPerAddress: opts.maxTcpPerAddress ?? 8, refusalSlots: 0 });

  const tcp = net.createServer((sock) => {
    sock.on('error', () => sock.destroy());
    admission.admit(sock);
    stats.tcpRefused = admission.stats.reset;
    stats.tcpEvicted = admission.stats.evicted;
    if (sock.destroyed) return;
    sock.setTimeout(firstMs, () => sock.destroy());
    const framer = new StreamFramer({ allowChannelData: false });
    sock.on('data', (chunk: Buffer) => {
      sock.setTimeout(idleMs);
      admission.idle(sock); // the most recently active: the last to make room
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
  });

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
    const now = Date.now();
    if (!mayAnswer(opts.host, rinfo.address)) return void stats.dropped++; // a public responder never answers into a private range
    if (!limiter.allow(rinfo.address, now)) return void stats.dropped++;
    const res = bindingResponse(msg, rinfo, { fitTo: msg.length });
    if (!res) return void stats.dropped++;
    if (res.length > msg.length) {
      // A bare request (browsers): the smallest answer there is, under the tight bucket.
      if (!small.allow(rinfo.address, now)) return void stats.dropped++;
      stats.larger++;
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
    for (const s of admission.all()) s.destroy();
    await Promise.all([new Promise<void>((r) => tcp.close(() => r())), new Promise<void>((r) => u.close(() => r()))]);
  };
  opts.signal?.addEventListener('abort', () => void close(), { once: true });
  return { host: opts.host, port, stats, close };
}
