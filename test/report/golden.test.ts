// Rebuilds every fixture's report and compares it with the golden files.
// UPDATE_GOLDEN=1 node --import tsx --test test/report/golden.test.ts  regenerates them.
// The golden JSON does not repeat the raw results: its checks reference the raw fixture
// (test/support/golden.ts), and the report's checks are held equal to them here.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { toJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { validateReport } from '../../src/report/validate.js';
import { buildReport } from '../../src/verdict/index.js';
import { goldenText } from '../support/golden.js';

const RAW = fileURLToPath(new URL('../fixtures/raw/', import.meta.url));
const GOLDEN = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

for (const f of readdirSync(RAW).filter((x) => x.endsWith('.json')).sort()) {
  const name = f.slice(0, -5);
  it(`golden ${name}`, () => {
    const raw = JSON.parse(readFileSync(join(RAW, f), 'utf8'));
    const report = buildReport(raw);
    const json = toJson(report);
    assert.deepEqual(validateReport(JSON.parse(json)), [], 'the report validates against schema/report.v1.json');
    // What the golden file leaves out: the report carries the raw results, every one, unchanged.
    assert.deepEqual(JSON.parse(json).checks, raw.results, 'the report\'s checks are the raw results');
    const outputs: Record<string, string> = {
      [`${name}.report.json`]: goldenText(json, name),
      [`${name}.md`]: renderMarkdown(report),
      [`${name}.txt`]: renderTerminal(report, { color: false }),
    };
    for (const [file, text] of Object.entries(outputs)) {
      const path = join(GOLDEN, file);
      if (update || !existsSync(path)) {
        if (!update) assert.fail(`${file} missing: run with UPDATE_GOLDEN=1`);
        writeFileSync(path, text);
        continue;
      }
      assert.equal(text, readFileSync(path, 'utf8'), `${file} differs from the golden file (UPDATE_GOLDEN=1 to accept)`);
    }
  });
}
