// The report's `quality` block from quality.throughput and quality.udp-train (docs/evidence.md).
import type { Quality } from '../report/types.js';
import type { VerdictInput } from './input.js';
import { mosFrom } from '../protocol/mos.js';
import { videoResolutionFor } from '../protocol/throughput.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const round = (v: number | null, digits: number) => (v === null ? null : Number(v.toFixed(digits)));

// MOS: the E-model of src/protocol/mos.ts (formula documented there and in the README).
export { mosFrom };

export function buildQuality(input: VerdictInput): Quality | null {
  const tp = input.byId('quality.throughput').find((r) => r.status === 'ok' || num(r.metrics.downBps) !== null);
  const train = input.byId('quality.udp-train').find((r) => r.status === 'ok' || num(r.metrics.rttMs) !== null);
  if (!tp && !train) return null;
  const rttMs = num(train?.metrics.rttMs);
  const jitterMs = num(train?.metrics.jitterMs);
  const lossRatio = num(train?.metrics.lossRatio);
  const downBps = num(tp?.metrics.downBps);
  const upBps = num(tp?.metrics.upBps);
  // The resolution the slower direction carries (Vonage thresholds at 75 % of the bitrate).
  const res = downBps !== null && upBps !== null ? videoResolutionFor(Math.min(downBps, upBps)) : null;
  return {
    downBps: round(num(tp?.metrics.downBps), 0),
    upBps: round(num(tp?.metrics.upBps), 0),
    rttMs: round(rttMs, 1),
    jitterMs: round(jitterMs, 1),
    lossRatio: round(lossRatio, 4),
    mos: rttMs !== null && jitterMs !== null && lossRatio !== null ? round(mosFrom(rttMs, jitterMs, lossRatio), 2) : null,
    ...(downBps !== null && upBps !== null ? { videoResolution: res?.name ?? 'none' } : {}),
  };
}
