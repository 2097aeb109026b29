// dns.resolve HOST: the system resolver (or a --resolve override), with a timeout.
// Skipped where a proxy applies: the proxy resolves the name, not this machine.

import type { CheckDef, CheckTask } from './types.js';
import { taskKey } from './types.js';
import type { DnsResolveDetails } from '../shared/evidence.js';
import { resolveHost } from '../net/dial.js';
import { proxySummary } from '../net/proxy.js';
import { decisionUrl, webPort } from './web.js';

export const dnsResolve: CheckDef<DnsResolveDetails> = {
  id: 'dns.resolve',
  title: 'Each required host name resolves',
  plan(profiles): CheckTask[] {
    // A wildcard's zone (no known name under it) is dns.zone's: no name is invented for it.
    const seen = new Set<string>();
    return profiles.hosts
      .filter((h) => !h.zone && !seen.has(h.host) && seen.add(h.host))
      .map((h) => ({ key: taskKey('dns.resolve', h.host), id: 'dns.resolve', target: h.host, dependsOn: [], host: h, params: {} }));
  },
  async run(task, ctx) {
    const host = task.target;
    const h = task.host;
    const choice = await ctx.proxy.forUrl(decisionUrl(host, h ? webPort(h) : 443, h?.tls ?? true), ctx.signal);
    if (choice.kind === 'http') return { status: 'skipped', reason: 'the proxy resolves this name', details: { host, proxy: proxySummary(choice) } };
    const r = await resolveHost(host, ctx);
    return {
      status: 'ok',
      metrics: { resolveMs: r.resolveMs },
      details: { host, addresses: r.addresses, via: r.via === 'override' ? 'override' : 'system', ...(r.port ? { overridePort: r.port } : {}) },
    };
  },
};
