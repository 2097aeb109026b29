// Sans-I/O TURN client (RFC 8656) over the STUN codec of ./stun.ts. No sockets and no clocks here:
// the I/O layer feeds in what arrived (`receive`, `receiveChannelData`), the time (`now`, in ms,
// any monotonic origin) and fired timers (`handleTimer`); every call returns what to do next
// (bytes to send) and what happened (allocated, permitted, data from the peer, a typed failure).
// The one timer to arm is `nextTimer()`.
//
// What it speaks: Allocate with the long-term credential mechanism (an unauthenticated Allocate,
// 401 with REALM and NONCE, the retry with USERNAME/REALM/NONCE, MESSAGE-INTEGRITY and
// FINGERPRINT), one retry per request on 438 Stale Nonce, CreatePermission, ChannelBind,
// Refresh, Send/Data indications and ChannelData. Requests are retransmitted over UDP (RTO 250 ms,
// doubling, at most 4 sends) and sent once over TCP/TLS; each is bounded by its own timeout.
//
// Answers are matched by transaction id: a response to no pending request is ignored (counted). A
// truncated or garbled answer to a pending request (it fails to decode, or an attribute the
// answer needs is missing or malformed) ends that request with TURN_PROTOCOL and the parse code.
// Error responses are typed: `TurnError.code` (stable, what the check reports) and `.class`
// (unauthorized, forbidden, allocation-mismatch 437, stale-nonce 438, quota 486, capacity 508 ...).

import {
  Attr,
  HEADER_LENGTH,
  Method,
  StunParseError,
  attr,
  decodeChannelData,
  decodeMessage,
  encodeChannelData,
  encodeMessage,
  getData,
  getErrorCode,
  getLifetime,
  getString,
  getXorAddress,
  isChannelData,
  longTermKey,
  looksLikeStun,
  newTransactionId,
  verifyIntegrity,
  type StunAttribute,
  type StunMessage,
  type StunParseErrorCode,
  type TransportAddress,
} from './stun.js';

/** The first channel number (RFC 8656 12: 0x4000-0x4FFF). */
export const FIRST_CHANNEL = 0x4000;
/** REQUESTED-TRANSPORT: UDP (the only one RFC 8656 relays). */
const UDP_PROTOCOL = 17;

export type TurnOp = 'allocate' | 'permission' | 'channel-bind' | 'refresh';

const OP_METHOD: Record<TurnOp, { method: number; name: string }> = {
  allocate: { method: Method.Allocate, name: 'Allocate' },
  permission: { method: Method.CreatePermission, name: 'CreatePermission' },
  'channel-bind': { method: Method.ChannelBind, name: 'ChannelBind' },
  refresh: { method: Method.Refresh, name: 'Refresh' },
};

export type TurnErrorCode =
  /** Allocate succeeded without credentials. */
  | 'TURN_OPEN_RELAY'
  /** Allocate refused (first answer not 401, or after the credentials an error other than 401/403). */
  | 'TURN_ALLOCATE_FAILED'
  /** 401 to the Allocate that carried the credentials. */
  | 'TURN_AUTH_FAILED'
  /** 403 to the authenticated Allocate. */
  | 'TURN_FORBIDDEN'
  /** The Allocate success failed MESSAGE-INTEGRITY. */
  | 'TURN_INTEGRITY'
  /** A truncated or garbled answer to a pending request. */
  | 'TURN_PROTOCOL'
  /** 403 to CreatePermission: the server forbids that peer. */
  | 'TURN_PEER_FORBIDDEN'
  | 'TURN_PERMISSION_FAILED'
  | 'TURN_CHANNEL_FAILED'
  | 'TURN_REFRESH_FAILED'
  /** No answer within the request's timeout. */
  | 'TURN_NO_RESPONSE';

/** What an error response means, by its STUN error code (RFC 8489 14.8, RFC 8656 19). */
export type TurnErrorClass =
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'allocation-mismatch'
  | 'stale-nonce'
  | 'address-family'
  | 'wrong-credentials'
  | 'unsupported-transport'
  | 'peer-address-family'
  | 'quota'
  | 'server-error'
  | 'capacity'
  | 'other';

const ERROR_CLASSES: Record<number, TurnErrorClass> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  437: 'allocation-mismatch',
  438: 'stale-nonce',
  440: 'address-family',
  441: 'wrong-credentials',
  442: 'unsupported-transport',
  443: 'peer-address-family',
  486: 'quota',
  500: 'server-error',
  508: 'capacity',
};

export function turnErrorClass(stunError: number): TurnErrorClass {
  return ERROR_CLASSES[stunError] ?? 'other';
}

export class TurnError extends Error {
  constructor(
    readonly code: TurnErrorCode,
    message: string,
    readonly op: TurnOp,
    /** The STUN error code of an error response; null for no answer, a garbled one, or a success. */
    readonly stunError: number | null = null,
    /** The reason phrase of the error response ('' otherwise). */
    readonly reason = '',
    /** For TURN_PROTOCOL: why the answer did not parse. */
    readonly parseError: StunParseErrorCode | null = null,
    /** The peer of a CreatePermission/ChannelBind. */
    readonly peer: TransportAddress | null = null,
  ) {
    super(message);
    this.name = 'TurnError';
  }

  /** What the error response means; 'other' without one. */
  get class(): TurnErrorClass {
    return this.stunError === null ? 'other' : turnErrorClass(this.stunError);
  }
}

export interface TurnClientOptions {
  username: string;
  password: string;
  /** TCP/TLS: requests are sent once, ChannelData is padded to 4 bytes. UDP: retransmitted. */
  reliable: boolean;
  /** Bound on each request, from its first send. */
  timeoutMs: number;
  /** First retransmission interval over UDP (doubles each time). Default 250. */
  rtoMs?: number;
  /** Sends of one request over UDP, the first included. Default 4. */
  maxSends?: number;
  /** LIFETIME asked for in Allocate, seconds. Default 300. */
  lifetimeSec?: number;
  /** SOFTWARE attribute of every request. Default "netready". */
  software?: string;
  /** Transaction ids (tests pass a deterministic source). Default: 12 random bytes. */
  transactionId?: () => Buffer;
}

export interface TurnAllocation {
  /** XOR-RELAYED-ADDRESS: where the relay sends from, what the peer sees. */
  relayed: TransportAddress;
  /** XOR-MAPPED-ADDRESS: this client as the server sees it. */
  mapped: TransportAddress | null;
  lifetimeSec: number | null;
  software: string | null;
  realm: string;
}

export type TurnOutput =
  | { type: 'send'; bytes: Buffer }
  | { type: 'allocated'; allocation: TurnAllocation }
  | { type: 'permitted'; peer: TransportAddress }
  | { type: 'channel-bound'; channel: number; peer: TransportAddress }
  | { type: 'refreshed'; lifetimeSec: number }
  /** Data from a peer: a Data indication (peer from XOR-PEER-ADDRESS) or ChannelData (peer of the channel). */
  | { type: 'data'; via: 'indication' | 'channel'; peer: TransportAddress | null; channel: number | null; data: Buffer }
  | { type: 'failed'; op: TurnOp; error: TurnError };

export type TurnState = 'idle' | 'challenge' | 'authenticating' | 'allocated' | 'failed' | 'released';

interface Transaction {
  op: TurnOp;
  id: Buffer;
  bytes: Buffer;
  /** Rebuild the request with the current nonce (after a 438). */
  build: (tid: Buffer) => StunAttribute[];
  staleRetried: boolean;
  sends: number;
  maxSends: number;
  rtoMs: number;
  nextSendAt: number;
  deadline: number;
  timeoutMs: number;
  peer: TransportAddress | null;
  channel: number | null;
  lifetimeSec: number | null;
}

const key = (tid: Buffer) => tid.toString('hex');
const fmt = (a: TransportAddress) => (a.family === 6 ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);

/** A getter on an answer that may throw StunParseError: the error becomes the request's failure. */
class Garbled extends Error {
  constructor(
    readonly parse: StunParseErrorCode,
    readonly what: string,
  ) {
    super(what);
  }
}

function parsed<T>(get: () => T): T {
  try {
    return get();
  } catch (e) {
    if (e instanceof StunParseError) throw new Garbled(e.code, e.message);
    throw e;
  }
}

/** The ERROR-CODE of an error response; a missing or malformed one is a garbled answer. */
function errorOf(m: StunMessage): { code: number; reason: string } {
  const e = parsed(() => getErrorCode(m));
  if (!e) throw new Garbled('MISSING_ATTRIBUTE', 'an error response without ERROR-CODE');
  return e;
}

export class TurnClient {
  private readonly o: Required<Omit<TurnClientOptions, 'transactionId'>> & { transactionId: () => Buffer };
  private st: TurnState = 'idle';
  private realm = '';
  private nonce = '';
  private integrityKey: Buffer | null = null;
  private readonly pending = new Map<string, Transaction>();
  private alloc: TurnAllocation | null = null;
  /** Peers with an installed permission (address only: permissions ignore the port). */
  private readonly permitted = new Set<string>();
  /** Channels bound or being bound, to their peer. */
  private readonly channels = new Map<number, TransportAddress>();
  /** Inputs dropped: garbage, answers to no pending request, indications other than Data, unknown channels. */
  ignored = 0;

  constructor(opts: TurnClientOptions) {
    this.o = {
      ...opts,
      rtoMs: opts.rtoMs ?? 250,
      maxSends: opts.maxSends ?? 4,
      lifetimeSec: opts.lifetimeSec ?? 300,
      software: opts.software ?? 'netready',
      transactionId: opts.transactionId ?? newTransactionId,
    };
  }

  get state(): TurnState {
    return this.st;
  }

  get allocation(): TurnAllocation | null {
    return this.alloc;
  }

  /** Requests waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  isPermitted(peer: TransportAddress): boolean {
    return this.permitted.has(peer.address);
  }

  // ---- requests --------------------------------------------------------------------------------

  /** Start: an Allocate without credentials (the server answers 401 with its realm and nonce). */
  allocate(now: number): TurnOutput[] {
    if (this.st !== 'idle') throw new Error(`TURN client: allocate in state ${this.st}`);
    this.st = 'challenge';
    return this.request('allocate', now, () => this.allocateAttributes());
  }

  createPermission(peer: TransportAddress, now: number): TurnOutput[] {
    this.needAllocation('createPermission');
    return this.request('permission', now, (tid) => [attr.xorAddress(Attr.XorPeerAddress, peer, tid), ...this.auth()], { peer });
  }

  bindChannel(peer: TransportAddress, now: number, channel = FIRST_CHANNEL): TurnOutput[] {
    this.needAllocation('bindChannel');
    if (!(channel >= 0x4000 && channel <= 0x4fff)) throw new RangeError(`TURN client: channel 0x${channel.toString(16)} outside 0x4000-0x4FFF`);
    this.channels.set(channel, peer);
    return this.request('channel-bind', now, (tid) => [attr.channelNumber(channel), attr.xorAddress(Attr.XorPeerAddress, peer, tid), ...this.auth()], { peer, channel });
  }

  /** Refresh the allocation; lifetime 0 releases it. `timeoutMs`/`maxSends` override the defaults. */
  refresh(lifetimeSec: number, now: number, o: { timeoutMs?: number; maxSends?: number } = {}): TurnOutput[] {
    this.needAllocation('refresh');
    return this.request('refresh', now, () => [attr.lifetime(lifetimeSec), ...this.auth()], { lifetimeSec, ...o });
  }

  /** A Send indication: data to the peer through the relay (needs a permission for the peer). */
  sendIndication(peer: TransportAddress, data: Buffer): TurnOutput[] {
    this.needAllocation('sendIndication');
    const tid = this.o.transactionId();
    return [{ type: 'send', bytes: encodeMessage({ method: Method.Send, cls: 'indication', transactionId: tid, attributes: [attr.xorAddress(Attr.XorPeerAddress, peer, tid), attr.data(data)] }) }];
  }

  /** ChannelData to the peer of a bound channel (padded to 4 bytes over TCP/TLS). */
  sendChannelData(channel: number, data: Buffer): TurnOutput[] {
    this.needAllocation('sendChannelData');
    if (!this.channels.has(channel)) throw new Error(`TURN client: channel 0x${channel.toString(16)} is not bound`);
    return [{ type: 'send', bytes: encodeChannelData(channel, data, this.o.reliable) }];
  }

  /** Stop: pending requests are dropped (no output). */
  close(): void {
    this.pending.clear();
    if (this.st !== 'failed') this.st = 'released';
  }

  // ---- input -----------------------------------------------------------------------------------

  /** One UDP datagram, or one STUN message cut from a stream: an answer, an indication or ChannelData. */
  receive(bytes: Buffer, now: number): TurnOutput[] {
    if (isChannelData(bytes)) {
      let cd;
      try {
        cd = decodeChannelData(bytes);
      } catch {
        this.ignored++;
        return [];
      }
      return this.receiveChannelData(cd.channel, cd.data);
    }
    if (!looksLikeStun(bytes)) {
      this.ignored++;
      return [];
    }
    let m: StunMessage;
    try {
      m = decodeMessage(bytes);
    } catch (e) {
      if (!(e instanceof StunParseError)) throw e;
      // The header is intact (looksLikeStun): an answer to a pending request that is truncated or
      // garbled past its header ends that request; anything else is dropped.
      const tx = bytes.length >= HEADER_LENGTH ? this.pending.get(key(bytes.subarray(8, 20))) : undefined;
      if (!tx) {
        this.ignored++;
        return [];
      }
      return this.fail(tx, new Garbled(e.code, e.message));
    }
    if (m.cls === 'success' || m.cls === 'error') {
      const tx = this.pending.get(key(m.transactionId));
      if (!tx || m.method !== OP_METHOD[tx.op].method) {
        this.ignored++;
        return [];
      }
      try {
        return this.answer(tx, m, now);
      } catch (e) {
        if (e instanceof Garbled) return this.fail(tx, e);
        throw e;
      }
    }
    if (m.cls === 'indication' && m.method === Method.Data) {
      let peer: TransportAddress | undefined;
      try {
        peer = getXorAddress(m, Attr.XorPeerAddress);
      } catch {
        this.ignored++;
        return [];
      }
      const data = getData(m);
      if (!data) {
        this.ignored++;
        return [];
      }
      return [{ type: 'data', via: 'indication', peer: peer ?? null, channel: null, data }];
    }
    this.ignored++;
    return [];
  }

  /** One ChannelData message (a stream framer cuts these; over UDP `receive` decodes them). */
  receiveChannelData(channel: number, data: Buffer): TurnOutput[] {
    const peer = this.channels.get(channel);
    if (!peer) {
      this.ignored++;
      return [];
    }
    return [{ type: 'data', via: 'channel', peer, channel, data }];
  }

  /** When the I/O layer should call handleTimer next (absolute, in `now` units); null: no timer. */
  nextTimer(): number | null {
    let at: number | null = null;
    for (const tx of this.pending.values()) {
      const t = tx.sends < tx.maxSends ? Math.min(tx.nextSendAt, tx.deadline) : tx.deadline;
      if (at === null || t < at) at = t;
    }
    return at;
  }

  /** Retransmissions due and requests timed out at `now`. */
  handleTimer(now: number): TurnOutput[] {
    const out: TurnOutput[] = [];
    for (const tx of [...this.pending.values()]) {
      if (now >= tx.deadline) {
        out.push(...this.failWith(tx, new TurnError('TURN_NO_RESPONSE', `the TURN server did not answer within ${tx.timeoutMs} ms`, tx.op, null, '', null, tx.peer)));
        continue;
      }
      if (tx.sends < tx.maxSends && now >= tx.nextSendAt) {
        tx.sends++;
        tx.nextSendAt = now + tx.rtoMs;
        tx.rtoMs *= 2;
        out.push({ type: 'send', bytes: tx.bytes });
      }
    }
    return out;
  }

  // ---- internals -------------------------------------------------------------------------------

  private needAllocation(what: string): void {
    if (this.st !== 'allocated') throw new Error(`TURN client: ${what} needs an allocation (state ${this.st})`);
  }

  private allocateAttributes(): StunAttribute[] {
    const base = [attr.requestedTransport(UDP_PROTOCOL), attr.lifetime(this.o.lifetimeSec)];
    return this.integrityKey ? [...base, ...this.auth()] : base;
  }

  private auth(): StunAttribute[] {
    return [attr.username(this.o.username), attr.realm(this.realm), attr.nonce(this.nonce)];
  }

  private setChallenge(m: StunMessage): void {
    this.realm = parsed(() => getString(m, Attr.Realm)) ?? this.realm;
    this.nonce = parsed(() => getString(m, Attr.Nonce)) ?? this.nonce;
    this.integrityKey = longTermKey(this.o.username, this.realm, this.o.password);
  }

  private request(
    op: TurnOp,
    now: number,
    build: (tid: Buffer) => StunAttribute[],
    o: { peer?: TransportAddress; channel?: number; lifetimeSec?: number; timeoutMs?: number; maxSends?: number } = {},
  ): TurnOutput[] {
    const timeoutMs = o.timeoutMs ?? this.o.timeoutMs;
    const tx: Transaction = {
      op,
      id: Buffer.alloc(0),
      bytes: Buffer.alloc(0),
      build,
      staleRetried: false,
      sends: 0,
      maxSends: this.o.reliable ? 1 : (o.maxSends ?? this.o.maxSends),
      rtoMs: this.o.rtoMs,
      nextSendAt: now,
      deadline: now + timeoutMs,
      timeoutMs,
      peer: o.peer ?? null,
      channel: o.channel ?? null,
      lifetimeSec: o.lifetimeSec ?? null,
    };
    return this.send(tx, now);
  }

  /** (Re)build the transaction with a fresh id and the current credentials, and send it. */
  private send(tx: Transaction, now: number): TurnOutput[] {
    this.pending.delete(key(tx.id));
    tx.id = this.o.transactionId();
    // MESSAGE-INTEGRITY once the server's challenge gave a realm (only the first Allocate has none).
    tx.bytes = encodeMessage(
      { method: OP_METHOD[tx.op].method, cls: 'request', transactionId: tx.id, attributes: [...tx.build(tx.id), attr.software(this.o.software)] },
      { integrityKey: this.integrityKey ?? undefined, fingerprint: true },
    );
    tx.sends = 1;
    tx.nextSendAt = now + tx.rtoMs;
    tx.rtoMs *= 2;
    this.pending.set(key(tx.id), tx);
    return [{ type: 'send', bytes: tx.bytes }];
  }

  /** A fresh request in place of `tx` (after 401 or 438): new id, its own timeout and backoff. */
  private resend(tx: Transaction, now: number): TurnOutput[] {
    tx.rtoMs = this.o.rtoMs;
    tx.deadline = now + tx.timeoutMs;
    return this.send(tx, now);
  }

  /** 438 Stale Nonce: the first one per request is retried with the server's new nonce (and realm). */
  private staleNonce(tx: Transaction, m: StunMessage, code: number, now: number): TurnOutput[] | null {
    if (code !== 438 || tx.staleRetried) return null;
    tx.staleRetried = true;
    this.setChallenge(m);
    return this.resend(tx, now);
  }

  private answer(tx: Transaction, m: StunMessage, now: number): TurnOutput[] {
    const name = OP_METHOD[tx.op].name;
    if (tx.op === 'allocate') return this.allocateAnswer(tx, m, now);
    if (m.cls === 'error') {
      const e = errorOf(m);
      const retry = this.staleNonce(tx, m, e.code, now);
      if (retry) return retry;
      if (tx.op === 'permission' && e.code === 403)
        return this.failWith(tx, new TurnError('TURN_PEER_FORBIDDEN', `the TURN server forbids the peer ${fmt(tx.peer!)} (403 ${e.reason})`, tx.op, 403, e.reason, null, tx.peer));
      const code: TurnErrorCode = tx.op === 'permission' ? 'TURN_PERMISSION_FAILED' : tx.op === 'channel-bind' ? 'TURN_CHANNEL_FAILED' : 'TURN_REFRESH_FAILED';
      return this.failWith(tx, new TurnError(code, `${name} refused: ${e.code} ${e.reason}`, tx.op, e.code, e.reason, null, tx.peer));
    }
    this.pending.delete(key(tx.id));
    if (tx.op === 'permission') {
      this.permitted.add(tx.peer!.address);
      return [{ type: 'permitted', peer: tx.peer! }];
    }
    if (tx.op === 'channel-bind') {
      this.permitted.add(tx.peer!.address); // RFC 8656 12.2: a channel binding installs a permission
      return [{ type: 'channel-bound', channel: tx.channel!, peer: tx.peer! }];
    }
    const lifetimeSec = parsed(() => getLifetime(m)) ?? tx.lifetimeSec ?? 0;
    if (lifetimeSec === 0) {
      // Released: requests still waiting can no longer be answered.
      this.st = 'released';
      this.pending.clear();
    }
    return [{ type: 'refreshed', lifetimeSec }];
  }

  private allocateAnswer(tx: Transaction, m: StunMessage, now: number): TurnOutput[] {
    if (this.st === 'challenge') {
      // 1. The unauthenticated Allocate: the server must ask for credentials.
      if (m.cls === 'success') return this.failWith(tx, new TurnError('TURN_OPEN_RELAY', 'the TURN server allocated without credentials (an open relay)', 'allocate'));
      const e = errorOf(m);
      if (e.code !== 401) return this.failWith(tx, new TurnError('TURN_ALLOCATE_FAILED', `Allocate refused: ${e.code} ${e.reason}`, 'allocate', e.code, e.reason));
      this.setChallenge(m);
      this.st = 'authenticating';
      return this.resend(tx, now);
    }
    // 2. The Allocate with long-term credentials (a stale nonce is retried once with the new one).
    if (m.cls === 'error') {
      const e = errorOf(m);
      const retry = this.staleNonce(tx, m, e.code, now);
      if (retry) return retry;
      if (e.code === 401) return this.failWith(tx, new TurnError('TURN_AUTH_FAILED', `the TURN server refused the credentials (401 ${e.reason})`, 'allocate', 401, e.reason));
      if (e.code === 403) return this.failWith(tx, new TurnError('TURN_FORBIDDEN', `Allocate forbidden (403 ${e.reason})`, 'allocate', 403, e.reason));
      return this.failWith(tx, new TurnError('TURN_ALLOCATE_FAILED', `Allocate refused: ${e.code} ${e.reason}`, 'allocate', e.code, e.reason));
    }
    if (!verifyIntegrity(m, this.integrityKey!))
      return this.failWith(tx, new TurnError('TURN_INTEGRITY', 'the Allocate response failed MESSAGE-INTEGRITY (not the real TURN server?)', 'allocate'));
    const relayed = parsed(() => getXorAddress(m, Attr.XorRelayedAddress));
    if (!relayed) throw new Garbled('MISSING_ATTRIBUTE', 'a success without XOR-RELAYED-ADDRESS');
    const allocation: TurnAllocation = {
      relayed,
      mapped: parsed(() => getXorAddress(m, Attr.XorMappedAddress)) ?? null,
      lifetimeSec: parsed(() => getLifetime(m)) ?? null,
      software: parsed(() => getString(m, Attr.Software)) ?? null,
      realm: this.realm,
    };
    this.pending.delete(key(tx.id));
    this.alloc = allocation;
    this.st = 'allocated';
    return [{ type: 'allocated', allocation }];
  }

  /** A truncated or garbled answer: the request ends with TURN_PROTOCOL. */
  private fail(tx: Transaction, g: Garbled): TurnOutput[] {
    const name = OP_METHOD[tx.op].name;
    return this.failWith(tx, new TurnError('TURN_PROTOCOL', `the answer to ${name} is truncated or garbled (${g.what})`, tx.op, null, '', g.parse, tx.peer));
  }

  private failWith(tx: Transaction, error: TurnError): TurnOutput[] {
    this.pending.delete(key(tx.id));
    if (tx.op === 'allocate') this.st = 'failed';
    if (tx.op === 'channel-bind' && tx.channel !== null) this.channels.delete(tx.channel);
    return [{ type: 'failed', op: tx.op, error }];
  }
}
