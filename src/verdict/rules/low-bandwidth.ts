// low-bandwidth.
// Quality causes from quality.throughput / quality.udp-train / vpn.route (docs/evidence.md).
// Thresholds, seed 000_637c892c7d775e13.txt "Bandwidth and performance": "3 Mbps up and down per
// participant", "Round-trip latency ... under 150 ms", "Packet loss above 3% degrades WebRTC quality".
// Jitter 30 ms: the contract's cause table (common WebRTC guidance; not in a seed).
// VPN: "Full-tunnel VPNs add latency and often push media onto the slower TCP fallback path. Split
// tunneling for *.tokbox.com and *.opentok.com is strongly recommended."
import { cause, type Rule } from '../input.js';
import { metric, mbps, MIN_BPS, risingDirection } from '../thresholds.js';

export const rule: Rule = {
  id: 'low-bandwidth',
  evaluate(input) {
    const down = metric(input, 'quality.throughput', 'downBps');
    const up = metric(input, 'quality.throughput', 'upBps');
    // A figure still climbing when the time ran out is a lower bound: it proves nothing below 3 Mbps.
    const isLow = (m: typeof down, dir: 'down' | 'up') => !!m && m.value < MIN_BPS && !risingDirection(m.r, dir);
    const low = [isLow(down, 'down') ? `down ${mbps(down!.value)}` : null, isLow(up, 'up') ? `up ${mbps(up!.value)}` : null].filter(
      (x): x is string => !!x,
    );
    if (low.length === 0) return null;
    return cause(
      'low-bandwidth',
      'degrading',
      `measured ${low.join(', ')}: under the 3 Mbps up and down per participant of the Virtual Room and RON Network Prerequisites`,
      ['quality.throughput'],
      `Provide at least 3 Mbps up and down per participant (check the uplink, QoS/shaping policies and concurrent use).`,
      [(down ?? up)!.r.target],
    );
  },
};
