// proxy.config: what proxy applies to each profile host (explicit, env as curl reads it, or PAC),
// and where a PAC file is given, which video hosts can only get out through the PAC proxy
// (seed 000_637c892c7d775e13.txt / 001: "Vonage SDKs do not support PAC files").

import type { CheckDef, CheckTask } from './types.js';
import { dial } from '../net/dial.js';
import { proxySummary, type ProxyChoice } from '../net/proxy.js';
import { decisionUrl, webPort } from '../net/web.js';
import type { HostEntry } from '../profiles/types.js';

function choiceSummary(c: ProxyChoice): Record<string, unknown> {
  return c.kind === 'http' ? { kind: 'http', display: c.display, source: c.source, auth: !!c.authorization } : { kind: 'direct', source: c.source };
}

export const proxyConfig: CheckDef = {
  id: 'proxy.config',
  title: 'Which proxy each host goes through (explicit, environment, PAC)',
  plan(profiles): CheckTask[] {
    return [{ key: 'proxy.config proxy', id: 'proxy.config', target: 'proxy', dependsOn: [], params: { hosts: profiles.hosts.map((h) => ({ host: h.host, role: h.role, tls: h.tls, tcp: h.tcp })) } }];
  },
  async run(task, ctx) {
    const hosts = (task.params.hosts as Pick<HostEntry, 'host' | 'role' | 'tls' | 'tcp'>[]) ?? [];
    const d = ctx.proxy.describe();
    const perHost: Record<string, unknown> = {};
    const pacVideo: { host: string; port: number; choice: ProxyChoice }[] = [];
    for (const h of hosts.slice(0, 256)) {
      const port = webPort(h);
      const c = await ctx.proxy.forUrl(decisionUrl(h.host, port, h.tls), ctx.signal);
      perHost[h.host] = choiceSummary(c);
      if (c.kind === 'http' && c.source === 'pac' && h.role === 'video') pacVideo.push({ host: h.host, port: h.tcp.includes(443) ? 443 : (h.tcp[0] ?? port), choice: c });
    }
    const details: Record<string, unknown> = {
      explicit: d.explicit,
      pac: d.pac,
      env: { HTTPS_PROXY: d.env.HTTPS_PROXY, HTTP_PROXY: d.env.HTTP_PROXY, NO_PROXY: d.env.NO_PROXY, ...(d.env.ALL_PROXY ? { ALL_PROXY: d.env.ALL_PROXY } : {}) },
      perHost,
    };
    if (d.pac) {
      // Direct TCP vs a CONNECT tunnel through the PAC proxy, for each video host (bounded, parallel).
      const probe = async (host: string, port: number, choice?: ProxyChoice) => {
        try {
          const x = await dial({ host, port, proxy: choice }, ctx);
          x.socket.destroy();
          return true;
        } catch {
          return false;
        }
      };
      const rows = await Promise.all(
        pacVideo.slice(0, 32).map(async (v) => {
          const [direct, viaPac] = await Promise.all([probe(v.host, v.port), probe(v.host, v.port, v.choice)]);
          return { host: v.host, direct, viaPac, proxy: proxySummary(v.choice) };
        }),
      );
      details.pacRequired = rows.filter((r) => !r.direct && r.viaPac).map((r) => r.host);
      details.pacProbes = rows;
    }
    return { status: 'ok', details };
  },
};
