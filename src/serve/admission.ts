// Which TCP connections `netready serve` takes: at most maxConnections in all and maxPerAddress
// from one client address (an IPv6 client counts by its /64). When the serve is full, the
// connection that has waited longest without a request in progress (a slow-header client, or an
// idle keep-alive one) makes room; when none can, and for an address over its share, the new
// connection is answered — an HTTP 503 with Retry-After on its first request (a bounded number of
// such answers at once, each within refusalMs) — instead of a silent reset.

import type net from 'node:net';
import { isIPv6 } from 'node:net';

export interface AdmissionOptions {
  maxConnections: number;
  maxPerAddress: number;
  /** Refused connections held at once to answer them 503 (beyond: reset). */
  refusalSlots?: number;
  /** A refused connection is closed after this, answered or not. */
  refusalMs?: number;
}

export type Refusal = 'address' | 'busy';
type State = 'new' | 'busy' | 'idle' | 'stream';

interface Conn {
  raw: net.Socket;
  addr: string;
  state: State;
  refused: Refusal | null;
}

export interface AdmissionStats {
  admitted: number;
  refusedAddress: number;
  refusedBusy: number;
  /** Connections without a request in progress closed to make room. */
  evicted: number;
  /** Refused with a reset (every refusal slot taken). */
  reset: number;
}

/** The per-address key: IPv4 as is, IPv6 by its /64 (one client's usual share). */
export function addressKey(remote: string | undefined): string {
  const a = (remote ?? '?').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').toLowerCase();
  if (!isIPv6(a)) return a;
  const [head, tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The raw TCP socket under a TLS socket (Node keeps it as _parent), or the socket itself. */
export function rawSocketOf(s: net.Socket): net.Socket {
  return (s as net.Socket & { _parent?: net.Socket | null })._parent ?? s;
}

export class Admission {
  private readonly conns = new Map<net.Socket, Conn>();
  /** Admitted connections without a request in progress, oldest first (Map keeps insertion order). */
  private readonly evictable = new Map<Conn, true>();
  private readonly perAddr = new Map<string, number>();
  private readonly refusedConns = new Map<net.Socket, Conn>();
  readonly stats: AdmissionStats = { admitted: 0, refusedAddress: 0, refusedBusy: 0, evicted: 0, reset: 0 };
  private readonly refusalSlots: number;
  private readonly refusalMs: number;

  constructor(private readonly o: AdmissionOptions) {
    this.refusalSlots = o.refusalSlots ?? 64;
    this.refusalMs = o.refusalMs ?? 3_000;
  }

  /** Admitted connections open now. */
  get size(): number {
    return this.conns.size;
  }

  /** Connections open now from the address of `remote`. */
  fromAddress(remote: string): number {
    return this.perAddr.get(addressKey(remote)) ?? 0;
  }

  /** A new TCP connection: admitted, or marked refused (answered 503 on its first request), or reset. */
  admit(raw: net.Socket): void {
    const addr = addressKey(raw.remoteAddress);
    let refused: Refusal | null = null;
    if ((this.perAddr.get(addr) ?? 0) >= this.o.maxPerAddress) refused = 'address';
    else if (this.conns.size >= this.o.maxConnections && !this.evictOne()) refused = 'busy';
    const conn: Conn = { raw, addr, state: 'new', refused };
    if (refused) {
      if (this.refusedConns.size >= this.refusalSlots) {
        this.stats.reset++;
        raw.destroy();
        return;
      }
      if (refused === 'address') this.stats.refusedAddress++;
      else this.stats.refusedBusy++;
      this.refusedConns.set(raw, conn);
      const timer = setTimeout(() => raw.destroy(), this.refusalMs);
      timer.unref();
      raw.once('close', () => {
        clearTimeout(timer);
        this.refusedConns.delete(raw);
      });
      return;
    }
    this.stats.admitted++;
    this.conns.set(raw, conn);
    this.perAddr.set(addr, (this.perAddr.get(addr) ?? 0) + 1);
    this.evictable.set(conn, true);
    raw.once('close', () => {
      this.conns.delete(raw);
      this.evictable.delete(conn);
      const n = (this.perAddr.get(addr) ?? 1) - 1;
      if (n <= 0) this.perAddr.delete(addr);
      else this.perAddr.set(addr, n);
    });
  }

  private evictOne(): boolean {
    const oldest = this.evictable.keys().next();
    if (oldest.done) return false;
    this.evictable.delete(oldest.value);
    this.stats.evicted++;
    oldest.value.raw.destroy();
    return true;
  }

  private conn(s: net.Socket): Conn | undefined {
    const raw = rawSocketOf(s);
    return this.conns.get(raw) ?? this.refusedConns.get(raw);
  }

  /** Why this connection was refused (answer 503), or null when it was admitted. */
  refusal(s: net.Socket): Refusal | null {
    return this.conn(s)?.refused ?? null;
  }

  /** A request is in progress on the connection: it cannot be evicted. */
  busy(s: net.Socket): void {
    this.set(s, 'busy');
  }

  /** The connection waits for its next request (keep-alive): the oldest such may be evicted. */
  idle(s: net.Socket): void {
    this.set(s, 'idle');
  }

  /** The connection carries a stream (SSE, WebSocket) until it closes. */
  stream(s: net.Socket): void {
    this.set(s, 'stream');
  }

  private set(s: net.Socket, state: State): void {
    const c = this.conn(s);
    if (!c || c.refused || c.state === 'stream' || c.raw.destroyed) return;
    c.state = state;
    this.evictable.delete(c);
    if (state === 'idle' || state === 'new') this.evictable.set(c, true);
  }

  /** Every connection, admitted or refused (close()). */
  all(): net.Socket[] {
    return [...this.conns.keys(), ...this.refusedConns.keys()];
  }
}
