// turn.allocate against a real coturn on loopback, over UDP, TCP and TLS: the relay must carry a
// tokened echo packet to a loopback UDP echo peer and bring the answer back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NEEDS_COTURN, startCoturn, type Coturn } from '../support/coturn.js';
import { startUdpEcho, type UdpEcho } from '../../src/serve/udp-echo.js';
import { runTurn, planTurn } from '../../src/checks/turn-allocate.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { defaultConfig } from '../../src/shared/config.js';
import { makeCtx, startProbe, task } from './media-support.js';

let coturn: Coturn;
let echo: UdpEcho;
let probe: { url: string; close(): Promise<void> };
const echoSecret = randomBytes(32);

before(async () => {
  if (NEEDS_COTURN) return;
  coturn = await startCoturn();
  echo = await startUdpEcho({ host: '127.0.0.1', ports: [0], secret: echoSecret });
  probe = await startProbe({
    turn: {
      secret: coturn.secret,
      urls: [`turn:127.0.0.1:${coturn.port}?transport=udp`, `turn:127.0.0.1:${coturn.port}?transport=tcp`, `turns:127.0.0.1:${coturn.tlsPort}?transport=tcp`],
    },
    echo: { secret: echoSecret, host: '127.0.0.1', ports: echo.ports },
  });
});

after(async () => {
  await probe?.close();
  await echo?.close();
  await coturn?.stop();
});

for (const kind of ['udp', 'tcp', 'tls'] as const) {
  test(`turn.allocate over ${kind.toUpperCase()} relays data to the loopback echo and back (real coturn)`, { skip: NEEDS_COTURN }, async () => {
    const port = kind === 'tls' ? coturn.tlsPort : coturn.port;
    const before = echo.stats.answered;
    const out = await runTurn(task('turn.allocate', `turn:${kind}:127.0.0.1:${port}`), makeCtx({ probe: probe.url, caPem: [coturn.caPem] }));
    assert.equal(out.status, 'ok', JSON.stringify(out));
    assert.ok(out.metrics!.allocateMs > 0 && out.metrics!.allocateMs < 3000);
    assert.ok(out.metrics!.relayRttMs > 0);
    assert.equal(out.metrics!.relayedBytes, 400, 'one 200-byte echo via Send/Data indications, one via ChannelData');
    assert.match(String(out.details!.relayed), /^127\.0\.0\.1:\d+$/);
    assert.equal(out.details!.channelData, true, 'ChannelData round trip too');
    // The echo really answered packets that came from the relay.
    assert.ok(echo.stats.answered >= before + 2, `echo answered ${echo.stats.answered - before}`);
    console.log(`turn ${kind}: allocate ${out.metrics!.allocateMs} ms, relay rtt ${out.metrics!.relayRttMs} ms, channel rtt ${out.metrics!.channelRttMs} ms`);
  });
}

test('a peer outside allowed-peer-ip gets 403 (coturn is no open relay)', { skip: NEEDS_COTURN }, async () => {
  const outside = await startUdpEcho({ host: '127.0.0.2', ports: [0], secret: echoSecret });
  const p2 = await startProbe({
    turn: { secret: coturn.secret, urls: [`turn:127.0.0.1:${coturn.port}?transport=udp`] },
    echo: { secret: echoSecret, host: '127.0.0.2', ports: outside.ports },
  });
  try {
    const out = await runTurn(task('turn.allocate', `turn:udp:127.0.0.1:${coturn.port}`), makeCtx({ probe: p2.url }));
    assert.equal(out.status, 'failed');
    assert.equal(out.error?.code, 'TURN_PEER_FORBIDDEN');
    assert.equal(out.details!.stunError, 403);
    assert.equal(outside.stats.answered, 0);
  } finally {
    await p2.close();
    await outside.close();
  }
});

test('wrong credentials: TURN_AUTH_FAILED', { skip: NEEDS_COTURN }, async () => {
  const p2 = await startProbe({
    turn: { secret: 'not-the-secret', urls: [`turn:127.0.0.1:${coturn.port}?transport=udp`] },
    echo: { secret: echoSecret, host: '127.0.0.1', ports: echo.ports },
  });
  try {
    const out = await runTurn(task('turn.allocate', `turn:udp:127.0.0.1:${coturn.port}`), makeCtx({ probe: p2.url }));
    assert.equal(out.status, 'failed');
    assert.equal(out.error?.code, 'TURN_AUTH_FAILED');
  } finally {
    await p2.close();
  }
});

test('nothing listening: UDP silence fails within the phase timeout', { skip: NEEDS_COTURN }, async () => {
  const ctx = makeCtx({ probe: probe.url });
  ctx.timeouts.firstByteMs = 1200;
  const t0 = Date.now();
  const out = await runTurn(task('turn.allocate', `turn:udp:127.0.0.1:9`), ctx).catch((e) => ({ status: 'failed', error: { code: e.code } }));
  assert.equal(out.status, 'failed');
  assert.ok(['TURN_NO_RESPONSE', 'UDP_UNREACHABLE'].includes(out.error!.code), out.error!.code);
  assert.ok(Date.now() - t0 < 3000);
});

test('plan: four targets with a probe; skipped with a reason without one; none without media', () => {
  const media = loadProfiles(['onespan-virtual-room'], {});
  const withProbe = planTurn(media, defaultConfig({ probe: 'https://probe.example:8443' }));
  assert.deepEqual(
    withProbe.map((t) => t.target),
    ['turn:udp:probe.example:3478', 'turn:tcp:probe.example:3478', 'turn:tcp:probe.example:443', 'turn:tls:probe.example:443'],
  );
  const noProbe = planTurn(media, defaultConfig());
  assert.ok(noProbe.every((t) => typeof t.params.skip === 'string'));
  assert.deepEqual(planTurn(loadProfiles(['pcc-local-agent'], {}), defaultConfig({ probe: 'https://p' })), []);
});
