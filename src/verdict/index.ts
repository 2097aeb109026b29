// The verdict: RawRun -> Report. Pure (no I/O, no clock): the same raw run gives the same report.
import { REPORT_SCHEMA, type Cause, type ChecklistId, type ChecklistItem, type Outcome, type RawRun, type Report, type ReportContext, type Unverified } from '../report/types.js';
import { buildChecklist, probeUnverifiedReason } from './checklist.js';
import { buildInput, isBad, nonexistentName, uniq, type Rule, type VerdictInput } from './input.js';
import { computeTier, mediaFacts } from './media.js';
import { buildQuality } from './quality.js';
import { RULES } from './rules/index.js';
import { buildSymptoms } from './symptoms.js';
import { mergeChanges } from './remedies.js';

export { RULES } from './rules/index.js';
export { buildInput, hostFromTarget } from './input.js';
export { computeTier } from './media.js';

/** Run every rule; blocking causes first, then the contract's order. */
export function evaluateCauses(input: VerdictInput, rules: readonly Rule[] = RULES): { causes: Cause[]; failed: { rule: string; message: string }[] } {
  const causes: Cause[] = [];
  const failed: { rule: string; message: string }[] = [];
  for (const rule of rules) {
    // Each rule alone: a netready bug in one loses its cause, never the others (Lighthouse's audits).
    try {
      const c = rule.evaluate(input);
      if (c) causes.push(c);
    } catch (e) {
      failed.push({ rule: rule.id, message: (e as Error)?.message ?? String(e) });
    }
  }
  const order = (c: Cause) => (c.severity === 'blocking' ? 0 : 1);
  return {
    causes: causes
      .map((c, i) => ({ c, i }))
      .sort((a, b) => order(a.c) - order(b.c) || a.i - b.i)
      .map((x) => x.c),
    failed,
  };
}

/**
 * The checks that decide whether an "Always" row passes: reaching the host the way the browser
 * does. Idle holds, media and quality results are judged through their causes' severity instead
 * (an idle cut is degrading, not a failed row).
 */
export const REACHABILITY_CHECKS = new Set(['dns.resolve', 'dns.zone', 'tcp.connect', 'tls.handshake', 'http.path', 'ws.upgrade', 'sse.stream']);

/**
 * Hosts marked "Always" that the network failed (a failed/timeout reachability result). A host
 * with nothing proved either way (its checks skipped or cut by the deadline) is not failing: its
 * checklist row is then not verified, which makes the outcome incomplete, not not-ready.
 */
export function failingRequiredHosts(input: VerdictInput): string[] {
  const out: string[] = [];
  for (const [host, e] of input.hosts) {
    if (e.required !== 'always') continue;
    const rs = input.forHost(host).filter((r) => REACHABILITY_CHECKS.has(r.id));
    // A name netready picked itself (or an old document's) that does not exist is no requirement.
    if (rs.some((r) => nonexistentName(input, r))) continue;
    if (rs.some(isBad)) out.push(host);
  }
  return out;
}

/**
 * The checklist rows that stand for the allowlist rows marked "Always" (seed 000 allowlist rows
 * 1-6 and the proxy requirements on them): each must be verified for `ready` (contract).
 */
export const ALWAYS_ROWS: readonly ChecklistId[] = ['sign-domain-reachable', 'websocket-upgrade', 'cobrowse-reachable-uninspected', 'video-domains-and-media', 'sse-unbuffered-idle'];

/** Whether the profiles of this run ask for a checklist row at all. */
function rowApplies(input: VerdictInput, id: ChecklistId): boolean {
  const hosts = [...input.hosts.values()];
  switch (id) {
    case 'sign-domain-reachable':
      return hosts.some((h) => h.role === 'sign');
    case 'websocket-upgrade':
      return hosts.some((h) => (h.role === 'sign' || h.role === 'video') && h.ws.length > 0);
    case 'cobrowse-reachable-uninspected':
      return hosts.some((h) => h.role === 'cobrowse');
    case 'video-domains-and-media':
      return input.media || hosts.some((h) => h.role === 'video');
    case 'sse-unbuffered-idle':
      return hosts.some((h) => h.role === 'sign' && h.sse.length > 0);
    default:
      return false;
  }
}

/** "Always" rows of this run's profiles that were not verified, with the reason each was not. */
export function unverifiedRows(input: VerdictInput, checklist: ChecklistItem[]): Unverified[] {
  return checklist
    .filter((c) => ALWAYS_ROWS.includes(c.id) && c.status === 'not-checked' && rowApplies(input, c.id))
    .map((c) => ({ checklist: c.id, reason: c.reason ?? 'not verified' }));
}

/** The context block: the machine and options the CLI recorded, the egress address the probe saw, the route per host. */
function reportContext(input: VerdictInput): ReportContext | null {
  const raw = input.raw;
  const reach = input.byId('probe.reach').find((r) => r.status === 'ok');
  const egress = typeof reach?.details?.clientAddress === 'string' ? reach.details.clientAddress : null;
  const perHost = (input.byId('proxy.config')[0]?.details?.perHost ?? {}) as Record<string, { kind?: string; display?: string; source?: string; from?: string; route?: string }>;
  const routes = Object.entries(perHost).map(([host, c]) => {
    // Which entry of a route with fallbacks carried the host's TCP connection.
    const trace = input.forHost(host).find((r) => r.id === 'tcp.connect' && r.details?.route)?.details?.route as { carriedBy?: string | null } | undefined;
    return {
      host,
      route: c.route ? String(c.route) : c.kind === 'http' ? String(c.display) : c.kind === 'error' ? 'PAC failed' : 'direct',
      source: String(c.from ?? c.source ?? 'none'),
      ...(trace?.carriedBy ? { carriedBy: trace.carriedBy } : {}),
    };
  });
  const proxy = raw.discovery ? { summary: raw.discovery.summary, system: raw.discovery.system } : null;
  if (!raw.context && !raw.options && !routes.length && !egress && !proxy) return null;
  return {
    ...(raw.context ?? {}),
    ...(raw.options ? { options: raw.options } : {}),
    egressAddress: egress,
    ...(proxy ? { proxy } : {}),
    ...(routes.length ? { routes } : {}),
  };
}

/**
 * The published IP ranges, one line per range (seed 002: "TCP ports … IP address range"): which of
 * its TCP ports answered. No cause: the document is historical.
 */
function rangeNotes(input: VerdictInput): string[] {
  const byRange = new Map<string, { ok: number[]; bad: number[] }>();
  for (const r of input.byId('tcp.range')) {
    const range = String(r.details?.range ?? r.target.replace(/:\d+$/, ''));
    const port = Number(r.details?.port ?? r.target.split(':').pop());
    const e = byRange.get(range) ?? { ok: [], bad: [] };
    if (r.status === 'ok') e.ok.push(port);
    else if (isBad(r)) e.bad.push(port);
    byRange.set(range, e);
  }
  return [...byRange].map(([range, e]) => {
    const parts = [e.ok.length ? `TCP ${e.ok.join(', ')} answer` : '', e.bad.length ? `TCP ${e.bad.join(', ')} do not` : ''].filter(Boolean);
    return `IP range ${range} (OpenTok Network Connectivity Requirements, 2013): ${parts.join('; ') || 'not tried'}`;
  });
}

/** Warn this long before the agent's certificate expires (seed 003: it is renewed with each release). */
export const PCC_CERT_WARN_MS = 30 * 86_400_000;

/** What a reader must know to read the verdict right (each a sentence). */
function runNotes(input: VerdictInput, tier: Report['tier'], given: string[] = []): string[] {
  const raw = input.raw;
  const notes: string[] = [];
  // Which way netready went, and where that came from (or "no proxy found (sources tried: …)").
  if (raw.discovery) {
    notes.push(`proxy: ${raw.discovery.summary}`);
    if (raw.discovery.disagreement) notes.push(raw.discovery.disagreement);
    notes.push(...raw.discovery.notes);
  }
  const perHost = (input.byId('proxy.config')[0]?.details?.perHost ?? {}) as Record<string, { note?: unknown }>;
  const routeNotes = uniq(Object.values(perHost).flatMap((c) => (typeof c?.note === 'string' ? [c.note] : [])));
  for (const n of routeNotes.slice(0, 3)) notes.push(n);
  // The CLI says it already when it cut the run (one note, not two).
  if (raw.deadlineHit && !given.some((n) => /deadline/.test(n))) notes.push('the run deadline was reached: checks that had not finished are missing or timed out');
  if (raw.media && !mediaFacts(input).ran) notes.push(`media tier not determined: ${probeUnverifiedReason(input, 'the media path')}`);
  if (raw.options && !raw.options.signDomainGiven && [...input.hosts.values()].some((h) => h.role === 'sign'))
    notes.push(`the OneSpan Sign domain was left at its default ${String(raw.params.signDomain)}: an account in another region (EU, Canada, …) must pass --sign-domain with the domain of its signing URL`);
  for (const h of raw.historical ?? []) notes.push(`historical profile ${h}`);
  const gone = input.results.filter((r) => nonexistentName(input, r)).map((r) => r.target);
  if (gone.length) notes.push(`${gone.length} host name${gone.length === 1 ? '' : 's'} from an old document or expanded by netready do not exist (authoritative NXDOMAIN), which is not a DNS block: ${gone.slice(0, 6).join(', ')}${gone.length > 6 ? ', …' : ''}`);
  const pcc = input.byId('pcc.agent').find((r) => r.target === 'pcc' && typeof r.metrics.certRemainingMs === 'number');
  if (pcc && pcc.metrics.certRemainingMs > 0 && pcc.metrics.certRemainingMs < PCC_CERT_WARN_MS) {
    const days = Math.floor(pcc.metrics.certRemainingMs / 86_400_000);
    notes.push(
      `the Personal Certificate Client certificate expires on ${String(pcc.details?.validTo ?? '?')} (in ${days} day${days === 1 ? '' : 's'}): ` +
        'install the renewed release before then (Personal Certificate Client: Communicating via WebSocket)',
    );
  }
  notes.push(...rangeNotes(input));
  if (tier === 'absolute-minimum')
    notes.push('on TCP 443 only, Firefox cannot carry video: it does not support TURN over TLS (TokBox firewall requirements, proxy requirements)');
  return notes;
}

export function buildReport(raw: RawRun, opts: { notes?: string[]; rules?: readonly Rule[] } = {}): Report {
  const input = buildInput(raw);
  const { causes, failed } = evaluateCauses(input, opts.rules);
  const tier = computeTier(input);
  const notes = [...(opts.notes ?? []), ...runNotes(input, tier, opts.notes)];
  for (const f of failed) notes.push(`internal error: the rule for ${f.rule} failed (${f.message}); that cause was not judged — the other causes stand`);
  const checklist = buildChecklist(input, causes);
  const unverified = unverifiedRows(input, checklist);
  const blocked = failingRequiredHosts(input).length > 0 || causes.some((c) => c.severity === 'blocking');
  // A cause that could not be judged is not proved absent: never ready then.
  const outcome: Outcome = blocked ? 'not-ready' : unverified.length || failed.length ? 'incomplete' : 'ready';
  const ready = outcome === 'ready';
  const report: Report = {
    schema: REPORT_SCHEMA,
    tool: { name: 'netready', version: raw.tool?.version ?? '0.0.0' },
    profiles: [...raw.profiles],
    params: { ...raw.params },
    startedAt: raw.startedAt,
    durationMs: Math.round(raw.durationMs),
    ready,
    outcome,
    unverified,
    tier,
    causes,
    symptoms: buildSymptoms(input, causes),
    checklist,
    checks: raw.results,
    quality: buildQuality(input),
  };
  if (notes.length) report.notes = notes;
  if (failed.length) report.internalErrors = failed.map((f) => `${f.rule}: ${f.message}`);
  const context = reportContext(input);
  if (context) report.context = context;
  const changes = mergeChanges(causes);
  if (changes.length) report.changes = changes;
  return report;
}
