// tcp-blocked (blocking): TCP to a required host:port is refused or dropped (directly, or the
// proxy refuses the CONNECT / every request for the host).
// seed 000_637c892c7d775e13.txt, allowlist: HTTPS + WSS on TCP 443 to rows 1, 3, 5, 6, "Always".
import type { CheckResult } from '../../checks/types.js';
import { allowNames, cause, code, isBad, isRequired, listText, portFromTarget, roleOf, type Rule } from '../input.js';
import { explained, isRefusal } from './shared.js';

const REQUEST_CHECKS = new Set(['http.path', 'ws.upgrade', 'sse.stream']);

export const rule: Rule = {
  id: 'tcp-blocked',
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
    const hosts = bad.map((r) => input.hostOf(r)!);
    const codes = listText(bad.map((r) => code(r) ?? r.status));
    const ports = [...new Set(targets.map((t) => portFromTarget(t) ?? 443))].sort((a, b) => a - b);
    const how = bad.some((r) => code(r) === 'PROXY_CONNECT_REFUSED' || code(r) === 'HTTP_BLOCKED_BY_PROXY')
      ? 'refused by the proxy'
      : bad.every((r) => r.status === 'timeout')
        ? 'dropped (no answer)'
        : 'refused or dropped';
    const summary =
      targets.length === 1
        ? `TCP to ${targets[0]} ${how} (${codes})`
        : `TCP to ${[...new Set(targets)].length} required endpoints ${how}: ${listText(targets)} (${codes})`;
    return cause(
      'tcp-blocked',
      'blocking',
      summary,
      [...new Set(bad.map((r) => r.id))],
      `Allow outbound TCP ${ports.join(', ')} from the clients (or from the proxy) to ` +
        `${listText(allowNames(input, hosts), 8)}, and allow CONNECT to them on the proxy (Virtual Room and RON Network Prerequisites, firewall and proxy allowlist).`,
      [...new Set(targets)],
    );
  },
};
