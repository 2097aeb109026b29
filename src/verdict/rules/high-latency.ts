// high-latency.
// Quality causes from quality.throughput / quality.udp-train / vpn.route (docs/evidence.md).
// Thresholds, seed 000_637c892c7d775e13.txt "Bandwidth and performance": "3 Mbps up and down per
// participant", "Round-trip latency ... under 150 ms", "Packet loss above 3% degrades WebRTC quality".
// Jitter 30 ms: the contract's cause table (common WebRTC guidance; not in a seed).
// VPN: "Full-tunnel VPNs add latency and often push media onto the slower TCP fallback path. Split
// tunneling for *.tokbox.com and *.opentok.com is strongly recommended."
import { cause, type Rule } from '../input.js';
import { signRtt, trainMetric, viaText, MAX_RTT_MS } from '../thresholds.js';

const SAMPLE_TEXT: Record<string, string> = { 'tcp.connect': 'TCP handshake', 'tls.handshake': 'TLS handshake', 'http.path': 'HTTP answer', 'ws.upgrade': 'WebSocket upgrade' };

export const rule: Rule = {
  id: 'high-latency',
  evaluate(input) {
    const rtt = trainMetric(input, 'rttMs');
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
      );
    }
    return cause(
      'high-latency',
      'degrading',
      `round trip ${rtt.value.toFixed(0)} ms to ${input.hostOf(rtt.r) ?? rtt.r.target}${viaText(rtt.path)} (should be under 150 ms: Virtual Room and RON Network Prerequisites)`,
      [rtt.r.id],
      `Shorten the path to the OneSpan Sign region: avoid VPN hairpinning through a remote gateway (split-tunnel ` +
        `*.tokbox.com and *.opentok.com) and check the WAN link.`,
      [rtt.r.target],
    );
  },
};
