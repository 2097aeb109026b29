// The Markdown report, for tickets (Jira, ServiceNow, GitHub) and e-mail. Pure. It must read right
// pasted as plain text too: no backslash escapes — anything Markdown would act on (wildcards,
// underscores, angle brackets) goes into a code span, and a table cell's pipe becomes "∣".
// The outcome, the context, the causes with their remedies, the change list as a checklist; the
// full checks table last, in a collapsible block.
import type { Report } from './types.js';
import {
  causeFacts,
  causeTitle,
  changeGroups,
  checklistLabel,
  contextItems,
  coverageOf,
  groupByHost,
  headlineOf,
  isBadCheck,
  MARK,
  outcomeText,
  quality,
  qualityRelays,
  STATUS_MARK,
  tierText,
} from './common.js';

/** A code span that holds any text (backticks inside get a longer fence). */
export function code(s: string): string {
  const runs = s.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = s.startsWith('`') || s.endsWith('`') || s.startsWith(' ') || s.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

// "_" only acts at a word's edge (CommonMark: intraword underscores are no emphasis).
// "<" only before what could open a tag or an autolink ("a < b" is plain text).
const ACTIVE = /[*`[\]\\|~]|<[A-Za-z/!?]|^[("'“]*_|_[)"'”,.;:!?]*$/;

/**
 * Inline text safe in Markdown without escapes: one line; words Markdown would act on become code
 * spans (their punctuation around them stays outside).
 */
export function mdText(s: string): string {
  return s
    .replace(/\r?\n/g, ' ')
    .split(' ')
    .map((w) => {
      if (!ACTIVE.test(w)) return w;
      const m = /^([("'“]*)(.*?)([)"'”,.;:!?]*)$/.exec(w)!;
      return m[2] ? `${m[1]}${code(m[2])}${m[3]}` : code(w);
    })
    .join(' ');
}

/** Text in a table cell: as mdText, with a pipe shown as "∣" (GFM splits cells on "|", even in code spans). */
export const cell = (s: string) => mdText(s.replace(/\|/g, '∣'));

/** A fenced code block that no line of `text` can close. */
function fenced(text: string): string[] {
  const longest = Math.max(2, ...(text.match(/`{3,}/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return [fence, ...text.split('\n'), fence];
}

export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  const h = headlineOf(report);
  const cov = coverageOf(report);
  out.push(`# netready: ${h.text} — ${h.detail}`, '');
  out.push(`**${mdText(cov.text)}**`, '');
  if (report.tier !== null) out.push(`Media tier: ${mdText(tierText(report))}`, '');

  out.push('## Where and how this ran', '');
  for (const it of contextItems(report)) out.push(`- **${it.label}:** ${mdText(it.value)}${it.detail ? ` (${mdText(it.detail)})` : ''}`);
  const q = quality(report);
  if (q.length) out.push(`- **Quality:** ${mdText(q.join(' · '))}`);
  for (const l of qualityRelays(report)) out.push(`- **Quality ${mdText(l.split(':')[0]!)}:** ${mdText(l.slice(l.indexOf(':') + 1).trim())}`);
  out.push('');
  for (const u of report.unverified ?? []) out.push(`> **Not verified — ${mdText(checklistLabel(u.checklist))}:** ${mdText(u.reason)}`, '');
  for (const n of report.notes ?? []) out.push(`> **Note:** ${mdText(n)}`, '');

  out.push('## Causes', '');
  if (report.causes.length === 0) out.push(h.outcome === 'incomplete' ? 'No problem found in what was verified; the run is incomplete (see "Not verified").' : 'No problem found.', '');
  report.causes.forEach((c, i) => {
    out.push(`### ${i + 1}. ${mdText(causeTitle(c))}`, '');
    out.push(`${c.severity === 'blocking' ? '**Blocking**' : '**Degrading**'} · ${code(c.id)}`, '', mdText(c.summary), '');
    const facts = causeFacts(report, c);
    if (facts.length) {
      out.push('What was seen:', '');
      for (const f of facts) out.push(`- ${code(f.check)} ${f.targets.length > 1 ? `on ${f.targets.length} targets: ` : ''}${f.targets.map(code).join(', ')} → ${mdText(f.result)}`);
      out.push('');
    }
    out.push(`**Fix:** ${mdText(c.remedy)}`, '');
    for (const p of (c.howto ?? []).filter((x) => x.kind === 'config')) out.push(`**${mdText(p.product)}:**`, '', ...fenced(p.text), '');
    const steps = (c.howto ?? []).filter((x) => x.kind === 'steps');
    if (steps.length) out.push(...steps.map((p) => `- **${mdText(p.product)}:** ${mdText(p.text)}`), '');
  });

  const groups = changeGroups(report);
  if (groups.length) {
    out.push('## Change list', '');
    for (const g of groups)
      out.push(`- [ ] **${g.action[0]!.toUpperCase()}${g.action.slice(1)}**${g.detail ? ` (${mdText(g.detail)})` : ''}, ${g.ports || 'any port'}: ${g.destinations.map((d) => (d.startsWith('any ') ? mdText(d) : code(d))).join(', ')} — for ${g.why.join(', ')}`);
    out.push('');
  }

  if (report.symptoms.length) {
    out.push('## What users will see', '');
    for (const s of report.symptoms) out.push(`- ${mdText(s.text)}${s.causes?.length ? ` (${s.causes.join(', ')})` : ''}`);
    out.push('');
  }

  if (report.checklist.length) {
    out.push('## Pre-session checklist', '', 'From the Virtual Room and RON Network Prerequisites.', '', '| | Item | Result |', '| --- | --- | --- |');
    for (const it of report.checklist) out.push(`| ${MARK[it.status]} | ${cell(it.text ?? checklistLabel(it.id))} | ${it.status}${it.reason ? `: ${cell(it.reason)}` : ''} |`);
    out.push('');
  }

  out.push('## All checks', '', `<details><summary>${report.checks.length} checks: ${report.checks.filter((x) => x.status === 'ok').length} ok, ${report.checks.filter(isBadCheck).length} failed, ${report.checks.filter((x) => x.status === 'skipped').length} not run</summary>`, '');
  out.push('| Host | | Check | Target | Result |', '| --- | --- | --- | --- | --- |');
  for (const g of groupByHost(report.checks)) {
    const rows = [...g.checks].sort((a, b) => Number(isBadCheck(b)) - Number(isBadCheck(a)));
    for (const c of rows) out.push(`| ${cell(g.host)} | ${STATUS_MARK[c.status]} | ${cell(c.id)} | ${cell(c.target)} | ${cell(outcomeText(c))} |`);
  }
  out.push('', '</details>', '', `${report.schema}, netready ${report.tool.version}`, '');
  return out.join('\n');
}
