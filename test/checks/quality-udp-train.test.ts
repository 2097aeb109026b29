import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { startUdpEcho } from '../../src/serve/udp-echo.js';
import { issue, encodeEchoRequest } from '../../src/protocol/echo-token.js';
import { planUdpTrain, runUdpTrain, publishThroughput } from '../../src/checks/quality-udp-train.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { defaultConfig } from '../../src/cli/config.js';
import { makeCtx, startProbe, task } from './media-support.js';

test('quality.udp-train through the tokened echo: full-rate train, RTT, jitter, no loss', async (t) => {
  const secret = randomBytes(32);
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret });
  t.after(() => echo.close());
  const probe = await startProbe({ echo: { secret, host: '127.0.0.1', ports: echo.ports } });
  t.after(() => probe.close());
  const ctx = makeCtx({ probe: probe.url, qualityMs: 2000 });
  publishThroughput(ctx.config, 100e6); // as quality.throughput would
  const out = await runUdpTrain(task('quality.udp-train', `udp:127.0.0.1:${echo.ports[0]}`, { host: '127.0.0.1', port: echo.ports[0] }), ctx);
  assert.equal(out.status, 'ok', JSON.stringify(out));
  const m = out.metrics!;
  assert.equal(out.details!.rate, 'bound', 'the address-bound token got the full rate');
  assert.ok(m.packetsCount > 150, `${m.packetsCount} packets in 0.6 s`);
  assert.equal(m.lossRatio, 0);
  assert.equal(m.receivedCount, m.packetsCount);
  assert.ok(m.rttMs >= 0 && m.rttMs < 20, `${m.rttMs}`);
  assert.ok(m.jitterMs < 10);
  assert.ok((out.details!.mos as number) > 4);
  assert.ok(Math.abs(m.videoDeliveredBps - 1.5e6) / 1.5e6 < 0.1, `${m.videoDeliveredBps}`);
  assert.equal(echo.stats.bytesOut, echo.stats.bytesIn - 0 * echo.stats.dropped, 'every reply as long as its request');
});

test('the train adapts its video rate to half the measured throughput', async (t) => {
  const secret = randomBytes(32);
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret });
  t.after(() => echo.close());
  const probe = await startProbe({ echo: { secret, host: '127.0.0.1', ports: echo.ports } });
  t.after(() => probe.close());
  const ctx = makeCtx({ probe: probe.url, qualityMs: 2000 });
  publishThroughput(ctx.config, 1e6);
  const out = await runUdpTrain(task('quality.udp-train', 'udp:127.0.0.1:x', { host: '127.0.0.1', port: echo.ports[0] }), ctx);
  assert.equal(out.details!.videoBps, 500_000);
});

test('no echo: failed UDP_NO_ECHO, no loss figure (that is udp-blocked, not packet-loss)', async (t) => {
  const mute = dgram.createSocket('udp4');
  await new Promise<void>((r) => mute.bind(0, '127.0.0.1', r));
  t.after(() => mute.close());
  const probe = await startProbe({ echo: { secret: 's', host: '127.0.0.1', ports: [mute.address().port] } });
  t.after(() => probe.close());
  const ctx = makeCtx({ probe: probe.url, qualityMs: 1000 });
  publishThroughput(ctx.config, null);
  const t0 = Date.now();
  const out = await runUdpTrain(task('quality.udp-train', 'udp:127.0.0.1:x', { host: '127.0.0.1', port: null }), ctx);
  assert.equal(out.status, 'failed');
  assert.equal(out.error!.code, 'UDP_NO_ECHO');
  assert.equal(out.metrics, undefined);
  assert.ok(Date.now() - t0 < 3000);
});

test('echo rate: an ordinary token is held to 100/s per source, a token bound to the source gets more; never amplified', async (t) => {
  const secret = randomBytes(32);
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret });
  t.after(() => echo.close());
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.after(() => sock.close());
  let got = 0;
  sock.on('message', () => got++);
  const blast = async (token: string) => {
    got = 0;
    // 400 packets over ~200 ms (2 per ms): the plain bucket allows 200 + 100/s, the bound one 300 + 600/s
    for (let i = 0; i < 400; i++) {
      sock.send(encodeEchoRequest(token, i, 0, 300), echo.ports[0], '127.0.0.1');
      if (i % 2) await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 300));
    return got;
  };
  const plain = await blast(issue(secret, { ttlMs: 60_000, now: Date.now() }));
  const bound = await blast(issue(secret, { ttlMs: 60_000, now: Date.now(), clientAddr: '127.0.0.1' }));
  const foreign = await blast(issue(secret, { ttlMs: 60_000, now: Date.now(), clientAddr: '127.0.0.9' }));
  assert.ok(plain <= 260, `plain ${plain}`);
  assert.ok(bound > plain + 50, `bound ${bound} vs plain ${plain}`);
  assert.equal(foreign, 0, 'a token bound to another address is never answered');
  assert.ok(echo.stats.bytesOut <= echo.stats.bytesIn);
});

test('plan: only with --probe, a media profile and a quality phase', () => {
  const vr = loadProfiles(['onespan-virtual-room'], {});
  const pcc = loadProfiles(['pcc-local-agent'], {});
  assert.equal(planUdpTrain(vr, defaultConfig()).length, 0);
  assert.equal(planUdpTrain(vr, defaultConfig({ probe: 'https://p.lab', qualityMs: 0 })).length, 0);
  assert.equal(planUdpTrain(pcc, defaultConfig({ probe: 'https://p.lab' })).length, 0);
  const withInfo = planUdpTrain(vr, defaultConfig({ probe: 'https://p.lab', probeInfo: { stun: null, turn: null, udpEcho: { host: '198.18.0.9', ports: [1025, 5000, 9000] } } }));
  assert.deepEqual(withInfo.map((x) => x.target), ['udp:198.18.0.9:5000']);
});
