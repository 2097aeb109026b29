// The verdict: RawRun -> Report. Pure (no I/O, no clock): the same raw run gives the same report.
import { REPORT_SCHEMA, type Cause, type RawRun, type Report } from '../report/types.js';
import { buildChecklist } from './checklist.js';
import { buildInput, isBad, type VerdictInput } from './input.js';
import { computeTier, mediaFacts } from './media.js';
import { buildQuality } from './quality.js';
import { RULES } from './rules/index.js';
import { buildSymptoms } from './symptoms.js';

export { RULES } from './rules/index.js';
export { buildInput, hostFromTarget } from './input.js';
export { computeTier } from './media.js';

/** Run every rule; blocking causes first, then the contract's order. */
export function evaluateCauses(input: VerdictInput): Cause[] {
  const causes: Cause[] = [];
  for (const rule of RULES) {
    const c = rule.evaluate(input);
    if (c) causes.push(c);
  }
  const order = (c: Cause) => (c.severity === 'blocking' ? 0 : 1);
  return causes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => order(a.c) - order(b.c) || a.i - b.i)
    .map((x) => x.c);
}

/**
 * The checks that decide whether an "Always" row passes: reaching the host the way the browser
 * does. Idle holds, media and quality results are judged through their causes' severity instead
 * (an idle cut is degrading, not a failed row).
 */
export const REACHABILITY_CHECKS = new Set(['dns.resolve', 'tcp.connect', 'tls.handshake', 'http.path', 'ws.upgrade', 'sse.stream']);

/** Hosts marked "Always" that do not pass (a failed/timeout reachability result, or no ok one). */
export function failingRequiredHosts(input: VerdictInput): string[] {
  const out: string[] = [];
  for (const [host, e] of input.hosts) {
    if (e.required !== 'always') continue;
    const rs = input.forHost(host).filter((r) => REACHABILITY_CHECKS.has(r.id));
    if (rs.length === 0 && !input.raw.deadlineHit) continue; // not planned in this run
    if (rs.some(isBad) || !rs.some((r) => r.status === 'ok')) out.push(host);
  }
  return out;
}

export function buildReport(raw: RawRun, opts: { notes?: string[] } = {}): Report {
  const input = buildInput(raw);
  const causes = evaluateCauses(input);
  const tier = computeTier(input);
  const notes = [...(opts.notes ?? [])];
  if (raw.deadlineHit) notes.push('the run deadline was reached: checks that had not finished are missing or timed out');
  if (raw.media && !mediaFacts(input).ran) notes.push('media checks not run: tier not determined (run with --probe)');
  const ready = failingRequiredHosts(input).length === 0 && !causes.some((c) => c.severity === 'blocking');
  const report: Report = {
    schema: REPORT_SCHEMA,
    tool: { name: 'netready', version: raw.tool?.version ?? '0.0.0' },
    profiles: [...raw.profiles],
    params: { ...raw.params },
    startedAt: raw.startedAt,
    durationMs: Math.round(raw.durationMs),
    ready,
    tier,
    causes,
    symptoms: buildSymptoms(input, causes),
    checklist: buildChecklist(input, causes),
    checks: raw.results,
    quality: buildQuality(input),
  };
  if (notes.length) report.notes = notes;
  return report;
}
