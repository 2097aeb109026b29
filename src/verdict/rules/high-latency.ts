// high-latency (degrading): round trip 150 ms or more.
// seed 000_637c892c7d775e13.txt "Bandwidth and performance": "Round-trip latency to the OneSpan Sign
// region should be under 150 ms. VPN hairpinning through a remote regional gateway degrades both
// video and co-browsing."
import { cause, type Rule } from '../input.js';
import { factsOf } from '../facts.js';
import { signRtt, trainMetric, viaText, MAX_RTT_MS } from '../thresholds.js';
import { changes, splitTunnelHowto, VONAGE_WILDCARDS } from '../remedies.js';

const SAMPLE_TEXT: Record<string, string> = { 'tcp.connect': 'TCP handshake', 'tls.handshake': 'TLS handshake', 'http.path': 'HTTP answer', 'ws.upgrade': 'WebSocket upgrade' };

export const rule: Rule = {
  id: 'high-latency',
  reads: ['tcp.connect', 'tls.handshake', 'http.path', 'ws.upgrade', 'quality.udp-train', 'quality.relay-train'],
  evaluate(input) {
    const rtt = trainMetric(input, 'rttMs');
    const split = { changes: changes(VONAGE_WILDCARDS, '', 'split tunnel', 'high-latency', 'where a full-tunnel VPN carries them'), howto: splitTunnelHowto() };
    if (!rtt || rtt.value < MAX_RTT_MS) {
      // Without the media train (no probe) or below the limit there: the handshakes with the Sign domain.
      const sign = signRtt(input);
      if (!sign || sign.value < MAX_RTT_MS) return null;
      const host = input.hostOf(sign.r) ?? sign.r.target;
      return cause(
        'high-latency',
        'degrading',
        `round trip about ${sign.value.toFixed(0)} ms to the OneSpan Sign region (${host}, the fastest of its ${SAMPLE_TEXT[sign.r.id] ?? sign.r.id} and the other exchanges with it; should be under 150 ms)`,
        [sign.r.id],
        `Shorten the path to the OneSpan Sign region: avoid VPN hairpinning through a remote gateway and check the WAN link; ` +
          `if the account is in another region, test its own domain with --sign-domain (Virtual Room and RON Network Prerequisites, bandwidth and performance).`,
        [sign.r.target],
        { title: `round trip about ${sign.value.toFixed(0)} ms to ${host} (limit 150 ms)`, facts: factsOf([sign.r], () => `the ${SAMPLE_TEXT[sign.r.id] ?? sign.r.id} took about ${sign.value.toFixed(0)} ms (one round trip at least)`), ...split },
      );
    }
    return cause(
      'high-latency',
      'degrading',
      `round trip ${rtt.value.toFixed(0)} ms to ${input.hostOf(rtt.r) ?? rtt.r.target}${viaText(rtt.path)} (should be under 150 ms: Virtual Room and RON Network Prerequisites)`,
      [rtt.r.id],
      `Shorten the path: avoid VPN hairpinning through a remote gateway (split-tunnel *.tokbox.com and *.opentok.com) and check the WAN link` +
        (rtt.path === 'turn-tls' ? '; over TURN/TLS every lost packet also costs a retransmission round trip: open UDP 3478 so media leaves TCP.' : '.'),
      [rtt.r.target],
      { title: `round trip ${rtt.value.toFixed(0)} ms (limit 150 ms)${viaText(rtt.path)}`, facts: factsOf([rtt.r], () => `median round trip ${rtt.value.toFixed(0)} ms${viaText(rtt.path)}`), ...split },
    );
  },
};
