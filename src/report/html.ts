// The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external assets),
// every string escaped. It shows rather than tells: the outcome at a glance with the run's
// context, the causes and one change list (a NOT READY report's first printed page), the media-tier
// ladder, each quality figure against its threshold, a host × check matrix (a red column is a
// systematic failure), a timeline of the run, and the checks per host with passing hosts
// collapsed. Readable at 390 px, printable on A4 (no table wider than the page), contrast AA in
// light and dark, the verdict first for screen readers (title, h1, a status region).
import type { CheckResult } from '../shared/results.js';
import type { Cause, Report } from './types.js';
import {
  causeFacts,
  causeTitle,
  changeGroups,
  checkCounts,
  checklistLabel,
  contextItems,
  coverageOf,
  fmtMetric,
  groupByHost,
  headlineOf,
  hostOfCheck,
  isBadCheck,
  MARK,
  NOT_HOSTS,
  outcomeText,
  quality,
  qualityRelays,
  STATUS_MARK,
  tierText,
  TIER_TEXT,
  unexplainedFailures,
  type Tone,
} from './common.js';
import { factsOf } from '../verdict/facts.js';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** Escaped, with break opportunities after "." "/" "-" ":" "," so ids and URLs wrap at their joints, not mid-word. */
export function brk(s: string): string {
  return s
    .split(/(?<=[./:,=?&]|-(?!-))(?=\S)/)
    .map(esc)
    .join('<wbr>');
}

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--line:#d0d7de;--panel:#f6f8fa;--good:#116329;--bad:#a40e26;--warn:#7d4e00;--info:#0550ae;
--good-bg:#dafbe1;--bad-bg:#ffebe9;--warn-bg:#fff8c5;--info-bg:#ddf4ff;--skip:#6e7781;--bar:#8c959f}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9da7b3;--line:#3d444d;--panel:#161b22;--good:#3fb950;--bad:#ff7b72;--warn:#d29922;--info:#58a6ff;
--good-bg:#0f2a17;--bad-bg:#3a1417;--warn-bg:#332701;--info-bg:#0c2d4a;--skip:#8b949e;--bar:#6e7681}}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:72rem;padding:1rem}
h1{font-size:2rem;margin:0;letter-spacing:.02em}h2{font-size:1.2rem;border-bottom:1px solid var(--line);padding-bottom:.2rem;margin:2rem 0 .8rem}h3{font-size:1.05rem;margin:.2rem 0 .4rem}
p{margin:.4rem 0}code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.86em}
code{overflow-wrap:anywhere}pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0 .6rem}
a{color:var(--info)}.muted{color:var(--muted)}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.good{color:var(--good)}.bad{color:var(--bad)}.warn{color:var(--warn)}.info{color:var(--info)}.skip{color:var(--skip)}
.verdict{border-radius:10px;padding:1rem 1.2rem;border:2px solid;margin:0 0 1rem}
.verdict.t-good{border-color:var(--good);background:var(--good-bg)}.verdict.t-bad{border-color:var(--bad);background:var(--bad-bg)}
.verdict.t-warn{border-color:var(--warn);background:var(--warn-bg)}.verdict.t-info{border-color:var(--info);background:var(--info-bg)}
.verdict .kicker{margin:0;font-size:.85rem;color:var(--muted)}.verdict .detail{font-size:1.1rem;font-weight:600;margin:.1rem 0 .5rem}
.t-good h1{color:var(--good)}.t-bad h1{color:var(--bad)}.t-warn h1{color:var(--warn)}.t-info h1{color:var(--info)}
.ctx{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}.ctx dt{font-weight:600}.ctx dd{margin:0;overflow-wrap:anywhere}
.ctx details{display:inline}.ctx summary{cursor:pointer;color:var(--muted);display:inline}
.callout{border-left:4px solid var(--warn);background:var(--panel);padding:.4rem .8rem;margin:.5rem 0}.callout.info{border-color:var(--info)}
ol.brief{padding-left:1.4rem;margin:.3rem 0}ol.brief li{margin:.25rem 0}.sev{display:inline-block;font-size:.75rem;font-weight:700;text-transform:uppercase;letter-spacing:.04em;border-radius:4px;padding:0 .35rem;border:1px solid}
.sev.blocking{color:var(--bad);border-color:var(--bad)}.sev.degrading{color:var(--warn);border-color:var(--warn)}
table{border-collapse:collapse;width:100%;table-layout:fixed;font-size:.92em}th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:var(--panel)}td.mark,th.mark{width:2rem;text-align:center}
.cause{border:1px solid var(--line);border-left:6px solid var(--bad);border-radius:6px;padding:.6rem .9rem;margin:.8rem 0;break-inside:avoid-page}
.cause.degrading{border-left-color:var(--warn)}.cause ul{margin:.2rem 0 .4rem;padding-left:1.2rem}.cause li{margin:.15rem 0}
details>summary{cursor:pointer}.howto summary{font-weight:600;margin:.3rem 0}
.ladder{list-style:none;padding:0;margin:0}.ladder li{border:1px solid var(--line);border-radius:6px;padding:.4rem .7rem;margin:.3rem 0;display:grid;grid-template-columns:11rem 1fr;gap:.2rem .8rem;align-items:start}
.ladder li.achieved{border:2px solid var(--good);background:var(--good-bg)}.ladder li.achieved.none{border-color:var(--bad);background:var(--bad-bg)}
.ladder .rung{font-weight:700}.reqs{display:flex;flex-wrap:wrap;gap:.3rem .6rem}.req{white-space:normal}
.gauges{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.6rem 1.2rem}.gauge p{margin:0}.gauge svg{display:block;width:100%;height:auto}
.matrix-wrap{max-width:100%}table.matrix{font-size:.8em}table.matrix th,table.matrix td{padding:.15rem .2rem;text-align:center}table.matrix th.host,table.matrix td.host{text-align:left;width:34%}
table.matrix thead th{font-weight:600}table.matrix abbr{text-decoration:none}
.tl{font-size:.82rem}.tl-row{display:grid;grid-template-columns:9.5rem 1fr;gap:.5rem;align-items:center;margin:.12rem 0}.tl-track{position:relative;height:.9rem;background:var(--panel);border:1px solid var(--line);border-radius:3px;overflow:hidden}
.tl-track span{position:absolute;top:1px;bottom:1px;min-width:2px;background:var(--good);opacity:.75;border-radius:2px}.tl-track span.bad{background:var(--bad);opacity:1}.tl-track span.skip{background:var(--bar)}
.tl-axis{display:flex;justify-content:space-between;margin-left:10rem;color:var(--muted);font-size:.75rem}
details.host{border:1px solid var(--line);border-radius:6px;margin:.35rem 0;padding:.2rem .6rem}details.host>summary{font-weight:600}details.host table{margin:.3rem 0}
footer{margin-top:2rem;color:var(--muted);font-size:.85rem}.print-note{display:none}
@media (max-width:560px){body{font-size:14px;padding:.6rem}h1{font-size:1.6rem}.ctx{grid-template-columns:1fr}.ctx dt{margin-top:.3rem}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.stack tr{border:1px solid var(--line);border-radius:6px;margin:.4rem 0;padding:.2rem .4rem}table.stack td{border:0;padding:.1rem .2rem}
table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600}table.stack td.mark{text-align:left}
.ladder li{grid-template-columns:1fr}.tl-row{grid-template-columns:6.5rem 1fr}.tl-axis{margin-left:7rem}table.matrix th.host,table.matrix td.host{width:30%}}
@page{size:A4;margin:12mm 11mm 13mm}
@media print{:root{--fg:#000;--bg:#fff;--muted:#444;--line:#999;--panel:#f2f2f2;--good:#0b5a23;--bad:#8f0c22;--warn:#6a4200;--info:#04418f;--good-bg:#fff;--bad-bg:#fff;--warn-bg:#fff;--info-bg:#fff}
body{max-width:none;padding:0;font-size:9pt;line-height:1.35}h1{font-size:18pt}h2{font-size:11.5pt;margin:1rem 0 .4rem}.verdict{padding:.5rem .8rem}
.page-break{break-before:page}th,td{padding:.12rem .35rem}.ctx{gap:0 .8rem}.callout{padding:.2rem .6rem}.cause,.ladder li,tr,.gauge,details.host{break-inside:avoid}pre{white-space:pre-wrap}a{color:inherit;text-decoration:none}
details:not([open])>:not(summary){display:none}.noprint{display:none}
details.host>table{display:none}details.host{border:0;margin:0;padding:0 .2rem}.print-note{display:block}.howto pre{font-size:7.5pt}}
`;

const TONE_MARK: Record<Tone, string> = { good: '✔', warn: '!', bad: '✘', info: '?' };
const STATUS_CLASS: Record<CheckResult['status'], string> = { ok: 'good', failed: 'bad', timeout: 'bad', error: 'bad', skipped: 'skip' };
const ITEM_CLASS: Record<string, string> = { pass: 'good', fail: 'bad', warn: 'warn', 'not-checked': 'skip' };
const STATUS_WORD: Record<CheckResult['status'], string> = { ok: 'ok', failed: 'failed', timeout: 'timed out', skipped: 'not run', error: 'netready error' };

/** Short column names of the host × check matrix. */
const SHORT: Record<string, string> = {
  'probe.reach': 'probe', 'proxy.config': 'proxy', 'dns.resolve': 'DNS', 'dns.zone': 'zone', 'tcp.connect': 'TCP', 'tls.handshake': 'TLS', 'http.path': 'HTTP',
  'ws.upgrade': 'WS', 'sse.stream': 'SSE', 'conn.idle': 'idle', 'stun.binding': 'STUN', 'turn.allocate': 'TURN', 'udp.range': 'UDP', 'webrtc.ice': 'ICE',
  'quality.throughput': 'BW', 'quality.udp-train': 'train', 'quality.relay-train': 'relay', 'vpn.route': 'VPN', 'pcc.agent': 'PCC',
};
const CHECK_ORDER = Object.keys(SHORT);

export function renderHtml(report: Report): string {
  const h = headlineOf(report);
  const cov = coverageOf(report);
  const o: string[] = [];
  const title = `${h.text}: ${h.detail} · netready report`;
  o.push('<!doctype html>', '<html lang="en"><head><meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  o.push(`<title>${esc(title)}</title><style>${CSS}</style></head><body>`);

  // ---- page 1: the verdict, where it ran, the causes, the change list ---------------------------
  o.push(`<header class="verdict t-${h.tone}"><div role="status" aria-live="polite">`);
  o.push(`<p class="kicker">netready · ${esc(report.profiles.join(', '))}${typeof report.params.signDomain === 'string' ? ` · ${esc(report.params.signDomain)}` : ''}</p>`);
  o.push(`<h1><span aria-hidden="true">${TONE_MARK[h.tone]} </span>${esc(h.text)}</h1>`);
  o.push(`<p class="detail">${esc(h.detail)}</p>`);
  o.push(`<p>${esc(cov.text)}</p>`);
  if (report.tier !== null) o.push(`<p>Media tier: <strong>${esc(tierText(report))}</strong></p>`);
  o.push('</div></header><main>');

  o.push('<section aria-labelledby="h-context"><h2 id="h-context">Where and how this ran</h2><dl class="ctx">');
  for (const it of contextItems(report))
    o.push(`<dt>${esc(it.label)}</dt><dd>${brk(it.value)}${it.detail ? ` <details><summary>every host</summary> ${brk(it.detail)}</details>` : ''}</dd>`);
  o.push('</dl>');
  for (const u of report.unverified ?? []) o.push(`<p class="callout info"><strong>Not verified — ${esc(checklistLabel(u.checklist))}:</strong> ${brk(u.reason)}</p>`);
  for (const n of report.notes ?? []) o.push(`<p class="callout"><strong>Note:</strong> ${brk(n)}</p>`);
  o.push('</section>');

  o.push('<section aria-labelledby="h-causes"><h2 id="h-causes">Causes</h2>');
  if (report.causes.length === 0)
    o.push(`<p class="${h.outcome === 'incomplete' ? 'info' : 'good'}">${h.outcome === 'incomplete' ? 'No problem found in what was verified; the run is incomplete (see “Not verified”).' : 'No problem found.'}</p>`);
  else {
    o.push('<ol class="brief">');
    for (const c of report.causes)
      o.push(`<li><span class="sev ${c.severity}">${esc(c.severity)}</span> <a href="#cause-${esc(c.id)}">${brk(causeTitle(c))}</a> <span class="muted mono">${esc(c.id)}</span></li>`);
    o.push('</ol>');
  }
  o.push('</section>');

  const groups = changeGroups(report);
  if (groups.length) {
    o.push('<section aria-labelledby="h-changes"><h2 id="h-changes">Change list</h2>');
    o.push('<table class="stack changes"><thead><tr><th scope="col" style="width:40%">Destination</th><th scope="col" style="width:17%">Port</th><th scope="col" style="width:23%">Action</th><th scope="col" style="width:20%">Why</th></tr></thead><tbody>');
    for (const g of groups)
      o.push(
        `<tr><td data-label="Destination">${g.destinations.map((d) => (d.startsWith('any ') ? esc(d) : `<code>${brk(d)}</code>`)).join(', ')}</td><td data-label="Port">${esc(g.ports || 'any')}</td>` +
          `<td data-label="Action"><strong>${esc(g.action)}</strong>${g.detail ? `<br><span class="muted">${brk(g.detail)}</span>` : ''}</td><td data-label="Why">${g.why.map((w) => `<a href="#cause-${esc(w)}">${esc(w)}</a>`).join(', ')}</td></tr>`,
      );
    o.push('</tbody></table></section>');
  }

  // ---- page 2 on: what shows it -----------------------------------------------------------------
  o.push('<div class="page-break"></div>');
  if (report.tier !== null || report.quality) {
    o.push('<section aria-labelledby="h-media"><h2 id="h-media">Media path and quality</h2>');
    if (report.tier !== null) o.push(ladder(report));
    o.push(gauges(report));
    o.push('</section>');
  }

  if (report.causes.length) {
    o.push('<section aria-labelledby="h-detail"><h2 id="h-detail">The causes in detail</h2>');
    report.causes.forEach((c, i) => o.push(causeCard(report, c, i + 1)));
    o.push('</section>');
  }

  if (report.symptoms.length) {
    o.push('<section aria-labelledby="h-symptoms"><h2 id="h-symptoms">What users will see</h2><ul>');
    for (const s of report.symptoms) o.push(`<li>${esc(s.text)}${s.causes?.length ? ` <span class="muted">(${esc(s.causes.join(', '))})</span>` : ''}</li>`);
    o.push('</ul></section>');
  }

  if (report.checklist.length) {
    o.push('<section aria-labelledby="h-checklist"><h2 id="h-checklist">Pre-session checklist</h2><p class="muted">From the Virtual Room and RON Network Prerequisites; every caveat is shown, also on passed items.</p>');
    o.push('<table class="stack"><thead><tr><th scope="col" class="mark"><span class="sr">Status</span></th><th scope="col" style="width:42%">Item</th><th scope="col">Result</th></tr></thead><tbody>');
    for (const it of report.checklist)
      o.push(
        `<tr><td class="mark ${ITEM_CLASS[it.status]}"><span aria-hidden="true">${MARK[it.status]}</span><span class="sr">${esc(it.status)}</span></td>` +
          `<td data-label="Item"><strong>${esc(checklistLabel(it.id))}</strong><br><span class="muted">${esc(it.text ?? '')}</span></td>` +
          `<td data-label="Result"><span class="${ITEM_CLASS[it.status]}">${esc(it.status)}</span>${it.reason ? `: ${brk(it.reason)}` : ''}</td></tr>`,
      );
    o.push('</tbody></table></section>');
  }

  o.push(matrix(report));
  o.push(timeline(report));
  o.push(checksByHost(report));
  o.push(`</main><footer>${esc(report.schema)} · netready ${esc(report.tool.version)} · started ${esc(report.startedAt)}</footer></body></html>`, '');
  return o.join('\n');
}

function causeCard(r: Report, c: Cause, i: number): string {
  const o: string[] = [];
  o.push(`<article class="cause ${c.severity}" id="cause-${esc(c.id)}" aria-labelledby="cause-${esc(c.id)}-h">`);
  o.push(`<h3 id="cause-${esc(c.id)}-h">${i}. ${brk(causeTitle(c))}</h3>`);
  o.push(`<p><span class="sev ${c.severity}">${esc(c.severity)}</span> <span class="mono">${esc(c.id)}</span></p><p>${brk(c.summary)}</p>`);
  const facts = causeFacts(r, c);
  if (facts.length) {
    o.push('<p><strong>What was seen</strong></p><ul>');
    for (const f of facts)
      o.push(`<li><span class="mono">${esc(f.check)}</span> ${f.targets.length > 1 ? `on ${f.targets.length} targets: ` : ''}${f.targets.map((t) => `<code>${brk(t)}</code>`).join(', ')} → ${brk(f.result)}</li>`);
    o.push('</ul>');
  }
  o.push(`<p><strong>Fix:</strong> ${brk(c.remedy)}</p>`);
  if (c.howto?.length) {
    o.push(`<details class="howto"><summary>On your products: ${esc(c.howto.map((p) => p.product.replace(/ \(.*\)$/, '')).join(', '))}</summary>`);
    for (const p of c.howto) o.push(p.kind === 'config' ? `<p><strong>${esc(p.product)}</strong></p><pre><code>${esc(p.text)}</code></pre>` : `<p><strong>${esc(p.product)}:</strong> ${brk(p.text)}</p>`);
    o.push('</details>');
  }
  o.push('</article>');
  return o.join('\n');
}

// ---- the media-tier ladder (seed 000_637c892c7d775e13.txt section 2) ------------------------------

type Proof = { state: 'pass' | 'fail' | 'unknown'; by: string };

function proof(checks: CheckResult[], pick: (c: CheckResult) => boolean, ok: (c: CheckResult) => boolean = (c) => c.status === 'ok'): Proof {
  const rs = checks.filter(pick).filter((c) => c.status !== 'skipped');
  const good = rs.find(ok);
  if (good) return { state: 'pass', by: `${good.id} ${good.target}` };
  const bad = rs.find(isBadCheck) ?? rs[0];
  return bad ? { state: 'fail', by: `${bad.id} ${bad.target}: ${bad.error?.code ?? bad.status}` } : { state: 'unknown', by: 'not measured' };
}

function probeHostOf(r: Report): string | null {
  try {
    return r.context?.options?.probe ? new URL(r.context.options.probe).hostname.toLowerCase() : null;
  } catch {
    return null;
  }
}

function ladder(r: Report): string {
  const ch = r.checks;
  const udp3478 = proof(ch, (c) => (c.id === 'stun.binding' && c.target.startsWith('udp:')) || (c.id === 'turn.allocate' && c.target.startsWith('turn:udp:')));
  const range = proof(ch, (c) => c.id === 'udp.range', (c) => (typeof c.metrics.passRatio === 'number' ? c.metrics.passRatio >= 0.9 : c.status === 'ok'));
  const probeHost = probeHostOf(r);
  const tcp443 = proof(ch, (c) => c.id === 'tcp.connect' && /:443$/.test(c.target) && hostOfCheck(c) !== probeHost && !NOT_HOSTS.has(c.target));
  const overTls = proof(ch, (c) => c.id === 'turn.allocate' && c.target.startsWith('turn:tls:'));
  const turnTls = overTls.state === 'pass' ? overTls : proof(ch, (c) => c.id === 'turn.allocate' && /^turn:(tls|tcp):/.test(c.target));
  const chip = (name: string, p: Proof) =>
    `<span class="req ${p.state === 'pass' ? 'good' : p.state === 'fail' ? 'bad' : 'skip'}"><span aria-hidden="true">${p.state === 'pass' ? '✔' : p.state === 'fail' ? '✘' : '?'}</span> ${esc(name)} <span class="sr">${p.state === 'pass' ? 'works' : p.state === 'fail' ? 'fails' : 'not measured'}</span><span class="muted"> (${brk(p.by)})</span></span>`;
  const rungs: { id: string; name: string; reqs: string[] }[] = [
    { id: 'optimal', name: 'Optimal', reqs: [chip('UDP 3478', udp3478), chip('UDP 1025-65535', range), chip('TCP 443', tcp443)] },
    { id: 'recommended-minimum', name: 'Recommended minimum', reqs: [chip('UDP 3478', udp3478), chip('TCP 443', tcp443)] },
    { id: 'absolute-minimum', name: 'Absolute minimum', reqs: [chip('TURN over TLS on TCP 443', turnTls)] },
    { id: 'none', name: 'None', reqs: ['<span class="muted">no media path: “could not connect to media”</span>'] },
  ];
  const o = ['<h3>Media tier</h3><p class="muted">The three levels of the Virtual Room and RON Network Prerequisites; the highlighted rung is this network’s. Each port shows the check that proved it.</p><ol class="ladder">'];
  for (const x of rungs) {
    const here = r.tier === x.id;
    o.push(`<li class="${here ? 'achieved' : ''} ${x.id}"${here ? ' aria-current="true"' : ''}><span class="rung">${here ? '<span aria-hidden="true">▶ </span>' : ''}${esc(x.name)}${here ? ' <span class="sr">(this network)</span>' : ''}</span><span class="reqs">${x.reqs.join(' ')}</span></li>`);
  }
  o.push('</ol>');
  o.push(`<p>This network: <strong>${esc(r.tier ? (TIER_TEXT[r.tier] ?? r.tier) : 'not determined')}</strong>.</p>`);
  return o.join('\n');
}

// ---- quality gauges: each figure against its threshold (seed 000 "Bandwidth and performance") ----

interface GaugeSpec {
  label: string;
  value: number;
  text: string;
  /** The limit and which side is good. */
  limit: number;
  higherIsBetter: boolean;
  max: number;
  limitText: string;
}

function bar(g: GaugeSpec, usable: boolean): string {
  const W = 300;
  const x = (v: number) => Math.max(0, Math.min(W, (v / g.max) * W));
  const ok = g.higherIsBetter ? g.value >= g.limit : g.value <= g.limit;
  const cls = !usable ? 'skip' : ok ? 'good' : 'bad';
  const verdict = !usable ? 'no media path to use it' : ok ? 'within the limit' : 'outside the limit';
  const label = `${g.label} ${g.text}, ${g.limitText}: ${verdict}`;
  return (
    `<div class="gauge"><p><strong>${esc(g.label)}</strong> <span class="${cls}">${esc(g.text)}</span> <span class="muted">· ${esc(g.limitText)}</span></p>` +
    `<svg viewBox="0 0 ${W} 22" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title>` +
    `<rect x="0" y="6" width="${W}" height="10" rx="3" fill="var(--panel)" stroke="var(--line)"/>` +
    `<rect x="0" y="6" width="${x(g.value).toFixed(1)}" height="10" rx="3" fill="var(--${cls === 'skip' ? 'bar' : cls})"/>` +
    `<line x1="${x(g.limit).toFixed(1)}" x2="${x(g.limit).toFixed(1)}" y1="1" y2="21" stroke="var(--fg)" stroke-width="2"/></svg></div>`
  );
}

/** MOS on its 1-5 scale with the ITU-T G.107 satisfaction bands (R 50/60/70/80/90 ≈ MOS 2.6/3.1/3.6/4.0/4.3). */
function mosGauge(mos: number): string {
  const W = 300;
  const x = (v: number) => ((Math.max(1, Math.min(5, v)) - 1) / 4) * W;
  const bands: [number, number, string, string][] = [
    [1, 2.6, 'var(--bad)', 'not recommended'],
    [2.6, 3.6, 'var(--warn)', 'many users dissatisfied'],
    [3.6, 4.0, 'var(--bar)', 'some users dissatisfied'],
    [4.0, 5, 'var(--good)', 'satisfied'],
  ];
  const band = bands.find(([a, b]) => mos >= a && mos < b) ?? bands[bands.length - 1]!;
  const label = `MOS ${mos.toFixed(1)} on a scale of 1 to 5: ${band[3]}`;
  return (
    `<div class="gauge"><p><strong>MOS</strong> ${esc(mos.toFixed(1))} <span class="muted">· scale 1-5, ${esc(band[3])}</span></p>` +
    `<svg viewBox="0 0 ${W} 26" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title>` +
    bands.map(([a, b, fill]) => `<rect x="${x(a).toFixed(1)}" y="8" width="${(x(b) - x(a)).toFixed(1)}" height="8" fill="${fill}" opacity="0.55"/>`).join('') +
    `<polygon points="${x(mos).toFixed(1)},17 ${(x(mos) - 6).toFixed(1)},26 ${(x(mos) + 6).toFixed(1)},26" fill="var(--fg)"/><rect x="${(x(mos) - 1.5).toFixed(1)}" y="3" width="3" height="15" fill="var(--fg)"/></svg></div>`
  );
}

function gauges(r: Report): string {
  const q = r.quality;
  if (!q) return '';
  const usable = r.tier !== 'none';
  const o: string[] = ['<h3>Quality</h3>'];
  const where = typeof q.path === 'string' && q.path !== 'direct' ? ` The round trip, jitter and loss were measured through ${q.path === 'turn-tls' ? 'TURN over TLS 443' : 'TURN over UDP'}: the path media takes without direct UDP.` : '';
  o.push(`<p class="muted">Measured to the probe; the line marks the limit of the Virtual Room and RON Network Prerequisites (jitter: 30 ms).${where}${usable ? '' : ' No media path exists: no figure here carries video.'}</p><div class="gauges">`);
  const mbpsMax = (v: number) => Math.max(6e6, Math.min(v * 1.25, 100e6));
  if (q.downBps !== null) o.push(bar({ label: 'Download', value: q.downBps, text: fmtMetric('downBps', q.downBps), limit: 3e6, higherIsBetter: true, max: mbpsMax(q.downBps), limitText: 'at least 3 Mbps' }, usable));
  if (q.upBps !== null) o.push(bar({ label: 'Upload', value: q.upBps, text: fmtMetric('upBps', q.upBps), limit: 3e6, higherIsBetter: true, max: mbpsMax(q.upBps), limitText: 'at least 3 Mbps' }, usable));
  if (q.rttMs !== null) o.push(bar({ label: 'Round trip', value: q.rttMs, text: fmtMetric('rttMs', q.rttMs), limit: 150, higherIsBetter: false, max: Math.max(300, q.rttMs * 1.2), limitText: 'under 150 ms' }, usable));
  if (q.jitterMs !== null) o.push(bar({ label: 'Jitter', value: q.jitterMs, text: fmtMetric('jitterMs', q.jitterMs), limit: 30, higherIsBetter: false, max: Math.max(60, q.jitterMs * 1.2), limitText: 'at most 30 ms' }, usable));
  if (q.lossRatio !== null) o.push(bar({ label: 'Packet loss', value: q.lossRatio, text: fmtMetric('lossRatio', q.lossRatio), limit: 0.03, higherIsBetter: false, max: Math.max(0.1, q.lossRatio * 1.2), limitText: 'at most 3 %' }, usable));
  if (q.mos !== null) o.push(mosGauge(q.mos));
  o.push('</div>');
  const res = quality(r).find((x) => x.startsWith('video'));
  if (res) o.push(`<p>${esc(res[0]!.toUpperCase() + res.slice(1))} (the resolution the slower direction carries).</p>`);
  for (const l of qualityRelays(r)) o.push(`<p class="muted">${esc(l)}</p>`);
  return o.join('\n');
}

// ---- host × check matrix ---------------------------------------------------------------------

const RANK: Record<CheckResult['status'], number> = { error: 4, failed: 3, timeout: 3, ok: 1, skipped: 0 };

function matrix(r: Report): string {
  const hosts = groupByHost(r.checks).filter((g) => !NOT_HOSTS.has(g.host));
  if (hosts.length < 2) return '';
  const ids = [...new Set(r.checks.map((c) => c.id))].filter((id) => id !== 'proxy.config').sort((a, b) => (CHECK_ORDER.indexOf(a) + 1 || 99) - (CHECK_ORDER.indexOf(b) + 1 || 99));
  const o = ['<section aria-labelledby="h-matrix"><h2 id="h-matrix">Hosts × checks</h2><p class="muted">Each cell: the worst result of that check on that host (✔ ok, ✘ failed, – not run). A column of ✘ is a failure shared by many hosts.</p>'];
  o.push('<div class="matrix-wrap"><table class="matrix"><thead><tr><th scope="col" class="host">Host</th>');
  for (const id of ids) o.push(`<th scope="col"><abbr title="${esc(id)}">${esc(SHORT[id] ?? id)}</abbr></th>`);
  o.push('</tr></thead><tbody>');
  for (const g of hosts) {
    o.push(`<tr><th scope="row" class="host">${brk(g.host)}</th>`);
    for (const id of ids) {
      const cs = g.checks.filter((c) => c.id === id);
      if (!cs.length) {
        o.push('<td><span class="sr">no check</span></td>');
        continue;
      }
      const worst = cs.reduce((a, b) => (RANK[b.status] > RANK[a.status] ? b : a));
      const bad = cs.filter(isBadCheck).length;
      const label = `${id} on ${g.host}: ${cs.length > 1 ? `${cs.length} checks, ${bad} failed` : STATUS_WORD[worst.status]}`;
      o.push(`<td class="${STATUS_CLASS[worst.status]}" title="${esc(label)}"><span aria-hidden="true">${STATUS_MARK[worst.status]}${cs.length > 1 ? `<sub>${cs.length}</sub>` : ''}</span><span class="sr">${esc(label)}</span></td>`);
    }
    o.push('</tr>');
  }
  o.push('</tbody></table></div></section>');
  return o.join('\n');
}

// ---- the run's timeline: when each check started and how long it took -----------------------------

function timeline(r: Report): string {
  const timed = r.checks.filter((c) => typeof c.startMs === 'number');
  if (!timed.length) return '';
  const end = Math.max(r.durationMs, ...timed.map((c) => c.startMs! + c.durationMs), 1);
  const ids = [...new Set(timed.map((c) => c.id))].sort((a, b) => Math.min(...timed.filter((c) => c.id === a).map((c) => c.startMs!)) - Math.min(...timed.filter((c) => c.id === b).map((c) => c.startMs!)));
  const pct = (v: number) => ((v / end) * 100).toFixed(2);
  const o = ['<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline of the run</h2><p class="muted">One row per check; each bar is one target, from its start to its end (red: failed).</p><div class="tl">'];
  for (const id of ids) {
    const cs = timed.filter((c) => c.id === id);
    const from = Math.min(...cs.map((c) => c.startMs!));
    const to = Math.max(...cs.map((c) => c.startMs! + c.durationMs));
    const bad = cs.filter(isBadCheck).length;
    o.push(`<div class="tl-row"><span class="mono">${esc(id)}</span><div class="tl-track" role="img" aria-label="${esc(`${id}: ${cs.length} target${cs.length === 1 ? '' : 's'}, ${fmtMetric('startMs', from)} to ${fmtMetric('endMs', to)}${bad ? `, ${bad} failed` : ''}`)}">`);
    for (const c of cs) {
      const cls = isBadCheck(c) ? 'bad' : c.status === 'skipped' ? 'skip' : '';
      o.push(`<span class="${cls}" style="left:${pct(c.startMs!)}%;width:${pct(Math.max(c.durationMs, 0))}%" title="${esc(`${c.target}: ${fmtMetric('startMs', c.startMs!)} + ${fmtMetric('durationMs', c.durationMs)} (${STATUS_WORD[c.status]})`)}"></span>`);
    }
    o.push('</div></div>');
  }
  o.push(`</div><div class="tl-axis" aria-hidden="true"><span>0 s</span><span>${esc(fmtMetric('endMs', end / 2))}</span><span>${esc(fmtMetric('endMs', end))}</span></div></section>`);
  return o.join('\n');
}

// ---- every check, per host: failing hosts open, passing hosts collapsed ----------------------------

function checksByHost(r: Report): string {
  const n = checkCounts(r);
  const o = [`<section aria-labelledby="h-checks"><h2 id="h-checks">All checks</h2><p>${n.total} checks: <span class="good">${n.ok} ok</span>, <span class="bad">${n.bad} failed</span>, <span class="skip">${n.skipped} not run</span>.</p>`];
  const other = unexplainedFailures(r);
  if (other.length) {
    o.push('<p><strong>Failed, but no network cause</strong> (probe faults, the run deadline, netready errors: see the notes and the rows not verified):</p><ul>');
    for (const f of factsOf(other)) o.push(`<li><span class="mono">${esc(f.check)}</span> ${f.targets.map((t) => `<code>${brk(t)}</code>`).join(', ')} → ${brk(f.result)}</li>`);
    o.push('</ul>');
  }
  o.push('<p class="print-note muted">Printed: one line per host; the checks of each host are in the HTML file (and the matrix above).</p>');
  for (const g of groupByHost(r.checks)) {
    const ok = g.checks.filter((c) => c.status === 'ok').length;
    const skipped = g.checks.filter((c) => c.status === 'skipped').length;
    const mark = g.bad ? '✘' : ok ? '✔' : '–';
    const cls = g.bad ? 'bad' : ok ? 'good' : 'skip';
    o.push(`<details class="host${g.bad ? ' failing' : ''}"${g.bad ? ' open' : ''}><summary><span class="${cls}" aria-hidden="true">${mark}</span> ${brk(g.host)} <span class="muted">${g.bad ? `${g.bad} failed, ` : ''}${ok} ok${skipped ? `, ${skipped} not run` : ''}</span></summary>`);
    o.push('<table class="stack"><thead><tr><th scope="col" class="mark"><span class="sr">Status</span></th><th scope="col" style="width:24%">Check</th><th scope="col" style="width:34%">Target</th><th scope="col">Result</th></tr></thead><tbody>');
    for (const c of [...g.checks].sort((a, b) => Number(isBadCheck(b)) - Number(isBadCheck(a))))
      o.push(
        `<tr${isBadCheck(c) ? '' : ' class="okrow"'}><td class="mark ${STATUS_CLASS[c.status]}"><span aria-hidden="true">${STATUS_MARK[c.status]}</span><span class="sr">${esc(STATUS_WORD[c.status])}</span></td><td data-label="Check" class="mono">${esc(c.id)}</td>` +
          `<td data-label="Target"><code>${brk(c.target)}</code></td><td data-label="Result">${brk(outcomeText(c))}</td></tr>`,
      );
    o.push('</tbody></table></details>');
  }
  o.push('</section>');
  return o.join('\n');
}
