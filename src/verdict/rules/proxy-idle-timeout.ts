// proxy-idle-timeout (degrading): an idle long-lived connection is cut; the seconds are measured.
// seed 000_637c892c7d775e13.txt, proxy requirements: "Connection timeouts must support sessions of
// 30–90 minutes ... Set a timeout of ≥ 4 hours — or no cap — for the domains in section 1."
import { cause, code, listText, onProbe, seconds, type Rule } from '../input.js';
import { factsOf } from '../facts.js';
import { allowlistDomains, changes, idleHowto } from '../remedies.js';
import { probePathText } from './shared.js';

export const rule: Rule = {
  id: 'proxy-idle-timeout',
  reads: ['conn.idle'],
  evaluate(input) {
    const cut = input
      .byId('conn.idle')
      .filter((r) => code(r) === 'IDLE_CUT')
      .sort((a, b) => (a.metrics.idleCutMs ?? Infinity) - (b.metrics.idleCutMs ?? Infinity));
    if (cut.length === 0) return null;
    const parts = cut.map((r) => {
      const kind = r.details?.kind === 'sse' ? 'event stream' : 'WebSocket';
      const ms = r.metrics.idleCutMs;
      return `idle ${kind} to ${input.hostOf(r)} cut after ${typeof ms === 'number' ? seconds(ms) : 'an unknown time'}`;
    });
    const probe = cut.filter((r) => onProbe(input, r));
    const names = allowlistDomains(input);
    const first = cut[0]!.metrics.idleCutMs;
    return cause(
      'proxy-idle-timeout',
      'degrading',
      `${listText(parts)}${probe.length ? ` — ${probePathText(input, probe)}` : ''} (sessions last 30-90 minutes; the requirement is ≥ 4 h or no cap)`,
      ['conn.idle'],
      `Raise the proxy/firewall idle timeout for ${listText(names)} to at least 4 hours or remove the cap ` +
        `(Virtual Room and RON Network Prerequisites, proxy requirements).`,
      cut.map((r) => r.target),
      {
        title: `idle connections cut after ${typeof first === 'number' ? seconds(first) : '?'} (need ≥ 4 h)${probe.length === cut.length ? ', probe path' : ''}`,
        facts: factsOf(cut),
        changes: changes(names, 'TCP 443', 'raise idle timeout', 'proxy-idle-timeout', '≥ 4 hours, or no cap'),
        howto: idleHowto(names),
      },
    );
  },
};
