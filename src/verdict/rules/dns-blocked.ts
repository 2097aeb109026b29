// dns-blocked (blocking): a required host does not resolve.
// seed 000_637c892c7d775e13.txt, allowlist rows 1-6: every listed host is "Always" required.
import { allowNames, cause, code, isBad, isRequired, listText, roleOf, type Rule } from '../input.js';
import { explained } from './shared.js';

export const rule: Rule = {
  id: 'dns-blocked',
  evaluate(input) {
    const skip = explained(input);
    const bad = input.byId('dns.resolve').filter((r) => {
      const h = input.hostOf(r);
      return isBad(r) && !skip.has(r) && h && isRequired(input, h) && roleOf(input, h) !== 'ocsp';
    });
    if (bad.length === 0) return null;
    const hosts = bad.map((r) => input.hostOf(r)!);
    const codes = listText(bad.map((r) => code(r) ?? r.status));
    const summary =
      hosts.length === 1
        ? `${hosts[0]} does not resolve (${codes})`
        : `${hosts.length} required hosts do not resolve: ${listText(hosts)} (${codes})`;
    return cause(
      'dns-blocked',
      'blocking',
      summary,
      ['dns.resolve'],
      `Make the internal DNS resolvers (or DNS filter) answer for ${listText(allowNames(input, hosts), 8)}; ` +
        `wildcard entries are needed where the profile names one (seed 000 allowlist).`,
      hosts,
    );
  },
};
