// The link.jitterMs knob of lab scenario files: accepted per direction, a bad value is one clear
// UsageError naming the file and the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../lab/scenario.js';
import { UsageError } from '../../src/shared/errors.js';

const base = 'description: jitter knob\npending: schema test only\n';

test('link.jitterMs: up/down in ms, with or without delayMs', () => {
  const s = parseScenario(`${base}link: { jitterMs: { up: 40, down: 10 } }\n`, 'j.yaml');
  assert.deepEqual(s.link?.jitterMs, { up: 40, down: 10 });
  const d = parseScenario(`${base}link: { delayMs: { up: 20 }, jitterMs: { down: 5 } }\n`, 'j.yaml');
  assert.equal(d.link?.jitterMs?.down, 5);
  assert.equal(d.link?.jitterMs?.up, undefined);
});

test('link.jitterMs: a bad value names the file and the field', () => {
  for (const [bad, want] of [
    ['{ up: -1 }', /^scenario j\.yaml: field link\.jitterMs\.up: expected >=0, got -1$/],
    ['{ down: 5000 }', /field link\.jitterMs\.down: expected <=1000, got 5000$/],
    ['{ up: "40ms" }', /field link\.jitterMs\.up: expected number, got "40ms"$/],
    ['{ both: 3 }', /field link\.jitterMs\.both/],
    ['20', /field link\.jitterMs: expected Object, got 20$/],
  ] as const) {
    assert.throws(
      () => parseScenario(`${base}link: { jitterMs: ${bad} }\n`, 'j.yaml'),
      (e: unknown) => e instanceof UsageError && want.test(e.message) && !e.message.includes('\n'),
      bad,
    );
  }
});
