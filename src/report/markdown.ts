// The Markdown report (for tickets and wikis). Pure.
import type { Report } from './types.js';
import { groupByHost, isBadCheck, MARK, outcomeOf, outcomeText, OUTCOME_TEXT, quality, qualityRelays, STATUS_MARK, tierText } from './common.js';

/** Escape text for a Markdown table cell / inline text. */
export function md(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/([*_`[\]<>#])/g, '\\$1').replace(/\r?\n/g, ' ');
}

export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`# netready: ${OUTCOME_TEXT[outcomeOf(report)]}`, '');
  out.push(`- **Profiles:** ${md(report.profiles.join(', '))}`);
  out.push(`- **Media tier:** ${md(tierText(report))}`);
  out.push(`- **Started:** ${md(report.startedAt)} (${(report.durationMs / 1000).toFixed(1)} s, ${report.checks.length} checks)`);
  const params = Object.entries(report.params);
  if (params.length) out.push(`- **Parameters:** ${params.map(([k, v]) => `${md(k)}=${md(String(v))}`).join(', ')}`);
  const q = quality(report);
  if (q.length) out.push(`- **Quality:** ${md(q.join(' · '))}`);
  for (const l of qualityRelays(report)) out.push(`- **Quality ${md(l.split(':')[0])}:** ${md(l.slice(l.indexOf(':') + 1).trim())}`);
  for (const u of report.unverified ?? []) out.push(`- **Not verified:** ${md(u.checklist)} — ${md(u.reason)}`);
  for (const n of report.notes ?? []) out.push(`- **Note:** ${md(n)}`);
  out.push('');

  out.push('## Causes', '');
  if (report.causes.length === 0) out.push(outcomeOf(report) === 'incomplete' ? 'No problem found in what was verified; the run is incomplete (see "Not verified").' : 'No problem found.', '');
  for (const c of report.causes) {
    out.push(`### ${md(c.id)} (${c.severity})`, '', md(c.summary), '', `**Fix:** ${md(c.remedy)}`, '');
    out.push(`Evidence: ${c.evidence.map((e) => `\`${e}\``).join(', ')}`, '');
  }

  if (report.symptoms.length) {
    out.push('## What users will see', '');
    for (const s of report.symptoms) out.push(`- ${md(s.text)}${s.causes?.length ? ` (${s.causes.map(md).join(', ')})` : ''}`);
    out.push('');
  }

  out.push('## Pre-session checklist', '', '| | item | status | reason |', '| --- | --- | --- | --- |');
  for (const it of report.checklist)
    out.push(`| ${MARK[it.status]} | ${md(it.text ?? it.id)} | ${it.status} | ${md(it.status === 'pass' ? '' : (it.reason ?? ''))} |`);
  out.push('');

  out.push('## Checks', '', '| host | | check | target | result |', '| --- | --- | --- | --- | --- |');
  for (const g of groupByHost(report.checks)) {
    const rows = [...g.checks].sort((a, b) => Number(isBadCheck(b)) - Number(isBadCheck(a)));
    for (const c of rows)
      out.push(`| ${md(g.host)} | ${STATUS_MARK[c.status]} | ${md(c.id)} | ${md(c.target)} | ${md(outcomeText(c))} |`);
  }
  out.push('', `_${md(report.schema)}, netready ${md(report.tool.version)}_`, '');
  return out.join('\n');
}
