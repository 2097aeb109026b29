// Shared pieces of the WebRTC far end (src/serve/webrtc-peer.ts) and the webrtc.ice check:
// the signalling message codec (sans-I/O, JSON over WebSocket), werift's selected candidate pair
// as evidence, and fix-ups of werift 0.24 (a closed peer connection leaves no timer behind; no
// fallback to Google's STUN server).
//
// Signalling on wss://PROBE/.netready/webrtc (one peer connection per WebSocket):
//   client -> {"type":"hello"}                       server -> {"type":"ready","peerMs":n,"maxMessageBytes":n}
//   client -> {"type":"offer","sdp":"..."}           server -> {"type":"answer","sdp":"..."}
//   both   -> {"type":"candidate","candidate":{"candidate":"...","sdpMid":"0","sdpMLineIndex":0}}
//   server -> {"type":"error","message":"..."} | {"type":"bye","reason":"..."}, then it closes.
// A plain netready echo (a serve without the WebRTC peer) answers "hello" with "hello": the
// client tells the two apart by that.

import { Connection, TurnProtocol, type RTCPeerConnection } from 'werift';

/** Largest signalling message either side accepts (an SDP offer with a few candidates is ~2 KB). */
export const SIGNAL_MAX_BYTES = 16 * 1024;
const SDP_MAX = 12 * 1024;
const CANDIDATE_MAX = 512;

export interface SignalCandidate {
  candidate: string;
  sdpMid?: string;
  sdpMLineIndex?: number;
}

export type Signal =
  | { type: 'hello' }
  | { type: 'ready'; peerMs: number; maxMessageBytes: number }
  | { type: 'offer'; sdp: string }
  | { type: 'answer'; sdp: string }
  | { type: 'candidate'; candidate: SignalCandidate }
  | { type: 'error'; message: string }
  | { type: 'bye'; reason: string };

const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/** Decode one signalling message; null for anything malformed or oversized (never throws). */
export function parseSignal(raw: string | Buffer): Signal | null {
  if (raw.length > SIGNAL_MAX_BYTES) return null;
  let v: unknown;
  try {
    v = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const m = v as Record<string, unknown>;
  switch (m.type) {
    case 'hello':
      return { type: 'hello' };
    case 'ready':
      return Number.isFinite(m.peerMs) && Number.isFinite(m.maxMessageBytes) ? { type: 'ready', peerMs: Number(m.peerMs), maxMessageBytes: Number(m.maxMessageBytes) } : null;
    case 'offer':
    case 'answer':
      return str(m.sdp, SDP_MAX) && m.sdp.startsWith('v=0') ? { type: m.type, sdp: m.sdp } : null;
    case 'candidate': {
      const c = m.candidate as Record<string, unknown> | null;
      if (!c || typeof c !== 'object' || !str(c.candidate, CANDIDATE_MAX)) return null;
      if (c.sdpMid !== undefined && c.sdpMid !== null && !str(c.sdpMid, 32)) return null;
      if (c.sdpMLineIndex !== undefined && c.sdpMLineIndex !== null && !(Number.isInteger(c.sdpMLineIndex) && (c.sdpMLineIndex as number) >= 0 && (c.sdpMLineIndex as number) < 16)) return null;
      const out: SignalCandidate = { candidate: c.candidate };
      if (typeof c.sdpMid === 'string') out.sdpMid = c.sdpMid;
      if (typeof c.sdpMLineIndex === 'number') out.sdpMLineIndex = c.sdpMLineIndex;
      return { type: 'candidate', candidate: out };
    }
    case 'error':
      return { type: 'error', message: str(m.message, 500) ? m.message : 'error' };
    case 'bye':
      return { type: 'bye', reason: str(m.reason, 500) ? m.reason : '' };
    default:
      return null;
  }
}

export function encodeSignal(s: Signal): string {
  return JSON.stringify(s);
}

/** Bound on one TURN allocation inside werift (it retransmits over UDP for ~6 s, then tries TCP). */
export const TURN_ALLOCATE_MS = 4_000;

let patched = false;
/**
 * Fix-ups of werift 0.24's TURN client (pinned version; see package.json):
 * - It refreshes an allocation in a loop around `await timers/promises.setTimeout(5/6 x lifetime)`;
 *   closing the connection cancels the loop but not the pending 500 s timer, which keeps the
 *   process (and a test file) alive. Our peer connections live seconds (the serve closes its peers
 *   after 20 s), far below the 600 s allocation lifetime, so the refresh loop is not started.
 * - A failed allocation leaves its socket open and its transactions retransmitting: the
 *   allocation is bounded by TURN_ALLOCATE_MS, and on failure its transactions are ended and its
 *   socket closed.
 */
export function patchWerift(): void {
  if (patched) return;
  patched = true;
  // - Without a STUN server in iceServers werift 0.24 falls back to stun.l.google.com:19302 and
  //   holds candidate gathering (and so setLocalDescription, and the serve peer's answer) up to
  //   5 s for it: an outside host netready must never contact, and ~5 s added to every
  //   webrtc.ice. No STUN server given: no server-reflexive gathering.
  const conn = Connection.prototype as unknown as { getCandidatePromises(this: { options?: { stunServer?: unknown }; stunServer?: unknown }, ...a: unknown[]): unknown };
  const gather = conn.getCandidatePromises;
  conn.getCandidatePromises = function (...a: unknown[]) {
    if (!this.options?.stunServer) this.stunServer = undefined;
    return gather.apply(this, a);
  };
  type Turn = { refresh: (exp: number) => void; refreshHandle: unknown; transactions: Record<string, TransactionLike>; transport?: { close(): Promise<void> } };
  const proto = TurnProtocol.prototype as unknown as { connectionMade(this: Turn): Promise<void> };
  const original = proto.connectionMade;
  proto.connectionMade = function (this: Turn) {
    this.refresh = () => {
      this.refreshHandle = undefined;
    };
    const allocation = original.call(this);
    allocation.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`TURN allocation took over ${TURN_ALLOCATE_MS} ms`)), TURN_ALLOCATE_MS);
    });
    return Promise.race([allocation, bound]).then(
      () => clearTimeout(timer),
      async (e: unknown) => {
        clearTimeout(timer);
        endTransactions(this.transactions);
        await this.transport?.close().catch(() => undefined);
        throw e;
      },
    );
  };
}

function endTransactions(table: Record<string, TransactionLike> | undefined): void {
  for (const tr of Object.values(table ?? {})) {
    try {
      if (tr.failWithTimeout) tr.failWithTimeout();
      else tr.cancel?.();
    } catch {
      /* already ended */
    }
  }
}

export interface PairEnd {
  type: string;
  protocol: string;
  address: string;
}

export interface SelectedPair {
  local: PairEnd;
  remote: PairEnd;
  /** How the local relay candidate reaches the TURN server (udp, tcp, tls); null without a relay. */
  relayProtocol: string | null;
}

interface CandidateLike {
  type: string;
  transport: string;
  host: string;
  port: number;
}

/** The nominated candidate pair of the first ICE transport (werift internals, read defensively). */
export function selectedPair(pc: RTCPeerConnection): SelectedPair | null {
  const transport = (pc as unknown as { iceTransports?: { connection?: { nominated?: unknown } }[] }).iceTransports?.[0];
  const nominated = transport?.connection?.nominated as
    | { localCandidate?: CandidateLike; remoteCandidate?: CandidateLike; protocol?: { type?: string; turn?: { transport?: { type?: string } } } }
    | undefined;
  if (!nominated?.localCandidate || !nominated.remoteCandidate) return null;
  const end = (c: CandidateLike): PairEnd => ({ type: c.type, protocol: String(c.transport).toLowerCase(), address: c.host.includes(':') ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}` });
  const local = end(nominated.localCandidate);
  const relayProtocol = local.type === 'relay' ? (nominated.protocol?.turn?.transport?.type ?? null) : null;
  return { local, remote: end(nominated.remoteCandidate), relayProtocol };
}

interface TransactionLike {
  failWithTimeout?: () => void;
  cancel?: () => void;
}
interface ProtocolLike {
  transactions?: Record<string, TransactionLike>;
  turn?: { transactions?: Record<string, TransactionLike> };
}

/**
 * Close a werift peer connection and leave nothing running: werift 0.24 closes the sockets but
 * lets pending STUN transactions (ICE checks to pairs that never answered) retransmit on their
 * backoff timers for up to ~12 s more. They are ended here. Bounded by `ms`.
 */
export async function closePeer(pc: RTCPeerConnection, ms = 1_000): Promise<void> {
  const protocols: ProtocolLike[] = [];
  for (const t of (pc as unknown as { iceTransports?: { connection?: { protocols?: ProtocolLike[] } }[] }).iceTransports ?? [])
    protocols.push(...(t.connection?.protocols ?? []));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([pc.close().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
  for (const p of protocols) {
    endTransactions(p.transactions);
    endTransactions(p.turn?.transactions);
  }
}
