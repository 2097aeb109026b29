import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { startUdpEcho } from '../../src/serve/udp-echo.js';
import { runUdpRange, planUdpRange } from '../../src/checks/udp-range.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { defaultConfig } from '../../src/shared/config.js';
import { makeCtx, startProbe, task } from './media-support.js';

test('udp.range: every echo port answers -> ok, passRatio 1', async (t) => {
  const secret = randomBytes(32);
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0, 0, 0, 0, 0, 0], secret });
  t.after(() => echo.close());
  const probe = await startProbe({ echo: { secret, host: '127.0.0.1', ports: echo.ports } });
  t.after(() => probe.close());
  const t0 = Date.now();
  const out = await runUdpRange(task('udp.range', '127.0.0.1'), makeCtx({ probe: probe.url }));
  assert.equal(out.status, 'ok', JSON.stringify(out));
  assert.equal(out.metrics!.passRatio, 1);
  assert.deepEqual(Object.values(out.details!.ports as object), Array(6).fill('ok'));
  assert.ok(Date.now() - t0 < 1000, `${Date.now() - t0} ms`);
});

test('udp.range: closed ports are "lost", passRatio counts them', async (t) => {
  const secret = randomBytes(32);
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0, 0, 0], secret });
  t.after(() => echo.close());
  // Two ports where nothing echoes (a bound mute socket, and a port bound by another secret's echo).
  const mute = dgram.createSocket('udp4');
  await new Promise<void>((r) => mute.bind(0, '127.0.0.1', r));
  t.after(() => mute.close());
  const other = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret: 'other' });
  t.after(() => other.close());
  const ports = [...echo.ports, mute.address().port, other.ports[0]];
  const probe = await startProbe({ echo: { secret, host: '127.0.0.1', ports } });
  t.after(() => probe.close());
  const out = await runUdpRange(task('udp.range', '127.0.0.1'), makeCtx({ probe: probe.url }));
  assert.equal(out.status, 'failed');
  assert.equal(out.error!.code, 'UDP_RANGE_PARTIAL');
  assert.equal(out.metrics!.passRatio, 0.6);
  const d = out.details!.ports as Record<string, string>;
  assert.equal(d[String(mute.address().port)], 'lost');
  assert.equal(d[String(other.ports[0])], 'lost', 'a foreign token is never answered');
  assert.equal(other.stats.answered, 0);
});

test('plan: with a probe one task on its host; without, skipped with a reason', async () => {
  const vr = loadProfiles(['onespan-virtual-room'], {});
  assert.deepEqual(planUdpRange(vr, defaultConfig({ probe: 'https://probe.lab:8443' })).map((x) => x.target), ['probe.lab']);
  const none = planUdpRange(vr, defaultConfig());
  assert.equal(none.length, 1);
  const out = await runUdpRange(none[0], makeCtx());
  assert.equal(out.status, 'skipped');
  assert.match(out.reason!, /--probe/);
});
