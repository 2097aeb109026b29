// Webhooks (issue 15): `netready serve --webhook URL` (repeatable) receives one JSON event when a
// site's outcome changes — never on an unchanged run — and a "recovered" one when it turns ready
// again. Delivery is queued (the upload's answer never waits for it), each POST is bounded by a
// timeout, and a failed one (network error, non-2xx) is retried with exponential backoff a bounded
// number of times; events reach each URL in order (a retried one holds back those after it); the
// queue itself is bounded (the oldest waiting event is dropped, and logged).

import type { Outcome } from '../store/index.js';

export interface WebhookEvent {
  type: 'outcome-changed' | 'recovered';
  site: string;
  from: Outcome;
  to: Outcome;
  reportId: number;
  /** The report's share link (null when none was made). */
  url: string | null;
  at: string;
}

export const WEBHOOK_DEFAULTS = {
  timeoutMs: 5_000,
  /** Attempts per event and URL (the first one included). */
  attempts: 6,
  /** Backoff before attempt n+1: baseMs * 2^(n-1), at most maxBackoffMs. */
  baseMs: 1_000,
  maxBackoffMs: 60_000,
  /** Deliveries waiting or retrying, in all. */
  maxQueued: 1_000,
} as const;

export interface WebhookOptions {
  timeoutMs?: number;
  attempts?: number;
  baseMs?: number;
  maxBackoffMs?: number;
  maxQueued?: number;
  log?: (line: string) => void;
}

/** The event for a stored report, or null when the site's outcome did not change. */
export function eventFor(p: { site: string | null; previousOutcome: Outcome | null; outcome: Outcome; changed: boolean; id: number }, url: string | null, at: Date): WebhookEvent | null {
  if (!p.changed || p.site === null || p.previousOutcome === null || p.previousOutcome === p.outcome) return null;
  return { type: p.outcome === 'ready' ? 'recovered' : 'outcome-changed', site: p.site, from: p.previousOutcome, to: p.outcome, reportId: p.id, url, at: at.toISOString() };
}

/** The webhook URL as given: http or https, with a host (one-line error otherwise). */
export function parseWebhookUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(`--webhook: malformed URL "${v}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`--webhook: expected an http or https URL, got "${v}"`);
  if (!u.hostname) throw new Error(`--webhook: URL has no host: "${v}"`);
  return u.toString();
}

interface Delivery {
  body: string;
  attempt: number;
}

/** One receiver: its events in order (a retried event holds back the ones after it). */
interface Line {
  url: string;
  queue: Delivery[];
  busy: boolean;
}

export interface WebhookStats {
  queued: number;
  delivered: number;
  failed: number;
  dropped: number;
  retries: number;
}

export class Webhooks {
  private readonly o: Required<Omit<WebhookOptions, 'log'>>;
  private readonly log: (line: string) => void;
  private readonly lines: Line[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<AbortController>();
  private closed = false;
  readonly stats: WebhookStats = { queued: 0, delivered: 0, failed: 0, dropped: 0, retries: 0 };

  constructor(
    readonly urls: readonly string[],
    opts: WebhookOptions = {},
  ) {
    this.o = {
      timeoutMs: opts.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs,
      attempts: opts.attempts ?? WEBHOOK_DEFAULTS.attempts,
      baseMs: opts.baseMs ?? WEBHOOK_DEFAULTS.baseMs,
      maxBackoffMs: opts.maxBackoffMs ?? WEBHOOK_DEFAULTS.maxBackoffMs,
      maxQueued: opts.maxQueued ?? WEBHOOK_DEFAULTS.maxQueued,
    };
    this.log = opts.log ?? (() => {});
    this.lines = urls.map((url) => ({ url, queue: [], busy: false }));
  }

  private count(): void {
    this.stats.queued = this.lines.reduce((n, l) => n + l.queue.length, 0);
  }

  /** Queue the event for every URL; returns at once (delivery is in the background, in order per URL). */
  send(event: WebhookEvent): void {
    if (this.closed) return;
    const body = JSON.stringify(event);
    for (const line of this.lines) {
      if (line.queue.length >= this.o.maxQueued) {
        // The oldest waiting event goes (not the one in flight).
        line.queue.splice(line.busy ? 1 : 0, 1);
        this.stats.dropped++;
        this.log(`webhook: queue full (${this.o.maxQueued}): dropped an event for ${redactUrl(line.url)}`);
      }
      line.queue.push({ body, attempt: 0 });
      if (!line.busy) this.schedule(line, 0);
    }
    this.count();
  }

  private schedule(line: Line, delayMs: number): void {
    line.busy = true;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.attempt(line);
    }, delayMs);
    t.unref();
    this.timers.add(t);
  }

  private async attempt(line: Line): Promise<void> {
    const d = line.queue[0];
    if (this.closed || !d) {
      line.busy = false;
      return;
    }
    d.attempt++;
    const ac = new AbortController();
    this.inflight.add(ac);
    const timer = setTimeout(() => ac.abort(), this.o.timeoutMs);
    let problem: string | null = null;
    try {
      const res = await fetch(line.url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'User-Agent': 'netready-serve webhook' }, body: d.body, signal: ac.signal, redirect: 'manual' });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status > 299) problem = `HTTP ${res.status}`;
    } catch (e) {
      problem = ac.signal.aborted ? `no answer within ${this.o.timeoutMs} ms` : (((e as Error).cause as Error | undefined)?.message ?? (e as Error).message);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(ac);
    }
    if (this.closed) return;
    if (problem === null) {
      line.queue.shift();
      this.stats.delivered++;
    } else if (d.attempt >= this.o.attempts) {
      line.queue.shift();
      this.stats.failed++;
      this.log(`webhook: ${redactUrl(line.url)}: gave up after ${d.attempt} attempts (${problem})`);
    } else {
      this.stats.retries++;
      this.count();
      return this.schedule(line, Math.min(this.o.maxBackoffMs, this.o.baseMs * 2 ** (d.attempt - 1)));
    }
    this.count();
    if (line.queue.length) this.schedule(line, 0);
    else line.busy = false;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const ac of this.inflight) ac.abort();
    for (const l of this.lines) l.queue.length = 0;
  }
}

/** A webhook URL for logs: without user info or query (either may carry a secret). */
export function redactUrl(u: string): string {
  try {
    const x = new URL(u);
    return `${x.protocol}//${x.host}${x.pathname}`;
  } catch {
    return '(a webhook URL)';
  }
}
