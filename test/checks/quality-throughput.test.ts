import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServe } from '../../src/serve/server.js';
import { bandwidthServeModule } from '../../src/serve/bandwidth.js';
import { planThroughput, runThroughput } from '../../src/checks/quality-throughput.js';
import { availableBpsFrom } from '../../src/checks/quality-schedule.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { defaultConfig } from '../../src/shared/config.js';
import { makeCtx, task } from './media-support.js';

test('quality.throughput against netready serve on loopback: both directions, bounded, read by the train', async (t) => {
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }], modules: [bandwidthServeModule()] });
  t.after(() => serve.close());
  const ctx = makeCtx({ probe: serve.urls[0], caPem: [serve.caPem!], qualityMs: 2000 });
  const t0 = Date.now();
  const out = await runThroughput(task('quality.throughput', '127.0.0.1'), ctx);
  const took = Date.now() - t0;
  assert.equal(out.status, 'ok', JSON.stringify(out));
  const m = out.metrics!;
  for (const k of Object.keys(m)) assert.match(k, /^[a-z][A-Za-z0-9]*(Ms|Bps|Ratio|Bytes|Count)$/, 'metric names carry their unit');
  assert.ok(m.downBps > 50e6 && m.upBps > 50e6, `${m.downBps} ${m.upBps}`);
  assert.ok(m.wsRttMs >= 0 && m.wsRttMs < 50);
  assert.equal(out.details!.videoResolution, '1080p');
  assert.ok(took < 2000 + 1500, `${took} ms for a 2 s quality phase`);
  const r = { id: 'quality.throughput', target: '127.0.0.1', status: out.status, durationMs: took, metrics: m, error: null };
  assert.equal(availableBpsFrom({ waited: { k: r } }), Math.min(m.downBps, m.upBps), 'the train reads the slower direction');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(serve.connections(), 0, 'both connections closed');
});

test('a serve without the bandwidth module: failed THROUGHPUT_NO_DATA, not a hang', async (t) => {
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => serve.close());
  const ctx = makeCtx({ probe: serve.urls[0], caPem: [serve.caPem!], qualityMs: 1000 });
  const out = await runThroughput(task('quality.throughput', '127.0.0.1'), ctx);
  assert.equal(out.status, 'failed');
  assert.equal(out.error!.code, 'THROUGHPUT_NO_DATA');
  const r = { id: 'quality.throughput', target: '127.0.0.1', status: out.status, durationMs: 1, metrics: out.metrics ?? {}, error: out.error ?? null };
  assert.equal(availableBpsFrom({ waited: { k: r } }), null, 'nothing for the train to read');
});

test('plan: only with --probe, a media profile and --quality-seconds > 0', () => {
  const vr = loadProfiles(['onespan-virtual-room'], {});
  assert.equal(planThroughput(vr, defaultConfig()).length, 0);
  assert.equal(planThroughput(vr, defaultConfig({ probe: 'https://p.lab:8443', qualityMs: 0 })).length, 0);
  assert.deepEqual(planThroughput(vr, defaultConfig({ probe: 'https://p.lab:8443' })).map((x) => x.target), ['p.lab']);
});
