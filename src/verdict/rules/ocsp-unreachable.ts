// ocsp-unreachable (degrading): the certificate status hosts cannot be reached.
// seed 001_853fb095b65f741b.txt: "Whitelist the following HTTPS verification servers ...
// ocsf.godaddy.com [ocsp], crl.godaddy.com. Not doing so may cause console warnings".
import { cause, isBad, listText, portFromTarget, type Rule } from '../input.js';
import { factsOf } from '../facts.js';
import { allowTcpHowto, changes } from '../remedies.js';

export const rule: Rule = {
  id: 'ocsp-unreachable',
  reads: ['dns.resolve', 'tcp.connect', 'http.path'],
  evaluate(input) {
    const bad = input.results.filter((r) => {
      const e = input.entryOf(r);
      return e?.role === 'ocsp' && isBad(r);
    });
    if (bad.length === 0) return null;
    const hosts = [...new Set(bad.map((r) => input.hostOf(r)!))];
    const ports = [...new Set(hosts.flatMap((h) => input.hosts.get(h)?.tcp ?? []).concat(bad.map((r) => portFromTarget(r.target)).filter((p): p is number => p !== null)))].sort((a, b) => a - b);
    const portList = ports.length ? ports : [80];
    return cause(
      'ocsp-unreachable',
      'degrading',
      `certificate status hosts ${listText(hosts)} cannot be reached; browsers may log warnings`,
      [...new Set(bad.map((r) => r.id))],
      `Allow outbound ${portList.map((p) => `TCP ${p}`).join(', ')} to ${listText(hosts)} (TokBox firewall requirements, "HTTPS verification servers").`,
      bad.map((r) => r.target),
      {
        title: `certificate status hosts cannot be reached`,
        facts: factsOf(bad),
        changes: portList.flatMap((p) => changes(hosts, `TCP ${p}`, 'allow', 'ocsp-unreachable')),
        howto: allowTcpHowto(hosts, portList),
      },
    );
  },
};
