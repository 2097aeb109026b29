// probe.reach https://PROBE: the --probe server (a `netready serve`, the cooperating far end) is
// reached the way a browser would go — directly or through the proxy that applies to its URL —
// and answers as a netready serve. Contract, "Two kinds of far end": the probe is one more
// planned host; if it cannot be reached the run goes on and the media rows end "unverified".
// An intercepting middlebox on the way is carried on through and recorded (details.inspected).

import type { CheckDef, CheckTask } from './types.js';
import type { RunConfig } from '../shared/config.js';
import type { HostEntry, ProfileSet } from '../shared/profile-types.js';
import { taskKey } from './types.js';
import type { ProbeReachDetails } from '../shared/evidence.js';
import { NetError } from '../shared/errors.js';
import { probeGet, probeProxy, probeTarget } from '../net/probe-client.js';
import { proxySummary } from '../net/proxy.js';

/** The probe's URL as a check target (no trailing slash). */
export function probeUrl(probe: string): string {
  return probe.replace(/\/+$/, '');
}

export const probeReach: CheckDef<ProbeReachDetails> = {
  id: 'probe.reach',
  title: 'The probe (a netready serve) answers, the way a browser would reach it',
  plan(_profiles, config): CheckTask[] {
    if (!config.probe || !probeTarget(config)) return [];
    const target = probeUrl(config.probe);
    return [{ key: taskKey('probe.reach', target), id: 'probe.reach', target, dependsOn: [], params: {}, priority: 25 }];
  },
  async run(_task, ctx) {
    const t = probeTarget(ctx.config)!;
    const choice = await probeProxy(ctx.config, ctx.proxy, ctx.signal);
    const details: ProbeReachDetails = { host: t.host, port: t.port, url: probeUrl(ctx.config.probe!), proxy: proxySummary(choice), farEnd: 'probe' };
    const timeoutMs = ctx.timeouts.connectMs + ctx.timeouts.tlsMs + ctx.timeouts.firstByteMs;
    let res;
    try {
      res = await probeGet(ctx.config, '/.netready/health', { timeoutMs, signal: ctx.signal, proxy: ctx.proxy, now: ctx.now });
    } catch (e) {
      if (e instanceof NetError) throw new NetError(e.code, `the probe ${details.url} cannot be reached: ${e.message}`, e.kind, { ...details, ...e.details });
      throw e;
    }
    const p = res.dialed.peer;
    Object.assign(details, {
      status: res.status,
      address: res.dialed.address,
      via: res.dialed.via,
      inspected: res.inspected,
      ...(p ? { tls: { protocol: p.protocol, issuer: p.issuer, root: p.root, rootSource: p.rootSource, verifyError: p.verifyError } } : {}),
      headers: res.headers,
    });
    const b = res.body;
    // What the probe says about itself (name, version, the address it saw us come from).
    if (b) for (const k of ['server', 'version', 'names', 'name', 'clientAddress', 'remoteAddress']) if (b[k] !== undefined) (details as unknown as Record<string, unknown>)[k === 'remoteAddress' ? 'clientAddress' : k] = b[k];
    const metrics: Record<string, number> = { connectMs: res.dialed.timings.connectMs, firstByteMs: res.firstByteMs };
    if (res.dialed.timings.tlsMs !== undefined) metrics.tlsMs = res.dialed.timings.tlsMs;
    if (res.dialed.timings.proxyMs !== undefined) metrics.proxyConnectMs = res.dialed.timings.proxyMs;
    if (res.status === 200 && b?.ok === true) return { status: 'ok', metrics, details };
    return {
      status: 'failed',
      metrics,
      error: { code: 'PROBE_NOT_SERVE', message: `${details.url} answered HTTP ${res.status} on /.netready/health: not a netready serve${res.inspected ? ' (through an intercepting middlebox, which may have answered itself)' : ''}` },
      details,
    };
  },
};

/** The probe's paths for what only a cooperating far end shows (netready serve's wire protocol). */
export const PROBE_WS_PATH = '/.netready/ws';
export const PROBE_SSE_PATH = '/.netready/stream/event';

/**
 * The probe as one more planned host (architecture, "Two kinds of far end, one plan"): DNS, TCP and
 * TLS like any host, and the checks that need a cooperating far end — a WebSocket echo, a timed
 * event stream (buffering), idle holds. Not a row of any allowlist: `required: optional`.
 */
export function probeHostEntry(config: RunConfig): HostEntry | null {
  const t = probeTarget(config);
  if (!t) return null;
  return {
    host: t.host,
    role: 'probe',
    group: 'probe',
    required: 'optional',
    source: '--probe: a netready serve, the cooperating far end (contract, "Two kinds of far end")',
    tcp: [t.port],
    tls: t.tls,
    webPort: t.port,
    http: [],
    ws: [{ path: PROBE_WS_PATH }],
    sse: [{ path: PROBE_SSE_PATH }],
    idle: true,
  };
}

/** The profiles' hosts plus the probe's (when --probe is given). */
export function withProbeHost(profiles: ProfileSet, config: RunConfig): ProfileSet {
  const entry = probeHostEntry(config);
  return entry ? { ...profiles, hosts: [...profiles.hosts, entry] } : profiles;
}
