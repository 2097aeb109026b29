// webrtc.ice end to end on loopback: a real coturn, a real `netready serve` (HTTPS, WSS
// signalling, the werift peer of src/serve/webrtc-peer.ts) and the werift client of the check,
// once per forced transport. relay-tls proves the media path over TURN/TLS works end to end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { NEEDS_COTURN, startCoturn, type Coturn } from '../support/coturn.js';
import { freePort } from '../support/proc.js';
import { startServe, type ServeHandle } from '../../src/serve/server.js';
import { mediaServeModule } from '../../src/serve/turn-creds.js';
import { webrtcServeModule } from '../../src/serve/webrtc-peer.js';
import { runIce, planIce, ICE_TARGETS } from '../../src/checks/webrtc-ice.js';
import type { CheckOutcome } from '../../src/checks/types.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { defaultConfig } from '../../src/shared/config.js';
import { makeCtx, task } from './media-support.js';

let coturn: Coturn;
let serve: ServeHandle;
let plain: ServeHandle;
let turnUrls: string[];

before(async () => {
  if (NEEDS_COTURN) return;
  coturn = await startCoturn();
  turnUrls = [`turn:127.0.0.1:${coturn.port}?transport=udp`, `turn:127.0.0.1:${coturn.port}?transport=tcp`, `turns:127.0.0.1:${coturn.tlsPort}?transport=tcp`];
  const turn = { secret: coturn.secret, urls: turnUrls };
  serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }], modules: [mediaServeModule({ turn }), webrtcServeModule({ turn })] });
  plain = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }], modules: [mediaServeModule({ turn })] });
});

after(async () => {
  await serve?.close();
  await plain?.close();
  await coturn?.stop();
});

const ctxFor = (probe: string, over: Parameters<typeof makeCtx>[0] = {}) => makeCtx({ probe, caPem: [serve.caPem!, plain.caPem!, coturn.caPem], ...over });

const timings: Record<string, { wallMs: number; metrics: CheckOutcome['metrics'] }> = {};

for (const target of ICE_TARGETS) {
  test(`webrtc.ice ${target}: ICE + DTLS + data channel echo through the serve peer (real coturn)`, { skip: NEEDS_COTURN }, async () => {
    const t0 = performance.now();
    const out = await runIce(task('webrtc.ice', target), ctxFor(serve.urls[0]));
    const wallMs = Math.round(performance.now() - t0);
    assert.equal(out.status, 'ok', JSON.stringify(out));
    const m = out.metrics!;
    for (const k of ['iceMs', 'dtlsMs', 'echoRttMs', 'signallingMs']) assert.ok(typeof m[k] === 'number' && m[k] >= 0, `${k} in ${JSON.stringify(m)}`);
    assert.equal(m.echoCount, 5);
    const d = out.details!;
    assert.equal(d.host, '127.0.0.1');
    assert.equal(d.transport, target);
    const pair = d.selectedPair as { local: { type: string; protocol: string }; remote: { type: string } };
    assert.ok(pair, 'a selected candidate pair is recorded');
    if (target === 'host-udp') {
      assert.notEqual(d.localType, 'relay');
      assert.equal(d.protocol, 'udp');
      assert.equal(d.relayProtocol, null);
    } else {
      assert.equal(d.localType, 'relay');
      assert.equal(d.relayProtocol, target.slice(6), 'the relay really ran over the forced transport');
      assert.match(String(d.turnUrl), target === 'relay-tls' ? /^turns:/ : new RegExp(`transport=${target.slice(6)}`));
    }
    timings[target] = { wallMs, metrics: m };
  });
}

test('all four transports at once (as the engine runs them) and the loopback timings', { skip: NEEDS_COTURN }, async () => {
  const t0 = performance.now();
  const outs = await Promise.all(ICE_TARGETS.map((t) => runIce(task('webrtc.ice', t), ctxFor(serve.urls[0]))));
  const wallMs = Math.round(performance.now() - t0);
  for (const o of outs) assert.equal(o.status, 'ok', JSON.stringify(o));
  // The budget: the media checks add at most 4 s to a full check.
  assert.ok(wallMs < 4000, `four parallel sessions took ${wallMs} ms`);
  console.log(`# webrtc.ice loopback: parallel wall ${wallMs} ms; sequential: ${JSON.stringify(timings)}`);
});

test('a closed TURN/TCP port fails fast with TURN_UNREACHABLE', { skip: NEEDS_COTURN }, async () => {
  const closed = await freePort('127.0.0.1');
  const probe = await startServe({
    listen: [{ host: '127.0.0.1', port: 0 }],
    modules: [mediaServeModule({ turn: { secret: coturn.secret, urls: [`turn:127.0.0.1:${closed}?transport=tcp`, `turns:127.0.0.1:${closed}?transport=tcp`] } }), webrtcServeModule()],
  });
  try {
    for (const target of ['relay-tcp', 'relay-tls'] as const) {
      const t0 = performance.now();
      const out = await runIce(task('webrtc.ice', target), makeCtx({ probe: probe.urls[0], caPem: [probe.caPem!] }));
      const ms = performance.now() - t0;
      assert.equal(out.status, 'failed', JSON.stringify(out));
      assert.equal(out.error?.code, 'TURN_UNREACHABLE');
      assert.ok(ms < 2000, `${target} took ${ms} ms`);
    }
  } finally {
    await probe.close();
  }
});

test('a TURN/UDP port that never answers ends with TURN_UNREACHABLE within the ICE timeout', { skip: NEEDS_COTURN }, async () => {
  const closed = await freePort('127.0.0.1');
  const probe = await startServe({
    listen: [{ host: '127.0.0.1', port: 0 }],
    modules: [mediaServeModule({ turn: { secret: coturn.secret, urls: [`turn:127.0.0.1:${closed}?transport=udp`] } }), webrtcServeModule()],
  });
  try {
    const ctx = makeCtx({ probe: probe.urls[0], caPem: [probe.caPem!] });
    ctx.timeouts.streamMs = 1500;
    const t0 = performance.now();
    const out = await runIce(task('webrtc.ice', 'relay-udp'), ctx);
    const ms = performance.now() - t0;
    assert.equal(out.error?.code, 'TURN_UNREACHABLE', JSON.stringify(out));
    assert.ok(out.status === 'timeout' || out.status === 'failed');
    assert.ok(ms < 1500 + 1500, `took ${ms} ms`);
  } finally {
    await probe.close();
  }
});

test('wrong TURN credentials from the probe: no relay candidate, TURN_UNREACHABLE', { skip: NEEDS_COTURN }, async () => {
  const probe = await startServe({
    listen: [{ host: '127.0.0.1', port: 0 }],
    modules: [mediaServeModule({ turn: { secret: 'not-the-secret', urls: [`turn:127.0.0.1:${coturn.port}?transport=tcp`] } }), webrtcServeModule()],
  });
  try {
    const out = await runIce(task('webrtc.ice', 'relay-tcp'), makeCtx({ probe: probe.urls[0], caPem: [probe.caPem!] }));
    assert.equal(out.status, 'failed', JSON.stringify(out));
    assert.equal(out.error?.code, 'TURN_UNREACHABLE');
  } finally {
    await probe.close();
  }
});

test('a serve without the WebRTC peer (plain WS echo) is skipped with a reason, not failed', { skip: NEEDS_COTURN }, async () => {
  const out = await runIce(task('webrtc.ice', 'host-udp'), ctxFor(plain.urls[0]));
  assert.equal(out.status, 'skipped', JSON.stringify(out));
  assert.match(out.reason ?? '', /no WebRTC peer/);
});

test('a probe without the TURN transport asked for skips that target', { skip: NEEDS_COTURN }, async () => {
  const probe = await startServe({
    listen: [{ host: '127.0.0.1', port: 0 }],
    modules: [mediaServeModule({ turn: { secret: coturn.secret, urls: [turnUrls[0]] } }), webrtcServeModule()],
  });
  try {
    const out = await runIce(task('webrtc.ice', 'relay-tls'), makeCtx({ probe: probe.urls[0], caPem: [probe.caPem!] }));
    assert.equal(out.status, 'skipped');
    assert.match(out.reason ?? '', /no TURN over TLS/);
  } finally {
    await probe.close();
  }
});

test('plan: four targets with --probe and a media profile, skipped without --probe, none without media', async () => {
  const profiles = loadProfiles(['onespan-virtual-room'], {});
  assert.ok(profiles.media);
  const withProbe = planIce(profiles, defaultConfig({ probe: 'https://probe.example:8443' }));
  assert.deepEqual(
    withProbe.map((t) => t.target),
    ['host-udp', 'relay-udp', 'relay-tcp', 'relay-tls'],
  );
  assert.ok(withProbe.every((t) => t.params.skip === undefined));
  const noProbe = planIce(profiles, defaultConfig());
  assert.ok(noProbe.every((t) => typeof t.params.skip === 'string'));
  assert.equal((await runIce(noProbe[0], makeCtx())).status, 'skipped');
  assert.deepEqual(planIce(loadProfiles(['pcc-local-agent'], {}), defaultConfig({ probe: 'https://p.example' })), []);
});

test('a process that ran relay sessions exits promptly afterwards (werift leaves no handle behind)', { skip: NEEDS_COTURN }, async () => {
  const script = fileURLToPath(new URL('./webrtc-ice-runner.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, PROBE: serve.urls[0], CA: JSON.stringify([serve.caPem, coturn.caPem]) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let doneAt = 0;
  child.stdout.on('data', (d) => {
    out += d;
    if (!doneAt && out.includes('exit-after')) doneAt = performance.now();
  });
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 20_000);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 0, `the child did not exit by itself: ${out}`);
  assert.match(out, /done 4 exit-after/);
  const lingerMs = performance.now() - doneAt;
  assert.ok(lingerMs < 3000, `the child lingered ${Math.round(lingerMs)} ms after its last session`);
});
