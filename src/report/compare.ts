// Before/after: what a change to the network fixed, what it broke, what stayed. Compares two
// netready/report@1 reports (an earlier OLD and a NEW one) and renders the comparison for the
// terminal, Markdown and HTML. Pure.

import { createColors } from './colors.js';
import type { Cause, ChecklistStatus, Outcome, Report, Tier } from './types.js';
import { fmtMetric, outcomeOf, OUTCOME_TEXT, TIER_TEXT, utcText } from './common.js';
import { cell, mdText } from './markdown.js';
import { esc } from './html.js';
import { PATH_TEXT, type MediaPath } from '../verdict/thresholds.js';

export type { Outcome };
export { outcomeOf, OUTCOME_TEXT };

const OUTCOME_RANK: Record<Outcome, number> = { 'not-ready': 0, incomplete: 1, ready: 2 };
const TIER_RANK: Record<Tier, number> = { none: 0, 'absolute-minimum': 1, 'recommended-minimum': 2, optimal: 3 };

export interface Side {
  /** Where the report was read from (file name), for the headline. */
  label: string;
  startedAt: string;
  profiles: string[];
  params: Record<string, string | boolean>;
  outcome: Outcome;
  tier: Tier | null;
}

export type Direction = 'better' | 'worse' | 'same' | null;

export interface QualityChange {
  metric: string;
  label: string;
  before: number | string | null;
  after: number | string | null;
  /** after − before for numbers; null when either side is missing. */
  change: number | null;
  direction: Direction;
}

export interface Comparison {
  before: Side;
  after: Side;
  /** The whole picture: outcome first, then tier, then the number of causes. */
  direction: Direction;
  outcome: Direction;
  tier: Direction;
  fixed: Cause[];
  added: Cause[];
  unchanged: { before: Cause; after: Cause }[];
  quality: QualityChange[];
  checklist: { id: string; text?: string; before: ChecklistStatus | null; after: ChecklistStatus | null }[];
  /** Why the two runs may not be comparable (other profiles, other parameters). */
  notes: string[];
}

const cmp = (a: number, b: number): Direction => (b > a ? 'better' : b < a ? 'worse' : 'same');

// Higher is better for throughput and MOS; lower for delay, jitter and loss (seed 000 "Bandwidth
// and performance" thresholds: 3 Mbps, 150 ms, 3 %).
const QUALITY: { metric: string; label: string; higherIsBetter: boolean }[] = [
  { metric: 'downBps', label: 'download', higherIsBetter: true },
  { metric: 'upBps', label: 'upload', higherIsBetter: true },
  { metric: 'rttMs', label: 'round trip', higherIsBetter: false },
  { metric: 'jitterMs', label: 'jitter', higherIsBetter: false },
  { metric: 'lossRatio', label: 'loss', higherIsBetter: false },
  { metric: 'mos', label: 'MOS (1-5)', higherIsBetter: true },
];
const RESOLUTIONS = ['none', '180p', '270p', '360p', '540p', '720p', '1080p'];
// The path media takes, worst first (seed 000 section 2: direct UDP, then TURN, TURN over TLS last).
const PATH_RANK: MediaPath[] = ['turn-tls', 'turn-udp', 'direct'];

function side(r: Report, label: string): Side {
  return { label, startedAt: utcText(r.startedAt), profiles: r.profiles, params: r.params, outcome: outcomeOf(r), tier: r.tier };
}

/** Loss is compared at the resolution it is shown (0.1 %), rates at 0.1 Mbps, the rest at 0.1. */
function sameShown(metric: string, a: number, b: number): boolean {
  return fmtMetric(metric, a) === fmtMetric(metric, b);
}

export function compareReports(before: Report, after: Report, labels: { before: string; after: string }): Comparison {
  const b = side(before, labels.before);
  const a = side(after, labels.after);
  const afterIds = new Map(after.causes.map((c) => [c.id, c]));
  const beforeIds = new Map(before.causes.map((c) => [c.id, c]));
  const fixed = before.causes.filter((c) => !afterIds.has(c.id));
  const added = after.causes.filter((c) => !beforeIds.has(c.id));
  const unchanged = after.causes.filter((c) => beforeIds.has(c.id)).map((c) => ({ before: beforeIds.get(c.id)!, after: c }));

  const quality: QualityChange[] = [];
  for (const q of QUALITY) {
    const x = before.quality?.[q.metric];
    const y = after.quality?.[q.metric];
    const bx = typeof x === 'number' ? x : null;
    const ay = typeof y === 'number' ? y : null;
    if (bx === null && ay === null) continue;
    const change = bx !== null && ay !== null ? ay - bx : null;
    let direction: Direction = null;
    if (bx !== null && ay !== null) {
      const shownSame = q.metric === 'mos' ? bx.toFixed(1) === ay.toFixed(1) : sameShown(q.metric, bx, ay);
      direction = shownSame ? 'same' : q.higherIsBetter ? cmp(bx, ay) : cmp(ay, bx);
    }
    quality.push({ metric: q.metric, label: q.label, before: bx, after: ay, change, direction });
  }
  const rb = before.quality?.videoResolution;
  const ra = after.quality?.videoResolution;
  if (typeof rb === 'string' || typeof ra === 'string') {
    const rank = (v: unknown) => (typeof v === 'string' ? RESOLUTIONS.indexOf(v) : -1);
    quality.push({
      metric: 'videoResolution',
      label: 'video up to',
      before: typeof rb === 'string' ? rb : null,
      after: typeof ra === 'string' ? ra : null,
      change: null,
      direction: rank(rb) >= 0 && rank(ra) >= 0 ? cmp(rank(rb), rank(ra)) : null,
    });
  }

  const pb = before.quality?.path;
  const pa = after.quality?.path;
  if (typeof pb === 'string' || typeof pa === 'string') {
    const text = (v: unknown) => (typeof v === 'string' ? (PATH_TEXT[v as MediaPath] ?? v) : null);
    const rank = (v: unknown) => (typeof v === 'string' ? PATH_RANK.indexOf(v as MediaPath) : -1);
    quality.push({ metric: 'path', label: 'measured over', before: text(pb), after: text(pa), change: null, direction: rank(pb) >= 0 && rank(pa) >= 0 ? cmp(rank(pb), rank(pa)) : null });
  }

  const checklist: Comparison['checklist'] = [];
  const beforeItems = new Map(before.checklist.map((i) => [i.id, i]));
  for (const it of after.checklist) {
    const was = beforeItems.get(it.id);
    if (was?.status !== it.status) checklist.push({ id: it.id, text: it.text, before: was?.status ?? null, after: it.status });
  }
  for (const was of before.checklist) if (!after.checklist.some((i) => i.id === was.id)) checklist.push({ id: was.id, text: was.text, before: was.status, after: null });

  const outcome = cmp(OUTCOME_RANK[b.outcome], OUTCOME_RANK[a.outcome]);
  const tier = b.tier && a.tier ? cmp(TIER_RANK[b.tier], TIER_RANK[a.tier]) : b.tier === a.tier ? 'same' : null;
  const causes = cmp(after.causes.length, before.causes.length);
  const direction = outcome !== 'same' ? outcome : tier && tier !== 'same' ? tier : causes;

  const notes: string[] = [];
  if (b.profiles.join() !== a.profiles.join()) notes.push(`the runs checked other profiles: ${b.profiles.join(', ')} before, ${a.profiles.join(', ')} after`);
  const params = [...new Set([...Object.keys(b.params), ...Object.keys(a.params)])].filter((k) => String(b.params[k]) !== String(a.params[k]));
  for (const k of params) notes.push(`parameter ${k} differs: ${String(b.params[k] ?? '(unset)')} before, ${String(a.params[k] ?? '(unset)')} after`);
  return { before: b, after: a, direction, outcome, tier, fixed, added, unchanged, quality, checklist, notes };
}

// ---------------------------------------------------------------------------------- text parts
const DIRECTION_TEXT: Record<Exclude<Direction, null>, string> = { better: 'better', worse: 'worse', same: 'no change' };
const HEADLINE_TEXT: Record<Exclude<Direction, null>, string> = { better: 'improved', worse: 'got worse', same: 'no change' };

const tierLabel = (t: Tier | null) => (t ? (TIER_TEXT[t] ?? t) : 'not determined');

function signed(metric: string, v: number): string {
  const sign = v > 0 ? '+' : v < 0 ? '−' : '±';
  const abs = Math.abs(v);
  if (metric === 'mos') return `${sign}${abs.toFixed(1)}`;
  if (metric === 'lossRatio') return `${sign}${Number((abs * 100).toFixed(1))} points`;
  return `${sign}${fmtMetric(metric, abs)}`;
}

export function qualityValue(metric: string, v: number | string | null): string {
  if (v === null) return '–';
  if (typeof v === 'string') return metric === 'videoResolution' && v === 'none' ? 'below 180p' : v;
  return metric === 'mos' ? v.toFixed(1) : fmtMetric(metric, v);
}

export function changeText(q: QualityChange): string {
  return q.change === null || q.direction === 'same' ? '' : signed(q.metric, q.change);
}

function headline(c: Comparison): string {
  const o = `${OUTCOME_TEXT[c.before.outcome]} → ${OUTCOME_TEXT[c.after.outcome]}`;
  return c.direction ? `${o} (${HEADLINE_TEXT[c.direction]})` : o;
}

/** The profiles and the Sign domain (other parameters appear in the notes when they differ). */
function params(s: Side): string {
  const d = s.params.signDomain;
  return `${s.profiles.join(', ')}${typeof d === 'string' ? ` · ${d}` : ''}`;
}

const causeLine = (x: Cause) => `${x.id} (${x.severity}): ${x.summary}`;

// ------------------------------------------------------------------------------------ terminal
export function renderCompareTerminal(c: Comparison, opts: { color: boolean }): string {
  const k = createColors(opts.color);
  const paint = (d: Direction, s: string) => (d === 'better' ? k.green(s) : d === 'worse' ? k.red(s) : s);
  const out: string[] = [];
  out.push(`${k.bold('COMPARED')}  ${paint(c.direction, k.bold(headline(c)))}`);
  out.push(`  ${k.dim('before')}  ${c.before.label} · ${c.before.startedAt} · ${params(c.before)}`);
  out.push(`  ${k.dim('after ')}  ${c.after.label} · ${c.after.startedAt} · ${params(c.after)}`);
  const tiers = c.before.tier === c.after.tier ? `${tierLabel(c.after.tier)}, unchanged` : `${tierLabel(c.before.tier)} → ${tierLabel(c.after.tier)}`;
  out.push(`  ${k.dim('tier  ')}  ${paint(c.tier, tiers)}`);
  for (const n of c.notes) out.push(k.yellow(`  note: ${n}`));

  out.push('', k.bold(`Fixed (${c.fixed.length})`));
  for (const x of c.fixed) out.push(`  ${k.green('✔')} ${causeLine(x)}`);
  out.push('', k.bold(`New (${c.added.length})`));
  for (const x of c.added) out.push(`  ${k.red('✘')} ${causeLine(x)}`, `      ${k.cyan('fix:')} ${x.remedy}`);
  out.push('', k.bold(`Unchanged (${c.unchanged.length})`));
  for (const u of c.unchanged) {
    out.push(`  ${k.yellow('•')} ${causeLine(u.after)}`);
    if (u.before.summary !== u.after.summary) out.push(k.dim(`      before: ${u.before.summary}`));
  }

  if (c.quality.length) {
    out.push('', k.bold('Quality'));
    const rows = c.quality.map((q) => [q.label, qualityValue(q.metric, q.before), qualityValue(q.metric, q.after), changeText(q), q.direction ? DIRECTION_TEXT[q.direction] : '']);
    const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['', 'before', 'after', 'change'][i]!.length));
    out.push(k.dim(`  ${''.padEnd(w[0]!)}  ${'before'.padEnd(w[1]!)}  ${'after'.padEnd(w[2]!)}  change`));
    c.quality.forEach((q, i) => {
      const r = rows[i]!;
      out.push(`  ${r[0]!.padEnd(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]!.padEnd(w[2]!)}  ${r[3]!.padEnd(w[3]!)}  ${paint(q.direction, r[4]!)}`.trimEnd());
    });
  }
  if (c.checklist.length) {
    out.push('', k.bold('Checklist changes'));
    const w = Math.max(...c.checklist.map((i) => i.id.length));
    for (const i of c.checklist) out.push(`  ${i.id.padEnd(w)}  ${i.before ?? '–'} → ${i.after ?? '–'}`);
  }
  return out.join('\n') + '\n';
}

// ------------------------------------------------------------------------------------ markdown
export function renderCompareMarkdown(c: Comparison): string {
  const out: string[] = [`# netready comparison: ${headline(c)}`, ''];
  out.push('| | before | after |', '| --- | --- | --- |');
  out.push(`| report | ${cell(c.before.label)} | ${cell(c.after.label)} |`);
  out.push(`| started | ${c.before.startedAt} | ${c.after.startedAt} |`);
  out.push(`| profiles | ${cell(params(c.before))} | ${cell(params(c.after))} |`);
  out.push(`| outcome | ${OUTCOME_TEXT[c.before.outcome]} | **${OUTCOME_TEXT[c.after.outcome]}** |`);
  out.push(`| media tier | ${cell(tierLabel(c.before.tier))} | ${cell(tierLabel(c.after.tier))} |`, '');
  for (const n of c.notes) out.push(`> Note: ${mdText(n)}`, '');
  const list = (title: string, items: string[]) => {
    out.push(`## ${title} (${items.length})`, '');
    if (items.length === 0) out.push('None.');
    out.push(...items, '');
  };
  list('Fixed', c.fixed.map((x) => `- [x] **${x.id}** (${x.severity}): ${mdText(x.summary)}`));
  list('New', c.added.map((x) => `- [ ] **${x.id}** (${x.severity}): ${mdText(x.summary)}  \n  Fix: ${mdText(x.remedy)}`));
  list('Unchanged', c.unchanged.map((u) => `- [ ] **${u.after.id}** (${u.after.severity}): ${mdText(u.after.summary)}${u.before.summary !== u.after.summary ? `  \n  Before: ${mdText(u.before.summary)}` : ''}`));
  if (c.quality.length) {
    out.push('## Quality', '', '| | before | after | change | |', '| --- | --- | --- | --- | --- |');
    for (const q of c.quality) out.push(`| ${q.label} | ${qualityValue(q.metric, q.before)} | ${qualityValue(q.metric, q.after)} | ${changeText(q)} | ${q.direction ? DIRECTION_TEXT[q.direction] : ''} |`);
    out.push('');
  }
  if (c.checklist.length) {
    out.push('## Checklist changes', '', '| item | before | after |', '| --- | --- | --- |');
    for (const i of c.checklist) out.push(`| ${cell(i.text ?? i.id)} | ${i.before ?? '–'} | ${i.after ?? '–'} |`);
    out.push('');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------- html
const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--line:#d0d7de;--good:#116329;--bad:#a40e26;--warn:#7d4e00;--head:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9da7b3;--line:#3d444d;--good:#57c46c;--bad:#ff7b72;--warn:#e3b341;--head:#161b22}}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:1.5rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;border-bottom:1px solid var(--line);padding-bottom:.2rem;margin-top:1.8rem}
.better{color:var(--good)}.worse{color:var(--bad)}.same,.muted{color:var(--muted)}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{border:1px solid var(--line);padding:.3rem .55rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:var(--head)}thead th{white-space:nowrap}ul{padding-left:1.2rem}li{margin:.35rem 0}.id{font-weight:600}
.fixed li::marker{content:"✔  ";color:var(--good)}.new li::marker{content:"✘  ";color:var(--bad)}.unchanged li::marker{content:"•  ";color:var(--warn)}
@media print{body{margin:0;max-width:none;font-size:11px}.scroll{overflow:visible}tr,li{break-inside:avoid}}
`;

export function renderCompareHtml(c: Comparison): string {
  const o: string[] = [];
  const title = `netready comparison: ${headline(c)}`;
  o.push('<!doctype html>', '<html lang="en"><head><meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  o.push(`<title>${esc(title)}</title><style>${CSS}</style></head><body><main>`);
  o.push(`<h1 role="status"><span class="${c.direction ?? 'same'}">${esc(headline(c))}</span></h1>`);
  o.push('<div class="scroll"><table><thead><tr><th scope="col"></th><th scope="col">before</th><th scope="col">after</th></tr></thead><tbody>');
  const row = (h: string, x: string, y: string, cls = '') => o.push(`<tr><th scope="row">${esc(h)}</th><td>${esc(x)}</td><td${cls ? ` class="${cls}"` : ''}>${esc(y)}</td></tr>`);
  row('report', c.before.label, c.after.label);
  row('started', c.before.startedAt, c.after.startedAt);
  row('profiles', params(c.before), params(c.after));
  row('outcome', OUTCOME_TEXT[c.before.outcome], OUTCOME_TEXT[c.after.outcome], c.outcome ?? '');
  row('media tier', tierLabel(c.before.tier), tierLabel(c.after.tier), c.tier ?? '');
  o.push('</tbody></table></div>');
  for (const n of c.notes) o.push(`<p class="muted">Note: ${esc(n)}</p>`);
  const list = (title: string, cls: string, items: string[]) => {
    o.push(`<h2>${esc(title)} (${items.length})</h2>`);
    o.push(items.length ? `<ul class="${cls}">${items.join('')}</ul>` : '<p class="muted">None.</p>');
  };
  const li = (x: Cause, extra = '') => `<li><span class="id">${esc(x.id)}</span> <span class="muted">(${esc(x.severity)})</span>: ${esc(x.summary)}${extra}</li>`;
  list('Fixed', 'fixed', c.fixed.map((x) => li(x)));
  list('New', 'new', c.added.map((x) => li(x, `<br><strong>Fix:</strong> ${esc(x.remedy)}`)));
  list('Unchanged', 'unchanged', c.unchanged.map((u) => li(u.after, u.before.summary !== u.after.summary ? `<br><span class="muted">Before: ${esc(u.before.summary)}</span>` : '')));
  if (c.quality.length) {
    o.push('<h2>Quality</h2><div class="scroll"><table><thead><tr><th scope="col"></th><th scope="col">before</th><th scope="col">after</th><th scope="col">change</th></tr></thead><tbody>');
    for (const q of c.quality)
      o.push(`<tr><th scope="row">${esc(q.label)}</th><td>${esc(qualityValue(q.metric, q.before))}</td><td>${esc(qualityValue(q.metric, q.after))}</td><td class="${q.direction ?? ''}">${esc([changeText(q), q.direction ? DIRECTION_TEXT[q.direction] : ''].filter(Boolean).join(' · '))}</td></tr>`);
    o.push('</tbody></table></div>');
  }
  if (c.checklist.length) {
    o.push('<h2>Checklist changes</h2><div class="scroll"><table><thead><tr><th scope="col">item</th><th scope="col">before</th><th scope="col">after</th></tr></thead><tbody>');
    for (const i of c.checklist) o.push(`<tr><td>${esc(i.text ?? i.id)}</td><td>${esc(i.before ?? '–')}</td><td>${esc(i.after ?? '–')}</td></tr>`);
    o.push('</tbody></table></div>');
  }
  o.push('</main></body></html>', '');
  return o.join('\n');
}
