// Per-source token buckets with a bounded table (no memory growth under spoofed-source floods).

export interface RateLimitOptions {
  /** Sustained packets per second per source. */
  ratePerSec: number;
  /** Bucket size (burst). */
  burst: number;
  /** Most sources tracked; the oldest entry is dropped beyond it. */
  maxSources?: number;
  /** A global cap over all sources, packets per second (default 20 x ratePerSec). */
  globalPerSec?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private buckets = new Map<string, Bucket>();
  private global: Bucket;
  private readonly maxSources: number;
  private readonly globalPerSec: number;

  constructor(private readonly opts: RateLimitOptions) {
    this.maxSources = opts.maxSources ?? 4096;
    this.globalPerSec = opts.globalPerSec ?? opts.ratePerSec * 20;
    this.global = { tokens: this.globalPerSec, at: 0 };
  }

  private take(b: Bucket, rate: number, burst: number, now: number): boolean {
    const dt = Math.max(0, now - b.at) / 1000;
    b.tokens = Math.min(burst, b.tokens + dt * rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** True when a packet from `source` may be answered now. */
  allow(source: string, now: number): boolean {
    let b = this.buckets.get(source);
    if (!b) {
      if (this.buckets.size >= this.maxSources) this.buckets.delete(this.buckets.keys().next().value as string);
      b = { tokens: this.opts.burst, at: now };
      this.buckets.set(source, b);
    }
    if (!this.take(b, this.opts.ratePerSec, this.opts.burst, now)) return false;
    return this.take(this.global, this.globalPerSec, this.globalPerSec, now);
  }

  get size(): number {
    return this.buckets.size;
  }
}
