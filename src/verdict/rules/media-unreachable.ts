// media-unreachable (blocking): no media path at all (tier none).
// seed 000_637c892c7d775e13.txt section 2: "If TCP 443 to Vonage domains is also blocked or subject
// to TLS interception, video fails entirely with 'could not connect to media' errors."
import { cause, type Rule } from '../input.js';
import { authProxies, computeTier, mediaFacts, viaAuthProxy } from '../media.js';
import { factsOf, resultText } from '../facts.js';
import { changes, MEDIA_ANY, udpHowto } from '../remedies.js';

export const rule: Rule = {
  id: 'media-unreachable',
  reads: ['proxy.config', 'tcp.connect', 'stun.binding', 'udp.range', 'turn.allocate'],
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
      `Open at least outbound UDP 3478 to any destination (Vonage publishes no media server names or ranges: the recommended minimum), or as a last resort TCP 443 ` +
        `with TURN over TLS not inspected (Virtual Room and RON Network Prerequisites, WebRTC and media transport).`,
      tried,
      {
        title: 'no media path: video fails with "could not connect to media"',
        facts: factsOf([...m.udp, ...m.turnTcp].filter((r) => r.status !== 'ok' || (onlyViaAuth && viaAuthProxy(r, auth))), (r) =>
          r.status === 'ok' ? `relayed only through ${String((r.details?.proxy as { display?: unknown }).display)}, which demands authentication` : resultText(r),
        ),
        changes: changes([MEDIA_ANY], 'UDP 3478', 'allow', 'media-unreachable'),
        howto: udpHowto(['3478']),
      },
    );
  },
};
