// http.path https://HOST/PATH: the server answers the paths the product uses, and a middlebox's
// refusal is told apart from the server's answer. seed 000_637c892c7d775e13.txt: "/virtual-room/*,
// /graphql and /transaction/* must not be blocked by path filtering"; checklist item 1 (any HTTP
// status code proves the domain is reachable).

import type { CheckDef, CheckTask } from './types.js';
import { NetError } from '../cli/errors.js';
import { readBody, readHead, writeRequest, proxyRefusalMarker } from '../net/http1.js';
import { keepHeaders } from '../net/dial.js';
import { hostHeader, openWebTask, planPathTasks, r1, requestTarget, withDetails } from '../net/web.js';

export const httpPath: CheckDef = {
  id: 'http.path',
  title: 'The paths the product uses answer (not blocked by a proxy)',
  plan(profiles, config): CheckTask[] {
    return planPathTasks('http.path', profiles.hosts, config, { specs: (h) => h.http, params: (spec) => ({ anyStatus: !!spec.anyStatus }) });
  },
  async run(task, ctx) {
    const anyStatus = !!task.params.anyStatus;
    const dw = await openWebTask(task, ctx, { anyStatus });
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
      let body = '';
      if (head.status >= 400 && !head.headers['x-netready-serve']) {
        const b = await readBody(sock, head, { signal: ctx.signal, timeoutMs: Math.min(1000, ctx.timeouts.streamMs), maxBytes: 16 * 1024 });
        body = b.body.toString('latin1');
      }
      const marker = proxyRefusalMarker(head.status, head.headers, body);
      if (marker) {
        return {
          status: 'failed',
          metrics: { firstByteMs },
          error: { code: 'HTTP_BLOCKED_BY_PROXY', message: `${task.target}: ${head.status} from a middlebox (${marker}), not from the server` },
          details: { ...details, blockedBy: 'proxy', marker, headers: keepHeaders(head.headers) },
        };
      }
      if (!anyStatus && (head.status >= 500 || head.status === 404)) {
        return {
          status: 'failed',
          metrics: { firstByteMs },
          error: { code: 'HTTP_STATUS', message: `${task.target} answered ${head.status} ${head.statusText}`.trim() },
          details,
        };
      }
      return { status: 'ok', metrics: { firstByteMs }, details };
    } catch (e) {
      throw withDetails(e, details);
    } finally {
      sock.destroy();
    }
  },
};
