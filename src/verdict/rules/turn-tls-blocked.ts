// turn-tls-blocked: see the media rules' sources below.
// Media path causes. Each returns null when its checks are absent (they land with the media issue).
// seed 000_637c892c7d775e13.txt row 4 and section 2: UDP 3478 (STUN/TURN) + UDP 1025–65535
// (SRTP, preferred); fallback TURN over TCP/TLS 443; "If TCP 443 to Vonage domains is also blocked
// or subject to TLS interception, video fails entirely with 'could not connect to media' errors."
// seed 001_853fb095b65f741b.txt: "opening UDP Port 3478 will give you a better experience ...
// we recommend opening UDP ports 1025 - 65535".
import { cause, code, listText, type Rule } from '../input.js';
import { mediaFacts } from '../media.js';

export const rule: Rule = {
  id: 'turn-tls-blocked',
  evaluate(input) {
    const m = mediaFacts(input);
    if (m.turnTlsOk !== false) return null;
    // Relayed, but only through a proxy that demands authentication: proxy-auth-required and
    // media-unreachable say why that does not count; TURN over TLS itself did not fail.
    if (m.turnTcp.every((r) => r.status === 'ok')) return null;
    const udpToo = m.udp3478 === false && m.rangeOpen !== true;
    const inspected = m.turnTcp.some((r) => r.details?.inspected === true || code(r) === 'TLS_CERT_UNTRUSTED');
    return cause(
      'turn-tls-blocked',
      udpToo ? 'blocking' : 'degrading',
      `TURN over TCP/TLS 443 fails (${listText(m.turnTcp.map((r) => `${r.target} ${code(r) ?? r.status}`), 3)})` +
        (udpToo ? ' and UDP is blocked too: no media path' : '; only UDP carries media'),
      ['turn.allocate'],
      `Allow TURN over TLS on TCP 443 to the Vonage TURN servers (directly or as a CONNECT tunnel through the proxy)` +
        (inspected ? ' and exempt them from TLS inspection' : '') +
        ` — Virtual Room and RON Network Prerequisites: TLS inspection "breaks WebSocket upgrades and TURN-over-TLS".`,
      m.turnTcp.map((r) => r.target),
    );
  },
};
