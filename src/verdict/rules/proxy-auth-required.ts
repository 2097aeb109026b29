// proxy-auth-required (blocking): a proxy on the way demands authentication (407) — also when
// netready was given credentials and got through: the video SDKs and WebRTC cannot answer it.
// seed 001_853fb095b65f741b.txt: "WebRTC does not work with proxies requiring authentication";
// seed 000_637c892c7d775e13.txt: "native (non-browser) SDKs do not support authenticating proxies";
// "NTLM/Kerberos re-authentication mid-connection can drop WebSockets. Exempt the section 1 domains".
import type { CheckResult } from '../../shared/results.js';
import type { Fact } from '../../report/types.js';
import { cause, code, listText, type Rule } from '../input.js';
import { authProxies } from '../media.js';
import { factsOf } from '../facts.js';
import { allowlistDomains, changes, hostsText, proxyAuthHowto } from '../remedies.js';

export const rule: Rule = {
  id: 'proxy-auth-required',
  reads: ['proxy.config', 'tcp.connect', 'http.path', 'ws.upgrade', 'sse.stream'],
  evaluate(input) {
    const auth = authProxies(input);
    if (auth.size === 0) return null;
    const refused = input.results.filter((r) => code(r) === 'PROXY_AUTH_REQUIRED');
    const probeRows = input.byId('proxy.config').flatMap((r) => (Array.isArray(r.details?.proxyAuth) ? (r.details!.proxyAuth as Record<string, unknown>[]) : []));
    const withCreds = probeRows.some((row) => row.demandsAuth === true && row.credentialsGiven === true);
    const proxies = [...auth.entries()].map(([p, schemes]) => (schemes.length ? `${p} (${schemes.join(', ')})` : p));
    const hosts = [...new Set(refused.map((r) => input.hostOf(r)).filter((x): x is string => !!x))];
    const evidence: CheckResult[] = [...input.byId('proxy.config'), ...refused];
    const facts: Fact[] = factsOf(refused);
    for (const row of probeRows)
      if (row.demandsAuth === true)
        facts.push({
          check: 'proxy.config',
          targets: [String(row.proxy)],
          result: `CONNECT for ${String(row.host ?? 'a vendor host')} without credentials answered 407${Array.isArray(row.schemes) && row.schemes.length ? ` (${row.schemes.join(', ')})` : ''}${row.credentialsGiven === true ? '; with the credentials given, it passed' : ''}`,
        });
    const names = allowlistDomains(input);
    const summary =
      `${listText(proxies)} demands authentication (407 Proxy Authentication Required)` +
      (hosts.length ? ` for ${hostsText(input, hosts)}` : '') +
      (withCreds ? '; netready got through with the credentials it was given, but WebRTC media and the video SDKs cannot answer a 407' : '');
    return cause(
      'proxy-auth-required',
      'blocking',
      summary,
      [...new Set(evidence.map((r) => r.id))],
      `Exempt ${listText(names)} from proxy ` +
        `authentication on ${listText([...auth.keys()])} (an authentication-exempt rule for these destinations, before the ` +
        `rule that demands credentials). TokBox firewall requirements: "WebRTC does not work with proxies requiring authentication".`,
      hosts.length ? hosts : [...auth.keys()],
      {
        title: `proxy ${[...auth.keys()][0]} demands authentication (407)`,
        facts,
        changes: changes(names, 'TCP 443', 'exempt from authentication', 'proxy-auth-required', `on ${listText([...auth.keys()])}`),
        howto: proxyAuthHowto(names, [...auth.keys()]),
      },
    );
  },
};
