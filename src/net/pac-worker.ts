// The PAC sandbox's thread (src/net/pac.ts starts it): QuickJS runs the PAC here, off the main event
// loop, so the main thread can always stop it — a wall-clock bound per evaluation and a memory
// watchdog end the whole thread with worker.terminate(), which V8 honours even inside WebAssembly.
// Within the thread QuickJS's interrupt handler still stops a busy loop at the CPU bound, measured on
// this thread's own CPU clock (process.threadCpuUsage), so other threads' load does not count.
// dnsResolve()/isResolvable()/myIpAddress() are asked of the main thread (its resolver, or the one a
// test injected). Self-contained on purpose: no imports of netready's own modules.
//
// Protocol — workerData: { text, ref, cpuLimitMs, memoryLimitBytes }.
// main -> worker: { type: 'eval', id, url } | { type: 'answer', rid, value } | { type: 'ping', rid }
// worker -> main: { type: 'ready' } | { type: 'failed', failure }            (after compiling)
//                 { type: 'result', id, answer } | { type: 'error', id, failure, broken }
//                 { type: 'ask', rid, what: 'dns' | 'myip', host? } | { type: 'pong', rid }

import { parentPort, workerData } from 'node:worker_threads';

interface Failure {
  ref: string;
  stage: 'compile' | 'throws' | 'cpu-time' | 'memory';
  message: string;
}

const { text, ref, cpuLimitMs, memoryLimitBytes } = workerData as { text: string; ref: string; cpuLimitMs: number; memoryLimitBytes: number };
const port = parentPort!;

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 300);
}

/** This thread's CPU time in µs (Node ≥ 23.9); the process's on older Node. */
const cpuNow = (): number => {
  const u = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.() ?? process.cpuUsage();
  return u.user + u.system;
};

let runStart = 0;
let interrupted = false;
let broken: Failure | null = null;
let rid = 0;
const asks = new Map<number, (v: unknown) => void>();
/** Evaluations waiting for an answer: a failed job (an interrupt after an await) fails them all. */
const waiting = new Map<number, string>();

const ask = (what: 'dns' | 'myip', host?: string): Promise<unknown> =>
  new Promise((resolve) => {
    const id = ++rid;
    asks.set(id, (v) => {
      // The PAC resumes with the answer: a new run of its JavaScript begins.
      runStart = cpuNow();
      resolve(v);
    });
    port.postMessage({ type: 'ask', rid: id, what, host });
  });

const [{ QuickJS }, pacResolver] = await Promise.all([import('quickjs-wasi'), import('pac-resolver')]);
const qjs = await QuickJS.create({
  memoryLimit: memoryLimitBytes,
  interruptHandler: () => {
    if (runStart && cpuNow() - runStart > cpuLimitMs * 1000) {
      interrupted = true;
      return true;
    }
    return false;
  },
});

const stageOf = (e: unknown): Failure['stage'] => (interrupted ? 'cpu-time' : /out of memory/i.test(firstLine(e)) ? 'memory' : 'throws');

function failureFor(e: unknown, url: string | null): Failure {
  const stage = stageOf(e);
  const forUrl = url ? ` for ${url}` : '';
  if (stage === 'cpu-time') return { ref, stage, message: `the PAC file ${ref} ran longer than ${cpuLimitMs} ms of CPU time${forUrl} (interrupted)` };
  if (stage === 'memory') return { ref, stage, message: `the PAC file ${ref} used more than ${memoryLimitBytes >> 20} MiB${forUrl}` };
  return { ref, stage, message: url ? `the PAC file ${ref} throws${forUrl}: ${firstLine(e)}` : `the PAC file ${ref} failed: ${firstLine(e)}` };
}

// When the PAC resumes after an await, QuickJS runs it as a "job" from a promise callback inside
// pac-resolver; an interrupt there surfaces as an exception of executePendingJobs() that no caller
// would see. Catch it here and fail the waiting evaluations instead.
const runJobs = qjs.executePendingJobs.bind(qjs);
qjs.executePendingJobs = () => {
  try {
    return runJobs();
  } catch (e) {
    const failure = failureFor(e, null);
    if (failure.stage !== 'throws') broken ??= failure;
    for (const [id, url] of waiting) port.postMessage({ type: 'error', id, failure: failure.stage === 'throws' ? failure : failureFor(e, url), broken: failure.stage !== 'throws' });
    waiting.clear();
    runStart = 0;
    return 0;
  }
};

const sandbox = {
  ...pacResolver.sandbox,
  alert: () => undefined, // a PAC's alert() must not write to stdout (--json -)
  dnsResolve: async (host: string) => ask('dns', String(host)),
  isResolvable: async (host: string) => (await ask('dns', String(host))) !== null,
  myIpAddress: async () => ask('myip'),
};

let find: (url: string) => Promise<string>;
runStart = cpuNow();
try {
  const f = pacResolver.createPacResolver(qjs, text, { sandbox });
  find = (url: string) => f(url);
  port.postMessage({ type: 'ready' });
} catch (e) {
  const failure: Failure = interrupted
    ? { ref, stage: 'cpu-time', message: `the PAC file ${ref} ran longer than ${cpuLimitMs} ms of CPU time while loading (interrupted)` }
    : { ref, stage: 'compile', message: `the PAC file ${ref} does not compile: ${firstLine(e)}` };
  port.postMessage({ type: 'failed', failure });
  process.exit(0);
} finally {
  runStart = 0;
}

port.on('message', (m: { type: string; id?: number; url?: string; rid?: number; value?: unknown }) => {
  if (m.type === 'answer') {
    const done = asks.get(m.rid!);
    asks.delete(m.rid!);
    done?.(m.value);
    return;
  }
  // The main thread asks whether this thread still takes messages (a PAC stuck in a loop cannot answer).
  if (m.type === 'ping') return port.postMessage({ type: 'pong', rid: m.rid });
  if (m.type !== 'eval') return;
  const id = m.id!;
  const url = m.url!;
  if (broken) {
    port.postMessage({ type: 'error', id, failure: { ...broken, message: broken.message }, broken: true });
    return;
  }
  interrupted = false;
  waiting.set(id, url);
  runStart = cpuNow();
  find(url).then(
    (answer) => {
      runStart = 0;
      if (!waiting.delete(id)) return;
      if (typeof answer !== 'string')
        port.postMessage({ type: 'error', id, failure: { ref, stage: 'throws', message: `the PAC file ${ref} returned ${answer === undefined ? 'nothing' : typeof answer} for ${url}, not a string` }, broken: false });
      else port.postMessage({ type: 'result', id, answer });
    },
    (e: unknown) => {
      runStart = 0;
      if (!waiting.delete(id)) return;
      const failure = failureFor(e, url);
      if (failure.stage !== 'throws') broken = failure;
      port.postMessage({ type: 'error', id, failure, broken: failure.stage !== 'throws' });
    },
  );
});
