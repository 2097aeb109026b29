// Validates a report object against schema/report.v1.json (netready/report@1) with ajv.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { readAsset } from '../assets.js';

/** The schema's asset name (src/assets.ts: the package directory, or the executable's assets). */
export const SCHEMA_ASSET = 'schema/report.v1.json';

// ajv-formats is CommonJS: its default export is the plugin in Node, `.default` of it in a bundle.
const addFormats = ((ajvFormats as unknown as { default?: typeof ajvFormats }).default ?? ajvFormats) as unknown as typeof ajvFormats.default;

let compiled: ValidateFunction | null = null;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  addFormats(ajv);
  const schema = readAsset(SCHEMA_ASSET);
  if (schema === null) throw new Error(`${SCHEMA_ASSET} is missing from the installation`);
  compiled = ajv.compile(JSON.parse(schema));
  return compiled;
}

const describe = (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`;

/** The schema violations of `obj`, one line each; empty when it is a valid netready/report@1. */
export function validateReport(obj: unknown): string[] {
  const v = validator();
  if (v(obj)) return [];
  return [...new Set((v.errors ?? []).map(describe))];
}
