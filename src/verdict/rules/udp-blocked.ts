// udp-blocked: see the media rules' sources below.
// Media path causes. Each returns null when its checks are absent (they land with the media issue).
// seed 000_637c892c7d775e13.txt row 4 and section 2: UDP 3478 (STUN/TURN) + UDP 1025–65535
// (SRTP, preferred); fallback TURN over TCP/TLS 443; "If TCP 443 to Vonage domains is also blocked
// or subject to TLS interception, video fails entirely with 'could not connect to media' errors."
// seed 001_853fb095b65f741b.txt: "opening UDP Port 3478 will give you a better experience ...
// we recommend opening UDP ports 1025 - 65535".
import { cause, code, listText, type Rule } from '../input.js';
import { mediaFacts } from '../media.js';
import { MEDIA_NAMES } from './shared.js';

export const rule: Rule = {
  id: 'udp-blocked',
  evaluate(input) {
    const m = mediaFacts(input);
    if (m.udp3478 !== false || m.rangeOpen === true) return null;
    return cause(
      'udp-blocked',
      'degrading',
      `no UDP reaches the media servers (${listText(m.udp.map((r) => `${r.target} ${code(r) ?? r.status}`), 3)}); media falls back to TURN over TCP/TLS 443`,
      [...new Set([...m.udp, ...m.range].map((r) => r.id))],
      `Allow outbound UDP 3478 (STUN/TURN) to ${MEDIA_NAMES} — the recommended minimum (Virtual Room and RON Network Prerequisites, WebRTC and media transport) — ` +
        `and, for the best quality, UDP 1025-65535.`,
      m.udp.map((r) => r.target),
    );
  },
};
