// `netready serve --turn managed` with the real Debian coturn on loopback: TURN over UDP, TCP and
// TLS allocates and relays through the managed coturn to the serve's own UDP echo (the turn.allocate
// check, end to end through the serve's credentials); a relay to any other address — another
// loopback address here, the stand-in for a private network — is refused with 403; a killed coturn
// is noticed and back within 5 s; the real CLI stops both within 2 s on SIGTERM and leaves no
// process; the secret appears nowhere (output, coturn's command line, the served JSON, a report).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startProbe, type ProbeHandle } from '../../src/serve/probe.js';
import { stunAlive } from '../../src/serve/coturn.js';
import { runTurn, openTurnTransport, turnSession } from '../../src/checks/turn-allocate.js';
import { fetchTurnCreds } from '../../src/checks/media-net.js';
import { probeGet } from '../../src/net/probe-client.js';
import { NetError } from '../../src/shared/errors.js';
import { startUdpEcho } from '../../src/serve/udp-echo.js';
import { freePort } from '../support/proc.js';
import { makeCtx, task } from '../checks/media-support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const noCoturn = existsSync('/usr/bin/turnserver') ? false : 'needs coturn (Debian package coturn)';
const SECRET = `managed-test-secret-${Math.random().toString(36).slice(2)}`;

/** A relay port window of 40 ports of our own (parallel tests rarely collide). */
const relayWindow = () => {
  const min = 45000 + Math.floor(Math.random() * 90) * 40;
  return { min, max: min + 39 };
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let probe: ProbeHandle;
let turnPort: number;
let tlsPort: number;
let echoPort: number;

before(async () => {
  if (noCoturn) return;
  turnPort = await freePort();
  tlsPort = await freePort();
  echoPort = await freePort();
  probe = await startProbe(
    {
      listen: [{ host: '127.0.0.1', port: 0 }],
      udpEcho: { host: '127.0.0.1', ports: [echoPort] },
      turn: { mode: 'managed', port: turnPort, tlsPort, relayPorts: relayWindow(), secret: SECRET },
    },
    { coturnHealthEveryMs: 500 },
  );
});

after(async () => {
  await probe?.close();
});

const ctxFor = () => makeCtx({ probe: probe.urls[0], caPem: [probe.caPem!] });

for (const kind of ['udp', 'tcp', 'tls'] as const) {
  test(`TURN over ${kind.toUpperCase()} allocates and relays through the managed coturn to the serve's echo (turn.allocate end to end)`, { skip: noCoturn }, async () => {
    const port = kind === 'tls' ? tlsPort : turnPort;
    const out = await runTurn(task('turn.allocate', `turn:${kind}:127.0.0.1:${port}`), ctxFor());
    assert.equal(out.status, 'ok', JSON.stringify(out));
    assert.equal(out.metrics!.relayedBytes, 400);
    assert.equal(out.details!.channelData, true);
    assert.doesNotMatch(JSON.stringify(out), new RegExp(SECRET));
  });
}

test('the serve announces the managed coturn: TURN URLs, STUN on its port, no secret in any answer', { skip: noCoturn }, async () => {
  const ctx = ctxFor();
  const media = await probeGet(ctx.config, '/.netready/media', { timeoutMs: 3000 });
  assert.deepEqual(media.body?.stun, { host: '127.0.0.1', port: turnPort });
  assert.equal((media.body?.probe as { version: string }).version.length > 0, true);
  assert.doesNotMatch(JSON.stringify(media.body), new RegExp(SECRET));
  const creds = await fetchTurnCreds(ctx);
  assert.ok('urls' in creds);
  assert.deepEqual(creds.urls, [`turn:127.0.0.1:${turnPort}?transport=udp`, `turn:127.0.0.1:${turnPort}?transport=tcp`, `turns:127.0.0.1:${tlsPort}?transport=tcp`]);
  assert.notEqual(creds.credential, SECRET);
  assert.equal(await stunAlive('127.0.0.1', turnPort), true, 'coturn answers STUN on its port');
  assert.equal(probe.plan.stunAnnounced?.port, turnPort);
});

test('webrtc.ice through the managed coturn: host, relay over UDP, TCP and TLS all connect to the serve\'s WebRTC peer', { skip: noCoturn, timeout: 60_000 }, async () => {
  const script = fileURLToPath(new URL('../checks/webrtc-ice-runner.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { ...process.env, PROBE: probe.urls[0], CA: JSON.stringify([probe.caPem]) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((r) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('exit', (c) => (clearTimeout(kill), r(c)));
  });
  assert.match(out, /done 4 /, out);
  assert.equal(code, 0, out);
  assert.doesNotMatch(out, new RegExp(SECRET));
});

test('a relay to another loopback address (the stand-in for a private network) is refused with 403; only the echo address is allowed', { skip: noCoturn }, async () => {
  // A real echo on 127.0.0.2, which the relay must not reach.
  const other = await startUdpEcho({ host: '127.0.0.2', ports: [0], secret: 'x' });
  try {
    const ctx = ctxFor();
    const creds = await fetchTurnCreds(ctx);
    assert.ok('urls' in creds);
    for (const kind of ['udp', 'tls'] as const) {
      const t = { kind, host: '127.0.0.1', port: kind === 'tls' ? tlsPort : turnPort };
      const tr = await openTurnTransport(t, ctx, {}, {});
      try {
        await assert.rejects(
          turnSession({ transport: tr, creds, peer: { family: 4, address: '127.0.0.2', port: other.ports[0] }, token: null, ctx, timeoutMs: 3000 }),
          (e: unknown) => e instanceof NetError && e.code === 'TURN_PEER_FORBIDDEN' && /403/.test(e.message),
        );
      } finally {
        tr.close();
      }
    }
    assert.equal(other.stats.bytesIn, 0, 'nothing reached the other address');
  } finally {
    await other.close();
  }
});

test('killing the coturn child is noticed; it is back (answering, allocating) within 5 s', { skip: noCoturn }, async () => {
  const before = probe.coturn()!;
  assert.equal(before.state, 'up');
  const pid = before.pid!;
  process.kill(pid, 'SIGKILL');
  const t0 = performance.now();
  let back = false;
  while (performance.now() - t0 < 5000) {
    const s = probe.coturn()!;
    if (s.state === 'up' && s.pid && s.pid !== pid && (await stunAlive('127.0.0.1', turnPort, 300))) {
      back = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const ms = performance.now() - t0;
  assert.ok(back, `coturn not back within 5 s: ${JSON.stringify(probe.coturn())}`);
  assert.equal(alive(pid), false);
  assert.ok(probe.coturn()!.restarts >= 1);
  const out = await runTurn(task('turn.allocate', `turn:udp:127.0.0.1:${turnPort}`), ctxFor());
  assert.equal(out.status, 'ok', JSON.stringify(out));
  console.log(`coturn back after ${Math.round(ms)} ms`);
});

test('the real CLI: SIGTERM stops serve and coturn within 2 s, no process left; the secret is in no output and not on coturn\'s command line', { skip: noCoturn, timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netready-managed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const secretFile = join(dir, 'turn-secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
  const relay = relayWindow();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--listen', '127.0.0.1:0', '--udp-echo', '127.0.0.1', '--udp-ports', String(p3),
      '--turn', 'managed', '--turn-port', String(p1), '--turn-tls-port', String(p2), '--turn-relay-ports', `${relay.min}-${relay.max}`, '--turn-secret-file', secretFile],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  for (let i = 0; i < 400 && !/running/.test(out) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(out, /running/, out);
  const pid = Number(/managed coturn \(pid (\d+)\)/.exec(out)?.[1]);
  assert.ok(pid > 0 && alive(pid), out);
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  assert.doesNotMatch(cmdline, new RegExp(SECRET), 'the secret is not on coturn\'s command line');
  assert.match(cmdline, /turnserver/);
  // The report of a check through it: turn.allocate over UDP, in-process against the CLI's serve.
  const port = Number(/https +127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  const caFile = /\bca +(\S+)/.exec(out)?.[1]!;
  const ctx = makeCtx({ probe: `https://127.0.0.1:${port}`, caPem: [readFileSync(caFile, 'utf8')] });
  const res = await runTurn(task('turn.allocate', `turn:udp:127.0.0.1:${p1}`), ctx);
  assert.equal(res.status, 'ok', JSON.stringify(res));
  assert.doesNotMatch(JSON.stringify(res), new RegExp(SECRET));
  const t0 = performance.now();
  child.kill('SIGTERM');
  const code = await exited;
  const ms = performance.now() - t0;
  assert.equal(code, 0, out);
  assert.ok(ms < 2000, `exit took ${ms} ms`);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(pid), false, 'coturn is gone too');
  assert.doesNotMatch(out, new RegExp(SECRET), 'the secret is in no output');
});
