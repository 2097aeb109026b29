// conn.idle: a WebSocket and an event stream held silent for --idle-window; a middlebox that cuts
// them is measured (metrics.idleCutMs). seed 000_637c892c7d775e13.txt: "Proxies with short idle
// timeouts (for example, 60 seconds or a 5-minute hard cap) cause repeated drops".
// Held on the probe only (contract, "Two kinds of far end"): a vendor's real server closes an
// unauthenticated idle socket itself, which would read as a middlebox's cut.

import type { Duplex } from 'node:stream';
import type { CheckContext, CheckDef, CheckOutcome, CheckTask } from './types.js';
import { taskKey } from './types.js';
import type { ConnIdleDetails } from '../shared/evidence.js';
import { NetError } from '../shared/errors.js';
import { ChunkedDecoder } from '../net/http1.js';
import { SseTimer } from '../protocol/sse-timing.js';
import { wsClose, wsEcho, wsOpen } from '../net/ws-client.js';
import { watchSocket } from '../net/watch.js';
import { farEndOf, hostHeader, openWebTask, r1, requestEventStream, webDeps, webPort, webUrl, withDetails } from './web.js';

interface Hold {
  end: 'window' | 'closed' | 'aborted';
  heldMs: number;
}

/** Wait silently until the window ends, the peer closes, or the run stops. Data is fed to onData. */
function hold(sock: Duplex, windowMs: number, ctx: CheckContext, onData: (b: Buffer) => void = () => {}): Promise<Hold> {
  const t0 = ctx.now();
  const held = (end: Hold['end']): Hold => ({ end, heldMs: r1(ctx.now() - t0) });
  return watchSocket<Hold>(sock, {
    signal: ctx.signal,
    timeoutMs: windowMs,
    data: (b) => onData(b),
    closed: () => held('closed'),
    timeout: () => held('window'),
    aborted: () => held('aborted'),
  });
}

function holdOutcome(h: Hold, windowMs: number, kind: string, target: string, details: ConnIdleDetails): CheckOutcome<ConnIdleDetails> {
  if (h.end === 'closed')
    return {
      status: 'failed',
      metrics: { idleCutMs: h.heldMs },
      error: { code: 'IDLE_CUT', message: `the idle ${kind === 'ws' ? 'WebSocket' : 'event stream'} ${target} was cut after ${(h.heldMs / 1000).toFixed(1)} s` },
      details,
    };
  if (h.end === 'aborted')
    return {
      status: 'timeout',
      metrics: { heldMs: h.heldMs },
      error: { code: 'DEADLINE_EXCEEDED', message: `the run ended after ${(h.heldMs / 1000).toFixed(1)} s of the ${(windowMs / 1000).toFixed(1)} s idle window` },
      details,
    };
  return { status: 'ok', metrics: { heldMs: h.heldMs }, details };
}

async function runWs(task: CheckTask, ctx: CheckContext): Promise<CheckOutcome<ConnIdleDetails>> {
  const dw = await openWebTask<ConnIdleDetails>(task, ctx, { kind: 'ws' });
  if (!dw.ok) return dw.outcome;
  const { p, path, sock, details } = dw;
  const windowMs = ctx.config.idleWindowMs;
  try {
    const c = { signal: ctx.signal, now: ctx.now, firstByteMs: ctx.timeouts.firstByteMs };
    const opened = await wsOpen(sock, hostHeader(p.host, p.port, p.tls), path, c);
    if (!opened.upgraded)
      return { status: 'failed', error: { code: 'WS_NO_UPGRADE', message: `the WebSocket upgrade of ${path} answered ${opened.head.status}` }, details: { ...details, status: opened.head.status } };
    let pending: Buffer = Buffer.from(opened.head.rest);
    const held = await hold(sock, windowMs, ctx, (b) => {
      if (pending.length < 64 * 1024) pending = Buffer.concat([pending, b]);
    });
    if (held.end !== 'window') return holdOutcome(held, windowMs, 'ws', task.target, details);
    // A silently dropped tunnel (NAT / proxy state gone) shows only when we talk again.
    const rtt = await wsEcho(sock, opened, c, pending);
    if (rtt === null)
      return {
        status: 'failed',
        metrics: { idleCutMs: held.heldMs },
        error: { code: 'IDLE_CUT', message: `the idle WebSocket ${task.target} no longer carried frames after ${(held.heldMs / 1000).toFixed(1)} s` },
        details: { ...details, silent: true },
      };
    return { status: 'ok', metrics: { heldMs: held.heldMs, echoRttMs: rtt }, details };
  } catch (e) {
    throw withDetails(e, details);
  } finally {
    wsClose(sock);
  }
}

async function runSse(task: CheckTask, ctx: CheckContext): Promise<CheckOutcome<ConnIdleDetails>> {
  const dw = await openWebTask<ConnIdleDetails>(task, ctx, { kind: 'sse' });
  if (!dw.ok) return dw.outcome;
  const { path, sock, details } = dw;
  const windowMs = ctx.config.idleWindowMs;
  try {
    const { head, sentAt } = await requestEventStream(dw, 'idle=1', ctx);
    details.status = head.status;
    if (head.status !== 200 || !/^text\/event-stream/i.test(head.headers['content-type'] ?? ''))
      return { status: 'failed', error: { code: 'SSE_NO_STREAM', message: `${path} answered ${head.status}, not an event stream` }, details };
    const timer = new SseTimer(sentAt);
    const dec = /chunked/i.test(head.headers['transfer-encoding'] ?? '') ? new ChunkedDecoder() : null;
    const feed = (b: Buffer) => {
      for (const piece of dec ? dec.push(b) : [b]) timer.push(piece, ctx.now());
    };
    // Wait for the one event, then hold silent.
    if (head.rest.length) feed(head.rest);
    if (timer.events.length === 0) {
      const first = await watchSocket<'event' | 'closed' | 'timeout' | 'aborted'>(sock, {
        signal: ctx.signal,
        timeoutMs: ctx.timeouts.streamMs,
        data(b, end) {
          feed(b);
          if (timer.events.length > 0) end('event');
        },
        closed: () => 'closed',
        timeout: () => 'timeout',
        aborted: () => 'aborted',
      });
      if (first === 'aborted') throw new NetError('DEADLINE_EXCEEDED', 'the run ended before the idle stream started', 'timeout');
      if (first !== 'event')
        return { status: 'failed', error: { code: 'SSE_NO_EVENTS', message: `${path}?idle=1 sent no event within ${ctx.timeouts.streamMs} ms` }, details };
    }
    const held = await hold(sock, windowMs, ctx, feed);
    return holdOutcome(held, windowMs, 'sse', task.target, details);
  } catch (e) {
    throw withDetails(e, details);
  } finally {
    sock.destroy();
  }
}

export const connIdle: CheckDef<ConnIdleDetails> = {
  id: 'conn.idle',
  title: 'Idle long-lived connections are not cut',
  plan(profiles, config): CheckTask[] {
    const tasks: CheckTask[] = [];
    for (const h of profiles.hosts) {
      if (!h.idle || farEndOf(h) !== 'probe') continue;
      const port = webPort(h);
      const ws = h.ws[0];
      if (ws) {
        const wsTarget = webUrl(h.host, ws.path, h.tls, true, port);
        const target = `${wsTarget}#idle`;
        tasks.push({ key: taskKey('conn.idle', target), id: 'conn.idle', target, dependsOn: [taskKey('ws.upgrade', wsTarget)], host: h, background: true, priority: 30, params: { kind: 'ws', path: ws.path, port, tls: h.tls, farEnd: 'probe' } });
      }
      // The stream hold starts at once (not after sse.stream's ~2 s) so it overlaps the other checks.
      const sse = h.sse[0];
      if (sse) {
        const sseTarget = webUrl(h.host, sse.path, h.tls, false, port);
        const target = `${sseTarget}#idle`;
        tasks.push({ key: taskKey('conn.idle', target), id: 'conn.idle', target, dependsOn: webDeps(h.host, port, h.tls, config, h), host: h, background: true, priority: 30, params: { kind: 'sse', path: sse.path, port, tls: h.tls, farEnd: 'probe' } });
      }
    }
    return tasks;
  },
  run(task, ctx) {
    return task.params.kind === 'ws' ? runWs(task, ctx) : runSse(task, ctx);
  },
};
