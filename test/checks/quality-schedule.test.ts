// The quality phase is one schedule computed at plan time and enforced by the engine (after + named
// deadlines): the WebRTC sessions, then quality.throughput, then the direct train, then the relay trains.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProfiles } from '../../src/profiles/load.js';
import { defaultConfig } from '../../src/shared/config.js';
import { planThroughput } from '../../src/checks/quality-throughput.js';
import { planUdpTrain } from '../../src/checks/quality-udp-train.js';
import { planRelayTrain } from '../../src/checks/quality-relay-train.js';
import { qualitySchedule, throughputBudgetMs, trainDurationMs } from '../../src/checks/quality-schedule.js';

test('plan: each part of the quality phase starts after the one before it, with a named deadline', () => {
  const vr = loadProfiles(['onespan-virtual-room'], {});
  const config = defaultConfig({
    probe: 'https://p.lab:8443',
    qualityMs: 5000,
    probeInfo: { stun: null, udpEcho: { host: 'p.lab', ports: [40000, 40001] }, turn: { urls: ['turn:p.lab:3478?transport=udp', 'turns:p.lab:443?transport=tcp'] } },
  });
  const [thr] = planThroughput(vr, config);
  const [train] = planUdpTrain(vr, config);
  const relays = planRelayTrain(vr, config);
  assert.deepEqual(thr.after?.map((k) => k.split(' ')[0]), ['webrtc.ice', 'webrtc.ice', 'webrtc.ice', 'webrtc.ice']);
  assert.deepEqual(train.after, [thr.key]);
  assert.equal(relays.length, 2);
  for (const r of relays) {
    assert.deepEqual(r.after, [thr.key, train.key]);
    assert.deepEqual(r.dependsOn, [`turn.allocate ${r.target}`]);
  }
  const s = qualitySchedule(config.qualityMs, config.timeouts);
  assert.deepEqual([thr.window, train.window, relays[0].window], [s.throughput, s.udpTrain, s.relayTrain]);
  assert.equal(s.throughput.notBeforeMs, 1000);
  assert.equal(s.udpTrain.latestMs, throughputBudgetMs(5000, config.timeouts));
  assert.equal(s.relayTrain.latestMs, s.udpTrain.latestMs! + trainDurationMs(5000) + 3000);
  assert.ok(s.throughput.latestMs! < s.udpTrain.latestMs! && s.udpTrain.latestMs! < s.relayTrain.latestMs!);
  for (const w of Object.values(s)) assert.match(w.name, /^quality\.[a-z-]+: after /);
});

test('the schedule is plain data on the task: a copy of the config between plan and run changes nothing', () => {
  const vr = loadProfiles(['onespan-virtual-room'], {});
  const config = defaultConfig({ probe: 'https://p.lab:8443', qualityMs: 2000 });
  const a = planUdpTrain(vr, config);
  const b = planUdpTrain(vr, structuredClone(config));
  assert.deepEqual(a, b);
});
