// packet-loss.
// Quality causes from quality.throughput / quality.udp-train / vpn.route (docs/evidence.md).
// Thresholds, seed 000_637c892c7d775e13.txt "Bandwidth and performance": "3 Mbps up and down per
// participant", "Round-trip latency ... under 150 ms", "Packet loss above 3% degrades WebRTC quality".
// Jitter 30 ms: the contract's cause table (common WebRTC guidance; not in a seed).
// VPN: "Full-tunnel VPNs add latency and often push media onto the slower TCP fallback path. Split
// tunneling for *.tokbox.com and *.opentok.com is strongly recommended."
import { cause, type Rule } from '../input.js';
import { trainMetric, viaText, MAX_LOSS_RATIO } from '../thresholds.js';

export const rule: Rule = {
  id: 'packet-loss',
  evaluate(input) {
    const loss = trainMetric(input, 'lossRatio');
    if (!loss || loss.value <= MAX_LOSS_RATIO) return null;
    return cause(
      'packet-loss',
      'degrading',
      `${(loss.value * 100).toFixed(1)} % packet loss to ${input.hostOf(loss.r) ?? loss.r.target}${viaText(loss.path)} (above 3 % degrades WebRTC: Virtual Room and RON Network Prerequisites)`,
      [loss.r.id],
      `Find the lossy hop (Wi-Fi, saturated uplink, policer): loss above 3 % degrades video regardless of bandwidth.`,
      [loss.r.target],
    );
  },
};
