// PAC files: fetched or read with bounds (size, time, redirects), compiled in a QuickJS sandbox whose
// CPU time and memory are bounded, evaluated per URL. Every way a PAC can go wrong is a typed
// PacFailure (one line naming the file), never an exception the caller did not ask for: an explicit
// --pac turns it into bad input (exit 2, src/net/proxy.ts), a discovered PAC (WPAD, an auto-config
// URL) into evidence — the browser would fail the same way.
//
// The sandbox runs on a thread of its own (pac-worker.ts), so the main thread can always stop it:
// - CPU: QuickJS's interrupt handler ends a run of the PAC's JavaScript once it has taken
//   PAC_CPU_LIMIT_MS of that thread's CPU time (a run starts when netready calls into the VM and again
//   each time an awaited dnsResolve()/myIpAddress() answer resumes it). QuickJS consults the handler
//   every ~10 000 bytecode instructions, so a loop whose every step is a huge built-in call is
//   consulted rarely: for that, when an evaluation has not answered within PAC_EVAL_TIMEOUT_MS, the
//   main thread pings the thread — one that still takes messages (waiting for its DNS answer) makes
//   the evaluation late ('no-answer'), one that does not answer within as long again is stuck in the
//   PAC and is ended.
// - Memory: the VM's own limit is not enforced by quickjs-wasi 2.2.0, and its heap is WebAssembly
//   memory outside the worker's V8 heap limits: the main thread watches the process's resident memory
//   while a PAC runs and ends the thread at PAC_MEMORY_WATCH_BYTES of growth.
// A PAC interrupted or stopped once is not run again (it would hang the browser too).

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import os from 'node:os';
import { rootCertificates } from 'node:tls';
import { localAddressToward } from './routes/local-address.js';
import { inExecutable, readAsset, readAssetBytes } from '../assets.js';

/** Whole-fetch bound for a PAC over http(s). */
export const PAC_FETCH_TIMEOUT_MS = 5000;
export const PAC_MAX_BYTES = 1 << 20;
export const PAC_MAX_REDIRECTS = 5;
/** Wall-clock bound for one evaluation (DNS lookups inside the PAC included). */
export const PAC_EVAL_TIMEOUT_MS = 3000;
/** CPU bound for one uninterrupted run of the PAC's JavaScript. */
export const PAC_CPU_LIMIT_MS = 1000;
/**
 * Memory the PAC's VM may allocate. Set, but quickjs-wasi 2.2.0 does not enforce it (measured here:
 * 1.6 GB of arrays under a 64 MiB limit); the WebAssembly memory itself stops at 4 GiB.
 */
export const PAC_MEMORY_LIMIT_BYTES = 64 << 20;
/** Time one dnsResolve()/isResolvable() inside a PAC may take. */
export const PAC_DNS_TIMEOUT_MS = 2000;

export type PacStage = 'read' | 'fetch' | 'too-large' | 'compile' | 'throws' | 'cpu-time' | 'no-answer' | 'memory';

/** Why a PAC cannot be used, as data. `message` is one line naming the file. */
export interface PacFailure {
  ref: string;
  stage: PacStage;
  message: string;
}

export class PacError extends Error {
  constructor(readonly failure: PacFailure) {
    super(failure.message);
    this.name = 'PacError';
  }
}

const fail = (ref: string, stage: PacStage, message: string): PacFailure => ({ ref, stage, message });

export interface PacFetchOptions {
  signal?: AbortSignal;
  /** Extra trusted CAs (PEM), besides the public roots, for https PAC URLs. */
  caPem?: string[];
  /** Name resolution for the fetch (tests map wpad.<domain> to loopback; default: the system's). */
  lookup?: LookupFunction;
  timeoutMs?: number;
}

export type PacText = { ok: true; ref: string; url: string; text: string } | { ok: false; failure: PacFailure };

function getOnce(ref: string, u: URL, o: PacFetchOptions, signal: AbortSignal, redirects: number): Promise<PacText> {
  const secure = u.protocol === 'https:';
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: PacText) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const req = (secure ? https : http).get(
      u,
      {
        signal,
        headers: { 'user-agent': 'netready', accept: '*/*' },
        ...(o.lookup ? { lookup: o.lookup } : {}),
        ...(secure && o.caPem?.length ? { ca: [...rootCertificates, ...o.caPem] } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const loc = res.headers.location;
        if (status >= 300 && status < 400 && loc) {
          res.resume();
          let next: URL;
          try {
            next = new URL(loc, u);
          } catch {
            return done({ ok: false, failure: fail(ref, 'fetch', `cannot fetch the PAC file ${ref}: HTTP ${status} to a malformed location`) });
          }
          if (!/^https?:$/.test(next.protocol)) return done({ ok: false, failure: fail(ref, 'fetch', `cannot fetch the PAC file ${ref}: HTTP ${status} to a ${next.protocol} URL`) });
          if (redirects >= PAC_MAX_REDIRECTS) return done({ ok: false, failure: fail(ref, 'fetch', `cannot fetch the PAC file ${ref}: more than ${PAC_MAX_REDIRECTS} redirects`) });
          return getOnce(ref, next, o, signal, redirects + 1).then(done);
        }
        if (status < 200 || status > 299) {
          res.resume();
          return done({ ok: false, failure: fail(ref, 'fetch', `cannot fetch the PAC file ${ref}: HTTP ${status}`) });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > PAC_MAX_BYTES) {
            req.destroy();
            done({ ok: false, failure: fail(ref, 'too-large', `the PAC file ${ref} is larger than 1 MiB`) });
          } else chunks.push(c);
        });
        res.on('end', () => done({ ok: true, ref, url: u.href, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, failure: fail(ref, 'fetch', `cannot fetch the PAC file ${ref}: ${e.code ?? e.message}`) }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, failure: fail(ref, 'fetch', `cannot fetch the PAC file ${ref}: ${e.code ?? e.message}`) }));
  });
}

/**
 * The PAC text of a file path, file:// URL or http(s) URL: at most 1 MiB, 5 redirects, 5 s for the
 * whole fetch; `--ca` is trusted besides the public roots (fetch() would ignore it).
 */
export async function fetchPacText(ref: string, o: PacFetchOptions = {}): Promise<PacText> {
  if (/^https?:\/\//i.test(ref)) {
    let u: URL;
    try {
      u = new URL(ref);
    } catch {
      return { ok: false, failure: fail(ref, 'fetch', `the PAC URL ${ref} is malformed`) };
    }
    const ms = o.timeoutMs ?? PAC_FETCH_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(ms);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    const r = await getOnce(ref, u, o, signal, 0);
    if (!r.ok && timeout.aborted && !o.signal?.aborted) return { ok: false, failure: fail(ref, 'fetch', `cannot fetch the PAC file ${ref}: no answer within ${ms} ms`) };
    return r;
  }
  let path = ref;
  if (/^file:\/\//i.test(ref)) {
    try {
      path = decodeURIComponent(new URL(ref).pathname);
    } catch {
      return { ok: false, failure: fail(ref, 'read', `the PAC URL ${ref} is malformed`) };
    }
  }
  try {
    const text = await readFile(path, 'utf8');
    if (Buffer.byteLength(text) > PAC_MAX_BYTES) return { ok: false, failure: fail(ref, 'too-large', `the PAC file ${ref} is larger than 1 MiB`) };
    return { ok: true, ref, url: ref, text };
  } catch (e) {
    return { ok: false, failure: fail(ref, 'read', `cannot read the PAC file ${ref}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`) };
  }
}

/** A compiled PAC: FindProxyForURL per URL, bounded. */
export interface PacEngine {
  ref: string;
  /** The PAC's answer ("PROXY a:1; DIRECT"), or a PacError. */
  findProxy(url: string): Promise<string>;
  /** Set once the PAC was interrupted or ran out of memory: it is not run again. */
  broken: PacFailure | null;
  dispose(): void;
}

export interface PacCompileOptions {
  /** The sandbox's DNS (dnsResolve/isResolvable); default: the system resolver, IPv4, bounded. */
  resolve4?: (host: string) => Promise<string | null>;
  /** The sandbox's myIpAddress(); default: the address of the interface the default route uses. */
  myIpAddress?: () => Promise<string>;
  cpuLimitMs?: number;
  evalTimeoutMs?: number;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 300);
}

async function systemResolve4(host: string): Promise<string | null> {
  const { lookup } = await import('node:dns/promises');
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      lookup(host, { family: 4 }).then((r) => r.address),
      new Promise<null>((r) => {
        timer = setTimeout(() => r(null), PAC_DNS_TIMEOUT_MS);
      }),
    ]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Like Chromium's myIpAddress(): the source address of the default route, found by connect()ing a
 * UDP socket (which sends nothing); without a route, the first non-internal IPv4 address.
 */
async function systemMyIp(): Promise<string> {
  // A documentation address (RFC 5737), routed like any public one.
  const viaRoute = await localAddressToward('198.51.100.1');
  if (viaRoute && viaRoute !== '0.0.0.0') return viaRoute;
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/** Time the sandbox's thread may take to start and compile the PAC (loading QuickJS included). */
export const PAC_WORKER_START_MS = 15_000;
/**
 * Growth of this process's resident memory, while a PAC runs, at which its thread is stopped. The
 * VM's own limit is not enforced (above); QuickJS's heap is WebAssembly memory, which the V8 heap
 * limits of a worker do not cover either, so the main thread watches the process and terminates the
 * PAC's thread (measured here: a PAC pushing megabyte arrays grows the process ~60 MB/s on this
 * loaded machine; terminate() returns the memory).
 */
export const PAC_MEMORY_WATCH_BYTES = 512 << 20;
const PAC_MEMORY_SAMPLE_MS = 50;

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; failure: PacFailure }
  | { type: 'result'; id: number; answer: string }
  | { type: 'error'; id: number; failure: PacFailure; broken: boolean }
  | { type: 'ask'; rid: number; what: 'dns' | 'myip'; host?: string }
  | { type: 'pong'; rid: number };

/**
 * Where the PAC thread's code comes from, and what it needs besides. Under tsx (tests, the lab) this
 * module is pac.ts and its worker pac-worker.ts; built, both are .js. In the standalone executable
 * there are no files: the worker is the embedded asset pac-worker.mjs (scripts/build-exe.mjs), started
 * from a data: URL, and gets quickjs.wasm's bytes with its workerData.
 */
function workerSource(): { url: URL; wasm?: Uint8Array } {
  if (inExecutable) {
    const code = readAsset('pac-worker.mjs');
    const wasm = readAssetBytes('quickjs.wasm');
    if (!code || !wasm) throw new Error('the executable lacks its PAC sandbox (assets pac-worker.mjs, quickjs.wasm)');
    return { url: new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`), wasm };
  }
  return { url: new URL(import.meta.url.endsWith('.ts') ? './pac-worker.ts' : './pac-worker.js', import.meta.url) };
}

/**
 * Compile PAC text in a bounded QuickJS sandbox on a thread of its own (pac-worker.ts): a busy loop
 * is interrupted at the CPU bound inside the thread; a late evaluation whose thread no longer takes
 * messages (stuck computing, not waiting for a DNS answer), or a process that grows by
 * PAC_MEMORY_WATCH_BYTES while it runs, ends the thread (terminate) and the PAC is broken.
 */
export async function compilePac(text: string, ref: string, o: PacCompileOptions = {}): Promise<PacEngine | PacFailure> {
  const cpuLimit = o.cpuLimitMs ?? PAC_CPU_LIMIT_MS;
  const evalTimeout = o.evalTimeoutMs ?? PAC_EVAL_TIMEOUT_MS;
  const resolve4 = o.resolve4 ?? systemResolve4;
  const myIp = o.myIpAddress ?? systemMyIp;
  const { Worker } = await import('node:worker_threads');
  const source = workerSource();
  const worker = new Worker(source.url, { workerData: { text, ref, cpuLimitMs: cpuLimit, memoryLimitBytes: PAC_MEMORY_LIMIT_BYTES, wasm: source.wasm } });
  let exited = false;
  let nextId = 0;
  const pongs = new Map<number, () => void>();
  /** Ask the thread whether it still takes messages; `alive` when it answers. */
  const ping = (alive: () => void) => {
    const rid = ++nextId;
    pongs.set(rid, alive);
    worker.postMessage({ type: 'ping', rid });
  };
  const pending = new Map<number, { resolve: (s: string) => void; reject: (e: PacError) => void }>();
  let onStart: ((m: WorkerMessage | { type: 'gone'; failure: PacFailure }) => void) | null = null;

  const engine: PacEngine = {
    ref,
    broken: null,
    findProxy(url: string): Promise<string> {
      if (engine.broken) return Promise.reject(new PacError(engine.broken));
      const id = ++nextId;
      return new Promise<string>((resolve, reject) => {
        const stopWatch = watchMemory(() => stop(fail(ref, 'memory', `the PAC file ${ref} grew this process by more than ${PAC_MEMORY_WATCH_BYTES >> 20} MiB for ${url}`)));
        let timer = setTimeout(() => {
          // Late. Still taking messages (waiting for a DNS answer, or behind other evaluations):
          // the evaluation is late, the PAC is not broken. Stuck computing: the thread is stopped.
          const late = fail(ref, 'no-answer', `the PAC file ${ref} did not answer for ${url} within ${evalTimeout} ms`);
          timer = setTimeout(() => stop({ ...late, message: `${late.message} (stopped)` }), Math.max(1000, evalTimeout));
          ping(() => settle(() => reject(new PacError(late))));
        }, evalTimeout);
        const settle = (f: () => void) => {
          clearTimeout(timer);
          stopWatch();
          pending.delete(id);
          f();
        };
        pending.set(id, { resolve: (s) => settle(() => resolve(s)), reject: (e) => settle(() => reject(e)) });
        worker.postMessage({ type: 'eval', id, url });
      });
    },
    dispose() {
      stop(null);
    },
  };

  /** End the thread: every waiting evaluation fails with `failure` (null: disposed). */
  function stop(failure: PacFailure | null): void {
    if (failure) engine.broken ??= failure;
    const why = engine.broken ?? fail(ref, 'no-answer', `the PAC file ${ref} was released`);
    for (const p of [...pending.values()]) p.reject(new PacError(why));
    onStart?.({ type: 'gone', failure: why });
    if (!exited) void worker.terminate().catch(() => {});
    exited = true;
  }

  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'ready' || m.type === 'failed') return onStart?.(m);
    if (m.type === 'pong') {
      const alive = pongs.get(m.rid);
      pongs.delete(m.rid);
      return alive?.();
    }
    if (m.type === 'ask') {
      const answer = m.what === 'dns' ? resolve4(String(m.host)).catch(() => null) : myIp().catch(() => '127.0.0.1');
      void answer.then((value) => {
        if (!exited) worker.postMessage({ type: 'answer', rid: m.rid, value });
      });
      return;
    }
    const p = pending.get(m.id);
    if (m.type === 'result') p?.resolve(m.answer);
    else {
      if (m.broken) engine.broken ??= m.failure;
      p?.reject(new PacError(m.failure));
    }
  });
  worker.on('error', (e: Error & { code?: string }) => {
    const memory = e.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory/i.test(e.message);
    stop(fail(ref, memory ? 'memory' : 'throws', memory ? `the PAC file ${ref} ran out of memory` : `the PAC file ${ref} failed: ${firstLine(e)}`));
  });
  worker.on('exit', () => {
    if (!exited) stop(engine.broken ?? fail(ref, 'throws', `the PAC file ${ref}: its sandbox ended`));
  });

  // The sandbox never keeps the process alive (after the listeners: attaching one refs the port).
  worker.unref();

  // Start: compiled (ready), or why not — bounded in time and memory like an evaluation.
  const started = await new Promise<WorkerMessage | { type: 'gone'; failure: PacFailure }>((resolve) => {
    const stopWatch = watchMemory(() => stop(fail(ref, 'memory', `the PAC file ${ref} grew this process by more than ${PAC_MEMORY_WATCH_BYTES >> 20} MiB while loading`)));
    const timer = setTimeout(() => stop(fail(ref, 'cpu-time', `the PAC file ${ref} did not load within ${PAC_WORKER_START_MS} ms (stopped)`)), PAC_WORKER_START_MS);
    onStart = (m) => {
      onStart = null;
      clearTimeout(timer);
      stopWatch();
      resolve(m);
    };
  });
  if (started.type === 'ready') return engine;
  stop(null);
  return started.type === 'failed' || started.type === 'gone' ? started.failure : fail(ref, 'compile', `the PAC file ${ref} does not compile`);
}

/** Sample this process's resident memory while a PAC runs; `onExceeded` once it grew past the bound. */
function watchMemory(onExceeded: () => void): () => void {
  const base = process.memoryUsage.rss();
  const iv = setInterval(() => {
    if (process.memoryUsage.rss() - base > PAC_MEMORY_WATCH_BYTES) {
      clearInterval(iv);
      onExceeded();
    }
  }, PAC_MEMORY_SAMPLE_MS);
  iv.unref();
  return () => clearInterval(iv);
}

export type PacLoad = { ok: true; engine: PacEngine; url: string } | { ok: false; failure: PacFailure };

/**
 * Fetch (or read), compile and — when `trialUrl` is given — evaluate once: what an explicit --pac is
 * checked with before the run, and what a discovered PAC URL gets before it is used.
 */
export async function loadPac(ref: string, o: PacFetchOptions & PacCompileOptions & { trialUrl?: string } = {}): Promise<PacLoad> {
  const t = await fetchPacText(ref, o);
  if (!t.ok) return t;
  return loadPacText(t.text, ref, t.url, o);
}

/** Compile (and try once) PAC text already fetched (WPAD). */
export async function loadPacText(text: string, ref: string, url: string, o: PacCompileOptions & { trialUrl?: string } = {}): Promise<PacLoad> {
  if (!/FindProxyForURL/.test(text)) return { ok: false, failure: fail(ref, 'compile', `the PAC file ${ref} defines no FindProxyForURL function`) };
  const c = await compilePac(text, ref, o);
  if ('stage' in c) return { ok: false, failure: c };
  if (o.trialUrl) {
    try {
      await c.findProxy(o.trialUrl);
    } catch (e) {
      c.dispose();
      return { ok: false, failure: e instanceof PacError ? e.failure : fail(ref, 'throws', `the PAC file ${ref}: ${firstLine(e)}`) };
    }
  }
  return { ok: true, engine: c, url };
}
