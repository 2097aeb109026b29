// Exit 3: a netready bug after the evidence was gathered still writes a report (contract).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { validateReport } from '../../src/report/validate.js';

test('a verdict that throws: exit 3, one line on stderr, the report still written with the evidence', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nr-internal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const raw = join(dir, 'raw.json');
  // A null result is nothing a check can produce: the verdict trips over it.
  writeFileSync(raw, JSON.stringify({
    schema: 'netready/raw@1', tool: { name: 'netready', version: '0.1.0' }, profiles: ['onespan-virtual-room'], params: {},
    hosts: [], media: true, proxy: { explicit: null, pac: null, env: {} }, startedAt: '2026-11-25T00:00:00.000Z', durationMs: 5,
    deadlineHit: false,
    results: [null, { id: 'tcp.connect', target: 'a.example:443', status: 'ok', durationMs: 1, metrics: { connectMs: 1 }, error: null }],
  }));
  const out = join(dir, 'report.json');
  const res = await runCli(['check', '--from-raw', raw, '--json', out]);
  assert.equal(res.code, 3);
  assert.match(res.stderr.trim(), /^netready: internal error: the verdict failed: /);
  assert.equal(res.stderr.trim().split('\n').length, 1);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(report.ready, false);
  assert.deepEqual(report.checks.map((c: { target: string }) => c.target), ['a.example:443']);
  assert.match(report.notes.join(' '), /internal error/);
  assert.deepEqual(validateReport(report), []);
});
