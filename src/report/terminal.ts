// The terminal report. Colour only when the caller says so (NO_COLOR / not a TTY -> color false).
import { createColors } from './colors.js';
import type { Report } from './types.js';
import { groupByHost, isBadCheck, MARK, metricsText, outcomeOf, outcomeText, OUTCOME_TEXT, quality, qualityRelays, shortTarget, STATUS_MARK, tierText } from './common.js';

export interface TerminalOptions {
  color: boolean;
  /** Every check with its metrics (else hosts whose checks all passed are one line). */
  verbose?: boolean;
}

export function renderTerminal(report: Report, opts: TerminalOptions): string {
  const c = createColors(opts.color);
  const out: string[] = [];
  const outcome = outcomeOf(report);
  const paint = outcome === 'ready' ? c.green : outcome === 'incomplete' ? c.yellow : c.red;
  const head = c.bold(paint(OUTCOME_TEXT[outcome]));
  const blocking = report.causes.filter((x) => x.severity === 'blocking').length;
  const degrading = report.causes.length - blocking;
  out.push(`${head}  ${c.dim('profiles')} ${report.profiles.join(', ')}  ${c.dim('media tier')} ${tierText(report)}`);
  out.push(
    c.dim(
      `${report.startedAt} · ${(report.durationMs / 1000).toFixed(1)} s · ${report.checks.length} checks · ` +
        `${blocking} blocking, ${degrading} degrading`,
    ),
  );
  for (const u of report.unverified ?? []) out.push(c.yellow(`not verified: ${u.checklist} — ${u.reason}`));
  for (const n of report.notes ?? []) out.push(c.yellow(`note: ${n}`));
  const q = quality(report);
  if (q.length) out.push(`${c.dim('quality')} ${q.join(' · ')}`);
  for (const l of qualityRelays(report)) out.push(`${c.dim('        ')}${c.dim(l)}`);

  if (report.causes.length) {
    out.push('', c.bold('Causes'));
    for (const x of report.causes) {
      const sev = x.severity === 'blocking' ? c.red('blocking ') : c.yellow('degrading');
      out.push(`  ${sev} ${c.bold(x.id)}: ${x.summary}`);
      out.push(`            ${c.cyan('fix:')} ${x.remedy}`);
      out.push(c.dim(`            evidence: ${x.evidence.join(', ')}`));
    }
  }

  if (report.symptoms.length) {
    out.push('', c.bold('What users will see'));
    for (const s of report.symptoms) out.push(`  • ${s.text}${s.causes?.length ? c.dim(` (${s.causes.join(', ')})`) : ''}`);
  }

  out.push('', c.bold('Pre-session validation checklist (Virtual Room and RON Network Prerequisites)'));
  for (const it of report.checklist) {
    const mark =
      it.status === 'pass' ? c.green(MARK.pass) : it.status === 'fail' ? c.red(MARK.fail) : it.status === 'warn' ? c.yellow(MARK.warn) : c.dim(MARK['not-checked']);
    out.push(`  ${mark} ${it.id}${it.status !== 'pass' && it.reason ? c.dim(` — ${it.reason}`) : ''}`);
    if (opts.verbose && it.text) out.push(c.dim(`      ${it.text}`));
  }

  out.push('', c.bold('Checks by host'));
  for (const g of groupByHost(report.checks)) {
    const okCount = g.checks.filter((x) => x.status === 'ok').length;
    if (g.bad === 0 && !opts.verbose) {
      const skipped = g.checks.length - okCount;
      out.push(`  ${c.green('✔')} ${g.host} ${c.dim(`${okCount} ok${skipped ? `, ${skipped} skipped` : ''}`)}`);
      continue;
    }
    out.push(`  ${g.bad ? c.red('✘') : c.green('✔')} ${c.bold(g.host)}`);
    const rows = [...g.checks].sort((a, b) => Number(isBadCheck(b)) - Number(isBadCheck(a)));
    const shown = opts.verbose ? rows : rows.filter((x) => x.status !== 'ok');
    const idWidth = Math.max(15, ...shown.map((x) => x.id.length));
    for (const x of shown) {
      const m = STATUS_MARK[x.status];
      const mark = isBadCheck(x) ? c.red(m) : x.status === 'ok' ? c.green(m) : c.dim(m);
      const tgt = shortTarget(x, g.host);
      const detail = x.status === 'ok' ? metricsText(x) : outcomeText(x);
      out.push(`      ${mark} ${x.id.padEnd(idWidth)} ${[tgt, detail ? c.dim(detail) : ''].filter(Boolean).join('  ')}`.trimEnd());
    }
    if (!opts.verbose && okCount) {
      const ids = [...new Set(rows.filter((x) => x.status === 'ok').map((x) => x.id))];
      out.push(`      ${c.green('✔')} ${c.dim(`${okCount} ok: ${ids.join(', ')}`)}`);
    }
  }
  return out.join('\n') + '\n';
}
