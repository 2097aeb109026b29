// Shared helpers of the renderers (pure).
import type { CheckResult } from '../shared/results.js';
import { hostFromTarget } from '../verdict/input.js';
import { factsOf } from '../verdict/facts.js';
import { mergeChanges } from '../verdict/remedies.js';
import type { Cause, Change, ChecklistStatus, Fact, Outcome, Report } from './types.js';

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
  // Bandwidth to the probe is no video without a media path (tier none).
  if (r.tier === 'none' && out.length) out.push('no media path to carry video');
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

// ---- shared by the terminal, Markdown and HTML reports -----------------------------------------

/** The headline: the contract's outcome, with READY WITH WARNINGS where degrading causes hold. */
export type Tone = 'good' | 'warn' | 'bad' | 'info';
export interface Headline {
  outcome: Outcome;
  text: string;
  tone: Tone;
  blocking: number;
  degrading: number;
  /** "3 blocking causes, 2 degrading" / "nothing wrong found in what was verified". */
  detail: string;
}

export function headlineOf(r: Report): Headline {
  const outcome = outcomeOf(r);
  const blocking = r.causes.filter((c) => c.severity === 'blocking').length;
  const degrading = r.causes.length - blocking;
  const text = outcome === 'ready' && degrading > 0 ? 'READY WITH WARNINGS' : OUTCOME_TEXT[outcome];
  const tone: Tone = outcome === 'not-ready' ? 'bad' : outcome === 'incomplete' ? 'info' : degrading > 0 ? 'warn' : 'good';
  const parts: string[] = [];
  if (blocking) parts.push(`${blocking} blocking cause${blocking === 1 ? '' : 's'}`);
  if (degrading) parts.push(`${degrading} degrading${blocking ? '' : ` cause${degrading === 1 ? '' : 's'}`}`);
  const detail = parts.length ? parts.join(', ') : outcome === 'incomplete' ? 'nothing wrong found in what was verified' : outcome === 'ready' ? 'nothing wrong found' : 'not ready';
  return { outcome, text, tone, blocking, degrading, detail };
}

/** Short names of the checklist rows (the report carries the document's own words in `text`). */
export const CHECKLIST_LABEL: Record<string, string> = {
  'sign-domain-reachable': 'Sign domain reachable on 443',
  'websocket-upgrade': 'WebSocket upgrade through the proxy',
  'cobrowse-reachable-uninspected': 'Co-browsing reachable, not inspected',
  'video-domains-and-media': 'Video domains and a media path',
  'sse-unbuffered-idle': 'Event stream unbuffered, idle ≥ 4 h',
  'vpn-websocket-split-tunnel': 'VPN passes WebSockets, split tunnel',
  'camera-mic-policy': 'Camera and microphone policy',
  'bandwidth-3mbps': '3 Mbps up and down',
  'test-session': 'Test session',
};
export const checklistLabel = (id: string) => CHECKLIST_LABEL[id] ?? id;

/** A reason cut to its first clause: "no probe (--probe): …" -> "no probe". */
export function shortWhy(reason: string | undefined): string {
  if (!reason) return 'not checked';
  const cut = reason.split(/[:;(]/, 1)[0]!.trim();
  return cut.length > 48 ? `${cut.slice(0, 47).trimEnd()}…` : cut || reason;
}

export interface Coverage {
  verified: number;
  total: number;
  failed: number;
  warned: number;
  notVerified: { id: string; label: string; why: string }[];
  /** "5 of 9 pre-session items verified, 3 failed; not verified: Test session (needs a live session)". */
  text: string;
}

export function coverageOf(r: Report): Coverage {
  const total = r.checklist.length;
  const verified = r.checklist.filter((i) => i.status !== 'not-checked').length;
  const failed = r.checklist.filter((i) => i.status === 'fail').length;
  const warned = r.checklist.filter((i) => i.status === 'warn').length;
  const notVerified = r.checklist.filter((i) => i.status === 'not-checked').map((i) => ({ id: i.id, label: checklistLabel(i.id), why: shortWhy(i.reason) }));
  if (total === 0) return { verified, total, failed, warned, notVerified, text: 'no pre-session checklist (the verdict did not run)' };
  const counts = [failed ? `${failed} failed` : '', warned ? `${warned} with a warning` : ''].filter(Boolean).join(', ');
  // The "Always" rows not verified say why; the rest (browser page, live session, …) by name.
  const always = new Set((r.unverified ?? []).map((u) => u.checklist as string));
  const named = notVerified.map((n) => (always.has(n.id) ? `${n.label} (${n.why})` : n.label.replace(/^(\S)/, (x) => x.toLowerCase())));
  const text = `${verified} of ${total} pre-session items verified${counts ? ` (${counts})` : ''}` + (named.length ? `; not verified: ${named.join(', ')}` : '');
  return { verified, total, failed, warned, notVerified, text };
}

/** Where a proxy setting came from, in words (proxy.config's `source`; new sources print as they are). */
const SOURCE_TEXT: Record<string, string> = {
  none: 'no proxy configured',
  explicit: '--proxy',
  env: 'HTTPS_PROXY/HTTP_PROXY',
  no_proxy: 'NO_PROXY',
  pac: 'PAC file',
};
export const sourceText = (s: string) => SOURCE_TEXT[s] ?? s;

export interface RouteGroup {
  route: string;
  source: string;
  hosts: string[];
}

/** The route per host, grouped: "http://proxy:3128 (--proxy): 19 hosts". */
export function routeGroups(r: Report): RouteGroup[] {
  const out: RouteGroup[] = [];
  for (const x of r.context?.routes ?? []) {
    const g = out.find((o) => o.route === x.route && o.source === x.source);
    if (g) g.hosts.push(x.host);
    else out.push({ route: x.route, source: x.source, hosts: [x.host] });
  }
  return out;
}

/** "2026-11-25T17:00:00.000+01:00" -> "2026-11-25 17:00:00 +01:00". */
function localText(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  return m ? `${m[1]} ${m[2]} ${m[3] === 'Z' ? 'UTC' : m[3]}` : iso;
}

/** "2026-11-25T16:00:00.000Z" -> "2026-11-25 16:00:00 UTC". */
export function utcText(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

export const secondsText = (ms: number) => (ms >= 10_000 || ms % 1000 === 0 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);

export interface ContextItem {
  label: string;
  value: string;
  /** The full lists behind the value (the files show them; the terminal does not). */
  detail?: string;
}

/** The context block (machine, time, network, options, routes), for every format. */
export function contextItems(r: Report): ContextItem[] {
  const c = r.context;
  const out: ContextItem[] = [];
  if (c?.machine) out.push({ label: 'Machine', value: [c.machine.name, c.machine.os, c.machine.addresses.length ? `addresses ${c.machine.addresses.join(', ')}` : ''].filter(Boolean).join(' · ') });
  const utc = utcText(r.startedAt);
  const local = c?.startedAtLocal ? localText(c.startedAtLocal) : null;
  const started = local && !/ (UTC|\+00:00)$/.test(local) ? `${local}${c?.timeZone ? ` ${c.timeZone}` : ''} (${utc.slice(11)})` : utc;
  out.push({ label: 'Started', value: `${started} · ran ${secondsText(r.durationMs)} · ${r.checks.length} checks` });
  const net: string[] = [];
  const reached = r.checks.some((x) => x.id === 'probe.reach' && x.status === 'ok');
  if (c) net.push(c.egressAddress ? `egress ${c.egressAddress} (as the probe saw it)` : `egress not known (${reached ? 'the probe did not say' : 'no probe answered'})`);
  if (c?.resolvers?.length) net.push(`DNS ${c.resolvers.join(', ')}`);
  if (net.length) out.push({ label: 'Network', value: net.join(' · ') });
  const routes = routeGroups(r);
  if (routes.length)
    out.push({
      label: 'Route',
      value: routes.map((g) => `${g.route === 'direct' ? 'direct' : `through ${g.route}`} (${sourceText(g.source)}) for ${g.hosts.length === 1 ? g.hosts[0] : `${g.hosts.length} hosts`}`).join('; '),
      ...(routes.some((g) => g.hosts.length > 1) ? { detail: routes.map((g) => `${g.route}: ${g.hosts.join(', ')}`).join('; ') } : {}),
    });
  const sign = r.params.signDomain;
  const o = c?.options;
  out.push({
    label: 'Profiles',
    value: `${r.profiles.join(', ')}${typeof sign === 'string' ? ` · Sign domain ${sign}${o && !o.signDomainGiven ? ' (the default: --sign-domain not given)' : ''}` : ''}`,
  });
  if (o) {
    const opts = [
      `deadline ${secondsText(o.deadlineMs)}`,
      `idle hold ${secondsText(o.idleWindowMs)}`,
      `quality ${secondsText(o.qualityMs)}`,
      o.probe ? `probe ${o.probe}` : 'no probe',
      ...(o.thorough ? ['--thorough'] : []),
      ...(o.caFiles.length ? [`--ca ${o.caFiles.join(', ')}`] : []),
      ...(o.publicRoots ? [`--public-roots ${o.publicRoots}`] : []),
    ];
    out.push({ label: 'Options', value: opts.join(' · ') });
  }
  const extra = Object.entries(r.params).filter(([k, v]) => k !== 'signDomain' && v !== ''); // a name left empty adds nothing
  if (extra.length) out.push({ label: 'Parameters', value: extra.map(([k, v]) => `${k}=${String(v)}`).join(', ') });
  return out;
}

/** The facts of a cause (reports before `facts`: its evidence checks on its targets). */
export function causeFacts(r: Report, c: Cause): Fact[] {
  if (c.facts?.length) return c.facts;
  const targets = new Set(c.targets ?? []);
  return factsOf(r.checks.filter((x) => c.evidence.includes(x.id) && isBadCheck(x) && (targets.size === 0 || targets.has(x.target) || targets.has(hostOfCheck(x)))));
}

export const hostOfCheck = (c: CheckResult) => (typeof c.details?.host === 'string' ? (c.details.host as string) : (hostFromTarget(c.target) ?? c.target));

/** A cause's one-liner (reports before `title`: its summary, cut). */
export const causeTitle = (c: Cause) => c.title ?? (c.summary.length > 72 ? `${c.summary.slice(0, 71).trimEnd()}…` : c.summary);

/** The report's one change list (reports before `changes`: the causes' own, merged). */
export function changeList(r: Report): Change[] {
  return r.changes ?? mergeChanges(r.causes);
}

export interface ChangeGroup {
  destinations: string[];
  ports: string;
  action: Change['action'];
  detail?: string;
  why: Change['why'];
}

/** Change rows with the same port, action and detail, shown as one row of destinations (why: every cause that asks). */
export function changeGroups(r: Report): ChangeGroup[] {
  const out: ChangeGroup[] = [];
  for (const x of changeList(r)) {
    const g = out.find((o) => o.ports === x.ports && o.action === x.action && (o.detail ?? '') === (x.detail ?? ''));
    if (!g) out.push({ destinations: [x.destination], ports: x.ports, action: x.action, ...(x.detail ? { detail: x.detail } : {}), why: [...x.why] });
    else {
      if (!g.destinations.includes(x.destination)) g.destinations.push(x.destination);
      for (const w of x.why) if (!g.why.includes(w)) g.why.push(w);
    }
  }
  return out;
}

/** Bad checks no cause accounts for (probe faults, the deadline, a netready error): shown apart. */
export function unexplainedFailures(r: Report): CheckResult[] {
  const claimed = (x: CheckResult) => r.causes.some((c) => causeFacts(r, c).some((f) => f.check === x.id && f.targets.includes(x.target)));
  return r.checks.filter((x) => isBadCheck(x) && !claimed(x));
}

/** Targets of checks that are no host: the proxy settings, the local agent's summary. */
export const NOT_HOSTS = new Set(['proxy', 'pcc']);

export interface CheckCounts {
  total: number;
  ok: number;
  bad: number;
  skipped: number;
  /** Hosts with at least one ok and nothing bad. */
  passingHosts: string[];
  /** Hosts where nothing ran (all skipped). */
  idleHosts: string[];
}

export function checkCounts(r: Report): CheckCounts {
  const groups = groupByHost(r.checks);
  return {
    total: r.checks.length,
    ok: r.checks.filter((x) => x.status === 'ok').length,
    bad: r.checks.filter(isBadCheck).length,
    skipped: r.checks.filter((x) => x.status === 'skipped').length,
    passingHosts: groups.filter((g) => !NOT_HOSTS.has(g.host) && g.bad === 0 && g.checks.some((x) => x.status === 'ok')).map((g) => g.host),
    idleHosts: groups.filter((g) => !NOT_HOSTS.has(g.host) && g.bad === 0 && !g.checks.some((x) => x.status === 'ok')).map((g) => g.host),
  };
}

/** "a, b, c and 12 more" for a screen that cannot take them all (files carry the full list). */
export function abbreviate(items: string[], max: number): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
