import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { startStunServer } from '../../src/serve/stun.js';
import { runStun, planStun } from '../../src/checks/stun-binding.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { defaultConfig } from '../../src/shared/config.js';
import { makeCtx, task } from './media-support.js';

test('stun.binding over UDP and TCP against the real responder: mapped address and RTT', async (t) => {
  const srv = await startStunServer({ host: '127.0.0.1', port: 0 });
  t.after(() => srv.close());
  for (const kind of ['udp', 'tcp']) {
    const out = await runStun(task('stun.binding', `${kind}:127.0.0.1:${srv.port}`), makeCtx());
    assert.equal(out.status, 'ok', JSON.stringify(out));
    assert.match(String(out.details!.mapped), /^127\.0\.0\.1:\d+$/);
    assert.equal(out.details!.software, 'netready');
    assert.ok(out.metrics!.rttMs >= 0 && out.metrics!.rttMs < 500);
    if (kind === 'udp') assert.equal(out.metrics!.answeredCount, 3);
  }
});

test('UDP silence: failed STUN_NO_RESPONSE within the bounded time', async (t) => {
  // A bound socket that never answers (no ICMP unreachable either).
  const mute = dgram.createSocket('udp4');
  await new Promise<void>((r) => mute.bind(0, '127.0.0.1', r));
  t.after(() => mute.close());
  const t0 = Date.now();
  const out = await runStun(task('stun.binding', `udp:127.0.0.1:${mute.address().port}`), makeCtx());
  assert.equal(out.status, 'failed');
  assert.equal(out.error!.code, 'STUN_NO_RESPONSE');
  assert.ok(Date.now() - t0 < 2600, `${Date.now() - t0} ms`);
});

test('majority rule: one of three transactions lost still gives ok', async (t) => {
  // A relay in front of the real responder that drops the first datagram of each new transaction id
  // once, for one transaction only: the answer must not flip.
  const srv = await startStunServer({ host: '127.0.0.1', port: 0 });
  t.after(() => srv.close());
  const front = dgram.createSocket('udp4');
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
  t.after(() => front.close());
  const back = dgram.createSocket('udp4');
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', r));
  t.after(() => back.close());
  let client: dgram.RemoteInfo | null = null;
  let dropTid: string | null = null;
  front.on('message', (m, r) => {
    client = r;
    const tid = m.subarray(8, 20).toString('hex');
    dropTid ??= tid;
    if (tid === dropTid) return; // this transaction is always lost (all its retransmits)
    back.send(m, srv.port, '127.0.0.1');
  });
  back.on('message', (m) => client && front.send(m, client.port, client.address));
  const out = await runStun(task('stun.binding', `udp:127.0.0.1:${front.address().port}`), makeCtx());
  assert.equal(out.status, 'ok');
  assert.equal(out.metrics!.answeredCount, 2);
});

test('TCP refused: failed TCP_REFUSED', async () => {
  const out = await runStun(task('stun.binding', 'tcp:127.0.0.1:9'), makeCtx()).catch((e) => ({ status: e.kind, error: { code: e.code } }));
  assert.equal(out.status, 'failed');
  assert.equal(out.error!.code, 'TCP_REFUSED');
});

test('plan: probe gets UDP+TCP 3478; vendor media hosts (seed 002) only a binding; no media, no tasks', () => {
  const vr = loadProfiles(['onespan-virtual-room'], {});
  assert.deepEqual(planStun(vr, defaultConfig({ probe: 'https://probe.lab:8443' })).map((x) => x.target), ['udp:probe.lab:3478', 'tcp:probe.lab:3478']);
  assert.deepEqual(planStun(vr, defaultConfig()), []);
  const ot = planStun(loadProfiles(['opentok-2013'], {}), defaultConfig());
  assert.ok(ot.length > 0 && ot.some((x) => x.target === 'udp:turn401-oak.tokbox.com:3478') && ot.some((x) => x.target === 'tcp:turn401-oak.tokbox.com:3478'));
  assert.deepEqual(planStun(loadProfiles(['pcc-local-agent'], {}), defaultConfig({ probe: 'https://p' })), []);
});
