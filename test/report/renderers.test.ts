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
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
    assert.ok(html.includes('O&#39;Brien &amp; Co'));
    assert.doesNotMatch(html, /\b(src|href)\s*=/i, 'no external assets');
    assert.doesNotMatch(html, /@import|url\(/i);
    assert.match(html, /@media print/);
    assert.match(html, /^<!doctype html>/);
  });
});

describe('markdown', () => {
  it('escapes table cells', () => {
    const md = renderMarkdown(hostile());
    assert.ok(!md.includes('<script>'));
    for (const line of md.split('\n').filter((l) => l.startsWith('| ') && l.includes('alert'))) {
      const cells = line.split(/(?<!\\)\|/).length;
      assert.equal(cells, 7, `a row keeps its 5 cells: ${line}`);
    }
  });
});

describe('terminal', () => {
  it('has no escape codes without colour and colours with it', () => {
    const rep = buildReport(raw('combo-office-proxy'));
    const plain = renderTerminal(rep, { color: false });
    assert.doesNotMatch(plain, /\x1b\[/);
    assert.match(plain, /^NOT READY/);
    assert.match(plain, /✘ cobrowse-reachable-uninspected/);
    assert.match(plain, /– camera-mic-policy — browser page only/);
    assert.match(renderTerminal(rep, { color: true }), /\x1b\[/);
  });
  it('puts failing hosts first and verbose shows every check', () => {
    const rep = buildReport(raw('tcp-blocked'));
    const plain = renderTerminal(rep, { color: false });
    const section = plain.slice(plain.indexOf('Checks by host'));
    assert.match(section.split('\n')[1]!, /✘ anvil\.opentok\.com/);
    const verbose = renderTerminal(rep, { color: false, verbose: true });
    assert.ok(verbose.split('\n').length > plain.split('\n').length);
    assert.match(verbose, /connect 1\d(\.\d)? ms/);
  });
  it('READY headline for a clean run', () => {
    assert.match(renderTerminal(buildReport(raw('clean-media')), { color: false }), /^READY .*optimal/);
  });
  it('INCOMPLETE headline, and every unverified row with its reason, in every format', () => {
    const rep = buildReport(raw('clean'));
    const term = renderTerminal(rep, { color: false });
    assert.match(term, /^INCOMPLETE /);
    assert.match(term, /not verified: video-domains-and-media — no probe \(--probe\)/);
    assert.match(renderMarkdown(rep), /^# netready: INCOMPLETE/);
    assert.match(renderMarkdown(rep), /\*\*Not verified:\*\* video-domains-and-media/);
    assert.match(renderHtml(rep), /<h1 class="incomplete">netready: INCOMPLETE<\/h1>/);
    assert.match(renderHtml(rep), /Not verified: sse-unbuffered-idle/);
  });
});

describe('json', () => {
  it('keeps the contract key order and round-trips', () => {
    const rep = buildReport(raw('clean-media'));
    const text = toJson(rep);
    const obj = JSON.parse(text);
    assert.deepEqual(Object.keys(obj), ['schema', 'tool', 'profiles', 'params', 'startedAt', 'durationMs', 'ready', 'outcome', 'unverified', 'tier', 'causes', 'symptoms', 'checklist', 'checks', 'quality', 'context']);
    assert.deepEqual(Object.keys(obj.checks[1]), ['id', 'target', 'status', 'durationMs', 'metrics', 'error', 'details']);
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
  const res = (status: CheckResult['status'], code?: string): CheckResult => ({
    id: 'tcp.connect', target: 'a.test:443', status, durationMs: 12, metrics: {}, error: code ? { code, message: 'x' } : null,
  });
  it('prints one plain line per finished check on a non-TTY', () => {
    let out = '';
    const p = createProgress({ write: (s: string) => (out += s) }, { tty: false, color: false });
    const t = { id: 'tcp.connect', target: 'a.test:443' };
    p.start(t);
    p.finish(t, res('ok'));
    p.start(t);
    p.finish(t, res('failed', 'TCP_REFUSED'));
    p.done();
    assert.equal(out, 'ok      tcp.connect a.test:443 12 ms\nfailed  tcp.connect a.test:443 TCP_REFUSED\n');
  });
  it('rewrites one line on a TTY, keeps failures, clears at the end', () => {
    let out = '';
    let clock = 0;
    const p = createProgress({ write: (s: string) => (out += s), columns: 60 }, { tty: true, color: false, now: () => clock });
    const t = { id: 'tcp.connect', target: 'a.test:443' };
    p.start(t);
    clock += 10;
    p.start({ id: 'dns.resolve', target: 'b.test' }); // throttled
    p.finish(t, res('failed', 'TCP_TIMEOUT'));
    p.done();
    p.done();
    assert.match(out, /^\r\x1b\[2K0 done, 1 running: tcp\.connect a\.test:443/);
    assert.match(out, /✘ tcp\.connect a\.test:443 TCP_TIMEOUT\n/);
    assert.ok(out.endsWith('\r\x1b[2K'));
    assert.equal(out.split('running').length, 3, 'two redraws: the first start and after the failure');
  });
});
