// turn-tls-blocked: TURN over TCP/TLS 443 fails (blocking when UDP is blocked too).
// seed 000_637c892c7d775e13.txt row 4 and section 2: fallback TURN over TCP/TLS 443; "If TCP 443 to
// Vonage domains is also blocked or subject to TLS interception, video fails entirely with 'could
// not connect to media' errors."
import { cause, code, type Rule } from '../input.js';
import { mediaFacts } from '../media.js';
import { factsOf } from '../facts.js';
import { changes, MEDIA_ANY, turnTlsHowto } from '../remedies.js';

export const rule: Rule = {
  id: 'turn-tls-blocked',
  reads: ['proxy.config', 'tcp.connect', 'stun.binding', 'udp.range', 'turn.allocate'],
  evaluate(input) {
    const m = mediaFacts(input);
    if (m.turnTlsOk !== false) return null;
    // Relayed, but only through a proxy that demands authentication: proxy-auth-required and
    // media-unreachable say why that does not count; TURN over TLS itself did not fail.
    if (m.turnTcp.every((r) => r.status === 'ok')) return null;
    const udpToo = m.udp3478 === false && m.rangeOpen !== true;
    const bad = m.turnTcp.filter((r) => r.status !== 'ok');
    const inspected = m.turnTcp.some((r) => r.details?.inspected === true || code(r) === 'TLS_CERT_UNTRUSTED');
    return cause(
      'turn-tls-blocked',
      udpToo ? 'blocking' : 'degrading',
      `TURN over TCP/TLS 443 fails` +
        (udpToo ? ' and UDP is blocked too: no media path' : m.udp3478 === true ? '; media runs over UDP, with no fallback where UDP is blocked (e.g. other offices, hotel or guest networks)' : ': media has no fallback'),
      ['turn.allocate'],
      `Allow TURN over TLS on TCP 443 to any destination (Vonage's TURN servers have no published names), directly or as a CONNECT tunnel through the proxy` +
        (inspected
          ? ', and exempt these tunnels from TLS inspection — Virtual Room and RON Network Prerequisites: TLS inspection "breaks WebSocket upgrades and TURN-over-TLS".'
          : ' — Virtual Room and RON Network Prerequisites, WebRTC and media transport: "TCP 443 only (WSS, HTTPS, TURN over TLS)" is the absolute minimum, the fallback when UDP is blocked.'),
      m.turnTcp.map((r) => r.target),
      {
        title: udpToo ? 'TURN over TCP/TLS 443 fails too: no media path' : 'TURN over TCP/TLS 443 fails: no fallback for media',
        facts: factsOf(bad),
        changes: [...changes([MEDIA_ANY], 'TCP 443', 'allow', 'turn-tls-blocked', 'TURN over TLS'), ...(inspected ? changes([MEDIA_ANY], 'TCP 443', 'bypass inspection', 'turn-tls-blocked', 'TURN over TLS') : [])],
        howto: turnTlsHowto(),
      },
    );
  },
};
