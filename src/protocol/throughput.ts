// Throughput estimation, sans-I/O, in the manner of ndt7: feed cumulative byte counts with their
// times; the estimator cuts the transfer into fixed windows and says `stable` as soon as the last
// few windows (after the first, slow start) agree within ±6 % (their mean is the estimate: stop
// early); when the time budget ends first, the estimate is the mean over every whole window.
// Also: the video resolution a bitrate supports (Vonage thresholds).

export interface ThroughputOptions {
  /** Window length, ms. */
  windowMs?: number;
  /** Consecutive windows that must agree for `stable`. */
  stableWindows?: number;
  /** Each of those windows within ±tolerance of their mean. */
  tolerance?: number;
  /** Windows always discarded at the start (slow start). */
  skipWindows?: number;
  /** Most samples kept (a bound on memory; later samples beyond it only move the last one). */
  maxSamples?: number;
  /**
   * When the estimate is not stable, the span it averages starts this late (ms from the first
   * sample, rounded up to whole windows; at least the last window is kept). 0 on a low-delay link
   * (slow start is over within a few ms there); on a long path slow start lasts several round
   * trips, so the caller passes about two RTTs (ndt7 discards slow start the same way).
   */
  fallbackSkipMs?: number;
}

/** A window this much above the one before it is still climbing (slow start). */
export const RISING_FACTOR = 1.15;

export const THROUGHPUT_DEFAULTS = { windowMs: 200, stableWindows: 4, tolerance: 0.06, skipWindows: 1, maxSamples: 200_000, fallbackSkipMs: 0 } as const;

export interface ThroughputEstimate {
  /** Bits per second, or null before one whole window after the skipped ones. */
  bps: number | null;
  stable: boolean;
  /**
   * Not stable, on a long path (fallbackSkipMs > 0), and the last window still well above the one
   * before: the time ran out inside slow start. bps is then the last window, a lower bound.
   */
  rising: boolean;
  /** The span the estimate covers, ms from the first sample. */
  fromMs: number;
  toMs: number;
  /** Bytes seen in total and the time of the last sample (from the first sample). */
  totalBytes: number;
  elapsedMs: number;
  windows: number[];
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export class ThroughputEstimator {
  private readonly o: Required<ThroughputOptions>;
  private ts: number[] = [];
  private bs: number[] = [];

  constructor(o: ThroughputOptions = {}) {
    this.o = { ...THROUGHPUT_DEFAULTS, ...o };
  }

  /** A cumulative byte count at time tMs (monotonic; out-of-order samples are ignored). */
  add(tMs: number, cumulativeBytes: number): void {
    const n = this.ts.length;
    if (n && (tMs < this.ts[n - 1] || cumulativeBytes < this.bs[n - 1])) return;
    if (n >= this.o.maxSamples) {
      this.ts[n - 1] = tMs;
      this.bs[n - 1] = cumulativeBytes;
      return;
    }
    this.ts.push(tMs);
    this.bs.push(cumulativeBytes);
  }

  /** Bytes at time t (from the first sample), linearly interpolated between samples. */
  private bytesAt(t: number): number {
    const ts = this.ts;
    const t0 = ts[0];
    const abs = t0 + t;
    // binary search for the last sample <= abs
    let lo = 0;
    let hi = ts.length - 1;
    if (abs <= ts[0]) return this.bs[0];
    if (abs >= ts[hi]) return this.bs[hi];
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (ts[mid] <= abs) lo = mid;
      else hi = mid;
    }
    const f = (abs - ts[lo]) / (ts[hi] - ts[lo] || 1);
    return this.bs[lo] + f * (this.bs[hi] - this.bs[lo]);
  }

  /** Rates (bps) of the whole windows so far. */
  windowRates(): number[] {
    if (this.ts.length < 2) return [];
    const w = this.o.windowMs;
    const elapsed = this.ts[this.ts.length - 1] - this.ts[0];
    const n = Math.floor(elapsed / w);
    const out: number[] = [];
    for (let i = 0; i < n && i < 100_000; i++) out.push(((this.bytesAt((i + 1) * w) - this.bytesAt(i * w)) * 8 * 1000) / w);
    return out;
  }

  estimate(): ThroughputEstimate {
    const w = this.o.windowMs;
    const windows = this.windowRates();
    const totalBytes = this.bs.length ? this.bs[this.bs.length - 1] - this.bs[0] : 0;
    const elapsedMs = this.ts.length ? this.ts[this.ts.length - 1] - this.ts[0] : 0;
    const base = { totalBytes, elapsedMs, windows };
    const usable = windows.length - this.o.skipWindows;
    // Nothing before one whole window past the skipped ones — except on a long path, where the
    // skipped round trips may take the whole budget: there the last window still counts below.
    if (windows.length === 0 || (usable <= 0 && this.o.fallbackSkipMs === 0)) return { ...base, bps: null, stable: false, rising: false, fromMs: 0, toMs: 0 };
    const k = this.o.stableWindows;
    if (usable >= k) {
      const last = windows.slice(-k);
      const mean = last.reduce((a, b) => a + b, 0) / k;
      if (mean > 0 && last.every((r) => Math.abs(r - mean) <= this.o.tolerance * mean)) {
        const toMs = windows.length * w;
        const fromMs = toMs - k * w;
        return { ...base, bps: ((this.bytesAt(toMs) - this.bytesAt(fromMs)) * 8 * 1000) / (toMs - fromMs), stable: true, rising: false, fromMs, toMs };
      }
    }
    // Not stable (yet): the mean over every whole window. Measured in the lab, a shaped link
    // delivers in bursts (a slow first window and a catch-up later, or stop-and-go after drops on
    // the upload): any sub-span over- or under-shoots, the whole span does not; slow start on a
    // low-delay link is over within the first few ms (on a long path, fallbackSkipMs drops it).
    const toMs = windows.length * w;
    const skip = Math.min(windows.length - 1, Math.max(0, Math.ceil(this.o.fallbackSkipMs / w)));
    // A long path whose budget ended inside slow start: the windows still climb (measured at 200 ms
    // RTT in 0.75 s: 2.7, 7.2, 11.7 Mbit/s on a 50 Mbit/s link). Their mean says little; the last
    // window is the best figure, and only a lower bound.
    const n = windows.length;
    const rising = this.o.fallbackSkipMs > 0 && n >= 2 && windows[n - 1] > RISING_FACTOR * windows[n - 2];
    const fromMs = rising ? toMs - w : skip * w;
    const bps = ((this.bytesAt(toMs) - this.bytesAt(fromMs)) * 8 * 1000) / (toMs - fromMs);
    return { ...base, bps, stable: false, rising, fromMs, toMs };
  }
}

// The video ladder and videoResolutionFor live in src/shared/video.ts (the verdict reads them too).
export { VIDEO_LADDER, VIDEO_SHARE, videoResolutionFor } from '../shared/video.js';
