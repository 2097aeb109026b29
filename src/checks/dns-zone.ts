// dns.zone APEX: a wildcard the requirements name without a host under it (e.g.
// *.media.prod.tokbox.com, seed 000_637c892c7d775e13.txt; *.tokbox.com, seed
// 001_853fb095b65f741b.txt; *.vonage.com, seed 000 note on row 3) is checked at its zone: the
// apex's SOA (or NS) through this machine's resolver. netready never invents a name under it
// (contract, "Two kinds of far end"): real Vonage media hosts are per-pod names handed out per
// session. A DNS filter that blocks the wildcard's zone answers NXDOMAIN (or nothing) here.

import { promises as dnsp } from 'node:dns';
import type { CheckDef, CheckTask } from './types.js';
import { taskKey } from './types.js';
import type { DnsZoneDetails } from '../shared/evidence.js';
import { NetError } from '../shared/errors.js';
import { classifyDnsError, phase } from '../net/dial.js';
import { proxySummary } from '../net/proxy.js';
import { decisionUrl } from './web.js';

export const dnsZone: CheckDef<DnsZoneDetails> = {
  id: 'dns.zone',
  title: "A wildcard's zone resolves (no host name is known under it)",
  plan(profiles): CheckTask[] {
    return profiles.hosts
      .filter((h) => h.zone)
      .map((h) => ({ key: taskKey('dns.zone', h.host), id: 'dns.zone', target: h.host, dependsOn: [], host: h, params: {} }));
  },
  async run(task, ctx) {
    const apex = task.target.toLowerCase();
    const details: DnsZoneDetails = { host: apex, wildcard: task.host?.wildcard ?? `*.${apex}` };
    const override = ctx.config.resolve[apex];
    if (override !== undefined) return { status: 'ok', details: { ...details, via: 'override', address: override } };
    // Through a proxy the browser never resolves vendor names itself: the proxy does.
    const choice = await ctx.proxy.forUrl(decisionUrl(apex, 443, true), ctx.signal);
    if (choice.kind === 'http')
      return { status: 'skipped', reason: `the proxy resolves names; ${details.wildcard} has no known host to try through it`, details: { ...details, proxy: proxySummary(choice) } };
    const ms = ctx.timeouts.resolveMs;
    const resolver = new dnsp.Resolver({ timeout: Math.max(200, Math.floor(ms / 2)), tries: 2 });
    const t0 = ctx.now();
    const ask = async (): Promise<Pick<DnsZoneDetails, 'answer' | 'nsname' | 'hostmaster'>> => {
      try {
        const soa = await resolver.resolveSoa(apex);
        return { answer: 'SOA', nsname: soa.nsname, hostmaster: soa.hostmaster };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // NODATA: the name exists without an SOA of its own (not the zone's apex) — it resolves.
        if (code === 'ENODATA') return { answer: 'NODATA (the name exists)' };
        throw e;
      }
    };
    const found = await phase<Pick<DnsZoneDetails, 'answer' | 'nsname' | 'hostmaster'>>(
      ms,
      ctx.signal,
      () => new NetError('DNS_TIMEOUT', `no DNS answer for the zone ${apex} within ${ms} ms`, 'timeout', { ...details, phase: 'dns' }),
      (resolve, reject) => {
        ask().then(resolve, (e: NodeJS.ErrnoException) => {
          const c = classifyDnsError(e.code);
          const why = c.code === 'DNS_NXDOMAIN' ? `the zone ${apex} does not resolve (no such name)` : `the resolver failed for the zone ${apex} (${e.code})`;
          reject(new NetError(c.code, why, c.kind, { ...details, phase: 'dns', sysCode: e.code }));
        });
      },
      () => resolver.cancel(),
    );
    return { status: 'ok', metrics: { resolveMs: Math.round((ctx.now() - t0) * 10) / 10 }, details: { ...details, ...found } };
  },
};
