// Quality thresholds and metric lookup shared by the quality rules and the checklist.
// Quality causes from quality.throughput / quality.udp-train / vpn.route (docs/evidence.md).
// The thresholds themselves (seed 000 "Bandwidth and performance", the contract's jitter limit) are
// in src/shared/thresholds.ts, with the browser page's.
// VPN: "Full-tunnel VPNs add latency and often push media onto the slower TCP fallback path. Split
// tunneling for *.tokbox.com and *.opentok.com is strongly recommended."
import type { CheckResult } from '../checks/types.js';
import type { VerdictInput } from './input.js';

export { MIN_BPS, MAX_RTT_MS, MAX_LOSS_RATIO, MAX_JITTER_MS } from '../shared/thresholds.js';

export const mbps = (bps: number) => `${(bps / 1e6).toFixed(1)} Mbps`;

export function metric(input: VerdictInput, id: string, name: string): { value: number; r: CheckResult } | null {
  for (const r of input.byId(id)) {
    const v = r.metrics[name];
    if (typeof v === 'number' && Number.isFinite(v)) return { value: v, r };
  }
  return null;
}

/** How media reaches the far end, by which packet train measured it. */
export type MediaPath = 'direct' | 'turn-udp' | 'turn-tls';

export const PATH_TEXT: Record<MediaPath, string> = { direct: 'direct UDP', 'turn-udp': 'TURN over UDP', 'turn-tls': 'TURN over TLS 443' };

const hasRtt = (r: CheckResult) => typeof r.metrics.rttMs === 'number' && Number.isFinite(r.metrics.rttMs);

/**
 * The packet train of the path media takes: the direct one (quality.udp-train) when its packets came
 * back; else the relay one over TURN/UDP, else over TURN/TLS 443 (quality.relay-train) — on a
 * network without UDP the fallback path is the one the session will run on (seed 000).
 */
export function mediaTrain(input: VerdictInput): { r: CheckResult; path: MediaPath } | null {
  const direct = input.byId('quality.udp-train').find(hasRtt);
  if (direct) return { r: direct, path: 'direct' };
  const relays = input.byId('quality.relay-train').filter(hasRtt);
  const udp = relays.find((r) => r.target.startsWith('turn:udp:'));
  if (udp) return { r: udp, path: 'turn-udp' };
  const tls = relays.find((r) => r.target.startsWith('turn:tls:'));
  return tls ? { r: tls, path: 'turn-tls' } : null;
}

/** A metric of the media path's train, with where it came from. */
export function trainMetric(input: VerdictInput, name: string): { value: number; r: CheckResult; path: MediaPath } | null {
  const t = mediaTrain(input);
  const v = t?.r.metrics[name];
  return t && typeof v === 'number' && Number.isFinite(v) ? { value: v, r: t.r, path: t.path } : null;
}

/** " through TURN over TLS 443" for a relayed figure, "" for the direct one. */
export const viaText = (path: MediaPath) => (path === 'direct' ? '' : ` through ${PATH_TEXT[path]}`);

/**
 * A throughput direction whose measurement ended inside slow start (details.<dir>.rising, a long
 * path and a short --quality-seconds): its figure is a lower bound, so "under 3 Mbps" is not proven.
 */
export function risingDirection(r: CheckResult, dir: 'down' | 'up'): boolean {
  const d = r.details?.[dir] as { rising?: unknown } | undefined;
  return d?.rising === true;
}
