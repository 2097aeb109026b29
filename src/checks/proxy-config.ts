// proxy.config: what proxy applies to each profile host (explicit, env as curl reads it, or PAC),
// where a PAC file is given, which video hosts can only get out through the PAC proxy
// (seed 000_637c892c7d775e13.txt / 001: "Vonage SDKs do not support PAC files"), and whether each
// proxy in use demands authentication of a client that brings none — also when netready was given
// credentials (contract: proxy-auth-required; seed 001_853fb095b65f741b.txt: "WebRTC does not work
// with proxies requiring authentication").

import type { CheckContext, CheckDef, CheckTask } from './types.js';
import { dial } from '../net/dial.js';
import { NetError } from '../cli/errors.js';
import { proxySummary, type ProxyChoice } from '../net/proxy.js';
import { decisionUrl, webPort } from '../net/web.js';
import type { HostEntry } from '../profiles/types.js';

type HttpChoice = Extract<ProxyChoice, { kind: 'http' }>;

/** The authentication schemes a proxy offers (Proxy-Authenticate: Basic, NTLM, Negotiate, Digest …). */
export function authSchemes(header: string | undefined): string[] {
  if (!header) return [];
  const out: string[] = [];
  // a scheme token starts the header or follows a comma, and is not a parameter name (name=value)
  for (const m of header.matchAll(/(?:^|,)\s*([A-Za-z][A-Za-z0-9._~+-]*)(?=\s*$|\s*,|\s+[^\s=,])/g)) out.push(m[1]);
  return [...new Set(out)];
}

/**
 * Whether the proxy demands authentication of a client that brings none: a CONNECT without
 * credentials (what a WebRTC stack or an SDK sends). Also when netready was given credentials.
 */
async function authProbe(choice: HttpChoice, host: string, port: number, ctx: CheckContext): Promise<Record<string, unknown>> {
  const row: Record<string, unknown> = { proxy: choice.display, source: choice.source, host, credentialsGiven: !!choice.authorization };
  try {
    const x = await dial({ host, port, proxy: { ...choice, authorization: undefined } }, ctx);
    x.socket.destroy();
    return { ...row, status: 200, demandsAuth: false };
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    if (e.code === 'PROXY_AUTH_REQUIRED') {
      const h = (e.details.proxyHeaders as Record<string, string> | undefined)?.['proxy-authenticate'];
      return { ...row, status: 407, demandsAuth: true, schemes: authSchemes(h) };
    }
    // refused, unreachable, timed out: not an answer about authentication
    return { ...row, status: (e.details.proxyStatus as number | null | undefined) ?? null, demandsAuth: null, error: e.code };
  }
}

function choiceSummary(c: ProxyChoice): Record<string, unknown> {
  return c.kind === 'http' ? { kind: 'http', display: c.display, source: c.source, auth: !!c.authorization } : { kind: 'direct', source: c.source };
}

export const proxyConfig: CheckDef = {
  id: 'proxy.config',
  title: 'Which proxy each host goes through (explicit, environment, PAC)',
  plan(profiles): CheckTask[] {
    return [
      {
        key: 'proxy.config proxy',
        id: 'proxy.config',
        target: 'proxy',
        dependsOn: [],
        params: { hosts: profiles.hosts.filter((h) => !h.zone).map((h) => ({ host: h.host, role: h.role, tls: h.tls, tcp: h.tcp, webPort: h.webPort })) },
      },
    ];
  },
  async run(task, ctx) {
    const hosts = (task.params.hosts as Pick<HostEntry, 'host' | 'role' | 'tls' | 'tcp' | 'webPort'>[]) ?? [];
    const d = ctx.proxy.describe();
    const perHost: Record<string, unknown> = {};
    const pacVideo: { host: string; port: number; choice: ProxyChoice }[] = [];
    const inUse = new Map<string, { choice: HttpChoice; host: string; port: number; probe: boolean }>();
    for (const h of hosts.slice(0, 256)) {
      const port = webPort(h);
      const c = await ctx.proxy.forUrl(decisionUrl(h.host, port, h.tls), ctx.signal);
      perHost[h.host] = choiceSummary(c);
      if (c.kind === 'http' && c.source === 'pac' && h.role === 'video') pacVideo.push({ host: h.host, port: h.tcp.includes(443) ? 443 : (h.tcp[0] ?? port), choice: c });
      // One representative HTTPS host per proxy in use, a vendor's before the probe's.
      const prev = inUse.get(c.kind === 'http' ? c.display : '');
      if (c.kind === 'http' && h.tls && (!prev || (prev.probe && h.role !== 'probe'))) inUse.set(c.display, { choice: c, host: h.host, port, probe: h.role === 'probe' });
    }
    const proxyAuth = await Promise.all([...inUse.values()].slice(0, 8).map((u) => authProbe(u.choice, u.host, u.port, ctx)));
    const details: Record<string, unknown> = {
      explicit: d.explicit,
      pac: d.pac,
      env: { HTTPS_PROXY: d.env.HTTPS_PROXY, HTTP_PROXY: d.env.HTTP_PROXY, NO_PROXY: d.env.NO_PROXY, ...(d.env.ALL_PROXY ? { ALL_PROXY: d.env.ALL_PROXY } : {}) },
      perHost,
      proxyAuth,
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
