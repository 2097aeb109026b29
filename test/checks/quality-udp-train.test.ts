import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { startUdpEcho } from '../../src/serve/udp-echo.js';
import { issue, encodeEchoRequest, EchoClient } from '../../src/protocol/echo-token.js';
import { existsSync } from 'node:fs';
import { freePort, startProc, waitForPort } from '../support/proc.js';
import { planUdpTrain, runUdpTrain, probeRate } from '../../src/checks/quality-udp-train.js';
import { BOUND_ECHO_RATE_PER_SEC } from '../../src/serve/udp-echo.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { defaultConfig } from '../../src/shared/config.js';
import { makeCtx, startProbe, task, waitedThroughput } from './media-support.js';

/** A tokened UDP echo and a probe announcing it, closed after the test; a 2 s quality phase. */
async function echoAndProbe(t: { after(fn: () => unknown): void }) {
  const secret = randomBytes(32);
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret });
  t.after(() => echo.close());
  const probe = await startProbe({ echo: { secret, host: '127.0.0.1', ports: echo.ports } });
  t.after(() => probe.close());
  return { echo, probe, ctx: makeCtx({ probe: probe.url, qualityMs: 2000 }) };
}

/** A tokened UDP echo and a UDP socket on loopback, closed after the test; received() counts replies. */
async function echoAndSocket(t: { after(fn: () => unknown): void }, o: { secret: Buffer; boundRatePerSec?: number }) {
  const echo = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret: o.secret, ...(o.boundRatePerSec ? { boundRatePerSec: o.boundRatePerSec } : {}) });
  t.after(() => echo.close());
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.after(() => sock.close());
  let n = 0;
  sock.on('message', () => n++);
  return { echo, sock, received: () => n };
}

test('quality.udp-train through the tokened echo: full-rate train, RTT, jitter, no loss', async (t) => {
  const { echo, ctx } = await echoAndProbe(t);
  Object.assign(ctx, waitedThroughput(100e6)); // as the engine hands quality.throughput's result
  const out = await runUdpTrain(task('quality.udp-train', `udp:127.0.0.1:${echo.ports[0]}`, { host: '127.0.0.1', port: echo.ports[0] }), ctx);
  assert.equal(out.status, 'ok', JSON.stringify(out));
  const m = out.metrics!;
  assert.equal(out.details!.rate, 'bound', 'the address-bound token got the full rate');
  assert.ok(m.packetsCount > 1500, `${m.packetsCount} packets in 0.7 s`);
  const pr = out.details!.probe as { sent: number; received: number; echoBoundRatePerSec: number };
  assert.equal(pr.echoBoundRatePerSec, BOUND_ECHO_RATE_PER_SEC, 'the echo announced its bound rate');
  assert.ok(pr.sent > 1000 && pr.received === pr.sent, JSON.stringify(pr));
  assert.equal(m.lossRatio, 0);
  assert.equal(m.receivedCount, m.packetsCount);
  assert.ok(m.rttMs >= 0 && m.rttMs < 20, `${m.rttMs}`);
  assert.ok(m.jitterMs < 10);
  assert.ok((out.details!.mos as number) > 4);
  assert.ok(Math.abs(m.videoDeliveredBps - 1.5e6) / 1.5e6 < 0.1, `${m.videoDeliveredBps}`);
  assert.ok(echo.stats.bytesOut <= echo.stats.bytesIn, 'no reply longer than its request');
});

test('the train adapts its video rate to half the measured throughput', async (t) => {
  const { echo, ctx } = await echoAndProbe(t);
  Object.assign(ctx, waitedThroughput(1e6)); // as the engine hands quality.throughput's result
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
  Object.assign(ctx, waitedThroughput(null)); // as the engine hands quality.throughput's result
  const t0 = Date.now();
  const out = await runUdpTrain(task('quality.udp-train', 'udp:127.0.0.1:x', { host: '127.0.0.1', port: null }), ctx);
  assert.equal(out.status, 'failed');
  assert.equal(out.error!.code, 'UDP_NO_ECHO');
  assert.equal(out.metrics, undefined);
  assert.ok(Date.now() - t0 < 3000);
});

test('echo rate: an ordinary token gets only 24-byte challenges (100/s per source); bound or with its cookie, the full rate; never amplified', async (t) => {
  const secret = randomBytes(32);
  const { echo, sock, received } = await echoAndSocket(t, { secret });
  let sendingMs = 0;
  const blast = async (make: (i: number) => Buffer) => {
    const before = received();
    // 400 packets over ~200 ms (2 per ms): the challenge bucket allows 200 + 100/s, the proven one 1500 + 3000/s
    const t0 = Date.now();
    for (let i = 0; i < 400; i++) {
      sock.send(make(i), echo.ports[0], '127.0.0.1');
      if (i % 2) await new Promise((r) => setTimeout(r, 1));
    }
    sendingMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    return received() - before;
  };
  const plainToken = issue(secret, { ttlMs: 60_000, now: Date.now() });
  const plain = await blast((i) => encodeEchoRequest(plainToken, i, 0, 300));
  assert.ok(plain <= 200 + (100 * sendingMs) / 1000 + 5, `plain ${plain} in ${sendingMs} ms`);
  assert.equal(echo.stats.answered, 0, 'an unproven source gets challenges only');
  assert.ok(echo.stats.challenged >= 200);
  const bound = await blast((i) => encodeEchoRequest(issue(secret, { ttlMs: 60_000, now: Date.now(), clientAddr: '127.0.0.1' }), i, 0, 300));
  assert.ok(bound > plain + 50, `bound ${bound} vs plain ${plain}`);
  // The cookie of a challenge proves the source as well as a bound token does.
  const ec = new EchoClient(plainToken);
  const challenge = await new Promise<Buffer>((resolve) => {
    sock.once('message', resolve);
    sock.send(ec.request(1, 0, 64), echo.ports[0], '127.0.0.1');
  });
  assert.equal(ec.receive(challenge)?.kind, 'challenge');
  const answeredBefore = echo.stats.answered;
  const cookied = await blast((i) => ec.request(i, 0, 300));
  assert.ok(cookied > plain + 50 && echo.stats.answered - answeredBefore === cookied, `with the cookie ${cookied} vs plain ${plain}`);
  const foreign = await blast((i) => encodeEchoRequest(issue(secret, { ttlMs: 60_000, now: Date.now(), clientAddr: '127.0.0.9' }), i, 0, 300));
  assert.equal(foreign, 0, 'a token bound to another address is never answered');
  assert.ok(echo.stats.bytesOut <= echo.stats.bytesIn);
});

test('behind a forwarder (the HTTPS request leaves from another address than the UDP): the challenge, then the full-rate train with the cookie', { skip: existsSync('/usr/bin/socat') ? false : 'needs socat (Debian package socat)' }, async (t) => {
  const { echo, probe } = await echoAndProbe(t);
  // socat relays the check's HTTP to the probe from 127.0.0.77, as a proxy or a NAT would.
  const port = await freePort();
  const fwd = startProc('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `TCP:${new URL(probe.url).host},bind=127.0.0.77`]);
  t.after(() => fwd.stop());
  await waitForPort('127.0.0.1', port, 5000, fwd);
  const ctx = makeCtx({ probe: `http://127.0.0.1:${port}`, qualityMs: 2000 });
  Object.assign(ctx, waitedThroughput(100e6)); // as the engine hands quality.throughput's result
  const out = await runUdpTrain(task('quality.udp-train', `udp:127.0.0.1:${echo.ports[0]}`, { host: '127.0.0.1', port: echo.ports[0] }), ctx);
  assert.equal(out.status, 'ok', JSON.stringify(out));
  assert.equal(out.details!.rate, 'bound', 'full rate with the cookie');
  assert.ok(out.metrics!.packetsCount > 1500);
  assert.equal(out.metrics!.lossRatio, 0);
  assert.ok(echo.stats.challenged >= 1, 'the echo challenged the unproven source');
  assert.ok(echo.stats.bytesOut <= echo.stats.bytesIn);
});

test('the bound rate is still a limit: a burst beyond it is not answered, replies never longer', async (t) => {
  const secret = randomBytes(32);
  const { echo, sock, received } = await echoAndSocket(t, { secret, boundRatePerSec: 1000 });
  const token = issue(secret, { ttlMs: 60_000, now: Date.now(), clientAddr: '127.0.0.1' });
  const t0 = Date.now();
  for (let i = 0; i < 1500; i++) {
    sock.send(encodeEchoRequest(token, i, 0, 64), echo.ports[0], '127.0.0.1');
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 300));
  const elapsed = (Date.now() - t0) / 1000;
  const got = received();
  // bucket: burst 500 + 1000/s over the sending time (the 300 ms wait sends nothing)
  assert.ok(got <= 500 + 1000 * elapsed + 5, `answered ${got} of 1500 in ${elapsed} s`);
  assert.ok(got >= 400, `answered ${got}`);
  assert.ok(echo.stats.bytesOut <= echo.stats.bytesIn);
});

test('probeRate: what the echo answers beside audio and video, within 60 % of the link, none when the rate is unknown', () => {
  const base = { boundRatePerSec: 3000, audioPps: 250, audioBytes: 100, videoBps: 1_500_000, videoPps: 330 };
  assert.equal(probeRate({ ...base, availableBps: null }), 0);
  assert.equal(probeRate({ ...base, availableBps: 1e9 }), Math.floor(3000 * 0.85 - 250 - 330));
  assert.equal(probeRate({ ...base, boundRatePerSec: 600, availableBps: 1e9 }), 0, 'an older echo (600/s): no room');
  // 5 Mbit/s: 3 Mbit/s of train, 1.5 video + 0.284 audio -> ~1.2 Mbit/s of 106-byte wire packets
  const r5 = probeRate({ ...base, availableBps: 5e6 });
  assert.ok(r5 > 1300 && r5 < 1500, `${r5}`);
  assert.equal(probeRate({ ...base, videoBps: 950_000, availableBps: 1.9e6 }), 0, 'a 2 Mbit/s link gets no probe stream');
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
