// dns-blocked (blocking): a required host does not resolve.
// seed 000_637c892c7d775e13.txt, allowlist rows 1-6: every listed host is "Always" required.
// seed 003_606ee1d65ee49d3b.txt: localhost.esignlive.com must resolve "into 127.0.0.1 (using the
// DNS)"; a resolver with DNS-rebinding protection drops that answer (pcc.agent's PCC_DNS_NO_LOOPBACK).
import { allowNames, cause, code, isBad, isRequired, listText, nonexistentName, roleOf, type Rule } from '../input.js';
import { explained } from './shared.js';

export const rule: Rule = {
  id: 'dns-blocked',
  evaluate(input) {
    const skip = explained(input);
    // dns.zone: a wildcard's zone (no host known under it) that does not resolve.
    const bad = [...input.byId('dns.resolve'), ...input.byId('dns.zone')].filter((r) => {
      const h = input.hostOf(r);
      return isBad(r) && !skip.has(r) && h && isRequired(input, h) && roleOf(input, h) !== 'ocsp' && !nonexistentName(input, r);
    });
    const pcc = input.byId('pcc.agent').find((r) => r.target === 'pcc' && Array.isArray(r.details?.problems) && (r.details!.problems as unknown[]).includes('PCC_DNS_NO_LOOPBACK'));
    if (bad.length === 0 && !pcc) return null;
    const hosts = bad.map((r) => input.hostOf(r)!);
    const codes = listText(bad.map((r) => code(r) ?? r.status));
    const parts: string[] = [];
    if (hosts.length === 1) parts.push(`${hosts[0]} does not resolve (${codes})`);
    else if (hosts.length > 1) parts.push(`${hosts.length} required hosts do not resolve: ${listText(hosts)} (${codes})`);
    const remedies: string[] = [];
    if (hosts.length)
      remedies.push(
        `Make the internal DNS resolvers (or DNS filter) answer for ${listText(allowNames(input, hosts), 8)}; ` +
          `wildcard entries are needed where the requirements name one (Virtual Room and RON Network Prerequisites, allowlist).`,
      );
    if (pcc) {
      const name = String(pcc.details?.host ?? 'localhost.esignlive.com');
      const dns = pcc.details?.dns as { addresses?: unknown; error?: unknown } | undefined;
      const got = typeof dns?.error === 'string' ? dns.error : Array.isArray(dns?.addresses) && dns!.addresses.length ? `answered ${(dns!.addresses as string[]).join(', ')}` : 'no address';
      parts.push(`${name} does not resolve to 127.0.0.1 through the DNS (${got}); the Personal Certificate Client cannot be reached from the browser`);
      remedies.push(
        `Let the DNS resolvers return 127.0.0.1 for ${name} (exempt it from DNS-rebinding protection, e.g. dnsmasq rebind-domain-ok=/${name}/, ` +
          `Unbound private-domain: "${name}") — Personal Certificate Client: Communicating via WebSocket: the name resolves "into 127.0.0.1 (using the DNS)".`,
      );
    }
    return cause('dns-blocked', 'blocking', parts.join('; '), [...new Set([...bad.map((r) => r.id), ...(pcc ? ['pcc.agent'] : [])])], remedies.join(' '), pcc ? [...hosts, String(pcc.details?.host ?? 'pcc')] : hosts);
  },
};
