// `netready report FILE` checks its input against schema/report.v1.json, through the real CLI
// process: not JSON, not a report, an invalid report and a newer schema version are bad input
// (exit 2, one line on stderr, no stack trace); a saved report renders again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { loadGolden } from '../support/golden.js';

const dir = mkdtempSync(join(tmpdir(), 'nr-report-input-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const golden = () => loadGolden('clean-media') as unknown as Record<string, unknown>;

function file(name: string, content: string): string {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
}

async function assertBadInput(f: string, pattern: RegExp): Promise<void> {
  const res = await runCli(['report', f]);
  assert.equal(res.code, 2, `exit 2, got ${res.code}; stderr: ${res.stderr}`);
  const lines = res.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${res.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(res.stderr, /internal error|\n\s+at /, 'no internal error, no stack trace');
  assert.equal(res.stdout, '', 'no report rendered');
}

test('a truncated report is not JSON', async () => {
  const text = JSON.stringify(golden(), null, 2);
  await assertBadInput(file('truncated.json', text.slice(0, text.length / 2)), /^netready: report: .*truncated\.json is not JSON: /);
});

test('JSON that is not a report: no schema, another schema, not an object', async () => {
  await assertBadInput(file('plain.json', '{"hello": 1}'), /plain\.json is not a netready\/report@1 report \(schema: null\)/);
  await assertBadInput(file('raw.json', '{"schema": "netready/raw@1", "results": []}'), /raw\.json is not a netready\/report@1 report \(schema: "netready\/raw@1"\)/);
  await assertBadInput(file('array.json', '[1, 2, 3]'), /array\.json is not a netready\/report@1 report/);
  await assertBadInput(file('null.json', 'null'), /null\.json is not a netready\/report@1 report/);
});

test('the schema line alone, or a field the schema forbids, names what is wrong', async () => {
  // The example: it used to end in exit 3, "Cannot read properties of undefined (reading 'filter')".
  await assertBadInput(file('bare.json', '{"schema":"netready/report@1"}'), /bare\.json is not a valid netready\/report@1 report: .*must have required property/);
  const bad = { ...golden(), tier: 'best' };
  await assertBadInput(file('tier.json', JSON.stringify(bad)), /tier\.json is not a valid netready\/report@1 report: \/tier must be equal to one of the allowed values/);
  const noChecks = { ...golden(), checks: 'none' };
  await assertBadInput(file('checks.json', JSON.stringify(noChecks)), /checks\.json is not a valid netready\/report@1 report: \/checks must be array/);
});

test('a report of a newer schema version: written by a newer netready', async () => {
  const newer = { ...golden(), schema: 'netready/report@2' };
  await assertBadInput(file('newer.json', JSON.stringify(newer)), /newer\.json is a netready\/report@2 report, written by a newer netready; this one \(\d+\.\d+\.\d+\) reads netready\/report@1/);
});

test('a valid saved report renders again (exit as check: 0 ready)', async () => {
  const res = await runCli(['report', file('clean-media.report.json', JSON.stringify(golden(), null, 2)), '--json', '-']);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout), golden());
});
