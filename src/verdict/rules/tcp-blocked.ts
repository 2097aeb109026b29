// tcp-blocked (blocking): TCP to a required host:port is refused or dropped.
// seed 000_637c892c7d775e13.txt, allowlist rows 1-6: "HTTPS + WSS, TCP 443", "Always".
import type { CheckResult } from '../../shared/results.js';
import { cause, code, isBad, isRequired, listText, portFromTarget, roleOf, type Rule } from '../input.js';
import { factsOf } from '../facts.js';
import { allowTcpHowto, changes, hostsText, ruleNames } from '../remedies.js';
import { explained, isRefusal } from './shared.js';

const REQUEST_CHECKS = new Set(['http.path', 'ws.upgrade', 'sse.stream']);

export const rule: Rule = {
  id: 'tcp-blocked',
  reads: ['tcp.connect', 'http.path', 'ws.upgrade', 'sse.stream'],
  evaluate(input) {
    const skip = explained(input);
    const relevant = (r: CheckResult) => {
      const h = input.hostOf(r);
      return !!h && !skip.has(r) && isRequired(input, h) && roleOf(input, h) !== 'ocsp';
    };
    const bad: CheckResult[] = input
      .byId('tcp.connect')
      .filter((r) => isBad(r) && relevant(r) && code(r) !== 'PROXY_AUTH_REQUIRED');
    // A proxy that lets CONNECT through but refuses every request for the host blocks it as well.
    const hostsWithTcp = new Set(bad.map((r) => input.hostOf(r)));
    for (const [host] of input.hosts) {
      if (hostsWithTcp.has(host)) continue;
      const reqs = input.forHost(host).filter((r) => REQUEST_CHECKS.has(r.id) && relevant(r));
      if (reqs.length > 0 && reqs.every((r) => isRefusal(r) && code(r) === 'HTTP_BLOCKED_BY_PROXY')) bad.push(...reqs);
    }
    if (bad.length === 0) return null;
    const targets = bad.map((r) => (r.id === 'tcp.connect' ? r.target : `${input.hostOf(r)}:${portFromTarget(r.target) ?? 443}`));
    const hosts = [...new Set(bad.map((r) => input.hostOf(r)!))];
    const ports = [...new Set(targets.map((t) => portFromTarget(t) ?? 443))].sort((a, b) => a - b);
    const byProxy = bad.some((r) => code(r) === 'PROXY_CONNECT_REFUSED' || code(r) === 'HTTP_BLOCKED_BY_PROXY');
    const how = byProxy ? 'refused by the proxy' : bad.every((r) => r.status === 'timeout') ? 'dropped (no answer)' : 'refused or dropped';
    const names = ruleNames(input, hosts);
    const portText = ports.map((p) => `TCP ${p}`).join(', ');
    return cause(
      'tcp-blocked',
      'blocking',
      `${portText} to ${hostsText(input, hosts)} ${how}`,
      [...new Set(bad.map((r) => r.id))],
      `Allow outbound ${portText} from the clients (or from the proxy) to ${listText(names)}` +
        (byProxy ? ', and allow CONNECT to them on the proxy' : '') +
        ' (Virtual Room and RON Network Prerequisites, firewall and proxy allowlist).',
      [...new Set(targets)],
      {
        title: `${portText} to ${hosts.length === 1 ? hosts[0] : `${hosts.length} hosts`} ${how}`,
        facts: factsOf(bad),
        changes: ports.flatMap((p) => changes(names, `TCP ${p}`, 'allow', 'tcp-blocked', byProxy ? 'and CONNECT on the proxy' : undefined)),
        howto: allowTcpHowto(names, ports),
      },
    );
  },
};
