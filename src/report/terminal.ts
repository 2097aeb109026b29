// The terminal report: 80 columns, the verdict first and last. Colour only when the caller says so
// (NO_COLOR / not a TTY -> color false). It ends with the verdict, the causes' one-liners and the
// files written, so the last screen tells the story; long host lists are cut here and say where
// the full list is (the JSON, Markdown and HTML reports carry every name).
import { createColors } from './colors.js';
import type { Cause, Report } from './types.js';
import {
  abbreviate,
  causeFacts,
  causeTitle,
  changeGroups,
  checkCounts,
  checklistLabel,
  contextItems,
  coverageOf,
  groupByHost,
  headlineOf,
  isBadCheck,
  MARK,
  metricsText,
  outcomeText,
  quality,
  qualityRelays,
  shortTarget,
  shortWhy,
  STATUS_MARK,
  tierText,
  unexplainedFailures,
  type Tone,
} from './common.js';
import { factsOf } from '../verdict/facts.js';

export interface TerminalOptions {
  color: boolean;
  /** Every check with its metrics (else failures under their causes, passing hosts as one line). */
  verbose?: boolean;
  /** The report files written (named at the end). */
  written?: string[];
  /** Line width (default 80). */
  width?: number;
}

/** Word-wrap plain text to `width`, the first line after `first`, the others after `rest`. */
export function wrap(text: string, width: number, first = '', rest = ' '.repeat(first.length)): string[] {
  const out: string[] = [];
  let line = first;
  let fresh = true;
  for (let word of text.split(/\s+/).filter(Boolean)) {
    if (!fresh && line.length + 1 + word.length > width) {
      out.push(line);
      line = rest;
      fresh = true;
    }
    if (!fresh) line += ' ';
    // A word longer than a whole line (a URL, an id) is cut: never past the width.
    while (line.length + word.length > width && width - line.length > 8) {
      const take = width - line.length;
      out.push(line + word.slice(0, take));
      word = word.slice(take);
      line = rest;
    }
    line += word;
    fresh = false;
  }
  out.push(line);
  return out;
}

const HOSTS_SHOWN = 3;
const FULL_LIST = 'full list in the JSON, Markdown and HTML reports';

export function renderTerminal(report: Report, opts: TerminalOptions): string {
  const c = createColors(opts.color);
  const W = opts.width ?? 80;
  const out: string[] = [];
  const h = headlineOf(report);
  const tone = (t: Tone) => (t === 'good' ? c.green : t === 'warn' ? c.yellow : t === 'bad' ? c.red : c.cyan);
  const paint = tone(h.tone);
  const push = (lines: string[], style: (s: string) => string = (s) => s) => out.push(...lines.map(style));
  const cov = coverageOf(report);

  // ---- the headline -------------------------------------------------------------------------
  out.push(`${c.bold(paint(h.text))} ${c.dim('·')} ${h.detail}`);
  push(wrap(cov.text, W, '', '  '));
  if (report.tier !== null || report.causes.some((x) => x.id === 'media-unreachable')) push(wrap(`media tier: ${tierText(report)}`, W, '', '  '));

  // ---- context ------------------------------------------------------------------------------
  out.push('', c.bold('Run'));
  // Parameters (host names netready tests through) stay in the files.
  for (const it of contextItems(report).filter((x) => x.label !== 'Parameters')) push(wrap(it.value, W, `  ${it.label.toLowerCase().padEnd(9)}`));
  const q = quality(report);
  if (q.length) push(wrap(q.join(' · '), W, '  quality  '));
  for (const l of qualityRelays(report)) push(wrap(l, W, '           '), c.dim);
  for (const n of report.notes ?? []) push(wrap(n, W, '  ! ', '    '), c.yellow);

  // ---- causes: what is wrong, what was seen, what to change -----------------------------------
  const shown = new Set<string>();
  if (report.causes.length) {
    out.push('', c.bold(`Causes (${h.detail})`));
    report.causes.forEach((x, i) => renderCause(x, i + 1));
  }

  // One change list: per action and port, the destinations and the causes that ask for it.
  const groups = changeGroups(report).map((g) => ({ head: `${g.action}${g.detail ? ` (${g.detail})` : ''}, ${g.ports || 'any port'}`, dests: g.destinations, why: g.why }));
  if (groups.length) {
    out.push('', c.bold('Change list') + c.dim(' (product snippets per cause: in the Markdown and HTML reports)'));
    for (const g of groups) push(wrap(`${g.head}: ${g.dests.join(', ')} — for ${g.why.join(', ')}`, W, '  ☐ ', '    '));
  }

  if (report.symptoms.length) {
    out.push('', c.bold('What users will see'));
    for (const s of report.symptoms) push(wrap(s.text, W, '  • ', '    '));
  }

  // ---- checklist ----------------------------------------------------------------------------
  if (report.checklist.length) {
    out.push('', c.bold('Pre-session checklist') + c.dim(' (Virtual Room and RON Network Prerequisites)'));
    for (const it of report.checklist) {
      const mark = it.status === 'pass' ? c.green(MARK.pass) : it.status === 'fail' ? c.red(MARK.fail) : it.status === 'warn' ? c.yellow(MARK.warn) : c.dim(MARK['not-checked']);
      const text = it.reason ? `${checklistLabel(it.id)} — ${it.reason}` : checklistLabel(it.id);
      const lines = wrap(text, W, '    ', '    ');
      lines[0] = `  ${mark} ${lines[0]!.slice(4)}`;
      out.push(...lines);
    }
  }

  // ---- checks -------------------------------------------------------------------------------
  const n = checkCounts(report);
  out.push('', `${c.bold('Checks')} ${n.total} run: ${n.ok} ok, ${n.bad} failed, ${n.skipped} not run${n.bad && report.causes.length ? ' · failures under their causes' : ''}`);
  if (opts.verbose) renderAllChecks();
  else {
    if (n.passingHosts.length) push(wrap(`${n.passingHosts.length} host${n.passingHosts.length === 1 ? '' : 's'} passed every check ${n.passingHosts.length === 1 ? 'it' : 'they'} ran: ${abbreviate(n.passingHosts, 4)}`, W, `  ${c.green('✔')} `, '    '));
    if (n.idleHosts.length) push(wrap(`${n.idleHosts.length === 1 ? `${n.idleHosts[0]}: nothing ran` : `${n.idleHosts.length} hosts where nothing ran: ${abbreviate(n.idleHosts, 4)}`} (${shortSkip(n.idleHosts[0]!)})`, W, `  ${c.dim('–')} `, '    '));
    const other = unexplainedFailures(report);
    if (other.length) {
      out.push(`  ${c.red('✘')} failed, but no network cause (see the notes and not-verified rows):`);
      for (const f of factsOf(other)) push(factLines(f.check, f.targets, f.result, '      '));
    }
    out.push(c.dim('  -v (check or report) lists every check'));
  }

  // ---- the last screen: the verdict again, the one-liners, the files ---------------------------
  out.push('', c.dim('─'.repeat(Math.min(W, 80))));
  out.push(`${c.bold(paint(h.text))} ${c.dim('·')} ${h.detail} ${c.dim('·')} ${cov.verified} of ${cov.total} items verified`);
  for (const x of report.causes) {
    const mark = x.severity === 'blocking' ? c.red('✘') : c.yellow('!');
    const lines = wrap(causeTitle(x), W, '    ', '    ');
    lines[0] = `  ${mark} ${lines[0]!.slice(4)}`;
    out.push(...lines);
  }
  if (!report.causes.length && h.outcome === 'incomplete')
    for (const u of report.unverified ?? []) push(wrap(`${checklistLabel(u.checklist)} not verified: ${shortWhy(u.reason)}`, W, `  – `, '    '));
  if (opts.written?.length) push(wrap(`wrote ${opts.written.join(', ')}`, W));
  return out.join('\n') + '\n';

  function factKey(f: { check: string; targets: string[]; result: string }): string {
    return `${f.check} ${f.targets.join(',')} ${f.result}`;
  }

  function renderCause(x: Cause, i: number) {
    const sev = x.severity === 'blocking' ? c.red('✘') : c.yellow('!');
    out.push(`${sev} ${c.bold(x.id)} ${c.dim(`(${x.severity}, ${i} of ${report.causes.length})`)}`);
    push(wrap(x.summary, W, '  ', '  '));
    // A fact already shown under an earlier cause is named, not repeated.
    const facts = causeFacts(report, x);
    const fresh = facts.filter((f) => !shown.has(factKey(f)));
    const again = facts.filter((f) => shown.has(factKey(f)));
    for (const f of fresh.slice(0, 3)) push(factLines(f.check, f.targets, f.result, '  seen '), c.dim);
    if (again.length) push(wrap(`${[...new Set(again.map((f) => f.check))].join(', ')} as above`, W, '  seen ', '       '), c.dim);
    for (const f of facts) shown.add(factKey(f));
    const lines = wrap(x.remedy, W, '  fix  ', '       ');
    lines[0] = `  ${c.cyan('fix')}  ${lines[0]!.slice(7)}`;
    out.push(...lines);
  }

  /** One fact: the targets cut to a few, "→ what happened". */
  function factLines(check: string, targets: string[], result: string, first: string): string[] {
    const shown = targets.length > HOSTS_SHOWN ? `${targets.slice(0, HOSTS_SHOWN).join(', ')} and ${targets.length - HOSTS_SHOWN} more (${FULL_LIST})` : targets.join(', ');
    return wrap(`${check} ${targets.length > 1 ? `on ${targets.length} targets: ` : ''}${shown} → ${result}`, W, first, ' '.repeat(first.length));
  }

  function shortSkip(host: string): string {
    const g = groupByHost(report.checks).find((x) => x.host === host);
    return g?.checks.find((x) => x.reason)?.reason ?? 'skipped';
  }

  function renderAllChecks() {
    for (const g of groupByHost(report.checks)) {
      const okCount = g.checks.filter((x) => x.status === 'ok').length;
      const mark = g.bad ? c.red('✘') : okCount ? c.green('✔') : c.dim('–');
      out.push(`  ${mark} ${c.bold(g.host)}`);
      const rows = [...g.checks].sort((a, b) => Number(isBadCheck(b)) - Number(isBadCheck(a)));
      for (const x of rows) {
        const m = STATUS_MARK[x.status];
        const xm = isBadCheck(x) ? c.red(m) : x.status === 'ok' ? c.green(m) : c.dim(m);
        const tgt = shortTarget(x, g.host);
        const detail = x.status === 'ok' ? metricsText(x) : outcomeText(x);
        const lines = wrap([x.id, tgt, detail].filter(Boolean).join('  '), W, '      ', '        ');
        lines[0] = `    ${xm} ${lines[0]!.slice(6)}`;
        out.push(...lines);
      }
    }
  }
}
