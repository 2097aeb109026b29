// The --probe server before planning: health check and /.netready/media fetched once, directly or
// through the proxy that applies (CONNECT), and the media checks planning from RunConfig.probeInfo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServe } from '../../src/serve/server.js';
import { mediaServeModule } from '../../src/serve/turn-creds.js';
import { defaultConfig } from '../../src/cli/config.js';
import { checkProbe, fetchProbeInfo, parseProbeInfo } from '../../src/cli/probe.js';
import { createProxyResolver } from '../../src/net/proxy.js';
import { UsageError } from '../../src/cli/errors.js';
import { planTasks } from '../../src/cli/check-command.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { connectProxy } from '../net/connect-proxy.js';

const TURN_URLS = ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp', 'turns:127.0.0.1:5349?transport=tcp'];

async function probe(t: { after(fn: () => unknown): void }) {
  const h = await startServe({
    listen: [{ host: '127.0.0.1', port: 0 }],
    modules: [mediaServeModule({ stun: { host: '127.0.0.1', port: 0 }, turn: { secret: 's3cret', urls: TURN_URLS } })],
  });
  t.after(() => h.close());
  return { url: h.urls[0], caPem: h.caPem!, port: h.addresses[0].port };
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('the media description is fetched directly and parsed into plain data', async (t) => {
  const p = await probe(t);
  const config = defaultConfig({ probe: p.url, caPem: [p.caPem] });
  const info = await fetchProbeInfo(config, 3000);
  assert.ok(info?.stun, 'stun announced');
  assert.equal(info.stun.host, '127.0.0.1');
  assert.ok(info.stun.port > 0 && info.stun.port !== 3478, 'the real (random) STUN port, not a guess');
  assert.deepEqual(info.turn?.urls, TURN_URLS);
  assert.equal(info.udpEcho, null);
  assert.deepEqual(JSON.parse(JSON.stringify(info)), info, 'plain data (survives --save-raw)');
});

test('through an explicit proxy the probe is reached with CONNECT; a refused probe is exit-2 bad input', async (t) => {
  const p = await probe(t);
  const px = await connectProxy(t);
  const config = defaultConfig({ probe: p.url, caPem: [p.caPem], proxy: `http://127.0.0.1:${px.port}` });
  const resolver = createProxyResolver(config);
  const health = await checkProbe(config, 3000, resolver);
  assert.equal(health.ok, true);
  const info = await fetchProbeInfo(config, 3000, resolver);
  assert.deepEqual(info?.turn?.urls, TURN_URLS);
  assert.equal(px.seen.filter((l) => l === `CONNECT 127.0.0.1:${p.port} HTTP/1.1`).length, 2, px.seen.join(' | '));

  const dead = defaultConfig({ probe: `https://127.0.0.1:${await closedPort()}`, proxy: `http://127.0.0.1:${px.port}` });
  await assert.rejects(checkProbe(dead, 3000, createProxyResolver(dead)), (e: unknown) => e instanceof UsageError && /unreachable/.test(e.message));
  // the fetch of the media description never fails the run: no answer = fall back
  assert.equal(await fetchProbeInfo(dead, 1000, createProxyResolver(dead)), null);
});

test('the media checks plan from probeInfo, and fall back to the probe host and standard ports', () => {
  const profiles = loadProfiles(['onespan-virtual-room'], {});
  const info = parseProbeInfo({
    stun: { host: '198.19.1.46', port: 3479 },
    udpEcho: { host: '198.19.1.46', ports: [1025, 40000, 'x', 70000] },
    turn: { urls: ['turn:turn.lab.test:3478?transport=udp', 'turn:turn.lab.test:3478?transport=tcp', 'turns:turn.lab.test:443?transport=tcp', 'http://nope'] },
  });
  assert.deepEqual(info?.udpEcho?.ports, [1025, 40000]);
  const media = (cfg: ReturnType<typeof defaultConfig>) =>
    planTasks(cfg, profiles)
      .filter((x) => ['stun.binding', 'turn.allocate', 'udp.range'].includes(x.id))
      .map((x) => `${x.id} ${x.target}`);
  assert.deepEqual(media(defaultConfig({ probe: 'https://probe.lab.test', probeInfo: info })), [
    'stun.binding udp:198.19.1.46:3479',
    'stun.binding tcp:198.19.1.46:3479',
    'udp.range 198.19.1.46',
    'turn.allocate turn:udp:turn.lab.test:3478',
    'turn.allocate turn:tcp:turn.lab.test:3478',
    'turn.allocate turn:tls:turn.lab.test:443',
  ]);
  assert.deepEqual(media(defaultConfig({ probe: 'https://probe.lab.test', probeInfo: null })), [
    'stun.binding udp:probe.lab.test:3478',
    'stun.binding tcp:probe.lab.test:3478',
    'udp.range probe.lab.test',
    'turn.allocate turn:udp:probe.lab.test:3478',
    'turn.allocate turn:tcp:probe.lab.test:3478',
    'turn.allocate turn:tcp:probe.lab.test:443',
    'turn.allocate turn:tls:probe.lab.test:443',
  ]);
});
