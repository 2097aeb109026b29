// A real PostgreSQL (Debian's postgresql package) for the store's tests and bench: initdb into a
// temp directory, `postgres` on a free 127.0.0.1 port with its socket in that directory, stopped
// (and restarted) by its PID. As root it runs as the `postgres` user (initdb and postgres refuse
// root), through `setpriv`, which execs in place: the PID we hold is the postmaster's own.

import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort, removeDir, startProc, tempDir, type Proc } from './proc.js';

const PKG = 'needs PostgreSQL (Debian package postgresql)';

function binDir(): string | null {
  const onPath = (process.env.PATH ?? '').split(':').find((d) => d && existsSync(path.join(d, 'initdb')) && existsSync(path.join(d, 'postgres')));
  if (onPath) return onPath;
  // Debian installs the server outside PATH: /usr/lib/postgresql/<major>/bin (newest first).
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const m of majors) if (existsSync(path.join(root, m, 'bin', 'postgres'))) return path.join(root, m, 'bin');
  return null;
}

function postgresUser(): { uid: number; gid: number } | null {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Why PostgreSQL tests cannot run here (one line), or false when they can. */
export function postgresSkip(): string | false {
  if (!binDir()) return PKG;
  if (process.getuid?.() === 0) {
    if (!postgresUser()) return 'needs the postgres system user to run PostgreSQL as root (Debian package postgresql)';
    if (spawnSync('setpriv', ['--version']).status !== 0) return 'needs setpriv to run PostgreSQL as root (Debian package util-linux)';
  }
  return false;
}

export interface PgServer {
  host: string;
  port: number;
  pid: number;
  dataDir: string;
  /** A connection URL for a database on this server. */
  url(database?: string): string;
  /** CREATE DATABASE; resolves to its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stop the postmaster by its PID: SIGINT = fast shutdown, SIGQUIT = immediate (like a crash). */
  stop(signal?: 'SIGINT' | 'SIGQUIT' | 'SIGTERM'): Promise<void>;
  /** Start it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stop and remove the temp directory. */
  destroy(): Promise<void>;
  output(): string;
}

const USER = 'netready';

async function waitReady(host: string, port: number, proc: Proc, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let exited = false;
  proc.exited.then(() => (exited = true));
  let last = '';
  while (Date.now() < end) {
    if (exited) throw new Error(`postgres exited during start:\n${proc.output().slice(-2000)}`);
    const c = new pg.Client({ host, port, user: USER, database: 'postgres', connectionTimeoutMillis: 1000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return;
    } catch (e) {
      last = (e as Error).message;
      await c.end().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`postgres not ready on ${host}:${port} after ${timeoutMs} ms (${last}):\n${proc.output().slice(-2000)}`);
}

/** initdb + start. `fsync: false` for speed where durability across power loss does not matter. */
export async function startPostgres(opts: { fsync?: boolean } = {}): Promise<PgServer> {
  const bin = binDir();
  if (!bin) throw new Error(PKG);
  const dir = tempDir('pg');
  const dataDir = path.join(dir, 'data');
  const sockDir = path.join(dir, 'sock');
  mkdirSync(sockDir);
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? postgresUser() : null;
  if (asRoot && !user) throw new Error('no postgres user');
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(sockDir, user.uid, user.gid);
  }
  const wrap = (cmd: string, args: string[]): [string, string[]] =>
    user ? ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', cmd, ...args]] : [cmd, args];
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C', HOME: dir, PGTZ: 'UTC' };
  const [ic, ia] = wrap(path.join(bin, 'initdb'), ['-D', dataDir, '-U', USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const init = spawnSync(ic, ia, { env, cwd: dir, encoding: 'utf8', timeout: 120_000 });
  if (init.status !== 0) {
    removeDir(dir);
    throw new Error(`initdb failed (${init.status}): ${(init.stderr || init.stdout || String(init.error)).slice(-2000)}`);
  }
  const host = '127.0.0.1';
  const port = await freePort(host);
  const args = ['-D', dataDir, '-p', String(port), '-k', sockDir, '-h', host, '-c', `fsync=${opts.fsync === false ? 'off' : 'on'}`, '-c', 'max_connections=60', '-c', 'shared_buffers=64MB', '-c', 'log_min_messages=warning'];
  let proc: Proc | undefined;
  const start = async () => {
    const [c, a] = wrap(path.join(bin, 'postgres'), args);
    proc = startProc(c, a, { env, cwd: dir, graceMs: 10_000 });
    await waitReady(host, port, proc, 60_000);
  };
  try {
    await start();
  } catch (e) {
    await proc?.stop();
    removeDir(dir);
    throw e;
  }
  const url = (db = 'postgres') => `postgres://${USER}@${host}:${port}/${db}`;
  const srv: PgServer = {
    host,
    port,
    get pid() {
      return proc?.pid ?? -1;
    },
    dataDir,
    url,
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    async stop(signal = 'SIGINT') {
      const p = proc;
      if (!p) return;
      let done = false;
      p.exited.then(() => (done = true));
      if (!done) {
        try {
          process.kill(p.pid, signal);
        } catch {
          /* gone */
        }
      }
      const t = setTimeout(() => !done && p.stop(), 30_000);
      await p.exited;
      clearTimeout(t);
    },
    start,
    async destroy() {
      await srv.stop('SIGINT');
      removeDir(dir);
    },
    output: () => proc?.output() ?? '',
  };
  return srv;
}

/** A fresh, uniquely named database name for one test. */
export function dbName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

