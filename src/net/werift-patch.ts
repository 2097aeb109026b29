// Fix-ups of werift (the WebRTC stack of webrtc.ice and of the serve's WebRTC peer), pinned to the
// exact version they were written for (package.json). They rewrite two class methods process-wide
// and rely on private members, so the shape they patch is asserted when this module loads:
// `weriftShapeProblem()` names what changed, and `patchWerift()` refuses to patch with one line
// naming the installed werift version — never a silent no-op that would let werift contact a
// public STUN server or leave timers behind.
//
// What they fix (written for werift 0.24.4, still in place for 0.25.2):
// - Without a STUN server in iceServers werift falls back to stun.l.google.com:19302 and holds
//   candidate gathering (and so setLocalDescription, and the serve peer's answer) up to 5 s for it:
//   an outside host netready must never contact, and ~5 s added to every webrtc.ice. No STUN
//   server given: no server-reflexive gathering (Connection.getCandidatePromises reads
//   `this.stunServer`, which the constructor filled with the fallback).
// - Its TURN client refreshes an allocation in a loop around `await setTimeout(5/6 x lifetime)`;
//   in 0.24 closing the connection cancelled the loop but not the pending 500 s timer, which kept
//   the process (and a test file) alive (0.25 aborts that wait on close). Our peer connections live
//   seconds (the serve closes its peers after 20 s), far below the 600 s allocation lifetime, so the
//   refresh loop is not started (TurnProtocol.connectionMade calls the instance's `refresh`).
// - A failed allocation leaves its socket open and its transactions retransmitting: the
//   allocation is bounded by TURN_ALLOCATE_MS, and on failure its transactions are ended and its
//   socket closed.
// - Closing a peer connection closes the sockets but lets pending STUN transactions (ICE checks to
//   pairs that never answered) retransmit on their backoff timers for up to ~12 s more: closePeer
//   ends them (the ICE Connection's `protocols`, each with `transactions` and `turn.transactions`).
//
// werift 0.25.2 (2026-12-01, from 0.24.4): the same shape; it still falls back to
// stun.l.google.com (the first fix-up is still needed); the webrtc tests, the browser page and the
// lab's quality-high-latency scenario (webrtc.ice at 200 ms RTT) pass as with 0.24.4.

import { readFileSync } from 'node:fs';
import { Connection, TurnProtocol, type RTCPeerConnection } from 'werift';

/** The werift release these fix-ups were written for (package.json pins it exactly). */
export const WERIFT_PATCHED_VERSION = '0.25.2';

/** Bound on one TURN allocation inside werift (it retransmits over UDP for ~6 s, then tries TCP). */
export const TURN_ALLOCATE_MS = 4_000;

interface TransactionLike {
  failWithTimeout?: () => void;
  cancel?: () => void;
}
interface ProtocolLike {
  transactions?: Record<string, TransactionLike>;
  turn?: { transactions?: Record<string, TransactionLike> };
}
type GatherThis = { options?: { stunServer?: unknown }; stunServer?: unknown };
type ConnectionProto = { getCandidatePromises(this: GatherThis, ...a: unknown[]): unknown };
type Turn = { refresh: (exp: number) => void; refreshHandle: unknown; transactions: Record<string, TransactionLike>; transport?: { close(): Promise<void> } };
type TurnProto = { connectionMade(this: Turn): Promise<void> };

/** The installed werift's version, read from its package.json ('unknown' when not found). */
export function installedWeriftVersion(): string {
  try {
    let dir = new URL('.', import.meta.resolve('werift'));
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'werift' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        /* not here: one level up */
      }
      dir = new URL('..', dir);
    }
  } catch {
    /* bundled: no package.json */
  }
  return 'unknown';
}

/** What of the patched shape is missing in the installed werift (empty: all there). */
function shapeProblems(): string[] {
  const out: string[] = [];
  const cp = Connection.prototype as unknown as Partial<ConnectionProto>;
  if (typeof cp.getCandidatePromises !== 'function') out.push('ICE Connection.getCandidatePromises is gone');
  else if (!/\bstunServer\b/.test(String(cp.getCandidatePromises))) out.push('ICE Connection.getCandidatePromises no longer reads stunServer');
  try {
    // No socket: an ICE connection opens sockets only when it gathers.
    const c = new Connection(true, {}) as unknown as Record<string, unknown>;
    if (!c.options || typeof c.options !== 'object') out.push('ICE Connection has no options');
    if (!('stunServer' in c)) out.push('ICE Connection has no stunServer member');
    else if (c.stunServer === undefined) out.push('ICE Connection no longer holds a fallback STUN server in stunServer (is the fallback elsewhere now?)');
    if (!Array.isArray(c.protocols)) out.push('ICE Connection has no protocols array');
    if (!('nominated' in c)) out.push('ICE Connection has no nominated member');
  } catch (e) {
    out.push(`an ICE Connection cannot be made (${(e as Error).message})`);
  }
  const tp = TurnProtocol.prototype as unknown as Partial<TurnProto>;
  if (typeof tp.connectionMade !== 'function') out.push('TurnProtocol.connectionMade is gone');
  else if (!String(tp.connectionMade).includes('this.refresh(')) out.push('TurnProtocol.connectionMade no longer starts this.refresh');
  try {
    const transport = { closed: false };
    const t = new TurnProtocol(['127.0.0.1', 3478], 'u', 'p', 600, transport as never) as unknown as Record<string, unknown>;
    if (typeof t.refresh !== 'function') out.push('TurnProtocol has no refresh member');
    if (!('refreshHandle' in t)) out.push('TurnProtocol has no refreshHandle member');
    if (!t.transactions || typeof t.transactions !== 'object') out.push('TurnProtocol has no transactions table');
    if (t.transport !== transport) out.push('TurnProtocol keeps its transport elsewhere');
  } catch (e) {
    out.push(`a TurnProtocol cannot be made (${(e as Error).message})`);
  }
  return out;
}

// Asserted once, when this module loads.
const PROBLEMS = shapeProblems();

/** One line naming the installed werift and what changed; null when the patched shape is there. */
export function weriftShapeProblem(): string | null {
  if (!PROBLEMS.length) return null;
  return `werift ${installedWeriftVersion()} is not the werift ${WERIFT_PATCHED_VERSION} that netready's fix-ups (src/net/werift-patch.ts) were written for: ${PROBLEMS.join('; ')}`;
}

let patched = false;

/** Apply the fix-ups (once per process). Throws one line when the installed werift changed shape. */
export function patchWerift(): void {
  if (patched) return;
  const problem = weriftShapeProblem();
  if (problem) throw new Error(problem);
  patched = true;

  const conn = Connection.prototype as unknown as ConnectionProto;
  const gather = conn.getCandidatePromises;
  conn.getCandidatePromises = function (...a: unknown[]) {
    if (!this.options?.stunServer) this.stunServer = undefined;
    return gather.apply(this, a);
  };

  const proto = TurnProtocol.prototype as unknown as TurnProto;
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

/**
 * Close a werift peer connection and leave nothing running: its sockets, and the STUN
 * transactions werift would let retransmit on their backoff timers. Bounded by `ms`.
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
