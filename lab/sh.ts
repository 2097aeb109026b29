// Small process helpers for the lab: run a command (optionally inside a namespace) with a
// timeout, and start a long-lived daemon in a namespace whose PID the lab records.

import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export class LabError extends Error {}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run argv synchronously; throws LabError on non-zero exit unless allowFail. */
export function run(argv: string[], opts: { ns?: string; allowFail?: boolean; timeoutMs?: number; input?: string } = {}): RunResult {
  const full = opts.ns ? ['ip', 'netns', 'exec', opts.ns, ...argv] : argv;
  const r: SpawnSyncReturns<string> = spawnSync(full[0], full.slice(1), {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 20_000,
    input: opts.input,
    maxBuffer: 64 << 20,
  });
  const res = { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (r.error && !opts.allowFail) throw new LabError(`${full.join(' ')}: ${r.error.message}`);
  if (res.code !== 0 && !opts.allowFail)
    throw new LabError(`${full.join(' ')} exited ${res.code}: ${(res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return res;
}

/** Run argv asynchronously inside a namespace, collecting output; bounded by timeoutMs. */
export function runAsync(
  argv: string[],
  opts: { ns?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {},
): Promise<RunResult> {
  const full = opts.ns ? ['ip', 'netns', 'exec', opts.ns, ...argv] : argv;
  return new Promise((resolve) => {
    const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    if (child.pid) opts.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Start a daemon inside a namespace, detached, output to logFile. Returns its PID
 * (`ip netns exec` execs the command, so the PID is the daemon's own). */
export function startDaemon(ns: string, argv: string[], logFile: string, env?: NodeJS.ProcessEnv): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      stdio: ['ignore', fd, fd],
      detached: true,
      env: env ?? process.env,
    });
    if (!child.pid) throw new LabError(`cannot start ${argv[0]} in ${ns}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SIGTERM the given PIDs, wait up to graceMs, then SIGKILL what is left. */
export async function killPids(pids: number[], graceMs = 2000): Promise<void> {
  const live = pids.filter((p) => p > 1 && alive(p));
  for (const p of live) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const until = Date.now() + graceMs;
  while (Date.now() < until && live.some(alive)) await sleep(50);
  for (const p of live.filter(alive)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const until2 = Date.now() + 1000;
  while (Date.now() < until2 && live.some(alive)) await sleep(20);
}
