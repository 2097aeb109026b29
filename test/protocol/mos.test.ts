import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eModel, mosFrom, mosFromR } from '../../src/shared/mos.js';

test('E-model: the documented examples', () => {
  assert.equal(mosFrom(20, 1, 0).toFixed(2), '4.39');
  assert.equal(mosFrom(200, 1, 0).toFixed(2), '4.35');
  assert.equal(mosFrom(20, 1, 0.05).toFixed(2), '3.89');
});

test('E-model: delay beyond 177.3 ms one way costs more; loss and jitter lower MOS; bounds hold', () => {
  const m = eModel(400, 0, 0); // d = 220 ms
  assert.ok(Math.abs(m.id - (0.024 * 220 + 0.11 * (220 - 177.3))) < 1e-9);
  assert.ok(mosFrom(20, 0, 0.01) > mosFrom(20, 0, 0.05));
  assert.ok(mosFrom(20, 5, 0) > mosFrom(20, 40, 0));
  assert.equal(mosFromR(-5), 1);
  assert.equal(mosFromR(120), 4.5);
  assert.equal(mosFrom(5000, 500, 1), 1);
  for (const v of [mosFrom(NaN, NaN, NaN), mosFrom(-1, -1, -1)]) assert.ok(v >= 1 && v <= 4.5);
});
