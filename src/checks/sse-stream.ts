// sse.stream: seed 000_637c892c7d775e13.txt: "Must not buffer streaming responses. Antivirus or DLP
// proxies that hold responses for scanning break Server-Sent Events".
// Two far ends (contract, "Two kinds of far end"):
// - https://SIGN-DOMAIN/virtual-room/ID/event, a vendor's real server: it wants a login, so what it
//   proves is that the origin answered the event-stream request (a 401 is fine) and no middlebox
//   refused it. Nothing netready-specific is asked of it.
// - the probe (netready serve): a timed stream (?interval=&count=) whose events must arrive on
//   time, one by one — buffering and batching are measured there, on the probe's path.

import type { CheckContext, CheckDef, CheckOutcome, CheckTask } from './types.js';
import type { SseStreamDetails } from '../shared/evidence.js';
import { readBody, proxyRefusalMarker } from '../net/http1.js';
import { keepHeaders } from '../net/dial.js';
import { SseTimer } from '../protocol/sse-timing.js';
import { openWebTask, planPathTasks, r1, requestEventStream, withDetails, type OpenedWebTask } from './web.js';

/** The event stream of a vendor's real server: the origin answered, nothing on the way refused it. */
async function vendorStream(task: CheckTask, dw: OpenedWebTask<SseStreamDetails>, ctx: CheckContext): Promise<CheckOutcome<SseStreamDetails>> {
  const { p, sock, details } = dw;
  try {
    const { head } = await requestEventStream(dw, '', ctx);
    details.status = head.status;
    details.contentType = head.headers['content-type'] ?? null;
    // Over TLS to the vendor's own chain the answer is the origin's; otherwise look for a refusal.
    const endToEnd = p.tls && !details.inspected;
    let body = '';
    if (!endToEnd && head.status >= 400) body = (await readBody(sock, head, { signal: ctx.signal, timeoutMs: Math.min(1000, ctx.timeouts.streamMs), maxBytes: 16 * 1024 })).body.toString('latin1');
    const marker = endToEnd ? null : proxyRefusalMarker(head.status, head.headers, body);
    if (marker)
      return {
        status: 'failed',
        error: { code: 'HTTP_BLOCKED_BY_PROXY', message: `${task.target}: ${head.status} from a middlebox (${marker})` },
        details: { ...details, blockedBy: 'proxy', marker, headers: keepHeaders(head.headers) },
      };
    if (head.status >= 500) details.originError = true;
    return { status: 'ok', details };
  } catch (e) {
    throw withDetails(e, details);
  } finally {
    sock.destroy();
  }
}

/** The stream netready asks serve for: 8 events 250 ms apart (about 1.75 s). */
export const SSE_INTERVAL_MS = 250;
export const SSE_COUNT = 8;
/** How often this machine's clock is sampled while the stream is read. */
const TICK_MS = 10;

export const sseStream: CheckDef<SseStreamDetails> = {
  id: 'sse.stream',
  title: 'Server-Sent Events arrive on time, unbuffered',
  plan(profiles, config): CheckTask[] {
    // The longest short check (~1.8 s of events): started first among its peers.
    return planPathTasks('sse.stream', profiles.hosts, config, { specs: (h) => h.sse, priority: 20 });
  },
  async run(task, ctx) {
    const dw = await openWebTask<SseStreamDetails>(task, ctx);
    if (!dw.ok) return dw.outcome;
    const { sock, details } = dw;
    if (task.params.farEnd !== 'probe') return vendorStream(task, dw, ctx);
    // This machine's own clock, ticking while the stream is read: a stalled event loop (a busy CPU)
    // lets events pile up, which must not read as a middlebox batching them (SseTimer.tick).
    const ticks: number[] = [];
    const ticker = setInterval(() => ticks.length < 4000 && ticks.push(ctx.now()), TICK_MS);
    try {
      const { head, sentAt } = await requestEventStream(dw, `interval=${SSE_INTERVAL_MS}&count=${SSE_COUNT}`, ctx);
      const timer = new SseTimer(sentAt);
      const contentType = head.headers['content-type'] ?? null;
      details.status = head.status;
      details.contentType = contentType;
      const marker = proxyRefusalMarker(head.status, head.headers);
      if (marker)
        return {
          status: 'failed',
          error: { code: 'HTTP_BLOCKED_BY_PROXY', message: `${task.target}: ${head.status} from a middlebox (${marker})` },
          details: { ...details, blockedBy: 'proxy', marker, headers: keepHeaders(head.headers) },
        };
      if (head.status !== 200 || !/^text\/event-stream/i.test(contentType ?? ''))
        return {
          status: 'failed',
          error: { code: 'SSE_NO_STREAM', message: `${task.target} answered ${head.status} ${contentType ?? 'without a content type'}, not an event stream` },
          details: { ...details, headers: keepHeaders(head.headers) },
        };
      const streamMs = ctx.timeouts.streamMs;
      const body = await readBody(sock, head, {
        signal: ctx.signal,
        timeoutMs: Math.max(1, streamMs - (ctx.now() - sentAt)),
        maxBytes: 256 * 1024,
        onData: (piece) => timer.push(piece, ctx.now()) >= SSE_COUNT,
      });
      clearInterval(ticker);
      for (const at of ticks) timer.tick(at);
      const s = timer.summary();
      details.end = body.end;
      if (s.stalledCount) details.stalledCount = s.stalledCount;
      if (s.maxStallMs !== null) details.maxStallMs = s.maxStallMs;
      details.delaysMs = s.events.slice(0, SSE_COUNT).map((e) => e.delayMs);
      if (s.eventsCount === 0)
        return {
          status: 'failed',
          metrics: { eventsCount: 0, batchedCount: 0 },
          error: { code: 'SSE_NO_EVENTS', message: `${task.target} opened but no event arrived within ${streamMs} ms${body.end === 'closed' || body.end === 'complete' ? ' (the stream ended)' : ''}` },
          details,
        };
      const metrics: Record<string, number> = { eventsCount: s.eventsCount, batchedCount: s.batchedCount };
      if (s.firstEventDelayMs !== null) metrics.firstEventDelayMs = r1(s.firstEventDelayMs);
      if (s.maxEventDelayMs !== null) metrics.maxEventDelayMs = r1(s.maxEventDelayMs);
      if (s.buffered)
        return { status: 'failed', metrics, error: { code: 'SSE_BUFFERED', message: `${task.target}: ${s.bufferedReason}` }, details };
      return { status: 'ok', metrics, details };
    } catch (e) {
      throw withDetails(e, details);
    } finally {
      clearInterval(ticker);
      sock.destroy();
    }
  },
};
