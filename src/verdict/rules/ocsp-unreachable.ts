// ocsp-unreachable (degrading): the certificate status hosts cannot be reached.
// seed 001_853fb095b65f741b.txt: "Whitelist the following HTTPS verification servers ...
// ocsf.godaddy.com [ocsp], crl.godaddy.com. Not doing so may cause console warnings".
import { cause, code, isBad, listText, type Rule } from '../input.js';

export const rule: Rule = {
  id: 'ocsp-unreachable',
  evaluate(input) {
    const bad = input.results.filter((r) => {
      const e = input.entryOf(r);
      return e?.role === 'ocsp' && isBad(r);
    });
    if (bad.length === 0) return null;
    const hosts = [...new Set(bad.map((r) => input.hostOf(r)!))];
    return cause(
      'ocsp-unreachable',
      'degrading',
      `certificate status hosts ${listText(hosts)} cannot be reached (${listText(bad.map((r) => code(r) ?? r.status))}); browsers may log warnings`,
      [...new Set(bad.map((r) => r.id))],
      `Allow outbound HTTP (TCP 80) to ${listText(hosts, 8)} (TokBox firewall requirements, "HTTPS verification servers").`,
      bad.map((r) => r.target),
    );
  },
};
