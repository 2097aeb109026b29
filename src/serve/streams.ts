// The long-lived answers of `netready serve`: timed SSE event streams and the WebSocket echo.
// Both are bounded in time (maxStreamMs) and registered so close() can end them at once; the echo
// also in memory: it stops reading a client that does not read its echoes (WebSocket pause while
// more than highWaterBytes wait to be sent) and closes it (1008) past maxBufferedBytes, or when it
// stays paused for stalledMs.

import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';

export const STREAM_DEFAULTS = {
  sseIntervalMs: 250,
  sseMinIntervalMs: 20,
  sseMaxIntervalMs: 60_000,
  sseCount: 8,
  sseMaxCount: 200,
  /** Echo bytes waiting to be sent before the serve stops reading the client. */
  wsHighWaterBytes: 256 * 1024,
  /** Past this the client is closed (1008): it sends and never reads. */
  wsMaxBufferedBytes: 1024 * 1024,
  /** A client paused this long (its echoes not read) is closed (1008). */
  wsStalledMs: 30_000,
} as const;

const round1 = (n: number) => Math.round(n * 10) / 10;

function intParam(v: string | null, def: number, min: number, max: number): number {
  if (v === null || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n)) return def;
  return Math.min(max, Math.max(min, Math.round(n)));
}

/** Open streams, each with the function that ends it (close() ends them all). */
export class StreamSet {
  private readonly live = new Set<() => void>();
  /** WebSocket echoes paused (a client not reading) and closed for it. */
  readonly stats = { echoPaused: 0, echoClosedNotReading: 0 };
  add(end: () => void): () => void {
    this.live.add(end);
    return () => this.live.delete(end);
  }
  endAll(): void {
    for (const end of [...this.live]) end();
  }
  get size(): number {
    return this.live.size;
  }
}

/**
 * SSE: `id: <seq>\nevent: tick\ndata: {"seq":n,"offsetMs":x,"sentAt":epochMs}\n\n`, every
 * `interval` ms (default 250, 20..60000) `count` times (default 8, 1..200), or with idle=1 one
 * event and then silence until the client goes or maxStreamMs. offsetMs since the request arrived
 * (monotonic, 1 decimal). No X-Accel-Buffering header: buffering middleboxes must show.
 */
export function serveSse(res: http.ServerResponse, url: URL, arrivedAt: number, streams: StreamSet, maxStreamMs: number): void {
  const d = STREAM_DEFAULTS;
  const interval = intParam(url.searchParams.get('interval'), d.sseIntervalMs, d.sseMinIntervalMs, d.sseMaxIntervalMs);
  const count = intParam(url.searchParams.get('count'), d.sseCount, 1, d.sseMaxCount);
  const idle = url.searchParams.get('idle') === '1';
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Netready-Serve': '1' });
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  const capTimer = setTimeout(() => stop(true), maxStreamMs);
  const stop = (end: boolean) => {
    clearTimeout(timer);
    clearTimeout(capTimer);
    untrack();
    if (end && !res.writableEnded) res.end();
  };
  const untrack = streams.add(() => {
    stop(false);
    res.destroy();
  });
  res.once('close', () => stop(false));
  const send = () => {
    if (res.writableEnded || res.destroyed) return stop(false);
    seq += 1;
    const data = JSON.stringify({ seq, offsetMs: round1(performance.now() - arrivedAt), sentAt: Date.now() });
    res.write(`id: ${seq}\nevent: tick\ndata: ${data}\n\n`);
    if (idle) return; // one event, then silence until the client goes or maxStreamMs
    if (seq >= count) return stop(true);
    // Scheduled against the request's arrival so events do not drift.
    const due = arrivedAt + seq * interval;
    timer = setTimeout(send, Math.max(0, due - performance.now()));
  };
  send();
}

/** The WebSocket echo: every message back unchanged, no pings of our own, with backpressure. */
export function serveWsEcho(ws: WebSocket, streams: StreamSet, maxStreamMs: number, limits: { highWaterBytes?: number; maxBufferedBytes?: number; stalledMs?: number } = {}): void {
  const high = limits.highWaterBytes ?? STREAM_DEFAULTS.wsHighWaterBytes;
  const max = limits.maxBufferedBytes ?? STREAM_DEFAULTS.wsMaxBufferedBytes;
  const stalledMs = limits.stalledMs ?? STREAM_DEFAULTS.wsStalledMs;
  const capTimer = setTimeout(() => ws.close(1001, 'netready serve: stream time limit'), maxStreamMs);
  const untrack = streams.add(() => {
    clearTimeout(capTimer);
    ws.terminate();
  });
  let paused = false;
  let closing = false;
  let stallTimer: NodeJS.Timeout | undefined;
  const notReading = () => {
    // It sends and does not read: its echoes would pile up here.
    if (closing) return;
    closing = true;
    streams.stats.echoClosedNotReading++;
    ws.close(1008, 'netready serve: the client does not read its echoes');
    setTimeout(() => ws.terminate(), 1_000).unref();
  };
  // Each echo's write callback: once the queue is below half the mark, read the client again.
  const drained = () => {
    if (paused && ws.bufferedAmount < high / 2) {
      paused = false;
      clearTimeout(stallTimer);
      ws.resume();
    }
  };
  ws.on('message', (data, isBinary) => {
    if (closing || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > max) return notReading();
    ws.send(data, { binary: isBinary }, drained);
    if (!paused && ws.bufferedAmount >= high) {
      paused = true;
      streams.stats.echoPaused++;
      ws.pause();
      stallTimer = setTimeout(notReading, stalledMs);
    }
  });
  ws.on('error', () => {});
  ws.once('close', () => {
    clearTimeout(capTimer);
    clearTimeout(stallTimer);
    untrack();
  });
}
