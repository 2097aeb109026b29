// ws.upgrade wss://HOST/PATH: the WebSocket upgrade completes (101 with the right accept key) and
// frames pass after it. seed 000_637c892c7d775e13.txt checklist item 2: "WebSocket upgrade succeeds
// through the proxy on port 443"; "TLS inspection ... breaks WebSocket upgrades".
//
// Two far ends (contract, "Two kinds of far end"):
// - a vendor host is a real server: no echo, logins everywhere. What it proves: 101 with the right
//   Sec-WebSocket-Accept, then a ping answered by a pong (RFC 6455 requires it of every server) or
//   any frame it sends, a Close included. Over TLS that ends at the vendor's own chain (not
//   inspected), every HTTP answer is the origin's own: a refusal of the unauthenticated upgrade
//   (401, 403, 404, …) proves the path, and is recorded (details.refusedByOrigin), not blocked.
// - the probe (netready serve) echoes: a text frame must come back.

import type { CheckDef, CheckOutcome, CheckTask } from './types.js';
import type { WsUpgradeDetails } from '../shared/evidence.js';
import { proxyRefusalMarker } from '../net/http1.js';
import { keepHeaders } from '../net/dial.js';
import { wsClose, wsEcho, wsOpen, wsPing, type WsOpened } from '../net/ws-client.js';
import { hostHeader, openWebTask, planPathTasks, withDetails } from './web.js';

function noUpgrade(task: CheckTask, opened: WsOpened, details: WsUpgradeDetails): CheckOutcome<WsUpgradeDetails> {
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
      : `answered ${opened.head.status} instead of 101${details.inspected ? ' (an intercepting proxy strips Upgrade)' : ''}`;
  return {
    status: 'failed',
    metrics: { upgradeMs: opened.upgradeMs },
    error: { code: 'WS_NO_UPGRADE', message: `the WebSocket upgrade of ${task.target} ${why}` },
    details: { ...details, acceptOk: opened.acceptOk, headers: keepHeaders(opened.head.headers) },
  };
}

export const wsUpgrade: CheckDef<WsUpgradeDetails> = {
  id: 'ws.upgrade',
  title: 'WebSocket upgrades complete and frames pass after them',
  plan(profiles, config): CheckTask[] {
    // Long (a round trip after the upgrade): started early, see CheckTask.priority.
    return planPathTasks('ws.upgrade', profiles.hosts, config, { specs: (h) => h.ws, ws: true, priority: 10 });
  },
  async run(task, ctx) {
    const dw = await openWebTask<WsUpgradeDetails>(task, ctx);
    if (!dw.ok) return dw.outcome;
    const { p, path, sock, details } = dw;
    const vendor = task.params.farEnd !== 'probe';
    try {
      const c = { signal: ctx.signal, now: ctx.now, firstByteMs: ctx.timeouts.firstByteMs };
      const opened = await wsOpen(sock, hostHeader(p.host, p.port, p.tls), path, c);
      details.status = opened.head.status;
      if (!opened.upgraded) {
        // End-to-end TLS to the vendor's own chain: the answer is the origin's, and it proves the path.
        if (vendor && p.tls && !details.inspected && opened.head.status !== 101) {
          details.refusedByOrigin = opened.head.status;
          return { status: 'ok', metrics: { upgradeMs: opened.upgradeMs }, details: { ...details, headers: keepHeaders(opened.head.headers) } };
        }
        return noUpgrade(task, opened, details);
      }
      if (vendor) {
        const got = await wsPing(sock, opened, c);
        if (got === null)
          return {
            status: 'failed',
            metrics: { upgradeMs: opened.upgradeMs },
            error: { code: 'WS_NO_FRAMES', message: `${task.target} answered 101, then no pong (or any frame) within ${c.firstByteMs} ms` },
            details,
          };
        details.answer = got.answer;
        return { status: 'ok', metrics: { upgradeMs: opened.upgradeMs, pingRttMs: got.rttMs }, details };
      }
      const rtt = await wsEcho(sock, opened, c);
      if (rtt === null)
        return {
          status: 'failed',
          metrics: { upgradeMs: opened.upgradeMs },
          error: { code: 'WS_NO_FRAMES', message: `${task.target} answered 101, then the echo of a text frame did not come back within ${c.firstByteMs} ms` },
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
