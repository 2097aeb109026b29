// `netready report NEW --compare OLD`: goldens of the comparison of two reports recorded in the lab
// (test/fixtures/compare/README.md), both ways, in the terminal, Markdown and HTML; the outcome
// field when a report has one.
// UPDATE_GOLDEN=1 node --import tsx --test test/report/compare.test.ts  regenerates the goldens.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compareReports, outcomeOf, renderCompareHtml, renderCompareMarkdown, renderCompareTerminal } from '../../src/report/compare.js';
import type { Report } from '../../src/report/types.js';
import { validateReport } from '../../src/report/validate.js';

const DIR = fileURLToPath(new URL('../fixtures/compare/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const read = (f: string) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Report;
const before = read('lab-before.report.json');
const after = read('lab-after.report.json');

function golden(file: string, text: string): void {
  const path = join(DIR, file);
  if (update) return writeFileSync(path, text);
  assert.ok(existsSync(path), `${file} missing: run with UPDATE_GOLDEN=1`);
  assert.equal(text, readFileSync(path, 'utf8'), `${file} differs from the golden file (UPDATE_GOLDEN=1 to accept)`);
}

test('the recorded reports are real netready/report@1 reports', () => {
  assert.deepEqual(validateReport(before), []);
  assert.deepEqual(validateReport(after), []);
});

test('golden: loss fixed, UDP range still closed, cobrowsingapi.com newly dropped (lab-after vs lab-before)', () => {
  const c = compareReports(before, after, { before: 'lab-before.report.json', after: 'lab-after.report.json' });
  assert.deepEqual(c.fixed.map((x) => x.id), ['packet-loss']);
  assert.deepEqual(c.added.map((x) => x.id), ['tcp-blocked']);
  assert.deepEqual(c.unchanged.map((x) => x.after.id), ['udp-range-blocked']);
  assert.deepEqual([c.before.outcome, c.after.outcome, c.outcome, c.direction], ['ready', 'not-ready', 'worse', 'worse']);
  assert.equal(c.tier, 'same');
  const loss = c.quality.find((q) => q.metric === 'lossRatio')!;
  assert.equal(loss.direction, 'better');
  assert.ok(loss.change! < -0.05, `loss went from ${loss.before} to ${loss.after}`);
  golden('after-vs-before.compare.txt', renderCompareTerminal(c, { color: false }));
  golden('after-vs-before.compare.md', renderCompareMarkdown(c));
  golden('after-vs-before.compare.html', renderCompareHtml(c));
});

test('golden: the other way round (lab-before vs lab-after)', () => {
  const c = compareReports(after, before, { before: 'lab-after.report.json', after: 'lab-before.report.json' });
  assert.deepEqual(c.fixed.map((x) => x.id), ['tcp-blocked']);
  assert.deepEqual(c.added.map((x) => x.id), ['packet-loss']);
  assert.equal(c.direction, 'better');
  golden('before-vs-after.compare.txt', renderCompareTerminal(c, { color: false }));
  golden('before-vs-after.compare.md', renderCompareMarkdown(c));
  golden('before-vs-after.compare.html', renderCompareHtml(c));
});

test('a report with `outcome` is read by it; without, READY/NOT READY come from `ready`', () => {
  assert.equal(outcomeOf(before), 'ready');
  assert.equal(outcomeOf(after), 'not-ready');
  const incomplete = { ...before, causes: [], outcome: 'incomplete', unverified: [{ checklist: 'video-domains-and-media', reason: 'no probe (--probe)' }] } as unknown as Report;
  assert.equal(outcomeOf(incomplete), 'incomplete');
  const c = compareReports(incomplete, before, { before: 'a', after: 'b' });
  assert.deepEqual([c.before.outcome, c.after.outcome, c.outcome], ['incomplete', 'ready', 'better']);
  assert.match(renderCompareTerminal(c, { color: false }), /INCOMPLETE → READY \(improved\)/);
  // Same outcome and tier: the number of causes decides; the same report: no change at all.
  const same = compareReports(before, before, { before: 'a', after: 'a' });
  assert.equal(same.direction, 'same');
  assert.ok(same.quality.every((q) => q.direction === 'same' && (typeof q.before === 'string' || q.change === 0)));
  assert.match(renderCompareTerminal(same, { color: false }), /READY → READY \(no change\)/);
});

test('runs of other profiles or another Sign domain are compared, with a note', () => {
  const other = { ...after, profiles: ['vonage-video'], params: { ...after.params, signDomain: 'eu.esignlive.com' } } as Report;
  const c = compareReports(before, other, { before: 'a', after: 'b' });
  assert.deepEqual(c.notes, [
    'the runs checked other profiles: onespan-virtual-room before, vonage-video after',
    'parameter signDomain differs: apps.esignlive.com before, eu.esignlive.com after',
  ]);
});

test('the HTML is one self-contained, escaped page', () => {
  const evil = { ...after, causes: [{ ...after.causes[0]!, summary: '<script>alert(1)</script> & "x"' }] } as Report;
  const html = renderCompareHtml(compareReports(before, evil, { before: 'a<b>', after: 'b' }));
  assert.ok(!html.includes('<script>'), 'no markup from a report');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;'));
  assert.ok(html.includes('a&lt;b&gt;'));
  assert.doesNotMatch(html, /<(script|link|img)\b|src=|href=/i, 'no external asset, no script');
});
