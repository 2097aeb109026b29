// tls-inspection: a vendor host's chain is re-signed — by a root this machine does not trust, or by
// one it trusts that is not part of the public web PKI (--ca, NODE_EXTRA_CA_CERTS: the inspecting
// device's root installed here; contract "--ca: trusted, but not public").
// seed 000_637c892c7d775e13.txt: "Do not apply TLS inspection (MITM decryption) to *.opentok.com,
// *.tokbox.com, or *.upscope.io. It breaks WebSocket upgrades and TURN-over-TLS. Add these domains
// to the inspection bypass list." Blocking for those (and cobrowsingapi.com, checklist item 3:
// "excluded from TLS inspection"); the Sign domain's inspection is degrading — seed 000 asks for
// no bypass there, but it breaks WebSocket upgrades all the same, which websocket-blocked reports.
// seed 001_853fb095b65f741b.txt: Firefox does not support proxies that inspect packets.
// The probe is not a vendor host: an interceptor on its path is recorded there, not here.
import type { CheckResult } from '../../shared/results.js';
import { cause, code, listText, onProbe, uniq, type Rule } from '../input.js';
import { NO_INSPECTION } from '../../shared/documents.js';
import { factsOf, nameText } from '../facts.js';
import { changes, hostsText, noInspectionHowto, ruleNames } from '../remedies.js';
import { detailsOf } from '../../shared/evidence.js';

export { nameText };

const TRUSTED_BY: Record<string, string> = { ca: 'a --ca file', extra: 'NODE_EXTRA_CA_CERTS' };

/** A vendor host's handshake re-signed by an interceptor (untrusted, or trusted through a private root). */
export function inspectedHandshake(r: CheckResult): boolean {
  return detailsOf(r, 'tls.handshake').intercepted === true && (code(r) === 'TLS_CERT_UNTRUSTED' || r.status === 'ok');
}

export const rule: Rule = {
  id: 'tls-inspection',
  reads: ['tls.handshake'],
  evaluate(input) {
    const bad = input.results.filter((r) => inspectedHandshake(r) && !onProbe(input, r));
    if (bad.length === 0) return null;
    const hosts = [...new Set(bad.map((r) => input.hostOf(r)!))];
    const issuers = [
      ...new Set(bad.map((r) => nameText(detailsOf(r, 'tls.handshake').issuer) ?? nameText(detailsOf(r, 'tls.handshake').root) ?? 'an unknown CA')),
    ];
    const roots = [...new Set(bad.map((r) => nameText(detailsOf(r, 'tls.handshake').root)).filter((x): x is string => !!x))];
    const rootNote = roots.length && roots.join() !== issuers.join() ? ` (root ${listText(roots)})` : '';
    const trusted = [...new Set(bad.map((r) => TRUSTED_BY[String(detailsOf(r, 'tls.handshake').rootSource)]).filter((x): x is string => !!x))];
    const trustNote = trusted.length ? `; this machine trusts that root through ${listText(trusted)}, but it is not a public root` : '';
    // Blocking for the Vonage, Upscope and co-browsing hosts; the Sign domain alone is degrading.
    const blocking = bad.some((r) => input.entryOf(r)?.role !== 'sign');
    // The requirements name four destinations for the bypass list; an inspecting device found on
    // one of them is asked to leave all four alone (and the Sign domain where it was seen).
    const names = uniq([...ruleNames(input, hosts), ...(blocking ? NO_INSPECTION : [])]);
    return cause(
      'tls-inspection',
      blocking ? 'blocking' : 'degrading',
      `TLS to ${hostsText(input, hosts)} is re-signed by ${listText(issuers)}${rootNote} — a TLS-inspecting proxy or firewall${trustNote}`,
      ['tls.handshake'],
      `Add ${listText(names)} to the TLS-inspection (SSL decryption) bypass list of the ` +
        `device that issues "${issuers[0]}". Virtual Room and RON Network Prerequisites: inspection "breaks WebSocket ` +
        `upgrades and TURN-over-TLS"; TokBox firewall requirements: Firefox cannot use TURN over TLS through such a proxy.`,
      bad.map((r) => r.target),
      {
        title: `TLS to ${hosts.length === 1 ? hosts[0] : `${hosts.length} hosts`} re-signed by ${issuers[0]}`,
        facts: factsOf(bad),
        changes: changes(names, 'TCP 443', 'bypass inspection', 'tls-inspection'),
        howto: noInspectionHowto(names, issuers[0] ?? null),
      },
    );
  },
};
