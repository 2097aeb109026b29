// `npm run bench`: speed and footprint measured side by side in one run.
// Section 1 (spine): the demo check's wall time and the check process's peak RSS, on loopback.
// Section "package" (bench/package.ts): npm start's wall time, the executables' sizes and start time.
// Later sections (media, quality, the probe under load: bench/serve.ts) add their own measurements to this file.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServe } from '../src/serve/server.js';
import { loadProfiles } from '../src/profiles/load.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const bin = join(import.meta.dirname, '..', 'bin', 'netready.js');

interface Sample { wallMs: number; maxRssKiB: number; exit: number | null; checkMs: number }

function runCheck(args: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, 'check', ...args], { env: { ...process.env, NETREADY_RUSAGE: '1', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(kill);
      const wallMs = performance.now() - t0;
      const rss = /netready-rusage maxRssKiB=(\d+)/.exec(err);
      let checkMs = NaN;
      try {
        checkMs = (JSON.parse(out) as { durationMs: number }).durationMs;
      } catch { /* reported below */ }
      resolve({ wallMs, maxRssKiB: rss ? Number(rss[1]) : NaN, exit: code, checkMs });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

async function spine() {
  const dir = mkdtempSync(join(tmpdir(), 'netready-bench-'));
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  try {
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, serve.caPem ?? '');
    const names = loadProfiles(['onespan-virtual-room'], { signDomain: 'localhost' }).hosts.map((h) => h.host);
    const args = ['--profile', 'onespan-virtual-room', '--sign-domain', 'localhost', '--public-roots', caFile,
      ...names.flatMap((n) => ['--resolve', `${n}:127.0.0.1`]), '--connect-to', `::127.0.0.1:${serve.addresses[0].port}`,
      '--idle-window', '1', '--deadline', '20', '--json', '-',
      // like the demo: loopback only — no system proxy settings, no WPAD query to this machine's resolver
      '--no-system-proxy'];
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(await runCheck(args));
    const bad = samples.filter((s) => s.exit !== 0);
    console.log('== spine: the demo check on loopback (onespan-virtual-room, idle window 1 s) ==');
    console.log(`runs: ${RUNS}${bad.length ? ` (${bad.length} not ready: exit ${bad.map((b) => b.exit).join(',')})` : ''}`);
    console.log(`wall time (process start to exit): median ${fmt(median(samples.map((s) => s.wallMs)))} ms, max ${fmt(Math.max(...samples.map((s) => s.wallMs)))} ms  (target ≤ 3000 ms)`);
    console.log(`check durationMs (report):         median ${fmt(median(samples.map((s) => s.checkMs)))} ms`);
    console.log(`peak RSS of the check process:     median ${fmt(median(samples.map((s) => s.maxRssKiB)) / 1024, 1)} MiB, max ${fmt(Math.max(...samples.map((s) => s.maxRssKiB)) / 1024, 1)} MiB`);
    const wallOk = median(samples.map((s) => s.wallMs)) <= 3000;
    console.log(`ratio wall/target: ${fmt(median(samples.map((s) => s.wallMs)) / 3000, 2)} ${wallOk ? '✔' : '✘'}`);
  } finally {
    await serve.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// BENCH_ONLY=spine|package|lab|store|serve runs one part (the lab part needs root and the lab's packages;
// the serve part is the probe under load and abuse, bench/serve.ts, BENCH_SERVE=load,slow,... picks);
// BENCH_POINTS=loss or rate-2,delay-150 runs only those grid points (and not the wall-time part).
const only = process.env.BENCH_ONLY;
if (!only || only === 'spine') await spine();
if (!only || only === 'package') await import('./package.js').then((m) => m.packageBench(Math.min(RUNS, 3)));
if (!only || only === 'lab') {
  await import('./quality.js').then(async (m) => {
    await m.qualityBench();
    if (!process.env.BENCH_POINTS) await m.cleanWallTime();
  });
}
if (!only || only === 'store') await import('./store.js').then((m) => m.storeBench());
if (!only || only === 'serve') await import('./serve.js').then((m) => m.serveBench());
