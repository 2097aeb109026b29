// Sans-I/O timing of a netready serve event stream. The server stamps each event with offsetMs
// (its time since the request arrived); the client knows when it sent the request. From the
// arrival time of each event this yields how late events came and whether they came in batches.
// seed 000_637c892c7d775e13.txt: "Must not buffer streaming responses ... the client appears
// connected but receives no events". Thresholds: docs/evidence.md (sse.stream).

import { createParser, type EventSourceParser } from 'eventsource-parser';
import { SSE_LATE_MS } from '../shared/thresholds.js';

/** First event later than this after it was sent = buffered (shared with the browser page). */
export { SSE_LATE_MS };
/** Events sent at least this far apart ... */
export const SSE_BATCH_SENT_GAP_MS = 200;
/** ... that arrive within this of each other were batched by a middlebox. */
export const SSE_BATCH_ARRIVAL_MS = 50;
/**
 * Buffered by batching: at least this many batched events, and at least half of the gaps between
 * events batched. A buffering middlebox batches systematically (gzip flushes every few events, a
 * scanner releases all at once); one lost packet on a long path holds back a pair or two behind its
 * TCP retransmission (head-of-line blocking), which is loss, not buffering.
 */
export const SSE_BATCHED_LIMIT = 2;
const MAX_EVENTS = 1000;
/** Client clock ticks kept (the caller ticks every ~10 ms while reading: 4000 = 40 s). */
const MAX_TICKS = 4000;
/** How close to an event's arrival a client stall must have ended to explain it. */
const STALL_SLACK_MS = 60;

export interface TimedEvent {
  seq: number | null;
  offsetMs: number | null;
  /** Client clock (same as requestSentAt). */
  arrivedAt: number;
  /** arrivedAt - (requestSentAt + offsetMs); null when the event carried no offsetMs. */
  delayMs: number | null;
  batched: boolean;
  data: string;
}

export interface SseTiming {
  events: TimedEvent[];
  eventsCount: number;
  firstEventDelayMs: number | null;
  maxEventDelayMs: number | null;
  batchedCount: number;
  /** Events that arrived together only because this machine's own event loop was stalled (not counted as batched). */
  stalledCount: number;
  /** The longest stall of this machine's event loop seen while reading (ms), when ticks were given. */
  maxStallMs: number | null;
  buffered: boolean;
  /** Why buffered (for the message). */
  bufferedReason: string | null;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/** Incremental: push decoded body chunks with their arrival time; read summary() at any point. */
export class SseTimer {
  readonly events: TimedEvent[] = [];
  private readonly parser: EventSourceParser;
  private readonly decoder = new TextDecoder();
  private now = 0;
  private readonly ticks: number[] = [];

  constructor(private readonly requestSentAt: number) {
    this.parser = createParser({
      onEvent: (ev) => {
        if (this.events.length >= MAX_EVENTS) return;
        let seq: number | null = null;
        let offsetMs: number | null = null;
        try {
          const j = JSON.parse(ev.data) as { seq?: unknown; offsetMs?: unknown };
          if (typeof j.seq === 'number') seq = j.seq;
          if (typeof j.offsetMs === 'number') offsetMs = j.offsetMs;
        } catch {
          /* not netready's JSON: counted, untimed */
        }
        const delayMs = offsetMs === null ? null : r1(this.now - (this.requestSentAt + offsetMs));
        this.events.push({ seq, offsetMs, arrivedAt: this.now, delayMs, batched: false, data: ev.data.slice(0, 200) });
      },
    });
  }

  /** Returns the number of events parsed so far. */
  push(chunk: Buffer | string, arrivedAt: number): number {
    this.now = arrivedAt;
    this.parser.feed(typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
    return this.events.length;
  }

  /**
   * A tick of this machine's clock while reading (the caller's timer, every ~10 ms). A long gap
   * between ticks is this machine's event loop stalled (a busy CPU): events that piled up meanwhile
   * arrive together without any middlebox holding them, and must not count as batched.
   */
  tick(at: number): void {
    if (this.ticks.length < MAX_TICKS) this.ticks.push(at);
  }

  /** The longest stall of the client's loop that ended just before `at` (0 when none is known). */
  private stallEndingAt(at: number): number {
    let best = 0;
    for (let i = 1; i < this.ticks.length; i++) {
      const end = this.ticks[i];
      if (end < at - STALL_SLACK_MS || end > at + STALL_SLACK_MS) continue;
      best = Math.max(best, end - this.ticks[i - 1]);
    }
    return best;
  }

  summary(): SseTiming {
    const ev = this.events;
    let batchedCount = 0;
    let stalledCount = 0;
    for (let i = 1; i < ev.length; i++) {
      const a = ev[i - 1];
      const b = ev[i];
      const sentGap = a.offsetMs !== null && b.offsetMs !== null ? b.offsetMs - a.offsetMs : null;
      if (sentGap !== null && sentGap >= SSE_BATCH_SENT_GAP_MS && b.arrivedAt - a.arrivedAt <= SSE_BATCH_ARRIVAL_MS) {
        // Our own stall long enough to hold b back to a's arrival explains it: not a middlebox.
        if (this.stallEndingAt(b.arrivedAt) >= sentGap - SSE_BATCH_ARRIVAL_MS) {
          stalledCount++;
          continue;
        }
        b.batched = true;
        batchedCount++;
      }
    }
    let maxStallMs: number | null = null;
    for (let i = 1; i < this.ticks.length; i++) maxStallMs = Math.max(maxStallMs ?? 0, this.ticks[i] - this.ticks[i - 1]);
    const delays = ev.map((e) => e.delayMs).filter((d): d is number => d !== null);
    const firstEventDelayMs = ev.length ? ev[0].delayMs : null;
    const maxEventDelayMs = delays.length ? Math.max(...delays) : null;
    let bufferedReason: string | null = null;
    if (firstEventDelayMs !== null && firstEventDelayMs > SSE_LATE_MS)
      bufferedReason = `the first event arrived ${Math.round(firstEventDelayMs)} ms after it was sent (limit ${SSE_LATE_MS} ms)`;
    else if (batchedCount >= Math.max(SSE_BATCHED_LIMIT, Math.ceil((ev.length - 1) / 2)))
      bufferedReason = `${batchedCount} of ${ev.length} events sent ≥ ${SSE_BATCH_SENT_GAP_MS} ms apart arrived together with the one before`;
    return {
      events: ev,
      eventsCount: ev.length,
      firstEventDelayMs,
      maxEventDelayMs,
      batchedCount,
      stalledCount,
      maxStallMs: maxStallMs === null ? null : r1(maxStallMs),
      buffered: bufferedReason !== null,
      bufferedReason,
    };
  }
}

/** One-shot form: (requestSentAt, chunks with arrival times) -> timing. */
export function analyzeSse(requestSentAt: number, chunks: { at: number; data: Buffer | string }[]): SseTiming {
  const t = new SseTimer(requestSentAt);
  for (const c of chunks) t.push(c.data, c.at);
  return t.summary();
}
