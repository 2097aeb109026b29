// udp-range-blocked: see the media rules' sources below.
// Media path causes. Each returns null when its checks are absent (they land with the media issue).
// seed 000_637c892c7d775e13.txt row 4 and section 2: UDP 3478 (STUN/TURN) + UDP 1025–65535
// (SRTP, preferred); fallback TURN over TCP/TLS 443; "If TCP 443 to Vonage domains is also blocked
// or subject to TLS interception, video fails entirely with 'could not connect to media' errors."
// seed 001_853fb095b65f741b.txt: "opening UDP Port 3478 will give you a better experience ...
// we recommend opening UDP ports 1025 - 65535".
import { cause, type Rule } from '../input.js';
import { mediaFacts, RANGE_OPEN_RATIO } from '../media.js';

export const rule: Rule = {
  id: 'udp-range-blocked',
  evaluate(input) {
    const m = mediaFacts(input);
    if (m.udp3478 !== true || m.rangeOpen !== false) return null;
    const r = m.range[0]!;
    const ratio = r.metrics.passRatio;
    const ports = r.details?.ports as Record<string, string> | undefined;
    const counts = ports ? ` (${Object.values(ports).filter((v) => v === 'ok').length} of ${Object.keys(ports).length} sampled ports answered)` : '';
    return cause(
      'udp-range-blocked',
      'degrading',
      `UDP 3478 passes but sampled UDP ports 1025-65535 do not` +
        (typeof ratio === 'number' ? `: pass ratio ${ratio.toFixed(2)} < ${RANGE_OPEN_RATIO}` : '') + counts,
      ['udp.range', ...new Set(m.udp.map((x) => x.id))],
      `Allow outbound UDP 1025-65535 to the Vonage media servers (replies are return traffic of the same flow) ` +
        `for the optimal tier (Virtual Room and RON Network Prerequisites, WebRTC and media transport; TokBox firewall requirements: "we recommend opening UDP ports 1025 - 65535").`,
      m.range.map((x) => x.target),
    );
  },
};
