// `BENCH_ONLY=serve npm run bench`: the probe (`netready serve`, the real CLI in a child process)
// under load and under abuse, on loopback, against the bounds of issue 13 ("The probe as a
// product"). Every figure is printed beside its bound; nothing here fails a build.
//
// Parts (BENCH_SERVE=load,slow,bandwidth,abuse picks some; default all):
// - load: 500 clients, each from its own loopback address (127.20.x.y: 500 machines or NATs), each
//   holding a WSS echo (one 64-byte message every 200 ms) and an SSE stream, for 20 s after all are
//   up; echo round trip p50/p99/max, errors, the serve's RSS. Bound: p99 < 50 ms, 0 errors.
// - slow: 1 000 slow-header connections (each from its own address, a header byte every 2 s), then
//   a normal client from another address: time to its answer. Bound: < 100 ms.
// - bandwidth: /.netready/down and /up (4 WebSocket streams, as quality.throughput) against iperf3
//   (-P 4) on loopback.
// - abuse: the defects of issue 13, each as a figure: a WebSocket client that never reads (serve
//   memory), 600 streams from one address (others served?), 1 GiB to a 405 route (bytes read),
//   random SNI names (handshakes/s), STUN and UDP echo reply sizes, idle TCP on STUN, /turn.
//
// BENCH_SERVE_MAIN=/path/to/src/cli/main.ts runs another checkout's serve (the "before" figures).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import WebSocket from 'ws';
import { holdStreams } from '../test/support/hold-streams.js';

const MAIN = process.env.BENCH_SERVE_MAIN ?? join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] : NaN);
const mark = (ok: boolean) => (ok ? '✔' : '✘');

interface Serve {
  child: ChildProcess;
  port: number;
  ca: string;
  stunPort: number | null;
  out: () => string;
  rssKiB(): number;
  hwmKiB(): number;
  stop(): Promise<void>;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return NaN;
  }
}

function procKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const p = s.address().port;
  s.close();
  return p;
}

/** Starts `netready serve` (the CLI) with `args`; resolves once it prints "running". */
async function startServeCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Serve> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    cwd: join(MAIN, '..', '..', '..'),
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 300 && !/running/.test(out) && child.exitCode === null; i++) await sleep(50);
  if (!/running/.test(out)) {
    child.kill('SIGKILL');
    throw new Error(`serve did not start: ${out.slice(-500)}`);
  }
  const port = Number(/https +\S+:(\d+)/.exec(out)?.[1]);
  const caFile = /\bca +(\S+)/.exec(out)?.[1];
  const stun = /stun +udp\+tcp 127\.0\.0\.1:(\d+)/.exec(out);
  return {
    child,
    port,
    ca: caFile && existsSync(caFile) ? readFileSync(caFile, 'utf8') : '',
    stunPort: stun ? Number(stun[1]) : null,
    out: () => out,
    rssKiB: () => procKiB(child.pid!, 'VmRSS'),
    hwmKiB: () => procKiB(child.pid!, 'VmHWM'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** The i-th client address: 127.B.x.y, never .0 or .255. */
const clientAddr = (b: number, i: number) => `127.${b}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;

function request(s: Serve, path: string, o: { method?: string; localAddress?: string; headers?: Record<string, string>; body?: Buffer; timeoutMs?: number } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port: s.port, path, method: o.method ?? 'GET', ca: s.ca, servername: 'localhost', agent: false, headers: o.headers, localAddress: o.localAddress, timeout: o.timeoutMs ?? 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - t0 }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Runs `fn` over items with at most `n` at once. */
async function pool<T>(items: T[], n: number, fn: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

// ---- load ------------------------------------------------------------------------------------

export async function loadPart(extraArgs: string[] = []): Promise<void> {
  const CLIENTS = Number(process.env.BENCH_LOAD_CLIENTS ?? 500);
  const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 20);
  const s = await startServeCli(['--listen', '127.0.0.1:0', ...extraArgs]);
  const errors: string[] = [];
  const err = (e: string) => {
    if (errors.length < 10_000) errors.push(e);
  };
  const clients: { ws: WebSocket; sse: import('node:http').ClientRequest | null; rtts: number[]; sent: Map<number, number> }[] = [];
  let sseEvents = 0;
  let measuring = false;
  try {
    const t0 = performance.now();
    await pool(
      Array.from({ length: CLIENTS }, (_, i) => i),
      50,
      async (i) => {
        const localAddress = clientAddr(20, i);
        const c = { ws: null as unknown as WebSocket, sse: null as import('node:http').ClientRequest | null, rtts: [] as number[], sent: new Map<number, number>() };
        await new Promise<void>((resolve) => {
          const ws = new WebSocket(`wss://127.0.0.1:${s.port}/load/ws`, { ca: s.ca, servername: 'localhost', localAddress, perMessageDeflate: false } as WebSocket.ClientOptions);
          c.ws = ws;
          ws.once('open', () => resolve());
          ws.once('unexpected-response', (_req, res) => {
            err(`ws ${res.statusCode}`);
            resolve();
          });
          ws.on('error', (e) => {
            err(`ws ${(e as NodeJS.ErrnoException).code ?? e.message}`);
            resolve();
          });
          ws.on('close', () => {
            if (measuring) err('ws closed');
          });
          ws.on('message', (d: Buffer) => {
            const seq = d.readUInt32BE(0);
            const at = c.sent.get(seq);
            if (at !== undefined && measuring) c.rtts.push(performance.now() - at);
            c.sent.delete(seq);
          });
        });
        await new Promise<void>((resolve) => {
          const req = https.get(
            { host: '127.0.0.1', port: s.port, path: '/load/event?interval=1000&count=200', ca: s.ca, servername: 'localhost', agent: false, localAddress },
            (res) => {
              if (res.statusCode !== 200) err(`sse ${res.statusCode}`);
              res.on('data', () => sseEvents++);
              res.on('error', () => {});
              res.on('close', () => {
                if (measuring) err('sse closed');
              });
              resolve();
            },
          );
          req.on('error', (e) => {
            err(`sse ${(e as NodeJS.ErrnoException).code ?? e.message}`);
            resolve();
          });
          c.sse = req;
        });
        clients.push(c);
      },
    );
    const rampMs = performance.now() - t0;
    const open = clients.filter((c) => c.ws.readyState === WebSocket.OPEN);
    const rampErrors = errors.length;
    measuring = true;
    const cpu0 = { serve: cpuSeconds(s.child.pid!), bench: process.cpuUsage() };
    const t1 = performance.now();
    const end = performance.now() + SECONDS * 1000;
    let seq = 0;
    const payload = Buffer.alloc(64);
    const timers = open.map((c, i) =>
      setTimeout(() => {
        const tick = () => {
          if (performance.now() >= end || c.ws.readyState !== WebSocket.OPEN) return;
          const b = Buffer.from(payload);
          const n = ++seq;
          b.writeUInt32BE(n, 0);
          c.sent.set(n, performance.now());
          c.ws.send(b);
          t = setTimeout(tick, 200);
        };
        let t = setTimeout(tick, 0);
        timers2.push(() => clearTimeout(t));
      }, (i * 200) / open.length),
    );
    const timers2: (() => void)[] = [];
    let peakRss = 0;
    while (performance.now() < end + 500) {
      peakRss = Math.max(peakRss, s.rssKiB());
      await sleep(500);
    }
    measuring = false;
    const wall = (performance.now() - t1) / 1000;
    const serveCpu = (cpuSeconds(s.child.pid!) - cpu0.serve) / wall;
    const b = process.cpuUsage(cpu0.bench);
    const benchCpu = (b.user + b.system) / 1e6 / wall;
    timers.forEach(clearTimeout);
    timers2.forEach((f) => f());
    const rtts = clients.flatMap((c) => c.rtts);
    const lost = clients.reduce((n, c) => n + c.sent.size, 0);
    const p99 = pct(rtts, 99);
    const errCount = errors.length + lost;
    const kinds = new Map<string, number>();
    for (const e of errors) kinds.set(e, (kinds.get(e) ?? 0) + 1);
    console.log(`== serve load: ${CLIENTS} clients (own loopback address each), WSS echo every 200 ms + SSE, ${SECONDS} s${extraArgs.length ? ` (${extraArgs.join(' ')})` : ', default options'} ==`);
    console.log(`ramp: ${open.length}/${CLIENTS} WSS open in ${fmt(rampMs)} ms (${rampErrors} errors while opening)`);
    console.log(`echo round trips: ${rtts.length}, p50 ${fmt(pct(rtts, 50), 1)} ms, p99 ${fmt(p99, 1)} ms, max ${fmt(Math.max(...rtts), 1)} ms  (bound p99 < 50 ms) ${mark(p99 < 50)}`);
    console.log(`errors: ${errCount} (${lost} echoes unanswered${kinds.size ? `; ${[...kinds].map(([k, n]) => `${k} ×${n}`).join(', ')}` : ''})  (bound 0) ${mark(errCount === 0)}`);
    console.log(`SSE events received: ${sseEvents}`);
    console.log(`CPU during the window: serve ${fmt(serveCpu * 100)} % of a core, the clients (this process) ${fmt(benchCpu * 100)} %; load average ${os.loadavg()[0].toFixed(1)}`);
    console.log(`serve RSS: ${fmt(s.rssKiB() / 1024, 1)} MiB now, ${fmt(peakRss / 1024, 1)} MiB peak during the run (VmHWM ${fmt(s.hwmKiB() / 1024, 1)} MiB)`);
  } finally {
    for (const c of clients) {
      c.ws.terminate();
      c.sse?.destroy();
    }
    await s.stop();
  }
}

// ---- slow headers ------------------------------------------------------------------------------

export async function slowPart(): Promise<void> {
  const N = Number(process.env.BENCH_SLOW_CONNS ?? 1000);
  const s = await startServeCli(['--listen', '127.0.0.1:0']);
  const socks: tls.TLSSocket[] = [];
  let reset = 0;
  let handshaken = 0;
  try {
    await pool(
      Array.from({ length: N }, (_, i) => i),
      50,
      async (i) => {
        await new Promise<void>((resolve) => {
          const sock = tls.connect({ host: '127.0.0.1', port: s.port, ca: s.ca, servername: 'localhost', localAddress: clientAddr(21, i) } as tls.ConnectionOptions, () => {
            handshaken++;
            sock.write('GET /slow HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
            resolve();
          });
          sock.on('error', (e: NodeJS.ErrnoException) => {
            if (e.code === 'ECONNRESET') reset++;
            resolve();
          });
          sock.setTimeout(5000, () => {
            sock.destroy();
            resolve();
          });
          socks.push(sock);
        });
      },
    );
    const drip = setInterval(() => {
      for (const k of socks) if (!k.destroyed) k.write('a');
    }, 2000);
    await sleep(1000);
    const times: number[] = [];
    let failures = 0;
    for (let i = 0; i < 20; i++) {
      try {
        const r = await request(s, '/normal', { localAddress: '127.22.0.1', timeoutMs: 5000 });
        if (r.status === 200) times.push(r.ms);
        else failures++;
      } catch {
        failures++;
      }
      await sleep(100);
    }
    clearInterval(drip);
    const mx = Math.max(...times);
    console.log(`== serve slow headers: ${N} slow-header connections (own address each), then a normal client ==`);
    console.log(`slow connections past the TLS handshake: ${handshaken}/${N} (${reset} reset)`);
    console.log(`normal client: ${times.length}/20 answered (${failures} failed), p50 ${fmt(pct(times, 50), 1)} ms, max ${fmt(mx, 1)} ms  (bound < 100 ms) ${mark(failures === 0 && mx < 100)}`);
    console.log(`serve RSS: ${fmt(s.rssKiB() / 1024, 1)} MiB`);
  } finally {
    for (const k of socks) k.destroy();
    await s.stop();
  }
}

// ---- bandwidth ---------------------------------------------------------------------------------

async function wsStreams(s: Serve, path: string, streams: number, ms: number, up: boolean): Promise<number> {
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: streams }, () =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(`wss://127.0.0.1:${s.port}${path}?ms=${ms}`, { ca: s.ca, servername: 'localhost', perMessageDeflate: false } as WebSocket.ClientOptions);
        const chunk = randomBytes(64 * 1024);
        let last = 0;
        ws.on('open', () => {
          if (!up) return ws.send('go');
          const pump = () => {
            while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < 1024 * 1024) ws.send(chunk);
            if (ws.readyState === WebSocket.OPEN) setTimeout(pump, 1);
          };
          pump();
        });
        ws.on('message', (d: Buffer, isBinary) => {
          if (!up && isBinary) bytes += d.length;
          if (up && !isBinary) {
            const r = JSON.parse(String(d)) as { bytes: number };
            bytes += r.bytes - last;
            last = r.bytes;
          }
        });
        ws.on('error', () => resolve());
        ws.on('close', () => resolve());
      }),
    ),
  );
  return (bytes * 8) / ((performance.now() - t0) / 1000);
}

function iperf(args: string[]): number {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const srv = spawn('iperf3', ['-s', '-1', '-B', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  try {
    spawnSync('sleep', ['0.3']);
    const r = spawnSync('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-J', ...args], { encoding: 'utf8', timeout: 20_000 });
    const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
    return j.end.sum_received.bits_per_second;
  } catch {
    return NaN;
  } finally {
    srv.kill('SIGKILL');
  }
}

export async function bandwidthPart(): Promise<void> {
  const haveIperf = spawnSync('iperf3', ['--version']).status === 0;
  const s = await startServeCli(['--listen', '127.0.0.1:0']);
  try {
    const down = await wsStreams(s, '/.netready/down', 4, 3000, false);
    const up = await wsStreams(s, '/.netready/up', 4, 3000, true);
    const ipDown = haveIperf ? iperf(['-P', '4', '-t', '3', '-R']) : NaN;
    const ipUp = haveIperf ? iperf(['-P', '4', '-t', '3']) : NaN;
    console.log('== serve bandwidth endpoint vs iperf3 on loopback (4 streams each, 3 s) ==');
    console.log(`/.netready/down: ${fmt(down / 1e9, 2)} Gbit/s; iperf3 -R: ${fmt(ipDown / 1e9, 2)} Gbit/s; ratio ${fmt((down / ipDown) * 100)} %${haveIperf ? '' : ' (no iperf3: Debian package iperf3)'}`);
    console.log(`/.netready/up:   ${fmt(up / 1e9, 2)} Gbit/s; iperf3:    ${fmt(ipUp / 1e9, 2)} Gbit/s; ratio ${fmt((up / ipUp) * 100)} %`);
    console.log('(loopback has no link: both are CPU-bound; netready pays TLS + WebSocket framing in one Node thread)');
  } finally {
    await s.stop();
  }
}

// ---- abuse -------------------------------------------------------------------------------------

/** A WebSocket client that writes 64 KiB frames for `ms` and never reads. */
async function wsNoRead(s: Serve, ms: number): Promise<{ sentBytes: number; closedBy: string }> {
  const sock = tls.connect({ host: '127.0.0.1', port: s.port, ca: s.ca, servername: 'localhost' });
  await new Promise<void>((r, j) => (sock.once('secureConnect', () => r()), sock.once('error', j)));
  sock.write(`GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await new Promise<void>((r) => sock.once('data', () => r()));
  sock.pause(); // never read again
  const payload = randomBytes(64 * 1024);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]));
  const frame = Buffer.concat([Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0]), mask, masked]);
  let sentBytes = 0;
  let closedBy = 'still open';
  sock.on('error', (e: NodeJS.ErrnoException) => (closedBy = e.code ?? e.message));
  sock.on('close', () => {
    if (closedBy === 'still open') closedBy = 'closed by serve';
  });
  const end = performance.now() + ms;
  while (performance.now() < end && !sock.destroyed) {
    if (!sock.write(frame)) {
      const drained = await Promise.race([new Promise<boolean>((r) => sock.once('drain', () => r(true))), sleep(Math.max(1, end - performance.now())).then(() => false)]);
      if (!drained) break;
    }
    sentBytes += frame.length;
  }
  sock.destroy();
  return { sentBytes, closedBy };
}

async function rawBody(s: Serve, path: string, bytes: number, ms: number): Promise<{ accepted: number; status: string; ms: number }> {
  const t0 = performance.now();
  const sock = tls.connect({ host: '127.0.0.1', port: s.port, ca: s.ca, servername: 'localhost' });
  await new Promise<void>((r, j) => (sock.once('secureConnect', () => r()), sock.once('error', j)));
  let status = '';
  sock.on('data', (d: Buffer) => (status ||= d.toString('latin1').split('\r\n')[0]));
  let closed = false;
  sock.on('error', () => (closed = true));
  sock.on('close', () => (closed = true));
  sock.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bytes}\r\n\r\n`);
  const chunk = Buffer.alloc(256 * 1024, 'x');
  let accepted = 0;
  const end = performance.now() + ms;
  while (accepted < bytes && !closed && performance.now() < end) {
    if (!sock.write(chunk)) await Promise.race([new Promise((r) => sock.once('drain', r)), sleep(200)]);
    accepted += chunk.length;
  }
  const took = performance.now() - t0;
  // What the kernel buffers on both sides is counted too: an upper bound on what the serve read.
  sock.destroy();
  return { accepted, status, ms: took };
}

async function handshakesPerSec(s: Serve, randomSni: boolean, ms: number): Promise<number> {
  let n = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < end) {
        const name = randomSni ? `${randomBytes(6).toString('hex')}.example.test` : 'localhost';
        await new Promise<void>((resolve) => {
          const k = tls.connect({ host: '127.0.0.1', port: s.port, servername: name, rejectUnauthorized: false }, () => {
            n++;
            k.destroy();
            resolve();
          });
          k.on('error', () => resolve());
        });
      }
    }),
  );
  return n / (ms / 1000);
}

async function udpAsk(port: number, packet: Buffer, from: string, waitMs = 400): Promise<Buffer[]> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, from, r));
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  sock.send(packet, port, '127.0.0.1');
  await sleep(waitMs);
  sock.close();
  return got;
}

export async function abusePart(): Promise<void> {
  console.log('== serve abuse (issue 13 defects, each as a figure) ==');
  // (1) a WebSocket client that never reads
  {
    const s = await startServeCli(['--listen', '127.0.0.1:0']);
    try {
      const before = s.rssKiB();
      const r = await wsNoRead(s, 10_000);
      const peak = s.hwmKiB();
      await sleep(3000);
      console.log(`ws never reads (10 s of 64 KiB frames): client got ${fmt(r.sentBytes / 2 ** 20)} MiB out (${r.closedBy}); serve RSS ${fmt(before / 1024)} → peak ${fmt(peak / 1024)} MiB, ${fmt(s.rssKiB() / 1024)} MiB 3 s after it left  (bound: bounded, < 200 MiB peak) ${mark(peak < 200 * 1024)}`);
    } finally {
      await s.stop();
    }
  }
  // (2) one address opens 600 streams
  {
    const s = await startServeCli(['--listen', '127.0.0.1:0']);
    let reqs: import('node:http').ClientRequest[] = [];
    try {
      const held = await holdStreams(600, (cb) => https.get({ host: '127.0.0.1', port: s.port, path: '/x/event?idle=1', ca: s.ca, servername: 'localhost', agent: false, localAddress: '127.23.0.1' }, cb), 50);
      const codes = held.codes;
      reqs = held.reqs;
      let other = 'n/a';
      try {
        const r = await request(s, '/other', { localAddress: '127.23.0.2', timeoutMs: 5000 });
        other = `${r.status} in ${fmt(r.ms, 1)} ms`;
      } catch (e) {
        other = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      }
      console.log(`600 SSE streams from one address: ${[...codes].map(([k, n]) => `${k} ×${n}`).join(', ')}; another address: ${other}  (bound: others served) ${mark(other.startsWith('200'))}`);
    } finally {
      reqs.forEach((r) => r.destroy());
      await s.stop();
    }
  }
  // (3) 1 GiB body to a 405 route
  {
    const s = await startServeCli(['--listen', '127.0.0.1:0']);
    try {
      const r = await rawBody(s, '/.netready/page', 2 ** 30, 16_000);
      // What the client wrote includes both kernels' socket buffers (several MiB on loopback).
      console.log(`1 GiB POST to a 405 route: ${r.status || 'no answer'}; client wrote ${fmt(r.accepted / 2 ** 20, 1)} MiB before the serve closed (${fmt(r.ms)} ms)  (bound: closed, ≤ 16 MiB incl. socket buffers) ${mark(r.accepted <= 16 * 2 ** 20)}`);
      const r2 = await rawBody(s, '/upload', 2 ** 30, 16_000);
      console.log(`1 GiB POST to a plain route (64 KiB limit): ${r2.status || 'no answer'}; client wrote ${fmt(r2.accepted / 2 ** 20, 1)} MiB (${fmt(r2.ms)} ms)  (bound: closed, ≤ 16 MiB incl. socket buffers) ${mark(r2.accepted <= 16 * 2 ** 20)}`);
    } finally {
      await s.stop();
    }
  }
  // (4) random SNI names
  {
    const s = await startServeCli(['--listen', '127.0.0.1:0']);
    try {
      const fixed = await handshakesPerSec(s, false, 3000);
      const random = await handshakesPerSec(s, true, 3000);
      console.log(`TLS handshakes/s (8 at once): fixed SNI ${fmt(fixed)}, random SNI ${fmt(random)} (${fmt((random / fixed) * 100)} %)  (bound: random ≥ 80 % of fixed) ${mark(random >= 0.8 * fixed)}`);
    } finally {
      await s.stop();
    }
  }
  // (5) STUN and the UDP echo: reply sizes; idle TCP on STUN; /turn
  {
    const echoPort = await freeUdpPort();
    const s = await startServeCli(['--listen', '127.0.0.1:0', '--stun', '127.0.0.1:0', '--udp-echo', '127.0.0.1', '--udp-ports', String(echoPort), '--turn-url', 'turn:127.0.0.1:3478', '--turn-secret', 'bench-secret']);
    try {
      const { encodeMessage, Method, newTransactionId } = await import('../src/protocol/stun.js');
      const bare = encodeMessage({ method: Method.Binding, cls: 'request', transactionId: newTransactionId(), attributes: [] });
      const got = s.stunPort ? await udpAsk(s.stunPort, bare, '127.0.0.1') : [];
      console.log(`STUN: a ${bare.length}-byte Binding request → ${got.map((g) => g.length).join(', ') || 'no'} byte reply (ratio ${got[0] ? fmt(got[0].length / bare.length, 2) : 'n/a'})`);
      const tok = await request(s, '/.netready/udp-token');
      const body = JSON.parse(tok.body) as { token?: string };
      if (body.token) {
        const { encodeEchoRequest } = await import('../src/protocol/echo-token.js');
        const req = encodeEchoRequest(body.token, 1, Date.now(), 64);
        const replies = await udpAsk(echoPort, req, '127.0.0.2');
        console.log(`UDP echo, plain token from another address (a spoofed source would get this): ${req.length}-byte request → ${replies.map((r) => `${r.length} bytes (${r.subarray(0, 4).toString('latin1')})`).join(', ') || 'no reply'}`);
      }
      // 256 idle TCP connections on STUN, then one real client.
      if (s.stunPort) {
        const idle: net.Socket[] = [];
        for (let i = 0; i < 300; i++) {
          const k = net.connect({ host: '127.0.0.1', port: s.stunPort, localAddress: '127.24.0.1' });
          k.on('error', () => {});
          idle.push(k);
        }
        await sleep(500);
        const t0 = performance.now();
        const answered = await new Promise<boolean>((resolve) => {
          const k = net.connect({ host: '127.0.0.1', port: s.stunPort!, localAddress: '127.24.0.2' }, () => k.write(bare));
          k.once('data', () => resolve(true));
          k.on('error', () => resolve(false));
          k.on('close', () => resolve(false));
          setTimeout(() => resolve(false), 3000);
        });
        console.log(`STUN over TCP with 300 idle connections from one address: another client ${answered ? `answered in ${fmt(performance.now() - t0, 1)} ms` : 'not answered within 3 s'}  ${mark(answered)}`);
        idle.forEach((k) => k.destroy());
      }
      const codes = new Map<number, number>();
      let ttl = NaN;
      for (let i = 0; i < 100; i++) {
        const r = await request(s, '/.netready/turn');
        codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
        if (r.status === 200) ttl = (JSON.parse(r.body) as { ttl: number }).ttl;
      }
      console.log(`/.netready/turn ×100 from one address: ${[...codes].map(([k, n]) => `${k} ×${n}`).join(', ')}; credential lifetime ${ttl} s`);
    } finally {
      await s.stop();
    }
  }
}

export async function serveBench(): Promise<void> {
  const [l1, l5] = os.loadavg();
  console.log(`== serve bench on ${os.cpus().length} cores, load average ${l1.toFixed(1)} (1 min) ${l5.toFixed(1)} (5 min): figures from a loaded machine overstate latency ==`);
  const parts = (process.env.BENCH_SERVE ?? 'load,slow,bandwidth,abuse').split(',');
  if (parts.includes('load')) await loadPart((process.env.BENCH_LOAD_ARGS ?? '').split(' ').filter(Boolean));
  if (parts.includes('slow')) await slowPart();
  if (parts.includes('bandwidth')) await bandwidthPart();
  if (parts.includes('abuse')) await abusePart();
}
