// proxy.config: which way each profile host goes (direct, a proxy, a PAC's list) and where that
// setting came from (--proxy/--pac, the system settings, WPAD, the environment, or none), what proxy
// discovery found (every source tried, what each said, which won); where a PAC decides, which
// video hosts can only get out through a proxy the PAC names
// (seed 000_637c892c7d775e13.txt / 001: "Vonage SDKs do not support PAC files"), and whether each
// proxy in use demands authentication of a client that brings none — also when netready was given
// credentials (contract: proxy-auth-required; seed 001_853fb095b65f741b.txt: "WebRTC does not work
// with proxies requiring authentication").

import type { CheckContext, CheckDef, CheckTask } from './types.js';
import type { ProxyAuthRow, ProxyConfigDetails } from '../shared/evidence.js';
import { dial } from '../net/dial.js';
import { NetError } from '../shared/errors.js';
import { entryLabel, proxySummary, routeEntries, type ProxyChoice } from '../net/proxy.js';
import { decisionUrl, webPort } from './web.js';
import type { HostEntry } from '../shared/profile-types.js';

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
async function authProbe(choice: HttpChoice, host: string, port: number, ctx: CheckContext): Promise<ProxyAuthRow> {
  const row: Pick<ProxyAuthRow, 'proxy' | 'source' | 'host' | 'credentialsGiven'> = { proxy: choice.display, source: choice.source, host, credentialsGiven: !!choice.authorization };
  try {
    const x = await dial({ host, port, proxy: { ...choice, authorization: undefined, fallbacks: undefined } }, ctx);
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
  const out: Record<string, unknown> = c.kind === 'http' ? { kind: 'http', display: c.display, source: c.source, auth: !!c.authorization } : { kind: 'direct', source: c.source };
  if (c.origin) out.origin = c.origin;
  if (c.from) out.from = c.from;
  if (c.fallbacks?.length) {
    out.fallbacks = c.fallbacks.map(entryLabel);
    out.route = routeEntries(c).map(entryLabel).join('; ');
  }
  if (c.pacAnswer !== undefined) out.pacAnswer = c.pacAnswer;
  if (c.note) out.note = c.note;
  return out;
}

/** The first proxy of a route (its first entry, else a fallback). */
function firstProxy(c: ProxyChoice): HttpChoice | null {
  return (routeEntries(c).find((e) => e.kind === 'http') as HttpChoice | undefined) ?? null;
}

export const proxyConfig: CheckDef<ProxyConfigDetails> = {
  id: 'proxy.config',
  title: 'Which way each host goes, and where that setting came from (explicit, system settings, PAC, WPAD, environment)',
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
    const perHost: ProxyConfigDetails['perHost'] = {};
    const video: { host: string; port: number; choice: ProxyChoice }[] = [];
    // Every proxy a PAC named, for any host (the way out a PAC knows of).
    const pacProxies: HttpChoice[] = [];
    const inUse = new Map<string, { choice: HttpChoice; host: string; port: number; probe: boolean }>();
    for (const h of hosts.slice(0, 256)) {
      const port = webPort(h);
      let c: ProxyChoice;
      try {
        c = await ctx.proxy.forUrl(decisionUrl(h.host, port, h.tls), ctx.signal);
      } catch (e) {
        // An explicit PAC that fails for this host: the browser fails the same way (the host's checks say so).
        if (!(e instanceof NetError) || e.code !== 'PAC_FAILED') throw e;
        perHost[h.host] = { kind: 'error', source: 'pac', from: d.pac ? `--pac ${d.pac}` : 'PAC', error: e.message };
        continue;
      }
      perHost[h.host] = choiceSummary(c);
      for (const e of routeEntries(c)) if (e.kind === 'http' && e.source === 'pac' && !pacProxies.some((p) => p.display === e.display)) pacProxies.push(e);
      if (c.source === 'pac' && h.role === 'video') video.push({ host: h.host, port: h.tcp.includes(443) ? 443 : (h.tcp[0] ?? port), choice: c });
      // One representative HTTPS host per proxy in use, a vendor's before the probe's.
      const prev = inUse.get(c.kind === 'http' ? c.display : '');
      if (c.kind === 'http' && h.tls && (!prev || (prev.probe && h.role !== 'probe'))) inUse.set(c.display, { choice: c, host: h.host, port, probe: h.role === 'probe' });
    }
    const proxyAuth = await Promise.all([...inUse.values()].slice(0, 8).map((u) => authProbe(u.choice, u.host, u.port, ctx)));
    const pac = ctx.proxy.pacInUse?.() ?? d.pac;
    const details: ProxyConfigDetails = {
      explicit: d.explicit,
      pac,
      env: { HTTPS_PROXY: d.env.HTTPS_PROXY, HTTP_PROXY: d.env.HTTP_PROXY, NO_PROXY: d.env.NO_PROXY, ...(d.env.ALL_PROXY ? { ALL_PROXY: d.env.ALL_PROXY } : {}) },
      perHost,
      proxyAuth,
    };
    if (ctx.discovery) details.discovery = ctx.discovery;
    if (pac) {
      // seed 000/001: the video SDKs read no PAC. For each video host a PAC decides: direct TCP vs a
      // CONNECT tunnel through the proxy the PAC names for it — or, where the PAC sends it DIRECT,
      // through the proxy the PAC names for the other hosts (the only way out it knows of).
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
        video
          .map((v) => ({ ...v, via: firstProxy(v.choice) ?? pacProxies[0] ?? null }))
          .filter((v): v is typeof v & { via: HttpChoice } => v.via !== null)
          .slice(0, 32)
          .map(async (v) => {
            const [direct, viaPac] = await Promise.all([probe(v.host, v.port), probe(v.host, v.port, { ...v.via, fallbacks: undefined })]);
            return { host: v.host, direct, viaPac, proxy: proxySummary(v.via), pacSaysDirect: v.choice.kind === 'direct' };
          }),
      );
      details.pacRequired = rows.filter((r) => !r.direct && r.viaPac).map((r) => r.host);
      details.pacProbes = rows;
    }
    return { status: 'ok', ...(ctx.discovery ? { reason: ctx.discovery.summary } : {}), details };
  },
};
