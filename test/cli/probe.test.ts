// The --probe server: its media description fetched once before planning, directly or through the
// proxy that applies (CONNECT), and never a reason to stop the run — unreachable, refused or
// intercepted, the run goes on and the report says why the media rows are unverified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../../src/serve/server.js';
import { mediaServeModule } from '../../src/serve/turn-creds.js';
import { defaultConfig } from '../../src/shared/config.js';
import { discoverProbe, parseProbeInfo, probeGet } from '../../src/net/probe-client.js';
import { createProxyResolver } from '../../src/net/proxy.js';
import { planTasks } from '../../src/cli/check-command.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { withProbeHost } from '../../src/checks/probe-reach.js';
import { validateReport } from '../../src/report/validate.js';
import { connectProxy } from '../net/connect-proxy.js';
import { runCli } from '../support/cli.js';

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
  const d = await discoverProbe(config, 3000);
  assert.equal(d.error, null);
  const info = d.info!;
  assert.ok(info.stun, 'stun announced');
  assert.equal(info.stun.host, '127.0.0.1');
  assert.ok(info.stun.port > 0 && info.stun.port !== 3478, 'the real (random) STUN port, not a guess');
  assert.deepEqual(info.turn?.urls, TURN_URLS);
  assert.equal(info.udpEcho, null);
  assert.deepEqual(JSON.parse(JSON.stringify(info)), info, 'plain data (survives --save-raw)');
});

test('through an explicit proxy the probe is reached with CONNECT; an unreachable probe is evidence, not an error', async (t) => {
  const p = await probe(t);
  const px = await connectProxy(t);
  const config = defaultConfig({ probe: p.url, caPem: [p.caPem], proxy: `http://127.0.0.1:${px.port}` });
  const resolver = createProxyResolver(config);
  const health = await probeGet(config, '/.netready/health', { timeoutMs: 3000, proxy: resolver });
  assert.equal(health.status, 200);
  assert.equal(health.body?.ok, true);
  assert.equal(health.dialed.via, 'proxy');
  assert.equal(health.inspected, false, 'the probe chains to its own CA, given with --ca');
  const d = await discoverProbe(config, 3000, resolver);
  assert.deepEqual(d.info?.turn?.urls, TURN_URLS);
  assert.equal(px.seen.filter((l) => l === `CONNECT 127.0.0.1:${p.port} HTTP/1.1`).length, 2, px.seen.join(' | '));

  const dead = defaultConfig({ probe: `https://127.0.0.1:${await closedPort()}`, proxy: `http://127.0.0.1:${px.port}` });
  const none = await discoverProbe(dead, 1000, createProxyResolver(dead));
  assert.equal(none.info, null, 'no description: the media checks fall back');
  assert.ok(none.error?.code, `the reason is kept: ${JSON.stringify(none.error)}`);
});

test('a probe whose chain is not trusted (an interceptor, or its own CA without --ca) is carried on through and flagged', async (t) => {
  const p = await probe(t);
  const config = defaultConfig({ probe: p.url });
  const res = await probeGet(config, '/.netready/health', { timeoutMs: 3000 });
  assert.equal(res.status, 200);
  assert.equal(res.inspected, true);
  assert.equal(res.dialed.peer?.root.CN, 'netready throw-away CA');
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
    planTasks(cfg, withProbeHost(profiles, cfg))
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

test('the probe is one more planned host: reached, then its cooperative checks (echo, timed stream, idle holds)', () => {
  const cfg = defaultConfig({ probe: 'https://probe.lab.test:8443' });
  const tasks = planTasks(cfg, withProbeHost(loadProfiles(['onespan-virtual-room'], {}), cfg));
  const on = tasks.filter((x) => x.target.includes('probe.lab.test')).map((x) => `${x.id} ${x.target} <- ${x.dependsOn.join(',')}`);
  for (const want of [
    'probe.reach https://probe.lab.test:8443 <- ',
    'ws.upgrade wss://probe.lab.test:8443/.netready/ws <- tcp.connect probe.lab.test:8443,probe.reach https://probe.lab.test:8443',
    'sse.stream https://probe.lab.test:8443/.netready/stream/event <- tcp.connect probe.lab.test:8443,probe.reach https://probe.lab.test:8443',
    'tls.handshake probe.lab.test:8443 <- tcp.connect probe.lab.test:8443',
  ])
    assert.ok(on.includes(want), `${want} in:\n${on.join('\n')}`);
  // idle holds only on the probe: a vendor's real server closes unauthenticated idle sockets itself
  const idle = tasks.filter((x) => x.id === 'conn.idle').map((x) => x.target);
  assert.deepEqual(idle, ['wss://probe.lab.test:8443/.netready/ws#idle', 'https://probe.lab.test:8443/.netready/stream/event#idle']);
});

test('check with a probe that does not answer: a written report (exit 4, media unverified), never exit 2', async (t) => {
  const vendor = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => vendor.close());
  const dir = mkdtempSync(join(tmpdir(), 'netready-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, vendor.caPem!);
  const names = loadProfiles(['onespan-virtual-room'], { signDomain: 'localhost' }).hosts.map((h) => h.host);
  const dead = await closedPort();
  const json = join(dir, 'r.json');
  const r = await runCli([
    'check', '--sign-domain', 'localhost', '--public-roots', ca, '--probe', `https://127.0.0.1:${dead}`,
    ...names.flatMap((n) => ['--resolve', `${n}:127.0.0.1`]), '--connect-to', `:443:127.0.0.1:${vendor.addresses[0].port}`,
    '--deadline', '15', '--idle-window', '0.5', '--quality-seconds', '0.5', '--json', json,
  ]);
  assert.equal(r.code, 4, r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(validateReport(report), []);
  assert.equal(report.outcome, 'incomplete');
  assert.deepEqual(report.causes.map((c: { id: string }) => c.id), []);
  const video = report.unverified.find((u: { checklist: string }) => u.checklist === 'video-domains-and-media');
  assert.match(video?.reason ?? '', /probe .* could not be reached/);
  const reach = report.checks.find((c: { id: string }) => c.id === 'probe.reach');
  assert.equal(reach.status, 'failed');
  assert.match(r.stdout, /INCOMPLETE/);
});
