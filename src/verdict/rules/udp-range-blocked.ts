// udp-range-blocked: UDP 3478 passes, UDP 1025-65535 does not.
// seed 000_637c892c7d775e13.txt row 4 and section 2: UDP 3478 (STUN/TURN) + UDP 1025–65535
// (SRTP, preferred); seed 001_853fb095b65f741b.txt: "we recommend opening UDP ports 1025 - 65535".
import { cause, type Rule } from '../input.js';
import { mediaFacts, RANGE_OPEN_RATIO } from '../media.js';
import { factsOf } from '../facts.js';
import { changes, MEDIA_ANY, udpHowto } from '../remedies.js';
import { detailsOf } from '../../shared/evidence.js';

export const rule: Rule = {
  id: 'udp-range-blocked',
  reads: ['proxy.config', 'tcp.connect', 'stun.binding', 'udp.range', 'turn.allocate'],
  evaluate(input) {
    const m = mediaFacts(input);
    if (m.udp3478 !== true || m.rangeOpen !== false) return null;
    const r = m.range[0]!;
    const ratio = r.metrics.passRatio;
    const ports = detailsOf(r, 'udp.range').ports;
    const okCount = ports ? Object.values(ports).filter((v) => v === 'ok').length : null;
    const counts = ports ? ` (${okCount} of ${Object.keys(ports).length} sampled ports answered)` : '';
    return cause(
      'udp-range-blocked',
      'degrading',
      `UDP 3478 passes but sampled UDP ports 1025-65535 do not` +
        (typeof ratio === 'number' ? `: pass ratio ${ratio.toFixed(2)} < ${RANGE_OPEN_RATIO}` : '') + counts,
      ['udp.range', ...new Set(m.udp.map((x) => x.id))],
      `Allow outbound UDP 1025-65535 to any destination (the Vonage media servers have no published names or ranges; replies are return traffic of the same flow) ` +
        `for the optimal tier (Virtual Room and RON Network Prerequisites, WebRTC and media transport; TokBox firewall requirements: "we recommend opening UDP ports 1025 - 65535").`,
      m.range.map((x) => x.target),
      {
        title: `UDP 3478 open, UDP 1025-65535 closed${ports ? ` (${okCount} of ${Object.keys(ports).length} ports answered)` : ''}`,
        facts: factsOf(m.range.filter((x) => x.status !== 'ok')),
        changes: changes([MEDIA_ANY], 'UDP 1025-65535', 'allow', 'udp-range-blocked', 'for the optimal tier'),
        howto: udpHowto(['1025-65535']),
      },
    );
  },
};
