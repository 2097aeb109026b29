// The results pages `netready serve --store` renders on the server (no script, no external asset,
// every value escaped): the admin view (/results: sites, invites, a site's history as an inline SVG
// chart, the reports with filters), its sign-in form, a stored browser result, and the plain pages
// of a share link that is gone (410) or unknown (404). A stored CLI report renders with the
// report's own HTML renderer (src/report/html.ts).

import { esc } from '../../report/html.js';
import type { BrowserResults } from '../../shared/browser.js';
import type { HistoryPoint, Invite, Outcome, ReportRow, ShareLink, SiteLatest } from '../store/index.js';
import { OUTCOMES } from '../store/index.js';

export { esc };

const OUTCOME_WORD: Record<Outcome, string> = { ready: 'ready', 'not-ready': 'not ready', incomplete: 'incomplete' };
const OUTCOME_COLOR: Record<Outcome, string> = { ready: '#1a7f37', 'not-ready': '#b42318', incomplete: '#8a6100' };

// AA contrast in light and dark (text on background >= 4.5:1).
const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--ok:#1a7f37;--bad:#b42318;--warn:#8a6100;--link:#0b57d0}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--ok:#3fb950;--bad:#ff7b72;--warn:#d29922;--link:#79c0ff}}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:72rem;margin:0 auto;padding:1rem}a{color:var(--link)}h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);white-space:nowrap}
.o-ready{color:var(--ok);font-weight:600}.o-not-ready{color:var(--bad);font-weight:600}.o-incomplete{color:var(--warn);font-weight:600}
.muted{color:var(--muted)}form.inline{display:inline}button,input,select{font:inherit;padding:.3rem .5rem}
.filters{display:flex;gap:.6rem;flex-wrap:wrap;align-items:end}.filters label{display:flex;flex-direction:column;font-size:.9rem}
svg{max-width:100%;height:auto}svg text{fill:var(--muted);font-size:11px}svg .axis{stroke:var(--line)}svg .q{stroke:var(--link);fill:none;stroke-width:1.5}
`;

export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)}</title><style>${CSS}</style></head><body><main>${body}</main></body></html>`;
}

const outcomeCell = (o: Outcome) => `<span class="o-${o}">${esc(OUTCOME_WORD[o])}</span>`;
const when = (iso: string) => esc(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));

export function signInPage(message: string | null): string {
  return page(
    'Sign in · netready results',
    `<h1>netready results</h1>${message ? `<p role="alert" class="o-not-ready">${esc(message)}</p>` : ''}
<form method="post" action="/results/signin"><label>Admin token (printed by <code>netready serve</code> at start)<br><input type="password" name="token" autocomplete="current-password" required size="40"></label> <button type="submit">Sign in</button></form>`,
  );
}

/** A short page with one message (a form that could not be used, and why). */
export function messagePage(title: string, text: string): string {
  return page(title, `<h1>${esc(title)}</h1><p role="alert">${esc(text)}</p><p><a href="/results">Back to the results</a></p>`);
}

export function gonePage(state: 'expired' | 'revoked' | 'unknown'): string {
  const text =
    state === 'unknown'
      ? 'There is no report at this link. Check that the link was copied whole.'
      : state === 'expired'
        ? 'This report link has expired. Ask the person who sent it for a new one.'
        : 'This report link has been withdrawn. Ask the person who sent it for a new one.';
  return page(state === 'unknown' ? 'Not found' : 'Link no longer valid', `<h1>${state === 'unknown' ? 'Report not found' : 'This link is no longer valid'}</h1><p>${esc(text)}</p>`);
}

/** A stored browser result (netready/browser@1) as a page: outcome, causes with remedies, the checks. */
export function renderBrowserHtml(doc: BrowserResults, outcome: Outcome, meta: { site: string | null; label: string | null }): string {
  const rows = doc.checks
    .map((c) => `<tr><td>${esc(c.id)}</td><td>${esc(c.target)}</td><td>${esc(c.status)}</td><td>${esc(c.error ? `${c.error.code}: ${c.error.message}` : '')}</td></tr>`)
    .join('');
  const causes = doc.causes.map((c) => `<li><strong>${esc(c.summary)}</strong><br>${esc(c.remedy)}</li>`).join('');
  return page(
    `Browser check: ${OUTCOME_WORD[outcome]} · netready`,
    `<h1>Browser check: ${outcomeCell(outcome)}</h1>
<p class="muted">${esc([meta.site, meta.label].filter(Boolean).join(' · '))} · ${when(doc.startedAt)} · ${esc(doc.userAgent)}</p>
${causes ? `<h2>What to change</h2><ul>${causes}</ul>` : '<p>No blocking or degrading cause was found in this browser.</p>'}
<h2>Checks</h2><table><thead><tr><th>Check</th><th>Target</th><th>Status</th><th>Error</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

/** Outcome and quality over time (oldest first) as an inline SVG: MOS as a line, each run a dot in its outcome's colour. */
export function historyChart(points: HistoryPoint[], site: string): string {
  if (!points.length) return '<p class="muted">No reports yet.</p>';
  const W = 720;
  const H = 220;
  const L = 40;
  const R = 10;
  const T = 10;
  const B = 40;
  const t0 = Date.parse(points[0].time);
  const t1 = Date.parse(points[points.length - 1].time);
  const span = Math.max(1, t1 - t0);
  const x = (t: string) => (points.length === 1 ? L + (W - L - R) / 2 : L + ((Date.parse(t) - t0) / span) * (W - L - R));
  // MOS 1-5 (the quality figure every report with a quality phase has); without one, the dot sits on the outcome band.
  const yMos = (m: number) => T + (1 - (Math.min(5, Math.max(1, m)) - 1) / 4) * (H - T - B);
  const band = H - B + 22;
  const line = points.filter((p) => p.quality.mos !== null).map((p) => `${x(p.time).toFixed(1)},${yMos(p.quality.mos!).toFixed(1)}`);
  const dots = points
    .map((p) => {
      const cx = x(p.time).toFixed(1);
      const label = `${p.time}: ${OUTCOME_WORD[p.outcome]}${p.tier ? `, tier ${p.tier}` : ''}${p.quality.mos !== null ? `, MOS ${p.quality.mos}` : ''} (${p.source})`;
      const mos = p.quality.mos !== null ? `<circle cx="${cx}" cy="${yMos(p.quality.mos).toFixed(1)}" r="3.5" fill="${OUTCOME_COLOR[p.outcome]}"><title>${esc(label)}</title></circle>` : '';
      return `${mos}<rect x="${(Number(cx) - 3).toFixed(1)}" y="${band - 6}" width="6" height="12" fill="${OUTCOME_COLOR[p.outcome]}"><title>${esc(label)}</title></rect>`;
    })
    .join('');
  const grid = [1, 2, 3, 4, 5].map((m) => `<line class="axis" x1="${L}" x2="${W - R}" y1="${yMos(m)}" y2="${yMos(m)}"/><text x="4" y="${yMos(m) + 4}">MOS ${m}</text>`).join('');
  const summary = OUTCOMES.map((o) => `${points.filter((p) => p.outcome === o).length} ${OUTCOME_WORD[o]}`).join(', ');
  return `<figure><svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-t" xmlns="http://www.w3.org/2000/svg"><title id="chart-t">${esc(`${site}: quality (MOS) and outcome of ${points.length} reports, ${summary}`)}</title>${grid}<text x="4" y="${band + 4}">outcome</text>${line.length > 1 ? `<polyline class="q" points="${line.join(' ')}"/>` : ''}${dots}</svg>
<figcaption class="muted">${esc(`${when(points[0].time)} to ${when(points[points.length - 1].time)}: ${summary}. Line: MOS (1-5); the bottom row: each report's outcome (green ready, red not ready, amber incomplete).`)}</figcaption></figure>`;
}

export interface AdminView {
  sites: SiteLatest[];
  invites: (Invite & { state: 'ok' | 'expired' | 'revoked' })[];
  reports: ReportRow[];
  next: string | null;
  filter: { site?: string; outcome?: Outcome };
  history: HistoryPoint[] | null;
  shares: Map<number, ShareLink[]>;
  /** A link just created (admin page: new invite). */
  created?: string | null;
}

const q = (o: Record<string, string | undefined>) => {
  const s = new URLSearchParams(Object.entries(o).filter((e): e is [string, string] => !!e[1])).toString();
  return s ? `?${s}` : '';
};

export function adminPage(v: AdminView): string {
  const f = v.filter;
  const siteRows = v.sites
    .map(
      (s) =>
        `<tr><td><a href="/results${q({ site: s.site })}">${esc(s.site)}</a></td><td>${outcomeCell(s.latest.outcome)}</td><td>${esc(s.latest.tier ?? '')}</td><td>${when(s.latest.time)}</td><td>${s.reports}</td><td><a href="/results/report/${s.latest.id}">report</a></td></tr>`,
    )
    .join('');
  const inviteRows = v.invites
    .map(
      (i) =>
        `<tr><td>${esc(i.label)}</td><td>${esc(i.site ?? '')}</td><td>${esc(i.state)}</td><td>${when(i.expiresAt)}</td><td>${i.uses}</td><td>${i.lastOutcome ? outcomeCell(i.lastOutcome) : ''}</td><td>${i.lastReportId !== null ? `<a href="/results/report/${i.lastReportId}">report</a>` : ''}</td><td>${i.state === 'ok' ? `<form class="inline" method="post" action="/results/invite/${i.id}/revoke"><button type="submit">Revoke</button></form>` : ''}</td></tr>`,
    )
    .join('');
  const reportRows = v.reports
    .map((r) => {
      const live = (v.shares.get(r.id) ?? []).filter((s) => s.revokedAt === null).length;
      return `<tr><td><a href="/results/report/${r.id}">#${r.id}</a></td><td>${when(r.time)}</td><td>${esc(r.site ?? '')}</td><td>${esc(r.label ?? '')}</td><td>${esc(r.source)}</td><td>${outcomeCell(r.outcome)}</td><td>${esc(r.tier ?? '')}</td><td>${esc(r.causes.join(' '))}</td><td>${live ? `<form class="inline" method="post" action="/results/report/${r.id}/revoke"><button type="submit">Revoke share links (${live})</button></form>` : ''}</td></tr>`;
    })
    .join('');
  const siteOptions = ['', ...v.sites.map((s) => s.site)].map((s) => `<option value="${esc(s)}"${s === (f.site ?? '') ? ' selected' : ''}>${esc(s || 'all sites')}</option>`).join('');
  const outcomeOptions = ['', ...OUTCOMES].map((o) => `<option value="${o}"${o === (f.outcome ?? '') ? ' selected' : ''}>${esc(o ? OUTCOME_WORD[o as Outcome] : 'any outcome')}</option>`).join('');
  const csv = `/results.csv${q({ site: f.site, outcome: f.outcome })}`;
  return page(
    'netready results',
    `<h1>netready results</h1>
${v.created ? `<p role="status">Invite created: <a href="${esc(v.created)}">${esc(v.created)}</a> (shown once: copy it now)</p>` : ''}
<h2>Sites</h2>${siteRows ? `<table><thead><tr><th>Site</th><th>Latest outcome</th><th>Tier</th><th>Time</th><th>Reports</th><th></th></tr></thead><tbody>${siteRows}</tbody></table>` : '<p class="muted">No site has reported yet.</p>'}
<h2>Invites</h2>${inviteRows ? `<table><thead><tr><th>For</th><th>Site</th><th>State</th><th>Expires</th><th>Results</th><th>Latest outcome</th><th></th><th></th></tr></thead><tbody>${inviteRows}</tbody></table>` : '<p class="muted">No invites.</p>'}
<form method="post" action="/results/invites" class="filters"><label>New invite for<input name="label" required maxlength="200"></label><label>Site<input name="site" maxlength="200"></label><label>Days<input name="days" type="number" min="1" max="366" value="7"></label><button type="submit">Create invite</button></form>
${f.site && v.history ? `<h2>History of ${esc(f.site)}</h2>${historyChart(v.history, f.site)}` : ''}
<h2>Reports</h2>
<form method="get" action="/results" class="filters"><label>Site<select name="site">${siteOptions}</select></label><label>Outcome<select name="outcome">${outcomeOptions}</select></label><button type="submit">Filter</button> <a href="${esc(csv)}">CSV export</a></form>
${reportRows ? `<table><thead><tr><th>Report</th><th>Time</th><th>Site</th><th>Label</th><th>Source</th><th>Outcome</th><th>Tier</th><th>Causes</th><th></th></tr></thead><tbody>${reportRows}</tbody></table>` : '<p class="muted">No reports match.</p>'}
${v.next ? `<p><a href="/results${q({ site: f.site, outcome: f.outcome, after: v.next })}">Older reports</a></p>` : ''}`,
  );
}
