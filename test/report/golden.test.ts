// Rebuilds every fixture's report and compares it with the golden files.
// UPDATE_GOLDEN=1 node --import tsx --test test/report/golden.test.ts  regenerates them.
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

const RAW = fileURLToPath(new URL('../fixtures/raw/', import.meta.url));
const GOLDEN = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

for (const f of readdirSync(RAW).filter((x) => x.endsWith('.json')).sort()) {
  const name = f.slice(0, -5);
  it(`golden ${name}`, () => {
    const report = buildReport(JSON.parse(readFileSync(join(RAW, f), 'utf8')));
    const json = toJson(report);
    assert.deepEqual(validateReport(JSON.parse(json)), [], 'the report validates against schema/report.v1.json');
    const outputs: Record<string, string> = {
      [`${name}.report.json`]: json,
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
