// Writes a report where the options ask: --json FILE|- , --html FILE, --md FILE, and the terminal.

import { writeFileSync } from 'node:fs';
import type { Report } from '../report/types.js';
import { toJson } from '../report/json.js';
import { renderHtml } from '../report/html.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderTerminal } from '../report/terminal.js';
import { UsageError } from '../shared/errors.js';

export interface OutputOptions {
  json?: string;
  html?: string;
  md?: string;
  verbose?: boolean;
  /** Suppress the terminal report (e.g. --quiet). */
  quiet?: boolean;
}

/** Write a file; a failure is bad usage naming the option and the file (exit 2). */
export function write(file: string, text: string, what: string) {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`${what}: cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function writeOutputs(report: Report, o: OutputOptions, out: NodeJS.WriteStream = process.stdout): void {
  const written: string[] = [];
  if (o.json && o.json !== '-') {
    write(o.json, toJson(report), '--json');
    written.push(o.json);
  }
  if (o.html) {
    write(o.html, renderHtml(report), '--html');
    written.push(o.html);
  }
  if (o.md) {
    write(o.md, renderMarkdown(report), '--md');
    written.push(o.md);
  }
  if (o.json === '-') {
    out.write(toJson(report));
    return;
  }
  if (!o.quiet) {
    const color = (process.env.NO_COLOR === undefined || process.env.NO_COLOR === '') && (Boolean(out.isTTY) || Boolean(process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0'));
    out.write(renderTerminal(report, { color, verbose: o.verbose, written }));
  }
}
