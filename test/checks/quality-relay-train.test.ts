// quality.relay-train against a real coturn on loopback: the packet train goes through the relay
// over UDP and over TLS as ChannelData to the tokened UDP echo, which answers the relay's address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NEEDS_COTURN, startCoturn, type Coturn } from '../support/coturn.js';
import { startUdpEcho, type UdpEcho } from '../../src/serve/udp-echo.js';
import { runRelayTrain, planRelayTrain } from '../../src/checks/quality-relay-train.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { defaultConfig } from '../../src/shared/config.js';
import type { CheckContext } from '../../src/checks/types.js';
import { makeCtx, startProbe, task, waitedThroughput } from './media-support.js';

let coturn: Coturn;
let echo: UdpEcho;
const echoSecret = randomBytes(32);
const probes: { close(): Promise<void> }[] = [];

before(async () => {
  if (NEEDS_COTURN) return;
  coturn = await startCoturn();
  echo = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret: echoSecret });
});

after(async () => {
  for (const p of probes) await p.close();
  await echo?.close();
  await coturn?.stop();
});

async function probeFor(turnHost: string) {
  const p = await startProbe({
    turn: { secret: coturn.secret, urls: [`turn:${turnHost}:${coturn.port}?transport=udp`, `turns:${turnHost}:${coturn.tlsPort}?transport=tcp`] },
    echo: { secret: echoSecret, host: '127.0.0.1', ports: echo.ports },
  });
  probes.push(p);
  return p;
}

/** A context whose quality phase is already at the relay trains' turn (throughput 20 Mbit/s, direct train over). */
function relayCtx(probeUrl: string): CheckContext {
  return makeCtx({ probe: probeUrl, caPem: [coturn.caPem], qualityMs: 2000 }, waitedThroughput(20e6));
}

for (const kind of ['udp', 'tls'] as const) {
  test(`quality.relay-train over TURN/${kind.toUpperCase()}: every packet of the train comes back through the relay (real coturn)`, { skip: NEEDS_COTURN }, async () => {
    const p = await probeFor('127.0.0.1');
    const port = kind === 'tls' ? coturn.tlsPort : coturn.port;
    const before = echo.stats.answered;
    const out = await runRelayTrain(task('quality.relay-train', `turn:${kind}:127.0.0.1:${port}`), relayCtx(p.url));
    assert.equal(out.status, 'ok', JSON.stringify(out));
    const m = out.metrics!;
    // 2 s x 0.15 = 300 ms: 15 audio packets (50/s) + 9 frames of 300 kbit/s video (1250 bytes a frame, 3 packets)
    assert.equal(out.details!.rate, 'bound', 'the relay address proved itself to the echo (its cookie)');
    assert.ok(m.packetsCount >= 35 && m.packetsCount <= 50, `packets ${m.packetsCount}`); // 15 audio + 9 frames x 3 packets of 1250 bytes
    assert.equal(m.receivedCount, m.packetsCount, 'loopback loses nothing');
    assert.equal(m.lossRatio, 0);
    assert.ok(m.rttMs > 0 && m.rttMs < 50, `rtt ${m.rttMs}`);
    assert.ok(m.videoDeliveredBps > 250e3 && m.videoDeliveredBps < 400e3, `video ${m.videoDeliveredBps}`);
    assert.ok(typeof out.details!.mos === 'number' && (out.details!.mos as number) > 4);
    assert.match(String(out.details!.relayed), /^127\.0\.0\.1:\d+$/);
    assert.ok(echo.stats.answered - before >= m.packetsCount, 'the echo answered the relayed packets');
  });
}

test('a relay address the probe will not bind a token to: it proves itself with the echo cookie (full rate, no ?relay= round trip)', { skip: NEEDS_COTURN }, async () => {
  // The probe names its TURN server 127.0.0.5: the relay's real address 127.0.0.1 is not one of its.
  const p = await probeFor('127.0.0.5');
  const challenged = echo.stats.challenged;
  const out = await runRelayTrain(task('quality.relay-train', `turn:udp:127.0.0.1:${coturn.port}`), relayCtx(p.url));
  assert.equal(out.status, 'ok', JSON.stringify(out));
  assert.equal(out.details!.rate, 'bound');
  assert.ok(out.metrics!.packetsCount >= 35, `packets ${out.metrics!.packetsCount}`);
  assert.equal(out.metrics!.receivedCount, out.metrics!.packetsCount);
  assert.ok(echo.stats.challenged > challenged, 'the echo challenged the relay address first');
  assert.ok(echo.stats.bytesOut <= echo.stats.bytesIn, 'never more bytes out than in');
});

test('plan: one task per relay path of the probe (UDP 3478, TLS 443), each after turn.allocate of the same target', () => {
  const ps = loadProfiles(['vonage-video'], {});
  const config = defaultConfig({
    probe: 'https://probe.example:443',
    probeInfo: { turn: { urls: ['turn:turn.example:3478?transport=udp', 'turn:turn.example:3478?transport=tcp', 'turns:turn.example:443?transport=tcp'] }, stun: null, udpEcho: null },
  });
  const tasks = planRelayTrain(ps, config);
  assert.deepEqual(tasks.map((t) => t.target), ['turn:udp:turn.example:3478', 'turn:tls:turn.example:443']);
  assert.deepEqual(tasks.map((t) => t.dependsOn), [['turn.allocate turn:udp:turn.example:3478'], ['turn.allocate turn:tls:turn.example:443']]);
  assert.deepEqual(planRelayTrain(ps, defaultConfig({ probe: 'https://probe.example:443', qualityMs: 0, probeInfo: config.probeInfo })), [], 'no quality phase, no relay train');
  assert.deepEqual(planRelayTrain(ps, defaultConfig({})), [], 'no probe, no relay train');
});
