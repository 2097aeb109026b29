// media-unreachable: see the media rules' sources below.
// Media path causes. Each returns null when its checks are absent (they land with the media issue).
// seed 000_637c892c7d775e13.txt row 4 and section 2: UDP 3478 (STUN/TURN) + UDP 1025–65535
// (SRTP, preferred); fallback TURN over TCP/TLS 443; "If TCP 443 to Vonage domains is also blocked
// or subject to TLS interception, video fails entirely with 'could not connect to media' errors."
// seed 001_853fb095b65f741b.txt: "opening UDP Port 3478 will give you a better experience ...
// we recommend opening UDP ports 1025 - 65535".
import { cause, type Rule } from '../input.js';
import { authProxies, computeTier, mediaFacts, viaAuthProxy } from '../media.js';
import { MEDIA_NAMES } from './shared.js';

export const rule: Rule = {
  id: 'media-unreachable',
  evaluate(input) {
    if (computeTier(input) !== 'none') return null;
    const m = mediaFacts(input);
    const tried = [...m.udp, ...m.turnTcp].map((r) => r.target);
    const auth = authProxies(input);
    const onlyViaAuth = m.turnTcp.some((r) => r.status === 'ok' && viaAuthProxy(r, auth));
    return cause(
      'media-unreachable',
      'blocking',
      onlyViaAuth
        ? `no media path works: no UDP gets through, and TURN over TLS 443 only through a proxy that demands authentication, which WebRTC cannot answer ("could not connect to media")`
        : `no media path works: neither UDP 3478 nor TURN over TCP/TLS 443 reaches the media servers ("could not connect to media")`,
      [...new Set([...m.udp, ...m.range, ...m.turnTcp].map((r) => r.id))],
      `Open at least outbound UDP 3478 to ${MEDIA_NAMES} (recommended minimum), or as a last resort TCP 443 ` +
        `with TURN over TLS not inspected (Virtual Room and RON Network Prerequisites, WebRTC and media transport).`,
      tried,
    );
  },
};
