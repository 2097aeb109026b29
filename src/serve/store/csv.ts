// The CSV export (RFC 4180): one header line, then one line per report. Cells that a spreadsheet
// would run as a formula (= + - @, tab, CR at the start: a site name is uploader-controlled text)
// are prefixed with an apostrophe (OWASP "CSV injection").

import type { CsvRow } from './types.js';

export const CSV_COLUMNS: readonly (keyof CsvRow)[] = [
  'id', 'time', 'receivedAt', 'site', 'label', 'source', 'outcome', 'tier', 'causes', 'inviteId',
  'downBps', 'upBps', 'rttMs', 'jitterMs', 'lossRatio', 'mos',
];

const NUMERIC = new Set<keyof CsvRow>(['id', 'inviteId', 'downBps', 'upBps', 'rttMs', 'jitterMs', 'lossRatio', 'mos']);

export function csvCell(v: string, numeric = false): string {
  let s = v;
  if (!numeric && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(r: CsvRow): string {
  return CSV_COLUMNS.map((k) => csvCell(String(r[k]), NUMERIC.has(k))).join(',') + '\r\n';
}

/** The export as lines (header first), streamed from the store's rows. */
export async function* csvLines(rows: AsyncIterable<CsvRow>): AsyncIterable<string> {
  yield CSV_COLUMNS.join(',') + '\r\n';
  for await (const r of rows) yield csvLine(r);
}
