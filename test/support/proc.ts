// Shared plumbing for the real-middlebox fixtures: free ports, free loopback addresses, temp dirs,
// starting a foreground process and stopping it by its PID (never by name: Debian may run its own
// squid/nginx). Everything here stays on loopback.

import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync, chownSync, readdirSync, statSync } from 'node:fs';

/** A free TCP port on `host` (listen on port 0, close, hand back the number). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * A random loopback address 127.X.Y.Z (X ≥ 100) on which `port` is free. Lets several tests each run a
 * vendor stand-in on the profile's real port 443 at the same time, each on its own address.
 */
export async function freeLoopbackAddress(port: number): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const b = () => 1 + Math.floor(Math.random() * 250);
    const addr = `127.${100 + Math.floor(Math.random() * 150)}.${b()}.${b()}`;
    if (await canBind(addr, port)) return addr;
  }
  throw new Error(`no free loopback address for port ${port}`);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `netready-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** chown -R (squid drops root privileges to its cache_effective_user). */
export function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** Collected stdout+stderr (bounded to the last 64 KiB). */
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Start a foreground process. Stopping sends SIGTERM to this PID, then SIGKILL after `graceMs`. */
export function startProc(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; graceMs?: number } = {}): Proc {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const add = (d: Buffer) => {
    out += d.toString();
    if (out.length > 65536) out = out.slice(-65536);
  };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (e) => {
      add(Buffer.from(String(e)));
      resolve(-1);
    });
  });
  let done = false;
  exited.then(() => (done = true));
  const graceMs = opts.graceMs ?? 3000;
  return {
    child,
    pid: child.pid ?? -1,
    output: () => out,
    exited,
    async stop() {
      if (done || child.pid === undefined) return;
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const t = setTimeout(() => {
        try {
          if (!done) process.kill(child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** Run a command to its end, collecting stdout and stderr; SIGKILL after `timeoutMs` (default 60 s). */
export function runToEnd(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, wallMs: Date.now() - t0 });
    });
  });
}

/** Kill a PID read from a pid file we wrote ourselves (helpers a fixture spawned), if alive. */
export function killPidFile(file: string): void {
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 1) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Wait until something accepts TCP on host:port, or the process exits, or the time is up. */
export async function waitForPort(host: string, port: number, timeoutMs: number, proc?: Proc): Promise<void> {
  const end = Date.now() + timeoutMs;
  let exited = false;
  proc?.exited.then(() => (exited = true));
  while (Date.now() < end) {
    if (exited) throw new Error(`process exited before listening on ${host}:${port}:\n${proc?.output().slice(-3000)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      const t = setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 500);
      s.once('connect', () => {
        clearTimeout(t);
        s.destroy();
        resolve(true);
      });
      s.once('error', () => {
        clearTimeout(t);
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms${proc ? ':\n' + proc.output().slice(-3000) : ''}`);
}

/**
 * A fixture daemon's life in one temp dir: `setup(own)` writes its files into `dir`, starts it
 * (handing the Proc to `own`) and waits for it; the handle it returns gets `pid` and a `stop()` that
 * stops that process by its PID and removes the dir. When setup throws, the same cleanup runs.
 */
export async function ownDaemon<H extends object>(
  dir: string,
  setup: (own: (p: Proc) => Proc) => Promise<H>,
): Promise<H & { dir: string; pid: number; stop(): Promise<void> }> {
  let proc: Proc | null = null;
  const stop = async () => {
    await proc?.stop();
    removeDir(dir);
  };
  try {
    const h = await setup((p) => (proc = p));
    if (!proc) throw new Error('fixture setup did not start its process');
    return { ...h, dir, pid: (proc as Proc).pid, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
