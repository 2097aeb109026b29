// Shared pieces of the WebRTC far end (src/serve/webrtc-peer.ts) and the webrtc.ice check:
// the signalling message codec (sans-I/O, JSON over WebSocket), werift's selected candidate pair
// as evidence. The fix-ups of werift itself are in ./werift-patch.ts (re-exported here).
//
// Signalling on wss://PROBE/.netready/webrtc (one peer connection per WebSocket):
//   client -> {"type":"hello"}                       server -> {"type":"ready","peerMs":n,"maxMessageBytes":n}
//   client -> {"type":"offer","sdp":"..."}           server -> {"type":"answer","sdp":"..."}
//   both   -> {"type":"candidate","candidate":{"candidate":"...","sdpMid":"0","sdpMLineIndex":0}}
//   server -> {"type":"error","message":"..."} | {"type":"bye","reason":"..."}, then it closes.
// A plain netready echo (a serve without the WebRTC peer) answers "hello" with "hello": the
// client tells the two apart by that.

import type { RTCPeerConnection } from 'werift';

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

// The werift fix-ups (no public STUN fallback, no timer left after close) live in their own file,
// which asserts the shape it patches when it loads.
export { TURN_ALLOCATE_MS, closePeer, patchWerift } from './werift-patch.js';

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
