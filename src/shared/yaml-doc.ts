// A YAML document read and validated against a valibot schema, every failure one UsageError line
// naming the document and the field: shared by profiles (src/profiles/load.ts) and lab scenarios.
import * as v from 'valibot';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { UsageError } from './errors.js';

function issuePath(issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((p) => String((p as { key: unknown }).key));
  return keys.length ? keys.join('.') : '(top level)';
}

export interface YamlDocOptions {
  /** YAML merge keys (`<<:`). */
  merge?: boolean;
  /**
   * "expected …" from the schema's own words where it has them (valibot's defaults start
   * "Invalid"), else valibot's expectation (">=0", "number").
   */
  schemaMessages?: boolean;
}

/** Parse `text` as YAML and validate it; `label` names the document in errors ("profile x.yaml"). */
export function parseYamlDoc<S extends v.GenericSchema>(schema: S, text: string, label: string, o: YamlDocOptions = {}): v.InferOutput<S> {
  let doc: unknown;
  try {
    doc = parseYaml(text, o.merge ? { merge: true } : {});
  } catch (e) {
    const msg = e instanceof YAMLParseError ? e.message.split('\n')[0] : (e as Error).message;
    throw new UsageError(`${label}: not valid YAML: ${msg}`);
  }
  const res = v.safeParse(schema, doc);
  if (res.success) return res.output;
  const issue = res.issues[0];
  if (issue.expected === 'never') throw new UsageError(`${label}: field ${issuePath(issue)}: not a known field`);
  const got = issue.input === undefined ? 'nothing' : JSON.stringify(issue.input)?.slice(0, 60);
  const expected = o.schemaMessages && issue.message && !issue.message.startsWith('Invalid ') ? issue.message : (issue.expected ?? issue.message);
  throw new UsageError(`${label}: field ${issuePath(issue)}: expected ${expected}, got ${got}`);
}
