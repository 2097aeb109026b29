// pac-required (degrading): the only way out is a PAC-selected proxy, which the video SDKs do not read.
// seed 000_637c892c7d775e13.txt: "Vonage SDKs do not support PAC files"; seed 001_853fb095b65f741b.txt:
// "iOS does not support proxy configurations that use .pac files".
import { cause, listText, type Rule } from '../input.js';
import { factsOf } from '../facts.js';
import { changes, explicitProxyHowto, ruleNames } from '../remedies.js';

export const rule: Rule = {
  id: 'pac-required',
  reads: ['proxy.config', 'tcp.connect'],
  evaluate(input) {
    const cfg = input.byId('proxy.config')[0];
    const list = cfg?.details?.pacRequired;
    if (!Array.isArray(list) || list.length === 0) return null;
    const hosts = list.filter((x): x is string => typeof x === 'string');
    const viaPac = input.byId('tcp.connect').filter((r) => hosts.includes(input.hostOf(r) ?? '') && (r.details?.proxy as { source?: unknown } | null | undefined)?.source === 'pac');
    const proxy = viaPac.map((r) => (r.details?.proxy as { display?: unknown }).display).find((x): x is string => typeof x === 'string') ?? null;
    const names = ruleNames(input, hosts);
    return cause(
      'pac-required',
      'degrading',
      `${listText(hosts)} ${hosts.length === 1 ? 'is' : 'are'} reachable only through the proxy${proxy ? ` ${proxy}` : ''} chosen by the PAC file ${String(cfg.details?.pac ?? input.proxy.pac ?? '')}`.trimEnd(),
      ['proxy.config', 'tcp.connect'],
      `Make the proxy transparent or configure it explicitly in the browser/OS (not only by PAC), or allow direct ` +
        `outbound TCP 443 to ${listText(names)}; Virtual Room and RON Network Prerequisites: "Vonage SDKs do not support PAC files".`,
      hosts,
      {
        title: `video hosts reachable only through the PAC file's proxy`,
        facts: [
          ...factsOf(viaPac, () => `direct TCP failed; through the PAC file's proxy${proxy ? ` ${proxy}` : ''} it worked`),
        ],
        changes: changes(names, 'TCP 443', 'allow', 'pac-required', 'directly, or through an explicitly configured proxy'),
        howto: explicitProxyHowto(proxy),
      },
    );
  },
};
