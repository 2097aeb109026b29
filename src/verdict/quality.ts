// The report's `quality` block from quality.throughput and quality.udp-train (docs/evidence.md).
import type { Quality } from '../report/types.js';
import type { VerdictInput } from './input.js';
import { mosFrom } from '../shared/mos.js';
import { videoResolutionFor } from '../shared/video.js';
import { mediaTrain, signRtt } from './thresholds.js';
import { computeTier } from './media.js';
import type { CheckResult } from '../shared/results.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const round = (v: number | null, digits: number) => (v === null ? null : Number(v.toFixed(digits)));

// MOS: the E-model of src/shared/mos.ts (formula documented there and in the README).
export { mosFrom };

export function buildQuality(input: VerdictInput): Quality | null {
  const tp = input.byId('quality.throughput').find((r) => r.status === 'ok' || num(r.metrics.downBps) !== null);
  // RTT, jitter and loss of the path media takes (direct UDP, else the TURN fallback).
  const media = mediaTrain(input);
  const train = media?.r;
  const relays = input.byId('quality.relay-train').filter((r) => num(r.metrics.rttMs) !== null);
  const sign = signRtt(input);
  if (!tp && !train && !relays.length && !sign) return null;
  const rttMs = num(train?.metrics.rttMs);
  const jitterMs = num(train?.metrics.jitterMs);
  const lossRatio = num(train?.metrics.lossRatio);
  const downBps = num(tp?.metrics.downBps);
  const upBps = num(tp?.metrics.upBps);
  // The resolution the slower direction carries (Vonage thresholds at 75 % of the bitrate) — none
  // at all without a media path: bandwidth to the probe is no video (tier none).
  const noMedia = computeTier(input) === 'none';
  const res = downBps !== null && upBps !== null && !noMedia ? videoResolutionFor(Math.min(downBps, upBps)) : null;
  return {
    downBps: round(num(tp?.metrics.downBps), 0),
    upBps: round(num(tp?.metrics.upBps), 0),
    rttMs: round(rttMs, 1),
    jitterMs: round(jitterMs, 1),
    lossRatio: round(lossRatio, 4),
    mos: rttMs !== null && jitterMs !== null && lossRatio !== null ? round(mosFrom(rttMs, jitterMs, lossRatio), 2) : null,
    ...(downBps !== null && upBps !== null && !noMedia ? { videoResolution: res?.name ?? 'none' } : {}),
    ...(media ? { path: media.path } : {}),
    ...relayFigures(relays),
    ...(sign ? { signRttMs: round(sign.value, 1) } : {}),
  };
}

/** relayUdpRttMs, relayTlsJitterMs, …: each relay path's own figures, beside the media path's. */
function relayFigures(relays: CheckResult[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [prefix, kind] of [['relayUdp', 'turn:udp:'], ['relayTls', 'turn:tls:']] as const) {
    const r = relays.find((x) => x.target.startsWith(kind));
    if (!r) continue;
    const rtt = num(r.metrics.rttMs);
    const jitter = num(r.metrics.jitterMs);
    const loss = num(r.metrics.lossRatio);
    out[`${prefix}RttMs`] = round(rtt, 1);
    out[`${prefix}JitterMs`] = round(jitter, 1);
    out[`${prefix}LossRatio`] = round(loss, 4);
    out[`${prefix}SentBps`] = round(num(r.metrics.videoSentBps), 0);
    out[`${prefix}DeliveredBps`] = round(num(r.metrics.videoDeliveredBps), 0);
    out[`${prefix}Mos`] = rtt !== null && jitter !== null && loss !== null ? round(mosFrom(rtt, jitter, loss), 2) : null;
  }
  return out;
}
