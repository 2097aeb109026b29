// Golden reports (test/fixtures/golden/NAME.report.json) are stored without the raw results they
// repeat: their `checks` is a reference to the raw fixture's `results` ({"$ref": "raw/NAME.json#/results"}),
// which the golden test holds equal to what the report carries. Load them through loadGolden: a
// whole report (valid netready/report@1), checks included. No node:test import: the bench uses it.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../src/report/types.js';

export const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');
export const GOLDEN_DIR = path.join(FIXTURES, 'golden');

/** What a golden report holds in place of its checks. */
export function checksRef(name: string): { $ref: string } {
  return { $ref: `raw/${name}.json#/results` };
}

/** The golden file's text for a report's JSON (toJson's): the same, with `checks` the reference. */
export function goldenText(reportJson: string, name: string): string {
  const doc = JSON.parse(reportJson) as Record<string, unknown>;
  return JSON.stringify({ ...doc, checks: checksRef(name) }, null, 2) + '\n';
}

/** A whole report from a golden file (its checks read from the raw fixture it references). */
export function loadGoldenFile(file: string): Report {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const ref = doc.checks as { $ref?: unknown } | unknown[];
  if (!Array.isArray(ref)) {
    const m = typeof ref?.$ref === 'string' ? /^(raw\/[\w.-]+\.json)#\/results$/.exec(ref.$ref) : null;
    if (!m) throw new Error(`${file}: checks is neither a list nor a {"$ref": "raw/NAME.json#/results"}`);
    doc.checks = (JSON.parse(readFileSync(path.join(FIXTURES, m[1]), 'utf8')) as { results: unknown[] }).results;
  }
  return doc as unknown as Report;
}

/** The golden report NAME, whole, as a fresh object. */
export function loadGolden(name: string): Report {
  return loadGoldenFile(path.join(GOLDEN_DIR, `${name}.report.json`));
}
