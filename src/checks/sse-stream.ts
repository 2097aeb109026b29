// sse.stream https://HOST/virtual-room/ID/event: the event stream opens and events arrive on time,
// one by one. seed 000_637c892c7d775e13.txt: "Must not buffer streaming responses. Antivirus or DLP
// proxies that hold responses for scanning break Server-Sent Events".

import type { CheckDef, CheckTask } from './types.js';
import { readBody, proxyRefusalMarker } from '../net/http1.js';
import { keepHeaders } from '../net/dial.js';
import { SseTimer } from '../protocol/sse-timing.js';
import { openWebTask, planPathTasks, r1, requestEventStream, withDetails } from '../net/web.js';

/** The stream netready asks serve for: 8 events 250 ms apart (about 1.75 s). */
export const SSE_INTERVAL_MS = 250;
export const SSE_COUNT = 8;

export const sseStream: CheckDef = {
  id: 'sse.stream',
  title: 'Server-Sent Events arrive on time, unbuffered',
  plan(profiles, config): CheckTask[] {
    // The longest short check (~1.8 s of events): started first among its peers.
    return planPathTasks('sse.stream', profiles.hosts, config, { specs: (h) => h.sse, priority: 20 });
  },
  async run(task, ctx) {
    const dw = await openWebTask(task, ctx);
    if (!dw.ok) return dw.outcome;
    const { sock, details } = dw;
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
      const s = timer.summary();
      details.end = body.end;
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
      sock.destroy();
    }
  },
};
