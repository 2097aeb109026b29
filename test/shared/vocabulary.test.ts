// The ids every layer shares come from one list (src/shared/vocabulary.ts): the report schema's
// enums are those lists, so a cause added in one place and not the other fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { CAUSE_IDS, CHECK_STATUSES, CHECKLIST_IDS, CHECKLIST_STATUSES, SEVERITIES } from '../../src/shared/vocabulary.js';
import { BROWSER_CAUSES } from '../../src/shared/browser.js';
import { CHECKLIST_ORDER } from '../../src/verdict/checklist.js';

const schema = JSON.parse(fs.readFileSync(new URL('../../schema/report.v1.json', import.meta.url), 'utf8')) as {
  definitions: Record<string, { properties: Record<string, { enum?: string[]; items?: { enum?: string[] } }> }>;
};
const enumOf = (def: string, prop: string) => schema.definitions[def].properties[prop].enum;

test('the report schema enumerates exactly the shared cause, checklist, severity and status ids', () => {
  assert.deepEqual(enumOf('cause', 'id'), [...CAUSE_IDS]);
  assert.deepEqual(schema.definitions.symptom.properties.causes.items?.enum, [...CAUSE_IDS]);
  assert.deepEqual(enumOf('cause', 'severity'), [...SEVERITIES]);
  assert.deepEqual(enumOf('checklistItem', 'id'), [...CHECKLIST_IDS]);
  assert.deepEqual(enumOf('checklistItem', 'status'), [...CHECKLIST_STATUSES]);
  assert.deepEqual(enumOf('check', 'status'), [...CHECK_STATUSES]);
  assert.deepEqual(CHECKLIST_ORDER, CHECKLIST_IDS, 'the verdict lists the checklist in the seed order');
  const causes: readonly string[] = CAUSE_IDS;
  for (const c of BROWSER_CAUSES) assert.ok(causes.includes(c), `browser page cause ${c} is a cause id`);
});
