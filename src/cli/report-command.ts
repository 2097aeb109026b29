// `netready report FILE`: render a saved JSON report again (terminal, --html, --md, --json).

import { readFileSync } from 'node:fs';
import type { Report } from '../report/types.js';
import { REPORT_SCHEMA } from '../report/types.js';
import { UsageError } from './errors.js';
import { writeOutputs, type OutputOptions } from './output.js';
import { exitCodeFor } from '../report/common.js';

export function readReport(file: string): Report {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`report: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: Report;
  try {
    doc = JSON.parse(text) as Report;
  } catch (e) {
    throw new UsageError(`report: ${file} is not JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc?.schema !== REPORT_SCHEMA) throw new UsageError(`report: ${file} is not a ${REPORT_SCHEMA} report (schema: ${JSON.stringify(doc?.schema)})`);
  return doc;
}

export async function reportCommand(file: string, o: OutputOptions): Promise<number> {
  const report = readReport(file);
  writeOutputs(report, o);
  return exitCodeFor(report);
}
