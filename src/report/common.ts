// Shared helpers of the renderers (pure).
import type { CheckResult } from '../checks/types.js';
import { hostFromTarget } from '../verdict/input.js';
import type { ChecklistStatus, Outcome, Report } from './types.js';

/** The report's outcome; reports of netready 0.1 have none and say only `ready`. */
export function outcomeOf(r: Pick<Report, 'ready' | 'outcome'>): Outcome {
  return r.outcome ?? (r.ready ? 'ready' : 'not-ready');
}

/** Contract exit codes: 0 ready, 1 not ready, 4 incomplete. */
export function exitCodeFor(r: Pick<Report, 'ready' | 'outcome'>): number {
  const o = outcomeOf(r);
  return o === 'ready' ? 0 : o === 'incomplete' ? 4 : 1;
}

export const OUTCOME_TEXT: Record<Outcome, string> = { ready: 'READY', 'not-ready': 'NOT READY', incomplete: 'INCOMPLETE' };

export const TIER_TEXT: Record<string, string> = {
  optimal: 'optimal (UDP 3478 + UDP 1025-65535 + TCP 443)',
  'recommended-minimum': 'recommended minimum (UDP 3478 + TCP 443)',
  'absolute-minimum': 'absolute minimum (TCP 443 only, TURN over TLS)',
  none: 'none (no media path)',
};

export function tierText(r: Report): string {
  return r.tier ? TIER_TEXT[r.tier] ?? r.tier : 'not determined';
}

export const MARK: Record<ChecklistStatus, string> = { pass: '✔', fail: '✘', warn: '!', 'not-checked': '–' };
export const STATUS_MARK: Record<CheckResult['status'], string> = { ok: '✔', failed: '✘', timeout: '✘', skipped: '–', error: '!' };

const BAD = new Set(['failed', 'timeout', 'error']);
export const isBadCheck = (c: CheckResult) => BAD.has(c.status);

export interface HostGroup {
  host: string;
  checks: CheckResult[];
  bad: number;
}

/** Checks grouped by host (details.host or the target's host); groups with failures first. */
export function groupByHost(checks: CheckResult[]): HostGroup[] {
  const map = new Map<string, CheckResult[]>();
  for (const c of checks) {
    const h = typeof c.details?.host === 'string' ? (c.details.host as string) : (hostFromTarget(c.target) ?? c.target);
    const l = map.get(h) ?? [];
    l.push(c);
    map.set(h, l);
  }
  const groups = [...map].map(([host, cs], i) => ({ host, checks: cs, bad: cs.filter(isBadCheck).length, i }));
  groups.sort((a, b) => (b.bad > 0 ? 1 : 0) - (a.bad > 0 ? 1 : 0) || a.i - b.i);
  return groups.map(({ host, checks: cs, bad }) => ({ host, checks: cs, bad }));
}

/** A metric value with its unit, for humans. */
export function fmtMetric(name: string, v: number): string {
  if (name.endsWith('Ms')) return v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Number(v.toFixed(1))} ms`;
  if (name.endsWith('Bps')) return `${(v / 1e6).toFixed(1)} Mbps`;
  if (name.endsWith('Ratio')) return `${Number((v * 100).toFixed(1))} %`;
  if (name.endsWith('Bytes')) return `${v} B`;
  return String(v);
}

export function metricsText(c: CheckResult): string {
  return Object.entries(c.metrics)
    .map(([k, v]) => `${k.replace(/(Ms|Bps|Ratio|Bytes|Count)$/, '')} ${fmtMetric(k, v)}`)
    .join(', ');
}

/** The target without its host when the group already names it. */
export function shortTarget(c: CheckResult, host: string): string {
  return c.target === host ? '' : c.target;
}

export function outcomeText(c: CheckResult): string {
  if (c.error) return `${c.error.code}: ${c.error.message}`;
  if (c.status === 'skipped') return c.reason ?? 'skipped';
  return metricsText(c);
}

export function quality(r: Report): string[] {
  const q = r.quality;
  if (!q) return [];
  const out: string[] = [];
  // A direction still climbing when its time ran out (a long path) is a lower bound: "≥".
  const tp = r.checks.find((c) => c.id === 'quality.throughput');
  const atLeast = (dir: 'down' | 'up') => ((tp?.details?.[dir] as { rising?: unknown } | undefined)?.rising === true ? '≥ ' : '');
  if (q.downBps !== null) out.push(`down ${atLeast('down')}${fmtMetric('downBps', q.downBps)}`);
  if (q.upBps !== null) out.push(`up ${atLeast('up')}${fmtMetric('upBps', q.upBps)}`);
  if (q.rttMs !== null) out.push(`RTT ${fmtMetric('rttMs', q.rttMs)}`);
  if (q.jitterMs !== null) out.push(`jitter ${fmtMetric('jitterMs', q.jitterMs)}`);
  if (q.lossRatio !== null) out.push(`loss ${fmtMetric('lossRatio', q.lossRatio)}`);
  if (q.mos !== null) out.push(`MOS ${q.mos.toFixed(1)}`);
  if (typeof q.videoResolution === 'string') out.push(q.videoResolution === 'none' ? 'video: below 180p' : `video up to ${q.videoResolution}`);
  if (typeof q.path === 'string' && q.path !== 'direct') out.push(`measured ${q.path === 'turn-tls' ? 'through TURN over TLS 443' : 'through TURN over UDP'} (no direct UDP)`);
  return out;
}

/** One line per relay path measured (quality.relay-train): what the TURN fallback delivers. */
export function qualityRelays(r: Report): string[] {
  const q = r.quality;
  if (!q) return [];
  const out: string[] = [];
  for (const [prefix, label] of [['relayUdp', 'via TURN over UDP'], ['relayTls', 'via TURN over TLS 443']] as const) {
    const f = (k: string) => (typeof q[`${prefix}${k}`] === 'number' ? (q[`${prefix}${k}`] as number) : null);
    const parts: string[] = [];
    const rtt = f('RttMs');
    const jitter = f('JitterMs');
    const loss = f('LossRatio');
    const bps = f('DeliveredBps');
    const sentBps = f('SentBps');
    const mos = f('Mos');
    // The media path's own train is the main quality line already.
    if (rtt === null || q.path === (prefix === 'relayUdp' ? 'turn-udp' : 'turn-tls')) continue;
    parts.push(`RTT ${fmtMetric('rttMs', rtt)}`);
    if (jitter !== null) parts.push(`jitter ${fmtMetric('jitterMs', jitter)}`);
    if (loss !== null) parts.push(`loss ${fmtMetric('lossRatio', loss)}`);
    if (bps !== null && sentBps) parts.push(`video stream ${fmtMetric('sentBps', sentBps)}: ${Math.round(Math.min(1, bps / sentBps) * 100)} % delivered`);
    else if (bps !== null) parts.push(`video ${fmtMetric('deliveredBps', bps)} delivered`);
    if (mos !== null) parts.push(`MOS ${mos.toFixed(1)}`);
    out.push(`${label}: ${parts.join(' · ')}`);
  }
  return out;
}
