// quality.throughput — download and upload rate over WebSocket/TLS to the --probe server
// (src/serve/bandwidth.ts), in the manner of ndt7: bounded time, slow start discarded, stopped
// early once the rate is stable (src/protocol/throughput.ts). Target: the probe's HOST.
// STREAMS (4) connections per direction at once, their byte counts summed, as speed tests do:
// measured in the lab at 5 Mbit/s, one stream alone lost 200-400 ms to a retransmission timeout
// in a 1.25 s window (uploads ~30 % short), and at 200 ms RTT one stream is still in slow start
// when the time runs out. On a long path about two RTTs of slow start are discarded.
// Seed 000_637c892c7d775e13.txt "Bandwidth and performance": "at least 3 Mbps up and down per
// participant".
//
// Download: the client counts the bytes it receives (TLS payload: WebSocket frames of 64 KiB, so
// the 10-byte frame headers are 0.015 % of it). Upload: the server counts what arrives and reports
// every 100 ms; the client's own count would include what still sits in its socket buffers.
// Both figures are application goodput, the same layer iperf3 reports (TCP payload).
// Before the download, five WebSocket pings on the idle connection give wsRttMs.
//
// metrics: downBps, upBps, wsRttMs (metric names must end in a unit: schema/report.v1.json).
// details: host, seconds, down/up {bytes, ms, stable (the estimate settled before the time ran
// out), windowsBps}, videoResolution (what the slower direction supports, 75 % rule), proxy.

import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { abortError, NetError } from '../shared/errors.js';
import type { RunConfig } from '../shared/config.js';
import type { ProfileSet } from '../shared/profile-types.js';
import { probeProxy } from '../net/probe-client.js';
import { dial } from '../net/dial.js';
import { wsOpen, type WsOpened } from '../net/ws-client.js';
import { encodeClientFrame } from '../net/ws-frame.js';
import { ThroughputEstimator, THROUGHPUT_DEFAULTS, videoResolutionFor, type ThroughputEstimate } from '../protocol/throughput.js';
import { DIRECTION_SHARE, PINGS, qualitySchedule } from './quality-schedule.js';
import { probeHostName, sleep, targetHost } from './media-net.js';
import { ICE_TARGETS } from './webrtc-ice.js';
import { taskKey, type CheckContext, type CheckDef, type CheckOutcome, type CheckTask } from './types.js';
import type { ThroughputDetails } from '../shared/evidence.js';

/** Parallel TCP streams per direction (as speed tests do): one stream stalled on a retransmission
 * timeout, or still in slow start on a long path, no longer stalls the measurement. */
export const STREAMS = 4;
const UP_FRAME_BYTES = 4 * 1024;

export function planThroughput(profiles: ProfileSet, config: RunConfig): CheckTask[] {
  if (!profiles.media || !config.probe || !(config.qualityMs > 0)) return [];
  const host = probeHostName(config);
  if (!host) return [];
  const target = targetHost(host);
  // webrtc.ice is planned beside it (same condition): measure once those sessions ended, whatever
  // their status (the schedule's named deadlines: quality-schedule.ts).
  return [
    {
      key: taskKey('quality.throughput', target),
      id: 'quality.throughput',
      target,
      dependsOn: [],
      params: {},
      priority: -10,
      after: ICE_TARGETS.map((t) => taskKey('webrtc.ice', t)),
      window: qualitySchedule(config.qualityMs, config.timeouts).throughput,
    },
  ];
}

interface Direction {
  est: ThroughputEstimate;
  bytes: number;
  ms: number;
}

interface Conn {
  sock: Duplex & { destroy(): void; writableLength: number };
  opened: WsOpened;
  proxy: { display: string; source: string } | null;
  inspected: boolean;
}

async function connect(ctx: CheckContext, path: string): Promise<Conn> {
  const url = new URL(ctx.config.probe!);
  const tlsOn = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (tlsOn ? 443 : 80));
  const choice = await probeProxy(ctx.config, ctx.proxy, ctx.signal);
  // Through an intercepting middlebox too: it is on the path the measurement is about (inspected is recorded).
  const d = await dial({ host, port, tls: tlsOn, alpn: ['http/1.1'], allowUntrusted: true, proxy: choice }, ctx);
  const sock = d.socket as unknown as Conn['sock'];
  sock.on('error', () => {});
  let opened: WsOpened;
  try {
    opened = await wsOpen(sock, url.host, path, { signal: ctx.signal, now: ctx.now, firstByteMs: ctx.timeouts.firstByteMs });
  } catch (e) {
    sock.destroy();
    throw e;
  }
  if (!opened.upgraded) {
    sock.destroy();
    throw new NetError('WS_NO_UPGRADE', `the probe answered the WebSocket upgrade of ${path} with HTTP ${opened.head.status}`, 'failed', { status: opened.head.status });
  }
  return { sock, opened, proxy: d.proxy, inspected: d.inspected };
}

/** The socket whose bytesRead counts TCP payload: the TCP socket under our TLS (Node keeps it as
 * `_parent`), else the socket itself. */
export function wireSocket(sock: unknown): { bytesRead: number } {
  const p = (sock as { _parent?: { bytesRead?: unknown } })._parent;
  return p && typeof p.bytesRead === 'number' ? (p as { bytesRead: number }) : (sock as { bytesRead: number });
}

/** Pings on the idle connection; resolves the RTTs that came back. */
async function pings(c: Conn, ctx: CheckContext, n: number): Promise<number[]> {
  const rtts: number[] = [];
  let waiting: { payload: Buffer; t0: number; done: (ok: boolean) => void } | null = null;
  const onData = (chunk: Buffer) => {
    for (const f of c.opened.decoder.push(chunk)) {
      if (f.opcode === 10 && waiting && f.payload.equals(waiting.payload)) {
        rtts.push(ctx.now() - waiting.t0);
        waiting.done(true);
      }
    }
  };
  c.sock.on('data', onData);
  if (c.opened.head.rest.length) onData(c.opened.head.rest);
  c.sock.resume();
  try {
    for (let i = 0; i < n && !ctx.signal.aborted; i++) {
      const payload = randomBytes(8);
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), Math.min(1000, ctx.timeouts.firstByteMs));
        waiting = {
          payload,
          t0: ctx.now(),
          done: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
        };
        c.sock.write(encodeClientFrame(payload, 9));
      });
      waiting = null;
      if (!ok) break;
    }
  } finally {
    c.sock.off('data', onData);
  }
  return rtts;
}

/** Wait until the estimate is stable or the budget is spent. */
async function runFor(est: ThroughputEstimator, budgetMs: number, t0: () => number | null, ctx: CheckContext, failed: () => boolean): Promise<ThroughputEstimate> {
  const start = ctx.now();
  for (let i = 0; i < 10_000 && !ctx.signal.aborted && !failed(); i++) {
    await sleep(25, ctx.signal);
    const e = est.estimate();
    if (e.stable) return e;
    const began = t0() ?? start;
    if (ctx.now() - began >= budgetMs) break;
    if (ctx.now() - start >= budgetMs + 2_000) break; // nothing arrives at all
  }
  return est.estimate();
}

/** Open STREAMS connections at once; the ones that fail are dropped (all failing: the first error). */
async function connectAll(ctx: CheckContext, path: string, n: number): Promise<Conn[]> {
  const got = await Promise.allSettled(Array.from({ length: n }, () => connect(ctx, path)));
  const conns = got.filter((g): g is PromiseFulfilledResult<Conn> => g.status === 'fulfilled').map((g) => g.value);
  if (!conns.length) throw (got[0] as PromiseRejectedResult).reason;
  return conns;
}

function estimatorFor(rttMs: number | null): ThroughputEstimator {
  // Slow start lasts a few round trips: on a long path (≥ 100 ms) discard about two RTTs.
  const settle = rttMs !== null && rttMs >= 50 ? 2 * rttMs : 0;
  return new ThroughputEstimator({ fallbackSkipMs: settle, skipWindows: Math.max(1, Math.ceil(settle / THROUGHPUT_DEFAULTS.windowMs)) });
}

/**
 * Download streams for a path of this RTT (the rate is not known yet): one stream fills a short path
 * (ndt7 uses one); several only pay where slow start over a long RTT would eat the budget. On a slow,
 * short link four streams each hold a window of a packet or two and every loss in the shaper's
 * queue costs a retransmission timeout (2 Mbit/s read 0.93 with four).
 */
export function downloadStreams(rttMs: number | null): number {
  return rttMs !== null && rttMs >= 50 ? STREAMS : 1;
}

async function measureDown(ctx: CheckContext, budgetMs: number): Promise<{ dir: Direction; rtts: number[]; conn: Conn; streams: number }> {
  const opened = await connectAll(ctx, `/.netready/down?ms=${budgetMs + 1000}`, STREAMS);
  let conns = opened;
  try {
    const rtts = await pings(conns[0], ctx, PINGS);
    const sorted = [...rtts].sort((a, b) => a - b);
    const medianRtt = sorted.length ? sorted[Math.floor(sorted.length / 2)] : null;
    const est = estimatorFor(medianRtt);
    // The server sends only after "go": the streams not needed are closed unused.
    conns = opened.slice(0, downloadStreams(medianRtt));
    for (const c of opened.slice(conns.length)) c.sock.destroy();
    // Counted at the TCP payload layer (TLS records: what iperf3 counts), summed over the
    // streams, sampled every 20 ms.
    const wires = conns.map((c) => wireSocket(c.sock));
    const sum = () => wires.reduce((n, w) => n + w.bytesRead, 0);
    const base = sum();
    let bytes = 0;
    let t0: number | null = null;
    let closed = 0;
    const sample = () => {
      const now = ctx.now();
      const n = sum() - base;
      if (t0 === null) {
        if (n <= 0) return;
        t0 = now;
      }
      bytes = n;
      est.add(now - t0, n);
    };
    const sampler = setInterval(sample, 20);
    for (const c of conns) {
      c.sock.on('data', () => {
        /* consumed; counted below */
      });
      c.sock.once('close', () => closed++);
      c.sock.write(encodeClientFrame(Buffer.from('go'), 1));
      c.sock.resume();
    }
    let e: ThroughputEstimate;
    try {
      e = await runFor(est, budgetMs, () => t0, ctx, () => closed >= conns.length);
    } finally {
      clearInterval(sampler);
    }
    return { dir: { est: e, bytes, ms: t0 === null ? 0 : ctx.now() - t0 }, rtts, conn: conns[0], streams: conns.length };
  } finally {
    for (const c of opened) c.sock.destroy();
  }
}

/**
 * Upload streams for a link of this rate and RTT (from the download phase): parallel streams only
 * pay where one TCP window cannot fill the path (bandwidth-delay product above 64 KiB, e.g. 200 ms
 * RTT). On a slow, short link four streams each hold a window of a packet or two, and every loss in
 * the shaper's small queue costs a retransmission timeout: 2 Mbit/s read 10 % low with four, within
 * 5 % with one.
 */
export function uploadStreams(downBps: number | null, rttMs: number | null): number {
  if (downBps === null || rttMs === null) return STREAMS;
  const bdpBytes = (downBps / 8) * (rttMs / 1000);
  return Math.max(1, Math.min(STREAMS, Math.ceil(bdpBytes / 65_536)));
}

async function measureUp(ctx: CheckContext, budgetMs: number, rttMs: number | null, streams: number): Promise<{ dir: Direction; conn: Conn; streams: number }> {
  const conns = await connectAll(ctx, `/.netready/up?ms=${budgetMs + 1000}`, streams);
  try {
    const est = estimatorFor(rttMs);
    // Each stream's server reports its own count every 50 ms; the sum is sampled when a report
    // arrives (client clock: the reports ride the idle direction, so their delay is constant).
    const latest = conns.map(() => 0);
    const sum = () => latest.reduce((a, b) => a + b, 0);
    let t0: number | null = null;
    let base = 0;
    let closed = 0;
    let stop = false;
    const payload = randomBytes(UP_FRAME_BYTES);
    conns.forEach((conn, idx) => {
      const onData = (chunk: Buffer) => {
        for (const f of conn.opened.decoder.push(chunk)) {
          if (f.opcode !== 1) continue;
          try {
            const r = JSON.parse(f.payload.toString('utf8')) as { bytes?: unknown; ms?: unknown };
            if (typeof r.bytes === 'number' && typeof r.ms === 'number' && Number.isFinite(r.bytes) && Number.isFinite(r.ms) && r.bytes >= latest[idx]) {
              latest[idx] = r.bytes;
              const now = ctx.now();
              if (t0 === null) {
                // the first report is the base: the bytes before it are not timed
                t0 = now;
                base = sum();
              }
              est.add(now - t0, sum() - base);
            }
          } catch {
            /* not a report */
          }
        }
      };
      conn.sock.on('data', onData);
      if (conn.opened.head.rest.length) onData(conn.opened.head.rest);
      conn.sock.once('close', () => closed++);
      conn.sock.resume();
      // A few frames with different masks, sent in turn (the payload is random bytes either way).
      const frames = Array.from({ length: 8 }, () => encodeClientFrame(payload, 2));
      let k = 0;
      let gone = false;
      conn.sock.once('close', () => (gone = true));
      const pump = () => {
        for (let guard = 0; guard < 64 && !stop && !gone; guard++) {
          if (!conn.sock.write(frames[k++ % frames.length])) {
            conn.sock.once('drain', pump);
            return;
          }
        }
        if (!stop && !gone) setImmediate(pump);
      };
      pump();
    });
    const e = await runFor(est, budgetMs, () => t0, ctx, () => closed >= conns.length);
    stop = true;
    return { dir: { est: e, bytes: e.totalBytes, ms: e.elapsedMs }, conn: conns[0], streams: conns.length };
  } finally {
    for (const c of conns) c.sock.destroy();
  }
}


export async function runThroughput(_task: CheckTask, ctx: CheckContext): Promise<CheckOutcome<ThroughputDetails>> {
  const host = probeHostName(ctx.config) ?? _task.target;
  const budgetMs = Math.max(300, Math.round(ctx.config.qualityMs * DIRECTION_SHARE));
  const down = await measureDown(ctx, budgetMs);
  if (ctx.signal.aborted) throw abortError(ctx.signal);
  const downRtts = [...down.rtts].sort((a, b) => a - b);
  const medianRtt = downRtts.length ? downRtts[Math.floor(downRtts.length / 2)] : null;
  const up = await measureUp(ctx, budgetMs, medianRtt, uploadStreams(down.dir.est.bps, medianRtt));
  if (ctx.signal.aborted) throw abortError(ctx.signal);

  const rtts = [...down.rtts].sort((a, b) => a - b);
  const metrics: Record<string, number> = {};
  const dirDetails = (d: Direction) => ({
    bytes: Math.round(d.bytes),
    ms: Math.round(d.ms),
    stable: d.est.stable,
    rising: d.est.rising,
    windowsBps: d.est.windows.map((w) => Math.round(w)),
    fromMs: d.est.fromMs,
    toMs: d.est.toMs,
  });
  if (down.dir.est.bps !== null) metrics.downBps = Math.round(down.dir.est.bps);
  if (up.dir.est.bps !== null) metrics.upBps = Math.round(up.dir.est.bps);
  if (rtts.length) metrics.wsRttMs = Math.round(rtts[Math.floor(rtts.length / 2)] * 10) / 10;
  const slower = Math.min(metrics.downBps ?? 0, metrics.upBps ?? 0);
  const res = videoResolutionFor(slower);
  const details = {
    host,
    seconds: Math.round((down.dir.ms + up.dir.ms) / 100) / 10,
    down: dirDetails(down.dir),
    up: dirDetails(up.dir),
    videoResolution: metrics.downBps !== undefined && metrics.upBps !== undefined ? (res?.name ?? 'none') : null,
    streams: { down: down.streams, up: up.streams },
    proxy: down.conn.proxy,
    inspected: down.conn.inspected,
  };
  if (metrics.downBps === undefined || metrics.upBps === undefined) {
    const which = [metrics.downBps === undefined ? 'download' : '', metrics.upBps === undefined ? 'upload' : ''].filter(Boolean).join(' and ');
    const got = (metrics.downBps === undefined ? down.dir.bytes : 0) + (metrics.upBps === undefined ? up.dir.bytes : 0);
    const message = got > 0 ? `too little ${which} data to measure a rate (${Math.round(got)} bytes, under one ${THROUGHPUT_DEFAULTS.windowMs} ms window)` : `no ${which} data came through the probe's WebSocket`;
    return { status: 'failed', metrics, error: { code: 'THROUGHPUT_NO_DATA', message }, details };
  }
  return { status: 'ok', metrics, details };
}

export const qualityThroughput: CheckDef<ThroughputDetails> = {
  id: 'quality.throughput',
  title: 'Throughput down and up over WebSocket/TLS to the probe (ndt7-like)',
  plan: planThroughput,
  run: runThroughput,
};
