// The I/O side of a TURN session: src/protocol/turn-client.ts (sans-I/O) driven over a
// StunTransport (UDP, TCP, TLS, a CONNECT tunnel) with real timers and the run's AbortSignal.
// Used by turn.allocate (prove data crosses the relay) and quality.relay-train (a packet train
// over the bound channel). The conversation: Allocate (401 -> credentials -> retry, 438 retried),
// CreatePermission for the peer, a Send indication whose Data indication must come back,
// ChannelBind + ChannelData the same way, then Refresh with lifetime 0 to release.

import { NetError } from '../shared/errors.js';
import { EchoClient } from '../protocol/echo-token.js';
import type { TransportAddress } from '../protocol/stun.js';
import { FIRST_CHANNEL, TurnClient, type TurnError, type TurnOp, type TurnOutput } from '../protocol/turn-client.js';
import { formatHostPort, r1, sleep, type StunTransport } from './media-net.js';
import type { CheckContext } from './types.js';

/** Tries of the relayed round trip (the relay->peer leg is UDP even when we speak TCP/TLS). */
const RELAY_TRIES = 3;
const RELAY_SPACING_MS = 300;
/** Releasing the allocation at the end: best effort, not waited for long. */
const RELEASE_MS = 300;

export interface TurnSessionOptions {
  transport: StunTransport;
  creds: { username: string; credential: string };
  peer: TransportAddress;
  /** Echo token for the peer (a netready UDP echo); null for a plain echo peer. */
  token: string | null;
  ctx: CheckContext;
  timeoutMs: number;
  /**
   * Run with the relay ready, once ChannelBind worked (ChannelData to the peer and back): what
   * media would use. `relayed` is the relayed transport address the peer sees.
   */
  onChannel?: (io: TurnChannel) => Promise<void>;
}

/** ChannelData to and from the peer over an established TURN channel. */
export interface TurnChannel {
  relayed: TransportAddress;
  /** The echo peer's client state: requests carry the cookie the echo gave the relay's address. */
  echo: EchoClient | null;
  send(data: Buffer): void;
  /** Data from the peer; returns the unsubscribe. */
  listen(cb: (data: Buffer) => void): () => void;
}

export interface TurnSessionResult {
  allocateMs: number;
  relayRttMs: number;
  relayedBytes: number;
  relayed: string;
  mapped: string | null;
  lifetimeSec: number | null;
  realm: string;
  channelRttMs: number | null;
  software: string | null;
}

type DataOutput = Extract<TurnOutput, { type: 'data' }>;

const fmtAddr = (a: TransportAddress) => formatHostPort(a.address, a.port);

/** A TurnError as the checks report it (codes and messages as docs/evidence.md lists them). */
function netErrorOf(e: TurnError, tr: StunTransport): NetError {
  const details: Record<string, unknown> = e.stunError !== null ? { stunError: e.stunError } : {};
  if (e.code === 'TURN_NO_RESPONSE') return new NetError(e.code, e.message, tr.kind === 'udp' ? 'failed' : 'timeout');
  if (e.code === 'TURN_AUTH_FAILED') return new NetError(e.code, `the TURN server refused the credentials from the probe (401 ${e.reason})`, 'failed', details);
  if (e.code === 'TURN_PEER_FORBIDDEN' && e.peer) details.peer = fmtAddr(e.peer);
  return new NetError(e.code, e.message, 'failed', details);
}

interface Waiter {
  on(o: TurnOutput): void;
  fail(e: NetError): void;
}

/** Feeds a TurnClient from a StunTransport and a timer; its operations are promises. */
class TurnIo {
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly dataListeners = new Set<(d: DataOutput) => void>();
  private readonly onFailure = (e: NetError) => {
    clearTimeout(this.timer);
    for (const w of [...this.waiters]) w.fail(e);
  };

  constructor(
    readonly client: TurnClient,
    private readonly tr: StunTransport,
    private readonly now: () => number,
  ) {
    tr.sink = (f) => this.apply(f.kind === 'bytes' ? client.receive(f.bytes, now()) : client.receiveChannelData(f.channel, f.data));
    tr.failures.push(this.onFailure);
  }

  /** Outputs from input or a timer: a failed send ends the transport, whose failure ends the waits. */
  private apply(outs: TurnOutput[]): void {
    for (const o of outs) {
      if (o.type === 'send') {
        try {
          this.tr.send(o.bytes);
        } catch {
          /* the transport failed: onFailure has ended every wait */
        }
      } else if (o.type === 'data') this.dataListeners.forEach((cb) => cb(o));
      else for (const w of [...this.waiters]) w.on(o);
    }
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const at = this.client.nextTimer();
    if (at === null || this.tr.error) return;
    this.timer = setTimeout(() => this.apply(this.client.handleTimer(this.now())), Math.max(0, Math.ceil(at - this.now())));
  }

  /** Outputs of a call the session makes: a send on a failed transport throws its error. */
  send(outs: TurnOutput[]): void {
    for (const o of outs) if (o.type === 'send') this.tr.send(o.bytes);
  }

  /** Start one operation and wait for its outcome (`done` picks the success output). */
  op<T>(op: TurnOp, start: () => TurnOutput[], done: (o: TurnOutput) => T | undefined): Promise<T> {
    if (this.tr.error) return Promise.reject(this.tr.error);
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = {
        on: (o) => {
          if (o.type === 'failed' && o.op === op) {
            this.waiters.delete(w);
            reject(netErrorOf(o.error, this.tr));
            return;
          }
          const v = done(o);
          if (v !== undefined) {
            this.waiters.delete(w);
            resolve(v);
          }
        },
        fail: (e) => {
          this.waiters.delete(w);
          reject(e);
        },
      };
      this.waiters.add(w);
      let outs: TurnOutput[];
      try {
        outs = start();
        this.send(outs);
      } catch (e) {
        this.waiters.delete(w);
        reject(e);
        return;
      }
      this.apply(outs.filter((o) => o.type !== 'send'));
    });
  }

  /** Data from the peer; returns the unsubscribe. */
  listen(cb: (d: DataOutput) => void): () => void {
    this.dataListeners.add(cb);
    return () => this.dataListeners.delete(cb);
  }

  /** Stop driving: no timer, the transport back to its own dispatch. */
  detach(): void {
    clearTimeout(this.timer);
    this.client.close();
    this.tr.sink = null;
    const i = this.tr.failures.indexOf(this.onFailure);
    if (i >= 0) this.tr.failures.splice(i, 1);
  }
}

/** The TURN conversation over an open transport (exported for tests against real coturn). */
export async function turnSession(o: TurnSessionOptions): Promise<TurnSessionResult> {
  const { transport: tr, ctx } = o;
  const client = new TurnClient({ username: o.creds.username, password: o.creds.credential, reliable: tr.kind !== 'udp', timeoutMs: o.timeoutMs });
  const io = new TurnIo(client, tr, ctx.now);
  try {
    // 1-2. Allocate: without credentials -> 401 with REALM and NONCE -> with long-term credentials.
    const t0 = ctx.now();
    const allocation = await io.op('allocate', () => client.allocate(ctx.now()), (e) => (e.type === 'allocated' ? e.allocation : undefined));
    const allocateMs = r1(ctx.now() - t0);
    const { relayed } = allocation;
    try {
      // 3. Permission for the peer.
      await io.op('permission', () => client.createPermission(o.peer, ctx.now()), (e) => (e.type === 'permitted' ? true : undefined));
      // 4. Send indication -> peer echo -> Data indication.
      const trip = relayRoundTrip(o, io);
      const relayRtt = await trip.run(
        (seq) => io.send(client.sendIndication(o.peer, trip.payload(seq))),
        (d) => d.via === 'indication',
        1,
      );
      if (relayRtt === null)
        throw new NetError('TURN_NO_RELAY', `allocated ${fmtAddr(relayed)}, but nothing came back through the relay from the peer ${fmtAddr(o.peer)}`, 'failed', {
          relayed: fmtAddr(relayed),
          peer: fmtAddr(o.peer),
          allocateMs,
        });

      // 5. ChannelBind + ChannelData (what media uses); a failure here is recorded, not fatal.
      let channelRttMs: number | null = null;
      try {
        await io.op('channel-bind', () => client.bindChannel(o.peer, ctx.now(), FIRST_CHANNEL), (e) => (e.type === 'channel-bound' ? true : undefined));
        const rtt = await trip.run(
          (seq) => io.send(client.sendChannelData(FIRST_CHANNEL, trip.payload(seq))),
          (d) => d.via === 'channel' && d.channel === FIRST_CHANNEL,
          100,
        );
        channelRttMs = rtt === null ? null : r1(rtt);
      } catch (e) {
        if (!(e instanceof NetError) || e.code === 'DEADLINE_EXCEEDED') throw e;
      }
      if (o.onChannel) {
        if (channelRttMs === null)
          throw new NetError('TURN_NO_CHANNEL', `the relay ${fmtAddr(relayed)} carried a Send indication but not ChannelData (ChannelBind failed or nothing came back)`, 'failed');
        await o.onChannel({
          relayed,
          echo: trip.echo,
          send: (data) => io.send(client.sendChannelData(FIRST_CHANNEL, data)),
          listen: (cb) =>
            io.listen((d) => {
              if (d.via === 'channel' && d.channel === FIRST_CHANNEL) cb(d.data);
            }),
        });
        if (tr.error) throw tr.error;
      }

      return {
        allocateMs,
        relayRttMs: r1(relayRtt),
        relayedBytes: trip.bytesBack,
        relayed: fmtAddr(relayed),
        mapped: allocation.mapped ? fmtAddr(allocation.mapped) : null,
        lifetimeSec: allocation.lifetimeSec,
        realm: allocation.realm,
        channelRttMs,
        software: allocation.software,
      };
    } finally {
      // 6. Release the allocation (best effort, do not wait long).
      if (!tr.error)
        await io.op('refresh', () => client.refresh(0, ctx.now(), { timeoutMs: RELEASE_MS, maxSends: 1 }), (e) => (e.type === 'refreshed' ? true : undefined)).catch(() => undefined);
    }
  } finally {
    io.detach();
  }
}

/**
 * Echo round trips to the peer through the relay: up to RELAY_TRIES packets RELAY_SPACING_MS apart,
 * the last one waiting out the rest of timeoutMs; the first answer gives the RTT. `bytesBack`
 * counts the answers of every trip made with it.
 */
function relayRoundTrip(o: TurnSessionOptions, io: TurnIo) {
  const { ctx, transport: tr } = o;
  // The peer is the probe's UDP echo: it sees the relay's address, which has not proven itself
  // yet, so its first answer is a cookie challenge; the next request carries the cookie.
  const echo = o.token ? new EchoClient(o.token) : null;
  const plainPayload = (seq: number) => Buffer.from(`netready-relay-${seq}`.padEnd(200, '.'));
  const payload = (seq: number) => (echo ? echo.request(seq, Date.now(), 200) : plainPayload(seq));
  const trip = {
    bytesBack: 0,
    echo,
    payload,
    async run(send: (seq: number) => void, accept: (d: DataOutput) => boolean, firstSeq: number): Promise<number | null> {
      const sentAt = new Map<number, number>();
      let rtt: number | null = null;
      let next = firstSeq;
      let answeredChallenges = 0;
      const fire = () => {
        const seq = next++;
        sentAt.set(seq, ctx.now());
        send(seq);
      };
      const off = io.listen((d) => {
        if (!accept(d) || rtt !== null) return;
        if (d.via === 'indication' && d.peer && (d.peer.address !== o.peer.address || d.peer.port !== o.peer.port)) return;
        if (!echo) {
          for (const [seq, at] of sentAt)
            if (d.data.equals(plainPayload(seq)) && rtt === null) {
              rtt = ctx.now() - at;
              trip.bytesBack += d.data.length;
            }
          return;
        }
        const got = echo.receive(d.data);
        if (got?.kind === 'challenge' && sentAt.has(got.seq) && answeredChallenges < RELAY_TRIES) {
          answeredChallenges++;
          fire(); // at once, with the cookie
        } else if (got?.kind === 'reply' && sentAt.has(got.packet.seq)) {
          rtt = ctx.now() - sentAt.get(got.packet.seq)!;
          trip.bytesBack += d.data.length;
        }
      });
      try {
        for (let i = 0; i < RELAY_TRIES && rtt === null && !ctx.signal.aborted; i++) {
          fire();
          const until = ctx.now() + (i === RELAY_TRIES - 1 ? Math.max(RELAY_SPACING_MS, o.timeoutMs - RELAY_SPACING_MS * (RELAY_TRIES - 1)) : RELAY_SPACING_MS);
          for (let k = 0; k < 400 && rtt === null && ctx.now() < until && !ctx.signal.aborted && !tr.error; k++) await sleep(Math.min(10, until - ctx.now()), ctx.signal);
          if (tr.error) throw tr.error;
        }
      } finally {
        off();
      }
      return rtt as number | null;
    },
  };
  return trip;
}
