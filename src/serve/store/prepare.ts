// What happens to a document before any backend sees it (pure, no I/O): size limit, JSON parse,
// schema validation (report@1 with src/report/validate.ts, browser@1 with the page's own check),
// the redaction pass, and the indexed columns derived from it.

import { createHash } from 'node:crypto';
import { REPORT_SCHEMA, type Report, type Tier } from '../../report/types.js';
import { validateReport } from '../../report/validate.js';
import { BROWSER_SCHEMA, browserResultsProblem, type BrowserResults } from '../browser-page.js';
import { StoreValidationError } from './errors.js';
import type { Redactor } from './redact.js';
import { OUTCOMES, type Outcome, type QualityFigures, type Source, type StoredDoc } from './types.js';

export const DEFAULT_MAX_DOC_BYTES = 1024 * 1024;
/** A report's startedAt may run ahead of the store's clock by this much (clock skew), no more. */
export const MAX_FUTURE_MS = 24 * 3600_000;
/** Sites and labels: one line of text. */
export const MAX_NAME_CHARS = 200;

export interface Prepared {
  source: Source;
  outcome: Outcome;
  tier: Tier | null;
  causes: string[];
  timeMs: number;
  quality: QualityFigures;
  /** The redacted document as stored. */
  docText: string;
  bytes: number;
  redactions: number;
}

const QUALITY_KEYS = ['downBps', 'upBps', 'rttMs', 'jitterMs', 'lossRatio', 'mos'] as const;

function invalid(message: string, problems: string[] = [message]): StoreValidationError {
  return new StoreValidationError('STORE_INVALID', message, problems);
}

/** Parse what an upload hands over: an object, JSON text or JSON bytes. */
export function parseDoc(input: unknown, maxBytes: number): unknown {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
    if (bytes > maxBytes) throw new StoreValidationError('STORE_TOO_LARGE', `report is ${bytes} bytes, more than the limit of ${maxBytes}`);
    const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
    try {
      return JSON.parse(text);
    } catch (e) {
      throw invalid(`not JSON: ${(e as Error).message}`);
    }
  }
  return input;
}

/** The outcome a document stands for: its own `outcome` when it has one, else derived. */
export function deriveOutcome(doc: StoredDoc): Outcome {
  const own = (doc as { outcome?: unknown }).outcome;
  if (typeof own === 'string' && (OUTCOMES as readonly string[]).includes(own)) return own as Outcome;
  if (doc.schema === REPORT_SCHEMA) return (doc as Report).ready ? 'ready' : 'not-ready';
  // browser@1 has no `ready`: the page's own verdict is "not ready" when a blocking cause holds.
  return (doc as BrowserResults).causes.some((c) => c.severity === 'blocking') ? 'not-ready' : 'ready';
}

function qualityOf(doc: StoredDoc): QualityFigures {
  const q = doc.schema === REPORT_SCHEMA ? (doc as Report).quality : null;
  const out = {} as QualityFigures;
  for (const k of QUALITY_KEYS) {
    const v = q ? q[k] : null;
    out[k] = typeof v === 'number' && Number.isFinite(v) ? v : null;
  }
  return out;
}

/** Validate the schema and shape; throws StoreValidationError listing the problems. */
export function validateDoc(doc: unknown): StoredDoc {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw invalid('not a JSON object');
  const schema = (doc as { schema?: unknown }).schema;
  if (schema === REPORT_SCHEMA) {
    const problems = validateReport(doc);
    if (problems.length) throw invalid(`not a valid ${REPORT_SCHEMA} report: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`, problems);
    return doc as Report;
  }
  if (schema === BROWSER_SCHEMA) {
    const problem = browserResultsProblem(doc);
    if (problem) throw invalid(`not a valid ${BROWSER_SCHEMA} document: ${problem}`);
    return doc as BrowserResults;
  }
  if (typeof schema === 'string' && /^netready\/(report|browser)@\d+$/.test(schema))
    throw invalid(`schema "${schema}" is not one this netready stores (${REPORT_SCHEMA}, ${BROWSER_SCHEMA}): upgrade the probe`);
  throw invalid(`"schema" must be "${REPORT_SCHEMA}" or "${BROWSER_SCHEMA}"`);
}

/** A site or label as stored: trimmed one-line text, or null. */
export function cleanName(what: string, v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid(`${what}: expected text`);
  const s = v.trim();
  if (!s) return null;
  if (s.length > MAX_NAME_CHARS) throw invalid(`${what}: longer than ${MAX_NAME_CHARS} characters`);
  if (/[\u0000-\u001f\u007f]/.test(s)) throw invalid(`${what}: control characters are not allowed`);
  return s;
}

export function prepare(input: unknown, opts: { maxBytes: number; nowMs: number; redactor: Redactor }): Prepared {
  const parsed = parseDoc(input, opts.maxBytes);
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(parsed) ?? '');
    } catch (e) {
      throw invalid(`not serialisable as JSON: ${(e as Error).message}`);
    }
    if (size > opts.maxBytes) throw new StoreValidationError('STORE_TOO_LARGE', `report is ${size} bytes, more than the limit of ${opts.maxBytes}`);
  }
  const valid = validateDoc(parsed);
  const timeMs = Date.parse(valid.startedAt);
  if (!Number.isFinite(timeMs)) throw invalid('startedAt: not a date');
  if (timeMs > opts.nowMs + MAX_FUTURE_MS) throw invalid(`startedAt ${valid.startedAt} is more than a day ahead of the probe's clock`);
  const { value: doc, count } = opts.redactor.value(valid);
  const docText = JSON.stringify(doc);
  return {
    source: doc.schema === REPORT_SCHEMA ? 'cli' : 'browser',
    outcome: deriveOutcome(doc),
    tier: doc.schema === REPORT_SCHEMA ? (doc as Report).tier : null,
    causes: [...new Set(doc.causes.map((c) => c.id as string))],
    timeMs,
    quality: qualityOf(doc),
    docText,
    bytes: Buffer.byteLength(docText),
    redactions: count,
  };
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The identity of an upload: the same bytes for the same site and invite are one report (idempotent retries). */
export function digestOf(p: Prepared, site: string | null, inviteId: number | null): string {
  return sha256(`${p.source}\n${site ?? ''}\n${inviteId ?? ''}\n${p.docText}`);
}
