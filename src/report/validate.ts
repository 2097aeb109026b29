// Validates a report object against schema/report.v1.json (netready/report@1) with ajv.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

/** The schema file, from src/report/ (tsx) or dist/report/ (built): both are two levels below the package root. */
export const SCHEMA_URL = new URL('../../schema/report.v1.json', import.meta.url);

let compiled: ValidateFunction | null = null;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  // ajv and ajv-formats are CommonJS; require() sidesteps the default-export interop of NodeNext.
  const AjvCtor = require('ajv') as typeof import('ajv').default;
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  const ajv = new AjvCtor({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  addFormats(ajv);
  compiled = ajv.compile(JSON.parse(readFileSync(SCHEMA_URL, 'utf8')));
  return compiled;
}

const describe = (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`;

/** The schema violations of `obj`, one line each; empty when it is a valid netready/report@1. */
export function validateReport(obj: unknown): string[] {
  const v = validator();
  if (v(obj)) return [];
  return [...new Set((v.errors ?? []).map(describe))];
}
