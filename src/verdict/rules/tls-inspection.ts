// tls-inspection (blocking): the chain is re-signed by an interception CA.
// seed 000_637c892c7d775e13.txt: "Do not apply TLS inspection (MITM decryption) to *.opentok.com,
// *.tokbox.com, or *.upscope.io. It breaks WebSocket upgrades and TURN-over-TLS. Add these domains
// to the inspection bypass list." seed 001_853fb095b65f741b.txt: Firefox does not support proxies
// that inspect packets (no TURN over TLS).
import { allowNames, cause, code, listText, type Rule } from '../input.js';

type Name = { CN?: unknown; O?: unknown } | undefined;

export function nameText(n: Name): string | null {
  if (!n) return null;
  const parts: string[] = [];
  if (typeof n.CN === 'string' && n.CN) parts.push(`CN=${n.CN}`);
  if (typeof n.O === 'string' && n.O) parts.push(`O=${n.O}`);
  return parts.length ? parts.join(', ') : null;
}

export const rule: Rule = {
  id: 'tls-inspection',
  evaluate(input) {
    const bad = input.results.filter(
      (r) => r.id === 'tls.handshake' && code(r) === 'TLS_CERT_UNTRUSTED' && r.details?.intercepted === true,
    );
    if (bad.length === 0) return null;
    const hosts = [...new Set(bad.map((r) => input.hostOf(r)!))];
    const issuers = [
      ...new Set(bad.map((r) => nameText(r.details?.issuer as Name) ?? nameText(r.details?.root as Name) ?? 'an unknown CA')),
    ];
    const roots = [...new Set(bad.map((r) => nameText(r.details?.root as Name)).filter((x): x is string => !!x))];
    const rootNote = roots.length && roots.join() !== issuers.join() ? ` (root ${listText(roots)})` : '';
    return cause(
      'tls-inspection',
      'blocking',
      `TLS to ${listText(hosts)} is re-signed by ${listText(issuers)}${rootNote} — a TLS-inspecting proxy or firewall`,
      ['tls.handshake'],
      `Add ${listText(allowNames(input, hosts), 8)} to the TLS-inspection (SSL decryption) bypass list of the ` +
        `device that issues "${issuers[0]}"; seed 000: inspection breaks WebSocket upgrades and TURN over TLS.`,
      bad.map((r) => r.target),
    );
  },
};
