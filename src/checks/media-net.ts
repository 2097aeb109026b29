// Network plumbing shared by the media checks (stun.binding, turn.allocate, udp.range):
// a STUN/TURN transport over UDP or a stream (TCP, TLS, a CONNECT tunnel) with request/response
// matching and bounded retransmission, and a small JSON fetch from the --probe server.

import dgram from 'node:dgram';
import net from 'node:net';
import { abortError, NetError } from '../shared/errors.js';
import type { RunConfig } from '../shared/config.js';
import type { CheckContext } from './types.js';
import { resolveHost, type DialContext } from '../net/dial.js';
import type { ProxyResolver } from '../net/proxy.js';
import { probeGet } from '../net/probe-client.js';
import { mapEndpoint } from '../net/endpoint.js';
import { StreamFramer, StunParseError, decodeMessage, decodeChannelData, isChannelData, looksLikeStun, type StunMessage } from '../protocol/stun.js';

export const r1 = (n: number) => Math.round(n * 10) / 10;

export type MediaTransportKind = 'udp' | 'tcp' | 'tls';

/** Parse `udp:HOST:PORT`, `tcp:HOST:PORT`, `turn:tls:HOST:PORT`, with [v6] literals. */
export function parseMediaTarget(target: string): { kind: MediaTransportKind; host: string; port: number } | null {
  const m = /^(?:turn:)?(udp|tcp|tls):(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(target);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { kind: m[1] as MediaTransportKind, host: m[2].replace(/^\[|\]$/g, '').toLowerCase(), port };
}

export function formatHostPort(host: string, port: number): string {
  return `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** Sleep that ends early on abort (no rejection). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

interface Pending {
  resolve(m: StunMessage): void;
  reject(e: unknown): void;
}

/**
 * A STUN/TURN message pipe. `request` matches responses by transaction id; everything else
 * (indications, ChannelData) goes to the listeners. Malformed input is counted and dropped on
 * UDP; on a stream it ends the transport (a stream cannot resynchronise).
 */
export class StunTransport {
  readonly kind: MediaTransportKind;
  private pending = new Map<string, Pending>();
  private closed = false;
  private failure: NetError | null = null;
  readonly indications: ((m: StunMessage) => void)[] = [];
  readonly channelData: ((channel: number, data: Buffer) => void)[] = [];
  /**
   * When set, every datagram (UDP) and every frame cut from the stream goes here undecoded, instead
   * of to request matching and the listeners: for a sans-I/O client that parses its own input
   * (src/protocol/turn-client.ts). A stream's framing errors still end the transport.
   */
  sink: ((f: { kind: 'bytes'; bytes: Buffer } | { kind: 'channel'; channel: number; data: Buffer }) => void) | null = null;
  /** Called once when the transport fails or closes (with why). */
  readonly failures: ((e: NetError) => void)[] = [];
  /** Malformed datagrams seen (UDP). */
  garbage = 0;

  private constructor(
    kind: MediaTransportKind,
    private readonly sendRaw: (b: Buffer) => void,
    private readonly closeRaw: () => void,
  ) {
    this.kind = kind;
  }

  /** A connected UDP socket to address:port. */
  static async udp(address: string, port: number, signal: AbortSignal): Promise<StunTransport> {
    const sock = await connectUdp(address, port);
    const t = new StunTransport(
      'udp',
      (b) => sock.send(b),
      () => {
        try {
          sock.close();
        } catch {
          /* closed */
        }
      },
    );
    sock.on('message', (b) => t.onDatagram(b));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      // A connected UDP socket reports ICMP port unreachable as ECONNREFUSED.
      if (e.code === 'ECONNREFUSED') t.fail(new NetError('UDP_UNREACHABLE', `UDP to ${formatHostPort(address, port)}: port unreachable (ICMP)`, 'failed'));
    });
    const onAbort = () => t.fail(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('close', () => signal.removeEventListener('abort', onAbort));
    return t;
  }

  /** Over a connected stream (TCP, TLS, a CONNECT tunnel). */
  static stream(sock: net.Socket, kind: 'tcp' | 'tls', signal: AbortSignal): StunTransport {
    const t = new StunTransport(
      kind,
      (b) => sock.write(b),
      () => sock.destroy(),
    );
    const framer = new StreamFramer();
    sock.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = framer.push(chunk);
      } catch (e) {
        t.fail(new NetError('TURN_PROTOCOL', `the server sent bytes that are not STUN/TURN framing (${e instanceof StunParseError ? e.code : 'error'})`, 'failed'));
        return;
      }
      for (const f of frames) {
        if (t.sink) t.sink(f.kind === 'channel' ? f : { kind: 'bytes', bytes: f.bytes });
        else if (f.kind === 'channel') t.channelData.forEach((cb) => cb(f.channel, f.data));
        else t.onStun(f.bytes);
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => t.fail(new NetError(e.code === 'ECONNRESET' ? 'CONN_RESET' : 'CONN_ERROR', `connection error: ${e.code ?? e.message}`, 'failed')));
    sock.on('close', () => t.fail(new NetError('CONN_CLOSED', 'the server closed the connection', 'failed')));
    sock.resume();
    const onAbort = () => t.fail(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('close', () => signal.removeEventListener('abort', onAbort));
    return t;
  }

  private onDatagram(b: Buffer): void {
    if (this.sink) return this.sink({ kind: 'bytes', bytes: b });
    if (isChannelData(b)) {
      try {
        const cd = decodeChannelData(b);
        this.channelData.forEach((cb) => cb(cd.channel, cd.data));
      } catch {
        this.garbage++;
      }
      return;
    }
    if (!looksLikeStun(b)) {
      this.garbage++;
      return;
    }
    this.onStun(b);
  }

  private onStun(b: Buffer): void {
    let m: StunMessage;
    try {
      m = decodeMessage(b);
    } catch (e) {
      if (!(e instanceof StunParseError)) throw e;
      this.garbage++;
      return;
    }
    if (m.cls === 'success' || m.cls === 'error') {
      const key = m.transactionId.toString('hex');
      const p = this.pending.get(key);
      if (p) {
        this.pending.delete(key);
        p.resolve(m);
      }
      return;
    }
    if (m.cls === 'indication') this.indications.forEach((cb) => cb(m));
  }

  fail(e: NetError): void {
    if (this.failure) return;
    this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.close();
    for (const cb of this.failures.splice(0)) cb(e);
  }

  get error(): NetError | null {
    return this.failure;
  }

  send(b: Buffer): void {
    if (this.failure) throw this.failure;
    if (!this.closed) this.sendRaw(b);
  }

  /**
   * Send a request and wait for its response. Over UDP it is retransmitted at rtoMs, 2 x rtoMs ...
   * (at most maxSends times); the whole wait is bounded by timeoutMs.
   */
  request(bytes: Buffer, transactionId: Buffer, o: { timeoutMs: number; rtoMs?: number; maxSends?: number; signal: AbortSignal; timeoutError: () => NetError }): Promise<StunMessage> {
    if (this.failure) return Promise.reject(this.failure);
    const key = transactionId.toString('hex');
    return new Promise<StunMessage>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let retx: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        clearTimeout(retx);
        this.pending.delete(key);
        o.signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(abortError(o.signal));
      };
      if (o.signal.aborted) return onAbort();
      this.pending.set(key, {
        resolve: (m) => {
          done();
          resolve(m);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      o.signal.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => {
        done();
        reject(o.timeoutError());
      }, o.timeoutMs);
      let sends = 0;
      let rto = o.rtoMs ?? 250;
      const max = this.kind === 'udp' ? (o.maxSends ?? 4) : 1;
      const fire = () => {
        if (!this.pending.has(key)) return;
        try {
          this.send(bytes);
        } catch (e) {
          done();
          reject(e);
          return;
        }
        sends++;
        if (sends < max) {
          retx = setTimeout(fire, rto);
          rto *= 2;
        }
      };
      fire();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeRaw();
    if (!this.failure) this.fail(new NetError('CLOSED', 'transport closed', 'failed'));
  }
}

/** The first address of HOST (honours --resolve). */
export async function resolveFirst(host: string, port: number, ctx: DialContext): Promise<{ address: string; port: number; resolveMs: number }> {
  const ep = mapEndpoint(ctx.config as Pick<RunConfig, 'connectTo' | 'resolve'>, host, port);
  const res = await resolveHost(ep.host, ctx);
  const v4 = res.addresses.find((a) => net.isIPv4(a));
  return { address: v4 ?? res.addresses[0], port: res.port ?? ep.port, resolveMs: res.resolveMs };
}

/**
 * GET a JSON document from the --probe server the way a browser fetches it (directly, or through
 * the proxy that applies to the probe's URL; an intercepting middlebox is carried on through). A
 * failure is the probe's, not the media path's: PROBE_UNREACHABLE / PROBE_TIMEOUT with the
 * dialer's code in details.cause, so the verdict reads the media row as not verified.
 */
export async function probeJson(
  config: RunConfig,
  path: string,
  timeoutMs: number,
  signal: AbortSignal,
  proxy?: ProxyResolver,
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  if (!config.probe) throw new NetError('PROBE_MISSING', 'no --probe given', 'failed');
  if (signal.aborted) throw abortError(signal);
  try {
    return await probeGet(config, path, { timeoutMs, signal, proxy });
  } catch (e) {
    if (signal.aborted) throw abortError(signal);
    if (!(e instanceof NetError)) throw e;
    const kind = e.kind === 'timeout' ? 'timeout' : 'failed';
    const code = kind === 'timeout' ? 'PROBE_TIMEOUT' : 'PROBE_UNREACHABLE';
    throw new NetError(code, `the probe ${config.probe} did not answer ${path}: ${e.message}`, kind, { cause: e.code, probeFault: true });
  }
}

/** The probe's host name (lower case, no brackets), or null. */
export function probeHostName(config: RunConfig): string | null {
  if (!config.probe) return null;
  try {
    return new URL(config.probe).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return null;
  }
}

/** A host for a target string: [v6] literals bracketed. */
export function targetHost(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

/** Majority of n: at least floor(n/2)+1. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Short-lived TURN credentials as the probe hands them out (coturn use-auth-secret). */
export interface TurnCreds {
  username: string;
  credential: string;
  urls: string[];
}

/**
 * GET /.netready/turn from the probe (through the applicable proxy): the credentials, or a skip
 * reason when the probe offers none; a malformed answer is PROBE_PROTOCOL.
 */
export async function fetchTurnCreds(ctx: CheckContext): Promise<TurnCreds | { skip: string }> {
  const res = await probeJson(ctx.config, '/.netready/turn', ctx.timeouts.firstByteMs, ctx.signal, ctx.proxy);
  if (res.status === 404) return { skip: 'the probe hands out no TURN credentials (serve without --turn-url/--turn-secret)' };
  const b = res.body ?? {};
  const creds: TurnCreds = {
    username: typeof b.username === 'string' ? b.username : '',
    credential: typeof b.credential === 'string' ? b.credential : '',
    urls: Array.isArray(b.urls) ? b.urls.filter((u): u is string => typeof u === 'string') : [],
  };
  if (res.status !== 200 || !creds.username || !creds.credential)
    throw new NetError('PROBE_PROTOCOL', `the probe answered /.netready/turn with HTTP ${res.status} and no credentials`, 'failed');
  return creds;
}

/** A UDP socket connected to address:port (so ICMP unreachable surfaces as ECONNREFUSED). */
export async function connectUdp(address: string, port: number): Promise<dgram.Socket> {
  const sock = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.connect(port, address, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  return sock;
}
