// high-jitter.
// Quality causes from quality.throughput / quality.udp-train / vpn.route (docs/evidence.md).
// Thresholds, seed 000_637c892c7d775e13.txt "Bandwidth and performance": "3 Mbps up and down per
// participant", "Round-trip latency ... under 150 ms", "Packet loss above 3% degrades WebRTC quality".
// Jitter 30 ms: the contract's cause table (common WebRTC guidance; not in a seed).
// VPN: "Full-tunnel VPNs add latency and often push media onto the slower TCP fallback path. Split
// tunneling for *.tokbox.com and *.opentok.com is strongly recommended."
import { cause, type Rule } from '../input.js';
import { trainMetric, viaText, MAX_JITTER_MS } from '../thresholds.js';

export const rule: Rule = {
  id: 'high-jitter',
  evaluate(input) {
    const j = trainMetric(input, 'jitterMs');
    if (!j || j.value <= MAX_JITTER_MS) return null;
    return cause(
      'high-jitter',
      'degrading',
      `jitter ${j.value.toFixed(1)} ms to ${input.hostOf(j.r) ?? j.r.target}${viaText(j.path)} (limit 30 ms)`,
      [j.r.id],
      `Prioritise real-time traffic (QoS for UDP media, DSCP EF/AF41) and relieve congested links or Wi-Fi.`,
      [j.r.target],
    );
  },
};
