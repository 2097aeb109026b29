// `netready serve --turn managed`: a coturn (Debian `turnserver`) child that serve configures,
// watches and stops itself.
//
// Configuration (a file in a private temp dir, mode 0600; the secret is never on a command line,
// in a log line or in a report): TURN REST credentials (use-auth-secret) with the serve's secret,
// UDP + TCP on ADDRESS:3478 and TLS on ADDRESS:TLSPORT (seed 000_637c892c7d775e13.txt: "UDP 3478
// (STUN/TURN) ... fallback TURN over TCP/TLS 443") with the serve's certificate, a bounded relay
// port range, no open relay (every peer address denied, then only the serve's own addresses
// allowed: its UDP echo and the addresses its WebRTC peer answers on), no-multicast-peers,
// no-tcp-relay, no CLI, no DTLS, no RFC 5780 extras or SOFTWARE (smaller STUN answers: 32 bytes
// to a bare 20-byte request), per-user (= per requester, see turn-creds.ts) and total allocation
// quotas, per-session and total bandwidth caps.
//
// Supervision: ready when it answers a STUN Binding; a Binding every HEALTH_EVERY_MS, restarted
// after HEALTH_FAILURES unanswered in a row or when it exits, with backoff (250 ms doubling to
// 10 s, reset after 30 s up); stopped with SIGTERM, SIGKILL after STOP_GRACE_MS. Started under
// `setpriv --pdeathsig KILL` when util-linux has it, so a serve killed with SIGKILL leaves no
// coturn behind either.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { encodeMessage, decodeMessage, Method, newTransactionId } from '../protocol/stun.js';
import type { CertPair } from '../net/certs.js';

export const COTURN_BIN = 'turnserver';
export const HEALTH_EVERY_MS = 2_000;
export const HEALTH_TIMEOUT_MS = 1_000;
export const HEALTH_FAILURES = 3;
export const STOP_GRACE_MS = 1_000;
export const READY_WITHIN_MS = 10_000;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 10_000;
const STABLE_MS = 30_000;
const LOG_LINES = 50;

export const MANAGED_TURN_DEFAULTS = {
  port: 3478, // seed 000: UDP 3478 (STUN/TURN)
  tlsPort: 443, // seed 000: TURN over TCP/TLS 443
  tlsPortBeside: 5349, // when the serve holds ADDRESS:443 itself
  relayPorts: { min: 49160, max: 49359 },
  userQuota: 8,
  totalQuota: 256,
  /** Bytes per second per session: 4 Mbit/s, above the video rates of seed 000. */
  sessionBps: 500_000,
  /** Bytes per second in all: 200 Mbit/s. */
  totalBps: 25_000_000,
} as const;

export interface ManagedTurnConfig {
  /** coturn's listening and relay address (UDP/TCP `port`, TLS `tlsPort`). */
  address: string;
  port: number;
  tlsPort: number;
  /** The public address in front of a 1:1 NAT (coturn external-ip). */
  externalIp?: string;
  relayPorts: { min: number; max: number };
  /** The TURN REST secret (static-auth-secret). */
  secret: string;
  /** The addresses the relay may reach (everything else is denied). */
  allowedPeers: string[];
  realm: string;
  /** The host name in the TURN URLs (a name on the certificate), else the address. */
  urlHost: string;
  userQuota: number;
  totalQuota: number;
  sessionBps: number;
  totalBps: number;
}

export function generateTurnSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** The TURN URLs clients get for a managed coturn. */
export function managedTurnUrls(c: Pick<ManagedTurnConfig, 'urlHost' | 'port' | 'tlsPort'>): string[] {
  const h = isIPv6(c.urlHost) ? `[${c.urlHost}]` : c.urlHost;
  return [`turn:${h}:${c.port}?transport=udp`, `turn:${h}:${c.port}?transport=tcp`, `turns:${h}:${c.tlsPort}?transport=tcp`];
}

/** The firewall rules (inbound to the probe) a managed coturn needs. */
export function managedTurnPorts(c: Pick<ManagedTurnConfig, 'address' | 'port' | 'tlsPort'>): { proto: 'udp' | 'tcp'; address: string; port: number; what: string }[] {
  return [
    { proto: 'udp', address: c.address, port: c.port, what: 'STUN and TURN over UDP (coturn)' },
    { proto: 'tcp', address: c.address, port: c.port, what: 'TURN over TCP (coturn)' },
    { proto: 'tcp', address: c.address, port: c.tlsPort, what: 'TURN over TLS (coturn)' },
  ];
}

const isLoopback = (a: string) => a === '::1' || a.startsWith('127.');

/** coturn's configuration file. The secret is in it: it is written 0600 into a 0700 directory. */
export function coturnConfigText(c: ManagedTurnConfig, files: { cert: string; key: string; pid: string; db: string }): string {
  const allowed = [...new Set(c.allowedPeers)];
  const lines = [
    '# written by netready serve --turn managed; removed when it stops',
    `listening-ip=${c.address}`,
    `relay-ip=${c.address}`,
    ...(c.externalIp ? [`external-ip=${c.externalIp}/${c.address}`] : []),
    `listening-port=${c.port}`,
    `tls-listening-port=${c.tlsPort}`,
    'alt-listening-port=0',
    'alt-tls-listening-port=0',
    `min-port=${c.relayPorts.min}`,
    `max-port=${c.relayPorts.max}`,
    'use-auth-secret',
    `static-auth-secret=${c.secret}`,
    `realm=${c.realm}`,
    'fingerprint',
    `cert=${files.cert}`,
    `pkey=${files.key}`,
    'no-tlsv1',
    'no-tlsv1_1',
    'no-dtls',
    'no-cli',
    'no-tcp-relay',
    'no-multicast-peers',
    'no-rfc5780',
    'no-stun-backward-compatibility',
    'response-origin-only-with-rfc5780',
    'no-software-attribute',
    `user-quota=${c.userQuota}`,
    `total-quota=${c.totalQuota}`,
    `max-bps=${c.sessionBps}`,
    `bps-capacity=${c.totalBps}`,
    // No open relay: every peer denied, then the serve's own addresses allowed.
    'denied-peer-ip=0.0.0.0-255.255.255.255',
    'denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ...allowed.map((a) => `allowed-peer-ip=${a}`),
    ...(allowed.some(isLoopback) ? ['allow-loopback-peers'] : []),
    `pidfile=${files.pid}`,
    `userdb=${files.db}`,
    'log-file=stdout',
    'simple-log',
  ];
  return `${lines.join('\n')}\n`;
}

/** Is coturn installed? (the binary on PATH) */
export function coturnInstalled(): boolean {
  return spawnSync(COTURN_BIN, ['--version'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
}

const hasSetpriv = (() => {
  let v: boolean | null = null;
  return () => (v ??= existsSync('/usr/bin/setpriv') && spawnSync('/usr/bin/setpriv', ['--help'], { stdio: 'ignore', timeout: 5_000 }).status === 0);
})();

/** One STUN Binding to coturn over UDP; true when it answered in time. */
export async function stunAlive(address: string, port: number, timeoutMs = HEALTH_TIMEOUT_MS): Promise<boolean> {
  const sock = dgram.createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, () => resolve());
    });
    const tid = newTransactionId();
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      sock.on('message', (m) => {
        try {
          if (decodeMessage(m).transactionId.equals(tid)) {
            clearTimeout(timer);
            resolve(true);
          }
        } catch {
          /* not STUN */
        }
      });
      sock.on('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
      sock.send(encodeMessage({ method: Method.Binding, cls: 'request', transactionId: tid, attributes: [] }, { fingerprint: true }), port, address);
    });
  } catch {
    return false;
  } finally {
    try {
      sock.close();
    } catch {
      /* closed */
    }
  }
}

export type CoturnState = 'starting' | 'up' | 'restarting' | 'stopped';

export interface CoturnStatus {
  state: CoturnState;
  pid: number | null;
  restarts: number;
  /** Last health check: answered, and when (epoch ms). */
  lastHealthOk: boolean | null;
  lastHealthAt: number | null;
}

export interface CoturnSupervisor {
  status(): CoturnStatus;
  /** The last log lines of the child, the secret masked (for diagnostics). */
  log(): string[];
  /** Resolves when coturn answers (rejects when it does not within READY_WITHIN_MS). */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

export interface CoturnStartOptions {
  /** The certificate coturn serves on TLS. */
  cert: CertPair;
  log?: (line: string) => void;
  /** Test seam for timings (never shortened below a sane floor by the CLI). */
  healthEveryMs?: number;
}

/** Masks every occurrence of the secret. */
export function redact(text: string, secret: string): string {
  return secret ? text.split(secret).join('***') : text;
}

export function startCoturn(c: ManagedTurnConfig, o: CoturnStartOptions): CoturnSupervisor {
  if (!isIP(c.address)) throw new Error(`managed TURN: "${c.address}" is not an IP address`);
  const say = o.log ?? (() => {});
  const dir = mkdtempSync(path.join(os.tmpdir(), 'netready-coturn-'));
  const files = { conf: path.join(dir, 'turnserver.conf'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem'), pid: path.join(dir, 'turnserver.pid'), db: path.join(dir, 'turndb') };
  writeFileSync(files.cert, o.cert.certPem, { mode: 0o600 });
  writeFileSync(files.key, o.cert.keyPem, { mode: 0o600 });
  writeFileSync(files.conf, coturnConfigText(c, files), { mode: 0o600 });
  const healthEvery = o.healthEveryMs ?? HEALTH_EVERY_MS;

  const lines: string[] = [];
  const status: CoturnStatus = { state: 'starting', pid: null, restarts: 0, lastHealthOk: null, lastHealthAt: null };
  let child: ChildProcess | null = null;
  let stopping = false;
  let startedAt = 0;
  let backoff = BACKOFF_MIN_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  let healthTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  const readyP = new Promise<void>((res, rej) => ((readyResolve = res), (readyReject = rej)));
  readyP.catch(() => {});
  let everReady = false;

  const keep = (chunk: Buffer) => {
    for (const l of redact(chunk.toString('utf8'), c.secret).split('\n')) {
      if (!l.trim()) continue;
      lines.push(l.slice(0, 300));
      if (lines.length > LOG_LINES) lines.shift();
    }
  };

  const spawnChild = () => {
    const argv = [COTURN_BIN, '-c', files.conf];
    const [cmd, ...args] = hasSetpriv() ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', ...argv] : argv;
    startedAt = Date.now();
    status.state = status.restarts ? 'restarting' : 'starting';
    const ch = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    child = ch;
    status.pid = ch.pid ?? null;
    ch.stdout!.on('data', keep);
    ch.stderr!.on('data', keep);
    ch.once('error', (e: NodeJS.ErrnoException) => {
      keep(Buffer.from(e.code === 'ENOENT' ? `${COTURN_BIN} not found` : e.message));
      if (!everReady) readyReject(new Error(e.code === 'ENOENT' ? 'coturn is not installed (Debian package coturn: turnserver not found)' : `coturn did not start: ${e.message}`));
    });
    ch.once('exit', (code, signal) => {
      if (child === ch) child = null;
      status.pid = null;
      if (stopping) return;
      say(`turn      coturn exited (${signal ?? `code ${code}`}); restarting in ${backoff} ms`);
      scheduleRestart();
    });
    void waitReady(ch);
  };

  const waitReady = async (ch: ChildProcess) => {
    const until = Date.now() + READY_WITHIN_MS;
    while (!stopping && child === ch && Date.now() < until) {
      if (await stunAlive(c.address, c.port, 300)) {
        status.state = 'up';
        status.lastHealthOk = true;
        status.lastHealthAt = Date.now();
        failures = 0;
        if (!everReady) {
          everReady = true;
          readyResolve();
        }
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (stopping || child !== ch) return;
    if (!everReady) readyReject(new Error(`coturn did not answer STUN on ${c.address}:${c.port} within ${READY_WITHIN_MS / 1000} s${lines.length ? `: ${lines.slice(-3).join(' | ')}` : ''}`));
    else kill(ch); // the exit handler restarts it
  };

  const scheduleRestart = () => {
    if (stopping) return;
    if (Date.now() - startedAt > STABLE_MS) backoff = BACKOFF_MIN_MS;
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      status.restarts++;
      spawnChild();
    }, backoff);
    backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
  };

  const kill = (ch: ChildProcess, sig: NodeJS.Signals = 'SIGKILL') => {
    try {
      ch.kill(sig);
    } catch {
      /* gone */
    }
  };

  const health = async () => {
    if (stopping) return;
    const ch = child;
    if (ch && status.state === 'up') {
      const ok = await stunAlive(c.address, c.port);
      status.lastHealthOk = ok;
      status.lastHealthAt = Date.now();
      failures = ok ? 0 : failures + 1;
      if (failures >= HEALTH_FAILURES && child === ch && !stopping) {
        say(`turn      coturn did not answer ${failures} STUN health checks; restarting it`);
        failures = 0;
        status.state = 'restarting';
        kill(ch);
      }
    }
    if (!stopping) healthTimer = setTimeout(() => void health(), healthEvery);
  };

  spawnChild();
  healthTimer = setTimeout(() => void health(), healthEvery);

  return {
    status: () => ({ ...status }),
    log: () => lines.slice(),
    ready: () => readyP,
    async stop() {
      if (stopping) return;
      stopping = true;
      clearTimeout(restartTimer);
      clearTimeout(healthTimer);
      const ch = child;
      if (ch && ch.exitCode === null && ch.signalCode === null) {
        const exited = new Promise<void>((r) => ch.once('exit', () => r()));
        kill(ch, 'SIGTERM');
        const t = setTimeout(() => kill(ch), STOP_GRACE_MS);
        await Promise.race([exited, new Promise((r) => setTimeout(r, STOP_GRACE_MS + 400))]);
        clearTimeout(t);
      }
      status.state = 'stopped';
      status.pid = null;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
