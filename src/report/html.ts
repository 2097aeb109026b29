// The HTML report: one self-contained file (inline CSS, no scripts, no external assets), every
// string escaped, readable when printed.
import type { Report } from './types.js';
import { groupByHost, isBadCheck, MARK, outcomeOf, outcomeText, OUTCOME_TEXT, quality, qualityRelays, STATUS_MARK, tierText } from './common.js';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;margin:2rem auto;max-width:70rem;padding:0 1rem}
h1{margin:.2rem 0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
.ready{color:#116329}.notready{color:#a40e26}.incomplete{color:#7d4e00}.meta{color:#57606a}
.cause{border-left:4px solid #a40e26;padding:.3rem .8rem;margin:.8rem 0;background:#fff5f5}
.cause.degrading{border-color:#9a6700;background:#fff8e5}
.sev{font-size:.8em;text-transform:uppercase;letter-spacing:.05em}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.pass,.ok{color:#116329}.fail,.failed,.timeout,.error{color:#a40e26}.warn{color:#9a6700}.not-checked,.skipped{color:#57606a}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
@media print{body{margin:0;max-width:none;font-size:11px}.cause{break-inside:avoid}tr{break-inside:avoid}a{color:inherit}}
`;

export function renderHtml(report: Report): string {
  const o: string[] = [];
  const outcome = outcomeOf(report);
  const title = `netready: ${OUTCOME_TEXT[outcome]}`;
  o.push('<!doctype html>', '<html lang="en"><head><meta charset="utf-8">', `<title>${esc(title)}</title>`);
  o.push('<meta name="viewport" content="width=device-width, initial-scale=1">', `<style>${CSS}</style></head><body>`);
  o.push(`<h1 class="${outcome === 'ready' ? 'ready' : outcome === 'incomplete' ? 'incomplete' : 'notready'}">${esc(title)}</h1>`);
  o.push(`<p class="meta">Profiles: ${esc(report.profiles.join(', '))} · media tier: <strong>${esc(tierText(report))}</strong><br>`);
  o.push(`Started ${esc(report.startedAt)} · ${(report.durationMs / 1000).toFixed(1)} s · ${report.checks.length} checks`);
  const params = Object.entries(report.params);
  if (params.length) o.push(`<br>Parameters: ${esc(params.map(([k, v]) => `${k}=${String(v)}`).join(', '))}`);
  const q = quality(report);
  if (q.length) o.push(`<br>Quality: ${esc(q.join(' · '))}`);
  for (const l of qualityRelays(report)) o.push(`<br>${esc(l)}`);
  o.push('</p>');
  for (const u of report.unverified ?? []) o.push(`<p class="warn">Not verified: ${esc(u.checklist)} — ${esc(u.reason)}</p>`);
  for (const n of report.notes ?? []) o.push(`<p class="warn">Note: ${esc(n)}</p>`);

  o.push('<h2>Causes</h2>');
  if (report.causes.length === 0) o.push(outcome === 'incomplete' ? '<p class="warn">No problem found in what was verified; the run is incomplete.</p>' : '<p class="ok">No problem found.</p>');
  for (const c of report.causes) {
    o.push(`<div class="cause ${esc(c.severity)}"><div class="sev">${esc(c.severity)}</div><strong>${esc(c.id)}</strong>: ${esc(c.summary)}`);
    o.push(`<p><strong>Fix:</strong> ${esc(c.remedy)}</p><p class="meta">Evidence: ${c.evidence.map((e) => `<code>${esc(e)}</code>`).join(', ')}</p></div>`);
  }

  if (report.symptoms.length) {
    o.push('<h2>What users will see</h2><ul>');
    for (const s of report.symptoms) o.push(`<li>${esc(s.text)}${s.causes?.length ? ` <span class="meta">(${esc(s.causes.join(', '))})</span>` : ''}</li>`);
    o.push('</ul>');
  }

  o.push('<h2>Pre-session checklist</h2><table><tr><th></th><th>item</th><th>status</th><th>reason</th></tr>');
  for (const it of report.checklist)
    o.push(`<tr><td class="${esc(it.status)}">${MARK[it.status]}</td><td>${esc(it.text ?? it.id)}</td><td class="${esc(it.status)}">${esc(it.status)}</td><td>${esc(it.status === 'pass' ? '' : (it.reason ?? ''))}</td></tr>`);
  o.push('</table>');

  o.push('<h2>Checks</h2><table><tr><th>host</th><th></th><th>check</th><th>target</th><th>result</th></tr>');
  for (const g of groupByHost(report.checks)) {
    const rows = [...g.checks].sort((a, b) => Number(isBadCheck(b)) - Number(isBadCheck(a)));
    rows.forEach((c, i) => {
      const hostCell = i === 0 ? `<td rowspan="${rows.length}">${esc(g.host)}</td>` : '';
      o.push(`<tr>${hostCell}<td class="${esc(c.status)}">${STATUS_MARK[c.status]}</td><td><code>${esc(c.id)}</code></td><td><code>${esc(c.target)}</code></td><td class="${esc(c.status)}">${esc(outcomeText(c))}</td></tr>`);
    });
  }
  o.push('</table>', `<p class="meta">${esc(report.schema)} · netready ${esc(report.tool.version)}</p>`, '</body></html>', '');
  return o.join('\n');
}
