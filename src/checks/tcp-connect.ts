// tcp.connect HOST:PORT: a TCP connection the way a browser would go: directly, or as a CONNECT
// tunnel through the proxy that applies. Where a PAC proxy applies to a video host, a direct
// attempt is made too (details.directOk): seed 000/001, "Vonage SDKs do not support PAC files".

import type { CheckDef, CheckTask } from './types.js';
import { taskKey } from './types.js';
import type { TcpConnectDetails } from '../shared/evidence.js';
import { dial } from '../net/dial.js';
import { NetError } from '../shared/errors.js';
import { proxyMayApply, proxySummary } from '../net/proxy.js';
import { decisionUrl, r1, withDetails } from './web.js';

export const tcpConnect: CheckDef<TcpConnectDetails> = {
  id: 'tcp.connect',
  title: 'TCP connections to each required host and port',
  plan(profiles, config): CheckTask[] {
    const tasks: CheckTask[] = [];
    const seen = new Set<string>();
    for (const h of profiles.hosts)
      for (const port of h.zone ? [] : h.tcp) {
        const target = `${h.host}:${port}`;
        if (seen.has(target)) continue; // the probe on a vendor's host:port: one connection test
        seen.add(target);
        const direct = !proxyMayApply(decisionUrl(h.host, port, h.tls && port === 443), config);
        tasks.push({
          key: taskKey('tcp.connect', target),
          id: 'tcp.connect',
          target,
          dependsOn: direct ? [taskKey('dns.resolve', h.host)] : [],
          host: h,
          params: { port },
        });
      }
    return tasks;
  },
  async run(task, ctx) {
    const h = task.host!;
    const port = Number(task.params.port);
    const tlsPort = h.tls && port === 443;
    const choice = await ctx.proxy.forUrl(decisionUrl(h.host, port, tlsPort), ctx.signal);
    const base: TcpConnectDetails = { host: h.host, port, proxy: proxySummary(choice) };
    if (choice.kind === 'http' && port === 80 && !h.tls)
      return { status: 'skipped', reason: 'plain HTTP goes through the proxy', details: base };

    let directOk: boolean | undefined;
    const directProbe =
      choice.kind === 'http' && choice.source === 'pac' && h.role === 'video'
        ? dial({ host: h.host, port }, ctx).then(
            (d) => {
              d.socket.destroy();
              directOk = true;
            },
            () => {
              directOk = false;
            },
          )
        : Promise.resolve();
    try {
      const d = await dial({ host: h.host, port, proxy: choice }, ctx);
      d.socket.destroy();
      await directProbe;
      const connectMs = r1(d.timings.connectMs + (d.timings.proxyMs ?? 0));
      const metrics: Record<string, number> = { connectMs };
      if (d.timings.proxyMs !== undefined) metrics.proxyConnectMs = d.timings.proxyMs;
      return {
        status: 'ok',
        metrics,
        details: { ...base, ...(d.route ? { proxy: d.proxy, route: d.route } : {}), address: d.address, via: d.via, ...(directOk !== undefined ? { directOk } : {}) },
      };
    } catch (e) {
      await directProbe;
      if (e instanceof NetError && e.details.phase === 'dns' && choice.kind !== 'http')
        return { status: 'skipped', reason: `dns.resolve ${h.host} ${e.kind} (${e.code})`, details: { ...base, cause: e.code } };
      throw withDetails(e, { ...base, ...(directOk !== undefined ? { directOk } : {}) });
    }
  },
};
