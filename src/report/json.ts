// The JSON report: stable key order (the contract's), 2-space indent.
import type { Report } from './types.js';

const TOP = ['schema', 'tool', 'profiles', 'params', 'startedAt', 'durationMs', 'ready', 'outcome', 'unverified', 'tier', 'causes', 'symptoms', 'checklist', 'checks', 'quality', 'notes', 'context', 'changes', 'internalErrors'];
const ORDER: Record<string, string[]> = {
  cause: ['id', 'severity', 'title', 'summary', 'evidence', 'remedy', 'targets', 'facts', 'changes', 'howto'],
  fact: ['check', 'targets', 'result'],
  change: ['destination', 'ports', 'action', 'detail', 'why'],
  howto: ['product', 'kind', 'text'],
  symptom: ['id', 'text', 'causes'],
  checklist: ['id', 'status', 'evidence', 'reason', 'text'],
  check: ['id', 'target', 'status', 'durationMs', 'startMs', 'metrics', 'error', 'reason', 'details'],
  quality: ['downBps', 'upBps', 'rttMs', 'jitterMs', 'lossRatio', 'mos'],
};

/** Keys in the given order first, then the rest sorted; undefined values dropped. */
function ordered(obj: Record<string, unknown>, first: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of first) if (obj[k] !== undefined) out[k] = obj[k];
  for (const k of Object.keys(obj).sort()) if (!(k in out) && obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** Plain objects below a known level: keys sorted, so details/metrics print the same every time. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') return ordered(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sorted(x)])), []);
  return v;
}

export function normalizeReport(r: Report): Record<string, unknown> {
  const top = ordered(r as unknown as Record<string, unknown>, TOP);
  top.tool = ordered(r.tool, ['name', 'version']);
  top.params = sorted(r.params);
  const list = (xs: unknown[] | undefined, order: string[]) => xs?.map((x) => ordered(x as Record<string, unknown>, order));
  top.causes = r.causes.map((x) => {
    const o = ordered(x as unknown as Record<string, unknown>, ORDER.cause!);
    if (x.facts) o.facts = list(x.facts, ORDER.fact!);
    if (x.changes) o.changes = list(x.changes, ORDER.change!);
    if (x.howto) o.howto = list(x.howto, ORDER.howto!);
    return o;
  });
  if (r.changes) top.changes = list(r.changes, ORDER.change!);
  top.symptoms = r.symptoms.map((x) => ordered(x as unknown as Record<string, unknown>, ORDER.symptom!));
  top.checklist = r.checklist.map((x) => ordered(x as unknown as Record<string, unknown>, ORDER.checklist!));
  top.checks = r.checks.map((x) => {
    const o = ordered(x as unknown as Record<string, unknown>, ORDER.check!);
    o.metrics = sorted(x.metrics);
    if (x.error) o.error = ordered(x.error as unknown as Record<string, unknown>, ['code', 'message']);
    if (x.details) o.details = sorted(x.details);
    return o;
  });
  top.quality = r.quality ? ordered(r.quality as unknown as Record<string, unknown>, ORDER.quality!) : null;
  return top;
}

export function toJson(report: Report): string {
  return JSON.stringify(normalizeReport(report), null, 2) + '\n';
}
