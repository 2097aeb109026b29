// udp-blocked: no UDP at all reaches the media servers.
// seed 000_637c892c7d775e13.txt row 4 and section 2: UDP 3478 (STUN/TURN) + UDP 1025–65535
// (SRTP, preferred); fallback TURN over TCP/TLS 443; "If TCP 443 to Vonage domains is also blocked
// or subject to TLS interception, video fails entirely with 'could not connect to media' errors."
// seed 001_853fb095b65f741b.txt: "opening UDP Port 3478 will give you a better experience ...
// we recommend opening UDP ports 1025 - 65535".
import { cause, type Rule } from '../input.js';
import { mediaFacts } from '../media.js';
import { factsOf } from '../facts.js';
import { changes, MEDIA_ANY, udpHowto } from '../remedies.js';

export const rule: Rule = {
  id: 'udp-blocked',
  reads: ['proxy.config', 'tcp.connect', 'stun.binding', 'udp.range', 'turn.allocate'],
  evaluate(input) {
    const m = mediaFacts(input);
    if (m.udp3478 !== false || m.rangeOpen === true) return null;
    // What happens instead must agree with turn-tls-blocked and media-unreachable.
    const relayedViaAuth = m.turnTlsOk === false && m.turnTcp.length > 0 && m.turnTcp.every((r) => r.status === 'ok');
    const fallback =
      m.turnTlsOk === true
        ? 'media falls back to TURN over TLS 443, which works (the absolute minimum: slower setup, lower quality)'
        : relayedViaAuth
          ? 'TURN over TLS 443 gets through only a proxy that demands authentication, which WebRTC cannot answer'
          : m.turnTlsOk === false
            ? 'and TURN over TCP/TLS 443, the fallback, fails too'
            : 'media would fall back to TURN over TCP/TLS 443 (not measured)';
    return cause(
      'udp-blocked',
      'degrading',
      `no UDP reaches the media servers (UDP 3478 and the sampled UDP 1025-65535 ports); ${fallback}`,
      [...new Set([...m.udp, ...m.range].map((r) => r.id))],
      `Allow outbound UDP 3478 (STUN/TURN) to any destination (Vonage publishes no media server names or ranges) — the recommended minimum ` +
        `(Virtual Room and RON Network Prerequisites, WebRTC and media transport) — and, for the best quality, UDP 1025-65535.`,
      m.udp.map((r) => r.target),
      {
        title: m.turnTlsOk === true ? 'no UDP to the media servers: media runs over TURN/TLS 443' : 'no UDP to the media servers',
        facts: factsOf([...m.udp, ...m.range].filter((r) => r.status !== 'ok')),
        changes: [...changes([MEDIA_ANY], 'UDP 3478', 'allow', 'udp-blocked'), ...changes([MEDIA_ANY], 'UDP 1025-65535', 'allow', 'udp-blocked', 'for the optimal tier')],
        howto: udpHowto(['3478', '1025-65535']),
      },
    );
  },
};
