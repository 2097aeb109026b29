// `netready report FILE`: render a saved JSON report again (terminal, --html, --md, --json).

import { readFileSync } from 'node:fs';
import type { Report } from '../report/types.js';
import { REPORT_SCHEMA } from '../report/types.js';
import { UsageError } from '../shared/errors.js';
import { writeOutputs, type OutputOptions } from './output.js';
import { exitCodeFor } from '../report/common.js';
import { validateReport } from '../report/validate.js';
import { VERSION } from '../shared/version.js';

const SCHEMA_RE = /^netready\/report@(\d+)$/;

/** A saved report, validated against schema/report.v1.json: anything else is bad input (exit 2, one line). */
export function readReport(file: string): Report {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`report: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`report: ${file} is not JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const schema = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { schema?: unknown }).schema : undefined;
  const version = typeof schema === 'string' ? SCHEMA_RE.exec(schema)?.[1] : undefined;
  const ours = Number(SCHEMA_RE.exec(REPORT_SCHEMA)![1]);
  if (version !== undefined && Number(version) > ours)
    throw new UsageError(`report: ${file} is a ${schema} report, written by a newer netready; this one (${VERSION}) reads ${REPORT_SCHEMA}`);
  if (schema !== REPORT_SCHEMA) throw new UsageError(`report: ${file} is not a ${REPORT_SCHEMA} report (schema: ${JSON.stringify(schema ?? null)})`);
  const problems = validateReport(doc);
  if (problems.length)
    throw new UsageError(`report: ${file} is not a valid ${REPORT_SCHEMA} report: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`);
  return doc as Report;
}

export async function reportCommand(file: string, o: OutputOptions): Promise<number> {
  const report = readReport(file);
  writeOutputs(report, o);
  return exitCodeFor(report);
}
