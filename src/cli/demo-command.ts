// `netready demo` (npm start): the whole product on loopback, with no setup. A `netready serve` on
// 127.0.0.1 (throw-away CA) with the media far end — STUN, the tokened UDP echo, the WebRTC peer,
// the bandwidth endpoints — and a check of the Virtual Room profile against it with `--probe`
// pointing at it: every vendor name resolves to the demo server, so the report has a media tier,
// the quality block and the checklist's media rows. With coturn installed (`turnserver` on PATH)
// the serve runs it itself (`--turn managed`, on free loopback ports), and the TURN rows, the relay
// ICE candidates and the relay trains run too; without it those rows are skipped, and say so.

import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { inExecutable } from '../assets.js';
import type { OutputOptions } from './output.js';
import { UsageError } from '../shared/errors.js';

export interface DemoOptions extends OutputOptions {
  deadline?: string;
  idleWindow?: string;
  qualitySeconds?: string;
}

/**
 * UDP echo ports for the demo: one random port in each eighth of 1025-65535 (the range of seed
 * 000_637c892c7d775e13.txt, "UDP 1025–65535"), so two demos on one machine rarely meet; a port in
 * use is left out by the serve and not announced.
 */
function demoEchoPorts(): string {
  const span = Math.floor((65535 - 1025 + 1) / 8);
  return Array.from({ length: 8 }, (_, i) => 1025 + i * span + randomInt(span)).join(',');
}

export const DEMO_NO_TURN = 'no TURN server in the demo (coturn is not installed: no turnserver on PATH): the turn.allocate, webrtc.ice relay-* and quality.relay-train rows are skipped (a probe with --turn managed runs them)';

/** A loopback port free for both TCP and UDP right now (coturn listens on both); null if none in 20 tries. */
async function freeLoopbackPort(): Promise<number | null> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  return null;
}

/** The serve's arguments for a managed coturn on loopback: free ports, a random 40-port relay window. */
async function managedTurnArgs(): Promise<string[] | null> {
  if (!(await import('../serve/coturn.js')).coturnInstalled()) return null;
  const port = await freeLoopbackPort();
  const tlsPort = await freeLoopbackPort();
  if (port === null || tlsPort === null || port === tlsPort) return null;
  const min = 50000 + randomInt(300) * 40;
  return ['--turn', 'managed', '--turn-address', '127.0.0.1', '--turn-port', String(port), '--turn-tls-port', String(tlsPort), '--turn-relay-ports', `${min}-${min + 39}`];
}

/** How long the demo waits for its serve to come up (a loaded machine took 8 s). */
const SERVE_UP_MS = 30_000;

interface DemoServe {
  url: string;
  caFile: string;
  stop(): Promise<void>;
}

/**
 * `netready serve` as a process of its own (this same program: bin/netready.js, or the standalone
 * executable), so that the measured far end does not share the check's event loop. Its stdout
 * names the listener and the throw-away CA; it is stopped by its PID, which removes the CA file.
 */
async function startDemoServe(args: string[]): Promise<DemoServe> {
  const argv = inExecutable ? ['serve', ...args] : [...process.execArgv, process.argv[1], 'serve', ...args];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const exited = once(child, 'exit').catch(() => undefined);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    }
  };
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  try {
    const up = await new Promise<{ url: string; caFile: string }>((resolve, reject) => {
      let url = '';
      let caFile = '';
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`the demo serve did not come up within ${SERVE_UP_MS / 1000} s (said: ${JSON.stringify(seen.slice(-300))}, stderr: ${JSON.stringify(stderr.slice(-300))})`)), SERVE_UP_MS);
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        seen += `${line}\n`;
        url ||= /^https\s+(\S+)/.exec(line)?.[1] ?? '';
        caFile ||= /^ca\s+(\S+)/.exec(line)?.[1] ?? '';
        if (line.startsWith('netready serve is running')) {
          clearTimeout(timer);
          if (url && caFile) resolve({ url: `https://${url}`, caFile });
          else reject(new Error('the demo serve named no HTTPS listener or CA'));
        }
      });
      child.once('error', (e) => reject(e));
      child.once('exit', (code) => reject(new UsageError(`the demo serve stopped (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}`)));
    });
    child.stdout.resume();
    return { ...up, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export async function demoCommand(o: DemoOptions): Promise<number> {
  const turnArgs = await managedTurnArgs();
  const serving = startDemoServe(['--listen', '127.0.0.1:0', '--stun', '127.0.0.1:0', '--udp-echo', '127.0.0.1', '--udp-ports', demoEchoPorts(), ...(turnArgs ?? [])]);
  // The check's modules load while the serve process starts.
  const loading = Promise.all([import('../profiles/load.js'), import('./check-command.js'), import('./options.js'), import('./output.js'), import('../report/progress.js')]);
  const [serve, [{ loadProfiles }, { runCheck, useColor }, { buildConfig }, { writeOutputs }, { createProgress }]] = await Promise.all([serving, loading.catch(async (e) => {
    await serving.then((s) => s.stop(), () => {});
    throw e;
  })]);
  try {
    const port = new URL(serve.url).port;
    const signDomain = 'localhost';
    const names = loadProfiles(['onespan-virtual-room'], { signDomain }).hosts.map((h) => h.host);
    const config = buildConfig({
      profile: ['onespan-virtual-room'],
      signDomain,
      // the throw-away CA plays the public web PKI for the vendor stand-in (and the probe chains to it)
      publicRoots: serve.caFile,
      resolve: names.map((n) => `${n}:127.0.0.1`),
      // HTTPS/WSS/SSE on every vendor name's port 443 reach the demo serve; its STUN and UDP echo
      // ports are announced by the probe itself (/.netready/media).
      connectTo: [`:443:127.0.0.1:${port}`],
      probe: serve.url,
      deadline: o.deadline ?? '20',
      idleWindow: o.idleWindow ?? '1',
      qualitySeconds: o.qualitySeconds ?? '2',
      // loopback only: no system proxy settings, no WPAD lookup
      systemProxy: false,
    }, {});
    if (o.json !== '-') process.stderr.write(`netready demo: serve on ${serve.url} with STUN, the UDP echo, the WebRTC peer${turnArgs ? ' and a managed coturn' : ''} (throw-away CA ${serve.caFile}); every vendor name points there\n`);
    const progress = createProgress(process.stderr, { tty: Boolean(process.stderr.isTTY) && !process.env.CI, color: useColor(process.stderr) });
    const { report } = await runCheck(config, { progress });
    if (!turnArgs) report.notes = [...(report.notes ?? []), DEMO_NO_TURN];
    writeOutputs(report, o);
    const { exitCodeFor } = await import('../report/common.js');
    return exitCodeFor(report);
  } finally {
    await serve.stop();
  }
}
