// `netready report NEW.json --compare OLD.json`: fixed, new and unchanged causes, outcome and tier
// before/after, quality figures with their change — terminal, --md FILE, --html FILE.

import { basename } from 'node:path';
import type { Report } from '../report/types.js';
import { REPORT_SCHEMA } from '../report/types.js';
import { compareReports, outcomeOf, renderCompareHtml, renderCompareMarkdown, renderCompareTerminal } from '../report/compare.js';
import { readReport } from './report-command.js';
import { UsageError } from '../shared/errors.js';
import { write, type OutputOptions } from './output.js';
import { useColor } from './check-command.js';

/** A report compare can read: the fields it uses have their shape (else one line, exit 2). */
function comparable(file: string): Report {
  const r = readReport(file);
  const bad = (what: string) => new UsageError(`report: ${file} is not a ${REPORT_SCHEMA} report: ${what}`);
  const list = (v: unknown) => Array.isArray(v);
  if (typeof r.ready !== 'boolean') throw bad('"ready" is not true or false');
  if (!list(r.causes) || !r.causes.every((c) => c && typeof c.id === 'string' && typeof c.summary === 'string')) throw bad('"causes" is not a list of causes');
  if (!list(r.checklist) || !r.checklist.every((c) => c && typeof c.id === 'string')) throw bad('"checklist" is not a list of items');
  if (!list(r.profiles)) throw bad('"profiles" is not a list');
  if (r.tier !== null && typeof r.tier !== 'string') throw bad('"tier" is not a tier or null');
  if (r.quality !== null && (typeof r.quality !== 'object' || Array.isArray(r.quality))) throw bad('"quality" is not an object or null');
  if (typeof r.params !== 'object' || r.params === null) throw bad('"params" is not an object');
  return r;
}

export const EXIT_FOR_OUTCOME = { ready: 0, 'not-ready': 1, incomplete: 4 } as const;

export async function compareCommand(newFile: string, oldFile: string, o: OutputOptions): Promise<number> {
  if (o.json) throw new UsageError('--json cannot be combined with --compare (the comparison is written with --md or --html, or shown in the terminal)');
  const after = comparable(newFile);
  const before = comparable(oldFile);
  const c = compareReports(before, after, { before: basename(oldFile), after: basename(newFile) });
  if (o.md) write(o.md, renderCompareMarkdown(c), '--md');
  if (o.html) write(o.html, renderCompareHtml(c), '--html');
  if (!o.quiet) process.stdout.write(renderCompareTerminal(c, { color: useColor(process.stdout) }));
  // The exit code says where the network is now, as `check` would.
  return EXIT_FOR_OUTCOME[outcomeOf(after)];
}
