// The tokened UDP echo of `netready serve`: one socket per port, answering only echo requests
// that carry a valid, unexpired token issued by this server (src/protocol/echo-token.ts), and only
// to a source that proved it receives packets at its address: a token bound to that address (its
// HTTPS request proved it), or the cookie of an earlier challenge. An unproven source gets a
// 24-byte challenge (smaller than any request: no amplification, and a spoofed victim gets less
// than the spoofer sent); echoes are exactly as long as their request. Per-source token buckets
// for echoes and for challenges. An echo on a public address answers no private, loopback,
// link-local or CGNAT source (address-scope.ts). Replies carry a different magic than requests, so
// echoes cannot ping-pong.
// Ports: seed 000_637c892c7d775e13.txt "UDP 1025–65535 (SRTP, preferred)"; seed
// 002_366555b85f8bab97.txt tests 1025, 50000, 65535.

import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { UsageError } from '../shared/errors.js';
import { echoReplyFor, encodeChallenge, issueCookie, parseEchoPacket, verifyCookie, verifyRaw, ECHO_MAX_BYTES } from '../protocol/echo-token.js';
import { randomBytes } from 'node:crypto';
import { RateLimiter } from './rate-limit.js';
import { mayAnswer } from './address-scope.js';

/** Most ports one list may expand to. */
export const MAX_ECHO_PORTS = 256;

/**
 * The default sample of UDP 1025-65535 (seed 000): low, middle and high ports, including the
 * edges and the ports seed 002's own test script probes (1025, 50000, 65535).
 */
export const DEFAULT_ECHO_PORTS: readonly number[] = [
  1025, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000, 16384, 20000, 25000, 30000, 32768, 35000, 40000,
  45000, 49152, 50000, 52000, 55000, 57000, 60000, 61000, 62000, 63000, 64000, 65000, 65534, 65535,
];

/** Parse `1025,5000,20000-20010,65535` -> sorted unique ports 1..65535; UsageError on bad input. */
export function parsePortList(text: string, what = '--udp-ports'): number[] {
  const s = String(text ?? '').trim();
  if (!s) throw new UsageError(`${what}: empty port list (expected e.g. 1025,5000,20000-20010,65535)`);
  if (s.length > 4096) throw new UsageError(`${what}: port list too long`);
  const out = new Set<number>();
  const num = (p: string): number => {
    if (!/^\d{1,5}$/.test(p)) throw new UsageError(`${what}: "${p}" is not a port number`);
    const n = Number(p);
    if (n < 1 || n > 65535) throw new UsageError(`${what}: port ${n} outside 1-65535`);
    return n;
  };
  for (const raw of s.split(',')) {
    const part = raw.trim();
    if (!part) throw new UsageError(`${what}: empty entry in "${s}"`);
    const m = /^([^-]+)-([^-]+)$/.exec(part);
    if (m) {
      const a = num(m[1].trim());
      const b = num(m[2].trim());
      if (b < a) throw new UsageError(`${what}: range ${part} runs backwards`);
      if (b - a + 1 > MAX_ECHO_PORTS) throw new UsageError(`${what}: range ${part} has ${b - a + 1} ports, at most ${MAX_ECHO_PORTS}`);
      for (let p = a; p <= b; p++) out.add(p);
    } else out.add(num(part));
    if (out.size > MAX_ECHO_PORTS) throw new UsageError(`${what}: more than ${MAX_ECHO_PORTS} ports`);
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * Packets per second echoed per proven source (the quality train's rate; announced in
 * /.netready/udp-token as boundRatePerSec so the client paces below it). No amplifier: the source
 * proved it receives there (a bound token issued over HTTPS to that address, or a cookie), and
 * every echo is exactly as long as its request, sent only to that source.
 */
export const BOUND_ECHO_RATE_PER_SEC = 3000;

export interface UdpEchoOptions {
  host: string;
  /** Ports to bind; 0 = a random port (tests). */
  ports: readonly number[];
  secret: string | Buffer;
  signal?: AbortSignal;
  /** Per source address, cookie challenges per second (default 100, burst 200). */
  ratePerSec?: number;
  burst?: number;
  /**
   * Per proven source (return routability: a bound token or a cookie): the quality train's rate
   * (default BOUND_ECHO_RATE_PER_SEC, burst half of it; at most 8 x that over all sources).
   * Echoes are still never longer than requests.
   */
  boundRatePerSec?: number;
  boundBurst?: number;
  /** Injectable wall clock (token expiry is wall-clock time). */
  now?: () => number;
}

export interface UdpEcho {
  host: string;
  /** Ports bound (in order of the request; random ones resolved). */
  ports: number[];
  /** Ports that could not be bound, with the reason. */
  failed: { port: number; error: string }[];
  stats: { answered: number; challenged: number; dropped: number; bytesIn: number; bytesOut: number };
  close(): Promise<void>;
}

export async function startUdpEcho(opts: UdpEchoOptions): Promise<UdpEcho> {
  if (opts.ports.length > MAX_ECHO_PORTS) throw new UsageError(`--udp-ports: more than ${MAX_ECHO_PORTS} ports`);
  const rate = opts.ratePerSec ?? 100;
  const limiter = new RateLimiter({ ratePerSec: rate, burst: opts.burst ?? rate * 2 });
  const boundRate = opts.boundRatePerSec ?? BOUND_ECHO_RATE_PER_SEC;
  const boundLimiter = new RateLimiter({ ratePerSec: boundRate, burst: opts.boundBurst ?? boundRate / 2, maxSources: 256, globalPerSec: boundRate * 8 });
  const now = opts.now ?? Date.now;
  const stats = { answered: 0, challenged: 0, dropped: 0, bytesIn: 0, bytesOut: 0 };
  const cookieSecret = randomBytes(32);
  const type = isIP(opts.host) === 6 ? 'udp6' : 'udp4';
  const sockets: dgram.Socket[] = [];
  const ports: number[] = [];
  const failed: { port: number; error: string }[] = [];

  const onMessage = (sock: dgram.Socket) => (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    stats.bytesIn += msg.length;
    if (msg.length > ECHO_MAX_BYTES) return void stats.dropped++;
    const pkt = parseEchoPacket(msg);
    if (!pkt || pkt.reply) return void stats.dropped++;
    const source = rinfo.address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    if (!mayAnswer(opts.host, source)) return void stats.dropped++; // a public echo never answers into a private range
    const t = now();
    if (!verifyRaw(opts.secret, pkt.token, t, source).ok) return void stats.dropped++;
    const bound = (pkt.token[1] & 1) === 1; // verified against this very source address
    const proven = bound || (pkt.cookie !== null && verifyCookie(cookieSecret, pkt.cookie, source, rinfo.port, t));
    if (!proven) {
      // Return routability first: a challenge smaller than the request, to this source only.
      if (!limiter.allow(source, t)) return void stats.dropped++;
      const challenge = encodeChallenge(pkt.seq, issueCookie(cookieSecret, source, rinfo.port, t));
      if (challenge.length >= msg.length) return void stats.dropped++; // never amplify (cannot happen)
      stats.challenged++;
      stats.bytesOut += challenge.length;
      sock.send(challenge, rinfo.port, rinfo.address);
      return;
    }
    if (!boundLimiter.allow(source, t)) return void stats.dropped++;
    const reply = echoReplyFor(msg);
    if (reply.length > msg.length) return void stats.dropped++; // never amplify (cannot happen)
    stats.answered++;
    stats.bytesOut += reply.length;
    sock.send(reply, rinfo.port, rinfo.address);
  };

  for (const port of opts.ports) {
    const sock = dgram.createSocket({ type });
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind({ address: opts.host, port, exclusive: true }, () => {
          sock.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      failed.push({ port, error: (e as NodeJS.ErrnoException).code ?? String(e) });
      try {
        sock.close();
      } catch {
        /* never bound */
      }
      continue;
    }
    sock.on('error', () => {
      /* ICMP port unreachable on send etc. */
    });
    sock.on('message', onMessage(sock));
    sockets.push(sock);
    ports.push(sock.address().port);
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
  if (sockets.length === 0 && opts.ports.length > 0)
    throw new Error(`UDP echo: no port could be bound on ${opts.host} (${failed.map((f) => `${f.port} ${f.error}`).join(', ')})`);
  opts.signal?.addEventListener('abort', () => void close(), { once: true });
  return { host: opts.host, ports, failed, stats, close };
}
