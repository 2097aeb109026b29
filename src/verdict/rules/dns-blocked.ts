// dns-blocked (blocking): a required host does not resolve.
// seed 000_637c892c7d775e13.txt, allowlist rows 1-6: every listed host is "Always" required.
// seed 003_606ee1d65ee49d3b.txt: localhost.esignlive.com must resolve "into 127.0.0.1 (using the
// DNS)"; a resolver with DNS-rebinding protection drops that answer (pcc.agent's PCC_DNS_NO_LOOPBACK).
import type { Fact } from '../../report/types.js';
import { cause, isBad, isRequired, listText, nonexistentName, roleOf, type Rule } from '../input.js';
import { factsOf } from '../facts.js';
import { changes, dnsHowto, hostsText, ruleNames } from '../remedies.js';
import { explained } from './shared.js';

export const rule: Rule = {
  id: 'dns-blocked',
  reads: ['dns.resolve', 'dns.zone', 'pcc.agent'],
  evaluate(input) {
    const skip = explained(input);
    // dns.zone: a wildcard's zone (no host known under it) that does not resolve.
    const bad = [...input.byId('dns.resolve'), ...input.byId('dns.zone')].filter((r) => {
      const h = input.hostOf(r);
      return isBad(r) && !skip.has(r) && h && isRequired(input, h) && roleOf(input, h) !== 'ocsp' && !nonexistentName(input, r);
    });
    const pcc = input.byId('pcc.agent').find((r) => r.target === 'pcc' && Array.isArray(r.details?.problems) && (r.details!.problems as unknown[]).includes('PCC_DNS_NO_LOOPBACK'));
    if (bad.length === 0 && !pcc) return null;
    const hosts = [...new Set(bad.map((r) => input.hostOf(r)!))];
    const names = ruleNames(input, hosts);
    const parts: string[] = [];
    const facts: Fact[] = factsOf(bad);
    if (hosts.length) parts.push(`${hostsText(input, hosts)} ${hosts.length === 1 ? 'does' : 'do'} not resolve through this machine's DNS`);
    const remedies: string[] = [];
    if (hosts.length)
      remedies.push(
        `Make the internal DNS resolvers (and any DNS filter) answer for ${listText(names)}; ` +
          `wildcard entries are needed where the requirements name one (Virtual Room and RON Network Prerequisites, firewall and proxy allowlist).`,
      );
    let pccName: string | null = null;
    if (pcc) {
      pccName = String(pcc.details?.host ?? 'localhost.esignlive.com');
      const dns = pcc.details?.dns as { addresses?: unknown; error?: unknown } | undefined;
      const got = typeof dns?.error === 'string' ? dns.error : Array.isArray(dns?.addresses) && dns!.addresses.length ? `answered ${(dns!.addresses as string[]).join(', ')}` : 'no address';
      parts.push(`${pccName} does not resolve to 127.0.0.1 through the DNS (${got}); the Personal Certificate Client cannot be reached from the browser`);
      facts.push({ check: 'pcc.agent', targets: [pccName], result: `the DNS ${got}, not 127.0.0.1` });
      remedies.push(
        `Let the DNS resolvers return 127.0.0.1 for ${pccName} (exempt it from DNS-rebinding protection, e.g. dnsmasq rebind-domain-ok=/${pccName}/, ` +
          `Unbound private-domain: "${pccName}") — Personal Certificate Client: Communicating via WebSocket: the name resolves "into 127.0.0.1 (using the DNS)".`,
      );
    }
    const all = pccName ? [...names, pccName] : names;
    return cause('dns-blocked', 'blocking', parts.join('; '), [...new Set([...bad.map((r) => r.id), ...(pcc ? ['pcc.agent'] : [])])], remedies.join(' '), pccName ? [...hosts, pccName] : hosts, {
      title: hosts.length === 1 && !pccName ? `${hosts[0]} does not resolve` : hosts.length ? `${hosts.length + (pccName ? 1 : 0)} required names do not resolve` : `${pccName} does not resolve to 127.0.0.1`,
      facts,
      changes: [...changes(names, '', 'answer in DNS', 'dns-blocked'), ...(pccName ? changes([pccName], '', 'answer in DNS', 'dns-blocked', 'answer 127.0.0.1 (exempt from DNS-rebinding protection)') : [])],
      howto: dnsHowto(all),
    });
  },
};
