// http.path https://HOST/PATH: the origin answers the paths the product uses, and a middlebox's
// refusal is told apart from the origin's answer. seed 000_637c892c7d775e13.txt: "/virtual-room/*,
// /graphql and /transaction/* must not be blocked by path filtering"; checklist item 1 ("returns
// any HTTP status code"). A vendor host is a real server (contract, "Two kinds of far end"): any
// origin answer counts — 200, 302, 400, 401, 404 — and a 5xx is recorded (details.originError, an
// outage rather than the network) but is not a failure of the path. The answer is the origin's
// whenever TLS reached the vendor's own chain; through an intercepting middlebox (or plain HTTP)
// a refusal is recognised by its markers (proxyRefusalMarker).

import type { CheckDef, CheckTask } from './types.js';
import type { HttpPathDetails } from '../shared/evidence.js';
import { NetError } from '../shared/errors.js';
import { readBody, readHead, writeRequest, proxyRefusalMarker } from '../net/http1.js';
import { keepHeaders } from '../net/dial.js';
import { hostHeader, openWebTask, planPathTasks, r1, requestTarget, withDetails } from './web.js';

export const httpPath: CheckDef<HttpPathDetails> = {
  id: 'http.path',
  title: 'The paths the product uses answer (not blocked by a proxy)',
  plan(profiles, config): CheckTask[] {
    return planPathTasks('http.path', profiles.hosts, config, { specs: (h) => h.http });
  },
  async run(task, ctx) {
    const dw = await openWebTask<HttpPathDetails>(task, ctx);
    if (!dw.ok) return dw.outcome;
    const { p, path, sock, details, choice } = dw;
    try {
      const { target, headers } = requestTarget(p, path, choice);
      const t0 = ctx.now();
      writeRequest(sock, { target, host: hostHeader(p.host, p.port, p.tls), headers });
      const ms = ctx.timeouts.firstByteMs;
      const head = await readHead(sock, {
        timeoutMs: ms,
        signal: ctx.signal,
        timeoutError: () => new NetError('FIRST_BYTE_TIMEOUT', `no HTTP answer for ${path} within ${ms} ms`, 'timeout'),
        closedError: () => new NetError('CONN_RESET', `the connection closed before an HTTP answer for ${path}`, 'failed'),
      });
      const firstByteMs = r1(ctx.now() - t0);
      details.status = head.status;
      details.server = head.headers['server'] ?? null;
      // Over TLS that reached the vendor's own chain nothing on the way can answer for the origin.
      const endToEnd = p.tls && !details.inspected;
      let body = '';
      if (!endToEnd && head.status >= 400 && !head.headers['x-netready-serve']) {
        const b = await readBody(sock, head, { signal: ctx.signal, timeoutMs: Math.min(1000, ctx.timeouts.streamMs), maxBytes: 16 * 1024 });
        body = b.body.toString('latin1');
      }
      const marker = endToEnd ? null : proxyRefusalMarker(head.status, head.headers, body);
      if (marker) {
        return {
          status: 'failed',
          metrics: { firstByteMs },
          error: { code: 'HTTP_BLOCKED_BY_PROXY', message: `${task.target}: ${head.status} from a middlebox (${marker}), not from the server` },
          details: { ...details, blockedBy: 'proxy', marker, headers: keepHeaders(head.headers) },
        };
      }
      if (head.status >= 500) details.originError = true;
      return { status: 'ok', metrics: { firstByteMs }, details };
    } catch (e) {
      throw withDetails(e, details);
    } finally {
      sock.destroy();
    }
  },
};
