// MOS estimate from RTT, jitter and loss: a simplified ITU-T G.107 E-model (sans-I/O, pure).
//
// The formula (what the README states):
//   d       = rttMs / 2 + 2 · jitterMs + 20                  one-way mouth-to-ear delay in ms: half the
//                                                            round trip, a jitter buffer of twice the
//                                                            RFC 3550 jitter, one 20 ms audio frame
//   Id      = 0.024 · d + 0.11 · (d − 177.3) · H(d − 177.3)  delay impairment (Cole & Rosenbluth 2001
//                                                            fit of G.107's Idd; H = step function)
//   Ie,eff  = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)    G.107 §7.5 equipment impairment with loss
//             Ie = 0, Bpl = 25.1 (G.711 with packet loss concealment, G.113 Appendix I),
//             BurstR = 1 (random loss), Ppl = loss in percent
//   R       = 93.2 − Id − Ie,eff                             93.2 = G.107 default R0 − Is, A = 0
//   MOS     = 1 + 0.035 · R + 7·10⁻⁶ · R · (R − 60) · (100 − R), 1 for R ≤ 0, 4.5 for R ≥ 100
// Examples (1 ms jitter): 20 ms RTT, no loss → 4.39; 200 ms RTT → 4.35; 20 ms RTT, 5 % loss → 3.89.

export const EMODEL = { r0MinusIs: 93.2, ie: 0, bpl: 25.1, burstR: 1, frameMs: 20 } as const;

export interface EModel {
  /** One-way mouth-to-ear delay used, ms. */
  delayMs: number;
  id: number;
  ieEff: number;
  r: number;
  mos: number;
}

export function eModel(rttMs: number, jitterMs: number, lossRatio: number): EModel {
  const rtt = Math.max(0, Number.isFinite(rttMs) ? rttMs : 0);
  const jit = Math.max(0, Number.isFinite(jitterMs) ? jitterMs : 0);
  const ppl = Math.min(100, Math.max(0, (Number.isFinite(lossRatio) ? lossRatio : 0) * 100));
  const d = rtt / 2 + 2 * jit + EMODEL.frameMs;
  const id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  const ieEff = EMODEL.ie + ((95 - EMODEL.ie) * ppl) / (ppl / EMODEL.burstR + EMODEL.bpl);
  const r = EMODEL.r0MinusIs - id - ieEff;
  return { delayMs: d, id, ieEff, r, mos: mosFromR(r) };
}

/** G.107 Annex B: R → MOS (conversational quality estimate). */
export function mosFromR(r: number): number {
  if (!(r > 0)) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
}

/** MOS (1..4.5) from round-trip time, RFC 3550 jitter and loss ratio (0..1). */
export function mosFrom(rttMs: number, jitterMs: number, lossRatio: number): number {
  return eModel(rttMs, jitterMs, lossRatio).mos;
}
