// Shared plumbing of the web-layer checks (http.path, ws.upgrade, sse.stream, conn.idle): pick the
// proxy for the URL, dial (through an intercepting middlebox if need be, for the diagnosis only),
// and turn lower-layer failures into the same "skipped" reasons the engine would give.

import type { CheckContext, CheckOutcome, CheckTask } from './types.js';
import type { HostEntry } from '../shared/profile-types.js';
import { NetError } from '../shared/errors.js';
import { dial, type Dialed } from '../net/dial.js';
import { proxySummary, type ProxyChoice } from '../net/proxy.js';
import { keepHeaders } from '../net/dial.js';
import type { RunConfig } from '../shared/config.js';
import type { WebDetails } from '../shared/evidence.js';
import { proxyMayApply } from '../net/proxy.js';
import { taskKey } from './types.js';
import { readHead, writeRequest, type ResponseHead } from '../net/http1.js';
import { decisionUrl, hostHeader, requestTarget, webUrl, type WebDialParams } from '../net/url.js';
export { decisionUrl, hostHeader, requestTarget, webUrl, type WebDialParams };

export const r1 = (n: number) => Math.round(n * 10) / 10;

/** The port a browser uses for this host's web traffic. */
export function webPort(h: Pick<HostEntry, 'tls' | 'webPort'>): number {
  return h.webPort ?? (h.tls ? 443 : 80);
}

/** Which far end a host is (contract, "Two kinds of far end"): the probe cooperates, vendor hosts do not. */
export function farEndOf(h: Pick<HostEntry, 'role'> | undefined): 'probe' | 'vendor' {
  return h?.role === 'probe' ? 'probe' : 'vendor';
}

/** A NetError with more details merged in (the first writer of a key wins). */
export function withDetails(e: unknown, extra: object): unknown {
  if (!(e instanceof NetError)) return e;
  return new NetError(e.code, e.message, e.kind, { ...extra, ...e.details });
}

export interface WebDialOk<D extends WebDetails = WebDetails> {
  ok: true;
  dialed: Dialed;
  choice: ProxyChoice;
  details: D;
}

/** A web task's connection, opened: its target, path, socket and the evidence gathered so far. */
export interface OpenedWebTask<D extends WebDetails = WebDetails> extends WebDialOk<D> {
  p: WebDialParams;
  path: string;
  sock: Dialed['socket'];
}

/** The common start of every per-path web check: read the task's target and dial it. */
export async function openWebTask<D extends WebDetails = WebDetails>(
  task: CheckTask,
  ctx: CheckContext,
  extra: Partial<D> = {},
): Promise<OpenedWebTask<D> | { ok: false; outcome: CheckOutcome<D> }> {
  const path = String(task.params.path);
  const p: WebDialParams = { host: task.host!.host, port: Number(task.params.port), tls: !!task.params.tls, farEnd: farEndOf(task.host) };
  const dw = await dialWeb(p, ctx);
  if (!dw.ok) {
    if (dw.outcome.details && Object.keys(extra).length) dw.outcome.details = { ...dw.outcome.details, path, ...extra };
    // The details so far are the common ones (WebDetails); the check's own fields are all optional.
    return dw as { ok: false; outcome: CheckOutcome<D> };
  }
  return { ...dw, p, path, sock: dw.dialed.socket, details: { ...dw.details, ...extra, path } as D };
}

/**
 * Dial for a web-layer check. Returns the socket, or an outcome: lower-layer failures that their
 * own checks report (DNS, direct TCP, TLS other than interception) become `skipped` with the same
 * reason shape as the engine's; a proxy refusing CONNECT for this host is HTTP_BLOCKED_BY_PROXY;
 * other proxy failures are thrown as-is.
 */
export async function dialWeb(p: WebDialParams, ctx: CheckContext): Promise<WebDialOk | { ok: false; outcome: CheckOutcome<WebDetails> }> {
  const choice = await ctx.proxy.forUrl(decisionUrl(p.host, p.port, p.tls), ctx.signal);
  const farEnd = p.farEnd ?? 'vendor';
  const details: WebDetails = { host: p.host, port: p.port, proxy: proxySummary(choice), inspected: false, farEnd };
  const viaProxy = choice.kind === 'http';
  try {
    const dialed = await dial(
      {
        host: p.host,
        port: p.port,
        tls: p.tls,
        allowUntrusted: true,
        proxy: choice,
        proxyNoConnect: viaProxy && !p.tls,
      },
      ctx,
    );
    // A route with fallbacks: the entry that carried it is the one that counts.
    if (dialed.route) {
      details.proxy = dialed.proxy ?? null;
      details.route = dialed.route;
    }
    // A vendor host's chain must end at a public root; a trusted private one (--ca, the inspecting
    // device's root installed here) is inspection all the same. The probe may use its own CA.
    details.inspected = dialed.inspected || (farEnd === 'vendor' && dialed.privateRoot);
    if (details.inspected && dialed.peer) {
      details.interceptedBy = dialed.peer.root;
      if (dialed.peer.rootSource) details.trustedBy = dialed.peer.rootSource;
    }
    return { ok: true, dialed, choice: dialed.choice ?? choice, details };
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    const phase = e.details.phase;
    const skip = (reason: string): { ok: false; outcome: CheckOutcome<WebDetails> } => ({
      ok: false,
      outcome: { status: 'skipped', reason, details: { ...details, cause: e.code } },
    });
    if (phase === 'dns') return skip(`dns.resolve ${p.host} ${e.kind} (${e.code})`);
    if (phase === 'tcp') return skip(`tcp.connect ${p.host}:${p.port} ${e.kind} (${e.code})`);
    if (phase === 'tls') return skip(`tls.handshake ${p.host}:${p.port} ${e.kind} (${e.code})`);
    if (e.code === 'PROXY_CONNECT_REFUSED') {
      const proxyStatus = (e.details.proxyStatus as number | null) ?? null;
      const headers = (e.details.proxyHeaders as Record<string, string>) ?? {};
      return {
        ok: false,
        outcome: {
          status: 'failed',
          error: { code: 'HTTP_BLOCKED_BY_PROXY', message: `the proxy refused to connect to ${p.host}:${p.port}${proxyStatus ? ` (${proxyStatus})` : ''}` },
          details: {
            ...details,
            status: proxyStatus,
            blockedBy: 'proxy',
            proxyStatus,
            marker: headers['x-squid-error'] ? `X-Squid-Error: ${headers['x-squid-error']}` : `CONNECT ${proxyStatus ?? 'closed'}`,
            proxyHeaders: keepHeaders(headers),
          },
        },
      };
    }
    throw withDetails(e, details);
  }
}

export function taskHost(task: CheckTask): HostEntry {
  if (!task.host) throw new Error(`task ${task.key} has no host entry`);
  return task.host;
}

/**
 * GET `path` + `query` as an event stream on an opened web task, and read the response head
 * (bounded by the first-byte timeout). Returns the head and when the request was sent.
 */
export async function requestEventStream(dw: OpenedWebTask, query: string, ctx: CheckContext): Promise<{ head: ResponseHead; sentAt: number }> {
  const { p, path, sock } = dw;
  const { target, headers } = requestTarget(p, query ? `${path}${path.includes('?') ? '&' : '?'}${query}` : path, dw.choice);
  writeRequest(sock, { target, host: hostHeader(p.host, p.port, p.tls), headers: { ...headers, Accept: 'text/event-stream', 'Cache-Control': 'no-cache' } });
  const sentAt = ctx.now();
  const ms = ctx.timeouts.firstByteMs;
  const head = await readHead(sock, {
    timeoutMs: ms,
    signal: ctx.signal,
    timeoutError: () => new NetError('FIRST_BYTE_TIMEOUT', `the event stream ${path} did not answer within ${ms} ms`, 'timeout'),
    closedError: () => new NetError('CONN_RESET', `the connection closed before the event stream ${path} answered`, 'failed'),
  });
  return { head, sentAt };
}

// ---------------------------------------------------------------- plans


/**
 * Dependencies of a web-layer task. Direct (no proxy can apply): tcp.connect HOST:PORT, so the
 * engine skips it when TCP fails. When a proxy may apply, none: the check opens its own tunnel and
 * reports a proxy's CONNECT refusal as HTTP_BLOCKED_BY_PROXY (and still runs through an
 * intercepting proxy, which tls.handshake reports as TLS_CERT_UNTRUSTED).
 */
export function webDeps(host: string, port: number, tls: boolean, config: RunConfig, h?: Pick<HostEntry, 'role'>): string[] {
  const deps = proxyMayApply(decisionUrl(host, port, tls), config) ? [] : [taskKey('tcp.connect', `${host}:${port}`)];
  // The probe's cooperative checks need it to answer as a netready serve first.
  if (farEndOf(h) === 'probe' && config.probe) deps.push(taskKey('probe.reach', config.probe.replace(/\/+$/, '')));
  return deps;
}

/** The shared plan of http.path, ws.upgrade and sse.stream: one task per (host, path) of the profile. */
export function planPathTasks<S extends { path: string }>(
  id: string,
  hosts: HostEntry[],
  config: RunConfig,
  opts: { specs: (h: HostEntry) => S[]; ws?: boolean; priority?: number; params?: (spec: S) => Record<string, unknown> },
): CheckTask[] {
  const tasks: CheckTask[] = [];
  for (const h of hosts) {
    const port = webPort(h);
    if (!h.tcp.includes(port) || h.zone) continue;
    for (const spec of opts.specs(h)) {
      const target = webUrl(h.host, spec.path, h.tls, opts.ws, port);
      tasks.push({
        key: taskKey(id, target),
        id,
        target,
        dependsOn: webDeps(h.host, port, h.tls, config, h),
        host: h,
        ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
        params: { path: spec.path, port, tls: h.tls, farEnd: farEndOf(h), ...opts.params?.(spec) },
      });
    }
  }
  return tasks;
}
