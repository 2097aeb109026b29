// Quality thresholds and metric lookup shared by the quality rules and the checklist.
// Quality causes from quality.throughput / quality.udp-train / vpn.route (docs/evidence.md).
// The thresholds themselves (seed 000 "Bandwidth and performance", the contract's jitter limit) are
// in src/shared/thresholds.ts, with the browser page's.
// VPN: "Full-tunnel VPNs add latency and often push media onto the slower TCP fallback path. Split
// tunneling for *.tokbox.com and *.opentok.com is strongly recommended."
import type { CheckResult } from '../shared/results.js';
import type { VerdictInput } from './input.js';
import type { CheckId } from '../shared/check-ids.js';

export { MIN_BPS, MAX_RTT_MS, MAX_LOSS_RATIO, MAX_JITTER_MS } from '../shared/thresholds.js';

export const mbps = (bps: number) => `${(bps / 1e6).toFixed(1)} Mbps`;

export function metric(input: VerdictInput, id: CheckId, name: string): { value: number; r: CheckResult } | null {
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

/**
 * The round trip to the OneSpan Sign region, from the exchanges with the Sign domain (seed
 * 000_637c892c7d775e13.txt: "Round-trip latency to the OneSpan Sign region should be under 150 ms").
 * Every sample holds at least one round trip — a direct TCP connect, a TLS 1.3 handshake (TLS 1.2:
 * two), also through a proxy's tunnel (where the TCP connect only reaches the proxy), the origin's
 * first byte of an answer, a WebSocket upgrade — plus work at either end (the server's, and this
 * machine's busy event loop while dozens of checks start at once). The smallest sample is the
 * tightest bound. Null without such results.
 */
export function signRtt(input: VerdictInput): { value: number; r: CheckResult } | null {
  let best: { value: number; r: CheckResult } | null = null;
  const consider = (value: unknown, r: CheckResult) => {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0 && (!best || value < best.value)) best = { value, r };
  };
  for (const r of input.results) {
    // An intercepting middlebox answers for the origin after its own upstream work (its own
    // connect and TLS, certificate minting): no round trip to the region can be read from that.
    if (r.status !== 'ok' || input.entryOf(r)?.role !== 'sign' || r.details?.inspected === true || r.details?.intercepted === true) continue;
    if (r.id === 'tcp.connect' && !r.details?.proxy) consider(r.metrics.connectMs, r);
    if (r.id === 'tls.handshake') consider(r.metrics.tlsMs / (r.details?.protocol === 'TLSv1.3' ? 1 : 2), r);
    if (r.id === 'http.path') consider(r.metrics.firstByteMs, r);
    if (r.id === 'ws.upgrade') consider(r.metrics.upgradeMs, r);
  }
  return best;
}
