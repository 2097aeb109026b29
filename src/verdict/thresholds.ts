// Quality thresholds and metric lookup shared by the quality rules and the checklist.
// Quality causes from quality.throughput / quality.udp-train / vpn.route (docs/evidence.md).
// Thresholds, seed 000_637c892c7d775e13.txt "Bandwidth and performance": "3 Mbps up and down per
// participant", "Round-trip latency ... under 150 ms", "Packet loss above 3% degrades WebRTC quality".
// Jitter 30 ms: the contract's cause table (common WebRTC guidance; not in a seed).
// VPN: "Full-tunnel VPNs add latency and often push media onto the slower TCP fallback path. Split
// tunneling for *.tokbox.com and *.opentok.com is strongly recommended."
import type { CheckResult } from '../checks/types.js';
import type { VerdictInput } from './input.js';

export const MIN_BPS = 3e6;
export const MAX_RTT_MS = 150;
export const MAX_LOSS_RATIO = 0.03;
export const MAX_JITTER_MS = 30;

export const mbps = (bps: number) => `${(bps / 1e6).toFixed(1)} Mbps`;

export function metric(input: VerdictInput, id: string, name: string): { value: number; r: CheckResult } | null {
  for (const r of input.byId(id)) {
    const v = r.metrics[name];
    if (typeof v === 'number' && Number.isFinite(v)) return { value: v, r };
  }
  return null;
}

