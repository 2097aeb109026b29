// `npm run bench`, section "package": what a user starting netready waits for. `npm start` (the
// demo through Node: node bin/netready.js demo, target ≤ 5 s) and the standalone executables of
// `npm run build:exe`: their sizes, and the linux-x64 one's start (`./netready --version`) and demo
// wall times, run from an empty directory.

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { removeDir, tempDir } from '../test/support/proc.js';

const ROOT = join(import.meta.dirname, '..');
const EXE_DIR = join(ROOT, 'build', 'exe');
const EXES = ['netready-linux-x64', 'netready-win-x64.exe', 'netready-darwin-x64'];
const START_TARGET_MS = 5000;

function timed(cmd: string, args: string[], cwd: string): Promise<{ ms: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'ignore'] });
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ ms: performance.now() - t0, code });
    });
  });
}

async function series(runs: number, cmd: string, args: string[], cwd: string): Promise<{ median: number; max: number; codes: (number | null)[] }> {
  const out: { ms: number; code: number | null }[] = [];
  for (let i = 0; i < runs; i++) out.push(await timed(cmd, args, cwd));
  const ms = out.map((o) => o.ms).sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1], codes: out.map((o) => o.code) };
}

const f0 = (n: number) => n.toFixed(0);

export async function packageBench(runs: number): Promise<void> {
  console.log('== package: npm start and the standalone executables ==');
  const cwd = tempDir('bench-exe');
  try {
    const start = await series(runs, process.execPath, [join(ROOT, 'bin', 'netready.js'), 'demo'], cwd);
    const ok = start.median <= START_TARGET_MS;
    console.log(`npm start (node bin/netready.js demo): median ${f0(start.median)} ms, max ${f0(start.max)} ms (target ≤ ${START_TARGET_MS} ms) ratio ${(start.median / START_TARGET_MS).toFixed(2)} ${ok ? '✔' : '✘'}  exits ${start.codes.join(',')}`);
    for (const name of EXES) {
      const file = join(EXE_DIR, name);
      console.log(`${name.padEnd(22)} ${existsSync(file) ? `${(statSync(file).size / 2 ** 20).toFixed(1)} MiB` : 'not built (npm run build:exe)'}`);
    }
    const linux = join(EXE_DIR, EXES[0]);
    if (existsSync(linux) && process.platform === 'linux' && process.arch === 'x64') {
      const exe = join(cwd, 'netready');
      copyFileSync(linux, exe);
      const version = await series(Math.max(runs, 5), exe, ['--version'], cwd);
      const node = await series(Math.max(runs, 5), process.execPath, [join(ROOT, 'bin', 'netready.js'), '--version'], cwd);
      console.log(`./netready --version (start time):    median ${f0(version.median)} ms, max ${f0(version.max)} ms  (node bin/netready.js --version: median ${f0(node.median)} ms)`);
      const demo = await series(runs, exe, ['demo'], cwd);
      console.log(`./netready demo:                       median ${f0(demo.median)} ms, max ${f0(demo.max)} ms (target ≤ ${START_TARGET_MS} ms) ratio ${(demo.median / START_TARGET_MS).toFixed(2)} ${demo.median <= START_TARGET_MS ? '✔' : '✘'}  exits ${demo.codes.join(',')}`);
    }
  } finally {
    removeDir(cwd);
  }
}
