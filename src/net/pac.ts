// PAC files: fetched or read with bounds (size, time, redirects), compiled in a QuickJS sandbox whose
// CPU time and memory are bounded, evaluated per URL. Every way a PAC can go wrong is a typed
// PacFailure (one line naming the file), never an exception the caller did not ask for: an explicit
// --pac turns it into bad input (exit 2, src/net/proxy.ts), a discovered PAC (WPAD, an auto-config
// URL) into evidence — the browser would fail the same way.
//
// CPU time: QuickJS runs synchronously on the event loop, so a timer cannot stop `while(true){}`
// (the timer never gets to run). The VM's interrupt handler does: QuickJS calls it while it
// executes, and it ends the current run of JavaScript once it has taken PAC_CPU_LIMIT_MS. A run
// starts when netready calls into the VM and again each time an awaited dnsResolve()/myIpAddress()
// answer resumes it. A PAC interrupted once is not run again (it would hang the browser too).
// QuickJS consults the handler every ~10 000 bytecode instructions, so a loop of cheap statements is
// stopped at the bound; a loop whose every step is a huge built-in call (allocating megabytes) is
// consulted rarely and can outlive it — bounding that needs the PAC in a worker thread.

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import os from 'node:os';
import { rootCertificates } from 'node:tls';
import { localAddressToward } from './routes/local-address.js';

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

/** Compile PAC text in a bounded QuickJS sandbox. */
export async function compilePac(text: string, ref: string, o: PacCompileOptions = {}): Promise<PacEngine | PacFailure> {
  const [{ QuickJS }, pacResolver] = await Promise.all([import('quickjs-wasi'), import('pac-resolver')]);
  const cpuLimit = o.cpuLimitMs ?? PAC_CPU_LIMIT_MS;
  const evalTimeout = o.evalTimeoutMs ?? PAC_EVAL_TIMEOUT_MS;
  // The process's CPU time (µs) when the current synchronous run of PAC code began; 0 = not
  // running. CPU time, not wall time: on a loaded machine a short PAC can take long on the clock.
  let runStart = 0;
  let interrupted = false;
  const cpuNow = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const qjs = await QuickJS.create({
    memoryLimit: PAC_MEMORY_LIMIT_BYTES,
    interruptHandler: () => {
      if (runStart && cpuNow() - runStart > cpuLimit * 1000) {
        interrupted = true;
        return true;
      }
      return false;
    },
  });
  const resolve4 = o.resolve4 ?? systemResolve4;
  const myIp = o.myIpAddress ?? systemMyIp;
  let disposed = false;
  // Evaluations waiting for an answer; a failed job (an interrupt after an await) fails them all.
  const pending = new Set<(e: PacError) => void>();
  // Each awaited answer resumes the PAC: a new run begins when it is handed back. After dispose() an
  // answer is never handed back (the VM is gone; resuming it would throw outside any caller).
  const resumes = <T>(p: Promise<T>) =>
    new Promise<T>((resolve) => {
      void p.then((v) => {
        if (disposed) return;
        runStart = cpuNow();
        resolve(v);
      });
    });
  // When the PAC resumes after an await, QuickJS runs it as a "job" from a promise callback inside
  // pac-resolver; an interrupt there surfaces as an exception of executePendingJobs() that no caller
  // would see (an unhandled rejection). Catch it here and fail the waiting evaluations instead.
  const runJobs = qjs.executePendingJobs.bind(qjs);
  qjs.executePendingJobs = () => {
    try {
      return runJobs();
    } catch (e) {
      const failure = interrupted
        ? fail(ref, 'cpu-time', `the PAC file ${ref} ran longer than ${cpuLimit} ms of CPU time (interrupted)`)
        : /out of memory/i.test(firstLine(e))
          ? fail(ref, 'memory', `the PAC file ${ref} used more than ${PAC_MEMORY_LIMIT_BYTES >> 20} MiB`)
          : fail(ref, 'throws', `the PAC file ${ref} failed: ${firstLine(e)}`);
      if (failure.stage !== 'throws') engine.broken ??= failure;
      for (const reject of pending) reject(new PacError(failure));
      pending.clear();
      runStart = 0;
      return 0;
    }
  };
  const sandbox = {
    ...pacResolver.sandbox,
    alert: () => undefined, // a PAC's alert() must not write to stdout (--json -)
    dnsResolve: async (host: string) => resumes(resolve4(String(host))),
    isResolvable: async (host: string) => resumes(resolve4(String(host)).then((a) => a !== null)),
    myIpAddress: async () => resumes(myIp()),
  };
  let find: (url: string) => Promise<string>;
  const engine: PacEngine = {
    ref,
    broken: null,
    async findProxy(url: string): Promise<string> {
      if (engine.broken) throw new PacError(engine.broken);
      let timer: NodeJS.Timeout | undefined;
      interrupted = false;
      runStart = cpuNow();
      try {
        let rejectJob: ((e: PacError) => void) | undefined;
        const answer = await Promise.race([
          find(url),
          new Promise<never>((_, reject) => {
            rejectJob = reject;
            pending.add(reject);
            timer = setTimeout(() => reject(new PacError(fail(ref, 'no-answer', `the PAC file ${ref} did not answer for ${url} within ${evalTimeout} ms`))), evalTimeout);
          }),
        ]).finally(() => pending.delete(rejectJob!));
        if (typeof answer !== 'string') throw new PacError(fail(ref, 'throws', `the PAC file ${ref} returned ${answer === undefined ? 'nothing' : typeof answer} for ${url}, not a string`));
        return answer;
      } catch (e) {
        if (e instanceof PacError) {
          if (e.failure.stage === 'cpu-time' || e.failure.stage === 'memory')
            throw new PacError({ ...e.failure, message: e.failure.message.replace(/ \(interrupted\)$| MiB$/, (m) => ` for ${url}${m}`) });
          throw e;
        }
        if (interrupted) {
          engine.broken = fail(ref, 'cpu-time', `the PAC file ${ref} ran longer than ${cpuLimit} ms of CPU time for ${url} (interrupted)`);
          throw new PacError(engine.broken);
        }
        if (/out of memory/i.test(firstLine(e))) {
          engine.broken = fail(ref, 'memory', `the PAC file ${ref} used more than ${PAC_MEMORY_LIMIT_BYTES >> 20} MiB for ${url}`);
          throw new PacError(engine.broken);
        }
        throw new PacError(fail(ref, 'throws', `the PAC file ${ref} throws for ${url}: ${firstLine(e)}`));
      } finally {
        runStart = 0;
        clearTimeout(timer);
      }
    },
    dispose() {
      disposed = true;
      try {
        qjs.dispose();
      } catch {
        /* already disposed */
      }
    },
  };
  runStart = cpuNow();
  try {
    const f = pacResolver.createPacResolver(qjs, text, { sandbox });
    find = (url: string) => f(url);
    return engine;
  } catch (e) {
    engine.dispose();
    if (interrupted) return fail(ref, 'cpu-time', `the PAC file ${ref} ran longer than ${cpuLimit} ms of CPU time while loading (interrupted)`);
    return fail(ref, 'compile', `the PAC file ${ref} does not compile: ${firstLine(e)}`);
  } finally {
    runStart = 0;
  }
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
