// The report's `quality` block from quality.throughput and quality.udp-train (docs/evidence.md).
import type { Quality } from '../report/types.js';
import type { VerdictInput } from './input.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const round = (v: number | null, digits: number) => (v === null ? null : Number(v.toFixed(digits)));

/**
 * Mean opinion score (1..5) from a simplified ITU-T G.107 E-model, as commonly used for VoIP
 * monitoring: effective latency = rtt/2 + 2·jitter + 10 ms; R = 93.2 − latency term − 2.5·loss%.
 */
export function mosFrom(rttMs: number, jitterMs: number, lossRatio: number): number {
  const eff = rttMs / 2 + jitterMs * 2 + 10;
  let r = eff < 160 ? 93.2 - eff / 40 : 93.2 - (eff - 120) / 10;
  r -= lossRatio * 100 * 2.5;
  r = Math.max(0, Math.min(100, r));
  const mos = 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r);
  return Math.max(1, Math.min(5, mos));
}

export function buildQuality(input: VerdictInput): Quality | null {
  const tp = input.byId('quality.throughput').find((r) => r.status === 'ok' || num(r.metrics.downBps) !== null);
  const train = input.byId('quality.udp-train').find((r) => r.status === 'ok' || num(r.metrics.rttMs) !== null);
  if (!tp && !train) return null;
  const rttMs = num(train?.metrics.rttMs);
  const jitterMs = num(train?.metrics.jitterMs);
  const lossRatio = num(train?.metrics.lossRatio);
  return {
    downBps: round(num(tp?.metrics.downBps), 0),
    upBps: round(num(tp?.metrics.upBps), 0),
    rttMs: round(rttMs, 1),
    jitterMs: round(jitterMs, 1),
    lossRatio: round(lossRatio, 4),
    mos: rttMs !== null && jitterMs !== null && lossRatio !== null ? round(mosFrom(rttMs, jitterMs, lossRatio), 2) : null,
  };
}
