import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { CheckResult } from '../../src/checks/types.js';
import { renderHtml } from '../../src/report/html.js';
import { toJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { createProgress } from '../../src/report/progress.js';
import { renderTerminal } from '../../src/report/terminal.js';
import type { RawRun, Report } from '../../src/report/types.js';
import { validateReport } from '../../src/report/validate.js';
import { buildReport } from '../../src/verdict/index.js';
import type { ErrorCode } from '../../src/shared/error-codes.js';

const raw = (name: string): RawRun => JSON.parse(readFileSync(new URL(`../fixtures/raw/${name}.json`, import.meta.url), 'utf8'));

/** A report whose strings try to break out of every format. */
function hostile(): Report {
  const r = raw('tls-inspection');
  const evil = '<script>alert("x")</script>&|*_`';
  r.results = r.results.map((x) =>
    x.id === 'tls.handshake' && x.error ? { ...x, error: { ...x.error, message: evil }, details: { ...x.details, issuer: { CN: evil, O: "O'Brien & Co" } } } : x,
  );
  return buildReport(r);
}

describe('html', () => {
  it('is self-contained and escapes everything', () => {
    const html = renderHtml(hostile());
    assert.ok(!html.includes('<script'), 'no raw script tag');
    assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/<wbr>script&gt;/);
    assert.match(html, /O&#39;Brien &amp; Co/);
    assert.doesNotMatch(html, /\bsrc\s*=/i, 'no external assets');
    for (const m of html.matchAll(/\bhref\s*=\s*"([^"]*)"/gi)) assert.match(m[1]!, /^#/, 'links stay inside the page');
    assert.doesNotMatch(html, /@import|url\(/i);
    assert.match(html, /@media print/);
    assert.match(html, /@page\{size:A4/);
    assert.match(html, /^<!doctype html>/);
  });
  it('the verdict, the coverage and the change list come first; quality as SVG gauges; a matrix and a timeline', () => {
    const html = renderHtml(buildReport(raw('combo-office-proxy')));
    assert.match(html, /<title>NOT READY: 3 blocking causes, 2 degrading · netready report<\/title>/);
    const at = (s: string) => html.indexOf(s);
    assert.ok(at('role="status"') < at('NOT READY</h1>'));
    assert.ok(at('7 of 9 pre-session items verified') < at('id="h-context"'));
    assert.ok(at('id="h-changes"') < at('class="page-break"'), 'the change list before the page break');
    assert.ok(at('class="page-break"') < at('id="h-detail"'));
    assert.match(html, /<svg viewBox="0 0 300 22" role="img" aria-label="Download 9\.1 Mbps, at least 3 Mbps: within the limit">/);
    assert.match(html, /<ol class="ladder">[\s\S]*class="achieved absolute-minimum"/);
    assert.match(html, /<table class="matrix">/);
    assert.match(html, /id="h-timeline"/);
    assert.match(html, /<details class="host failing" open><summary>/);
    assert.match(html, /<details class="host"><summary><span class="good" aria-hidden="true">✔<\/span> apps\.<wbr>esignlive\.<wbr>com/);
  });
  it('READY WITH WARNINGS where degrading causes hold; MOS on its scale', () => {
    const html = renderHtml(buildReport(raw('udp-blocked-relay-quality')));
    assert.match(html, /<h1><span aria-hidden="true">! <\/span>READY WITH WARNINGS<\/h1>/);
    assert.match(html, /aria-label="MOS 4\.\d on a scale of 1 to 5: /);
  });
});

describe('markdown', () => {
  it('keeps hostile text inert without a single backslash escape', () => {
    const md = renderMarkdown(hostile());
    assert.doesNotMatch(md.replace(/^```[\s\S]*?^```/gm, ''), /\\/, 'no backslash outside code blocks');
    for (const line of md.split('\n').filter((l) => l.startsWith('| ') && l.includes('alert'))) assert.equal(line.split('|').length, 7, `a row keeps its 5 cells: ${line}`);
  });
});

describe('terminal', () => {
  it('has no escape codes without colour and colours with it; 80 columns', () => {
    const rep = buildReport(raw('combo-office-proxy'));
    const plain = renderTerminal(rep, { color: false });
    assert.doesNotMatch(plain, /\x1b\[/);
    assert.match(plain, /^NOT READY · 3 blocking causes, 2 degrading\n7 of 9 pre-session items verified \(3 failed\)/);
    assert.match(plain, /✘ Co-browsing reachable, not inspected — tls-inspection/);
    assert.match(plain, /– Camera and microphone policy — browser page only/);
    for (const l of plain.split('\n')) assert.ok([...l].length <= 80, l);
    assert.match(renderTerminal(rep, { color: true }), /\x1b\[/);
  });
  it('one failure shared by many hosts is printed once, under its cause, with the host list cut and where the rest is', () => {
    const plain = renderTerminal(buildReport(raw('tls-inspection')), { color: false });
    assert.equal(plain.split('TLS_CERT_UNTRUSTED').length - 1, 0, 'no per-host error lines');
    assert.equal((plain.match(/seen tls\.handshake on 16 targets/g) ?? []).length, 1);
    assert.match(plain.replace(/\n\s+/g, ' '), /and 13 more \(full list in the JSON, Markdown and HTML reports\)/);
  });
  it('ends with the verdict, the causes in one line each and the files written; verbose lists every check', () => {
    const rep = buildReport(raw('tcp-blocked'));
    const plain = renderTerminal(rep, { color: false, written: ['out.json', 'out.html'] });
    const tail = plain.trimEnd().split('\n').slice(-3);
    assert.deepEqual(tail, ['NOT READY · 1 blocking cause · 5 of 9 items verified', '  ✘ TCP 443 to anvil.opentok.com dropped (no answer)', 'wrote out.json, out.html']);
    const verbose = renderTerminal(rep, { color: false, verbose: true });
    assert.ok(verbose.split('\n').length > plain.split('\n').length);
    assert.match(verbose, /✘ anvil\.opentok\.com\n {4}✘ tcp\.connect anvil\.opentok\.com:443 TCP_TIMEOUT/);
  });
  it('READY for a clean run, READY WITH WARNINGS for degrading causes', () => {
    assert.match(renderTerminal(buildReport(raw('clean-media')), { color: false }), /^READY · nothing wrong found\n9 of 9|^READY · nothing wrong found\n7 of 9/);
    assert.match(renderTerminal(buildReport(raw('packet-loss')), { color: false }), /^READY WITH WARNINGS · 1 degrading cause\n/);
  });
  it('INCOMPLETE headline, and every unverified row with its reason, in every format', () => {
    const rep = buildReport(raw('clean'));
    const term = renderTerminal(rep, { color: false }).replace(/\n {2,}(?=\S)/g, ' ');
    assert.match(term, /^INCOMPLETE · nothing wrong found in what was verified/);
    assert.match(term, /not verified: Video domains and a media path \(no probe\)/);
    assert.match(term, /– Video domains and a media path — no probe \(--probe\): measuring the media path/);
    assert.match(renderMarkdown(rep), /^# netready: INCOMPLETE/);
    assert.match(renderMarkdown(rep), /> \*\*Not verified — Video domains and a media path:\*\* no probe/);
    assert.match(renderHtml(rep), /INCOMPLETE<\/h1>/);
    assert.match(renderHtml(rep), /Not verified — Event stream unbuffered, idle ≥ 4 h/);
  });
});

describe('json', () => {
  it('keeps the contract key order and round-trips', () => {
    const rep = buildReport(raw('clean-media'));
    const text = toJson(rep);
    const obj = JSON.parse(text);
    assert.deepEqual(Object.keys(obj), ['schema', 'tool', 'profiles', 'params', 'startedAt', 'durationMs', 'ready', 'outcome', 'unverified', 'tier', 'causes', 'symptoms', 'checklist', 'checks', 'quality', 'context']);
    assert.deepEqual(Object.keys(obj.checks[1]), ['id', 'target', 'status', 'durationMs', 'startMs', 'metrics', 'error', 'details']);
    const withCause = JSON.parse(toJson(buildReport(raw('combo-office-proxy'))));
    assert.equal(Object.keys(withCause).at(-1), 'changes');
    assert.deepEqual(Object.keys(withCause.causes[0]), ['id', 'severity', 'title', 'summary', 'evidence', 'remedy', 'targets', 'facts', 'changes', 'howto']);
    assert.ok(text.startsWith('{\n  "schema": "netready/report@1"'));
    assert.equal(toJson(JSON.parse(text)), text, 'stable when re-rendered from its own output');
  });
});

describe('schema', () => {
  it('rejects what the contract forbids', () => {
    const good = JSON.parse(toJson(buildReport(raw('udp-blocked'))));
    assert.deepEqual(validateReport(good), []);
    const bad = (f: (r: any) => void) => {
      const c = structuredClone(good);
      f(c);
      return validateReport(c);
    };
    assert.notDeepEqual(bad((r) => (r.tier = 'great')), []);
    assert.notDeepEqual(bad((r) => (r.causes[0].id = 'made-up')), []);
    assert.notDeepEqual(bad((r) => (r.checks[1].error = { code: 'lower_case', message: 'x' })), []);
    assert.notDeepEqual(bad((r) => (r.checks[1].metrics = { connect: 3 })), []);
    assert.notDeepEqual(bad((r) => (r.checks[1].status = 'weird')), []);
    assert.notDeepEqual(bad((r) => (r.checklist[6].reason = undefined)), []);
    assert.notDeepEqual(bad((r) => (r.schema = 'netready/report@2')), []);
    assert.notDeepEqual(bad((r) => delete r.quality), []);
  });
});

describe('progress', () => {
  const res = (status: CheckResult['status'], code?: ErrorCode): CheckResult => ({
    id: 'tcp.connect', target: 'a.test:443', status, durationMs: 12, metrics: {}, error: code ? { code, message: 'x' } : null,
  });
  it('prints one plain line per finished check on a non-TTY, with done/total', () => {
    let out = '';
    const p = createProgress({ write: (s: string) => (out += s) }, { tty: false, color: false });
    p.plan?.(2);
    const t = { id: 'tcp.connect', target: 'a.test:443' };
    p.start(t);
    p.finish(t, res('ok'));
    p.start(t);
    p.finish(t, res('failed', 'TCP_REFUSED'));
    p.done();
    assert.equal(out, '[1/2] ok      tcp.connect a.test:443 12 ms\n[2/2] failed  tcp.connect a.test:443 TCP_REFUSED\n');
  });
  it('rewrites one line on a TTY with done/total, elapsed time and the phase; keeps failures; clears at the end', () => {
    let out = '';
    let clock = 0;
    const p = createProgress({ write: (s: string) => (out += s), columns: 80 }, { tty: true, color: false, now: () => clock });
    p.plan?.(3, { idleWindowMs: 10_000, qualityMs: 5000 });
    const t = { id: 'tcp.connect', target: 'a.test:443' };
    const idle = { id: 'conn.idle', target: 'wss://p.test/ws#idle' };
    clock = 1200;
    p.start(idle);
    clock = 1300;
    p.start(t);
    clock = 1310;
    p.start({ id: 'dns.resolve', target: 'b.test' }); // throttled
    p.finish(t, res('failed', 'TCP_TIMEOUT'));
    clock = 4000;
    p.finish({ id: 'dns.resolve', target: 'b.test' }, res('ok'));
    p.done();
    p.done();
    assert.match(out, /\r\x1b\[2K\[0\/3\] 1\.2 s · holding idle connections 10 s · conn\.idle wss:\/\/p\.test\/ws#idle/);
    assert.match(out, /\r\x1b\[2K\[0\/3\] 1\.3 s · connecting · tcp\.connect a\.test:443/);
    assert.match(out, /✘ tcp\.connect a\.test:443 TCP_TIMEOUT\n/);
    assert.match(out, /\[2\/3\] 4\.0 s · holding idle connections 10 s · 1 failed/);
    assert.ok(out.endsWith('\r\x1b[2K'));
    for (const l of out.split(/\r\x1b\[2K|\n/)) assert.ok([...l].length <= 79, l);
  });
});
