// ws.upgrade wss://HOST/PATH: the WebSocket upgrade completes (101 with the right accept key) and a
// frame round-trips. seed 000_637c892c7d775e13.txt checklist item 2: "WebSocket upgrade succeeds
// through the proxy on port 443"; "TLS inspection ... breaks WebSocket upgrades".

import type { CheckDef, CheckTask } from './types.js';
import { proxyRefusalMarker } from '../net/http1.js';
import { keepHeaders } from '../net/dial.js';
import { wsClose, wsEcho, wsOpen } from '../net/ws-client.js';
import { hostHeader, openWebTask, planPathTasks, withDetails } from '../net/web.js';

export const wsUpgrade: CheckDef = {
  id: 'ws.upgrade',
  title: 'WebSocket upgrades complete and carry frames',
  plan(profiles, config): CheckTask[] {
    // Long (a round trip after the upgrade): started early, see CheckTask.priority.
    return planPathTasks('ws.upgrade', profiles.hosts, config, { specs: (h) => h.ws, ws: true, priority: 10 });
  },
  async run(task, ctx) {
    const dw = await openWebTask(task, ctx);
    if (!dw.ok) return dw.outcome;
    const { p, path, sock, details } = dw;
    try {
      const c = { signal: ctx.signal, now: ctx.now, firstByteMs: ctx.timeouts.firstByteMs };
      const opened = await wsOpen(sock, hostHeader(p.host, p.port, p.tls), path, c);
      details.status = opened.head.status;
      if (!opened.upgraded) {
        const marker = proxyRefusalMarker(opened.head.status, opened.head.headers);
        if (marker)
          return {
            status: 'failed',
            error: { code: 'HTTP_BLOCKED_BY_PROXY', message: `${task.target}: ${opened.head.status} from a middlebox (${marker})` },
            details: { ...details, blockedBy: 'proxy', marker, headers: keepHeaders(opened.head.headers) },
          };
        const why =
          opened.head.status === 101
            ? 'answered 101 with a wrong Sec-WebSocket-Accept'
            : `answered ${opened.head.status} instead of 101${dw.details.inspected ? ' (an intercepting proxy strips Upgrade)' : ''}`;
        return {
          status: 'failed',
          metrics: { upgradeMs: opened.upgradeMs },
          error: { code: 'WS_NO_UPGRADE', message: `the WebSocket upgrade of ${task.target} ${why}` },
          details: { ...details, acceptOk: opened.acceptOk, headers: keepHeaders(opened.head.headers) },
        };
      }
      const rtt = await wsEcho(sock, opened, c);
      if (rtt === null)
        return {
          status: 'failed',
          metrics: { upgradeMs: opened.upgradeMs },
          error: { code: 'WS_NO_FRAMES', message: `${task.target} upgraded (101) but no frame came back within ${c.firstByteMs} ms` },
          details,
        };
      return { status: 'ok', metrics: { upgradeMs: opened.upgradeMs, echoRttMs: rtt }, details };
    } catch (e) {
      throw withDetails(e, details);
    } finally {
      wsClose(sock);
    }
  },
};
