// Runs planned check tasks: a bounded pool, dependsOn, the whole-run deadline, cancellation.
// A check never crashes the run: NetError -> failed/timeout with its code; anything else -> error.

import { NetError } from '../shared/errors.js';
import type { AnyCheckDef, CheckContext, CheckResult, CheckTask } from '../checks/types.js';

export interface EngineEvents {
  onStart?(task: CheckTask): void;
  onFinish?(task: CheckTask, result: CheckResult): void;
}

export interface EngineOptions extends EngineEvents {
  defs: readonly AnyCheckDef[];
  /** Builds the per-task context (the engine supplies signal and result lookup). */
  context: Omit<CheckContext, 'signal' | 'result'>;
  concurrency: number;
  deadlineMs: number;
  /** An outer signal (Ctrl-C): aborts like the deadline. */
  signal?: AbortSignal;
}

export interface EngineRun {
  results: CheckResult[];
  deadlineHit: boolean;
}

const round = (n: number) => Math.round(n * 10) / 10;

export function describeFailure(r: CheckResult): string {
  return r.error ? `${r.status} (${r.error.code})` : r.status;
}

export async function runTasks(tasks: CheckTask[], opts: EngineOptions): Promise<EngineRun> {
  const defs = new Map<string, AnyCheckDef>(opts.defs.map((d) => [d.id, d]));
  const byKey = new Map<string, CheckTask>();
  for (const t of tasks) {
    if (byKey.has(t.key)) throw new Error(`duplicate task key ${t.key}`);
    byKey.set(t.key, t);
  }
  const results = new Map<string, CheckResult>();
  const started = new Set<string>();
  const abort = new AbortController();
  let deadlineHit = false;
  const deadlineTimer = setTimeout(() => {
    deadlineHit = true;
    abort.abort(new NetError('DEADLINE_EXCEEDED', 'the run deadline was reached', 'timeout'));
  }, opts.deadlineMs);
  const onOuterAbort = () => abort.abort(opts.signal?.reason ?? new Error('aborted'));
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const startTimes = new Map<string, number>();
  const finish = (task: CheckTask, r: CheckResult) => {
    if (results.has(task.key)) return;
    results.set(task.key, r);
    opts.onFinish?.(task, r);
  };

  // A window's deadlines count from the task's turn: the first moment its dependencies are met and
  // the pool has a slot for it (what a check that waited inside its run measured from).
  const turnAt = new Map<string, number>();
  const sinceTurn = (task: CheckTask): number => opts.context.now() - (turnAt.get(task.key) ?? opts.context.now());

  const ctxFor = (task: CheckTask, signal: AbortSignal): CheckContext => {
    const waited: Record<string, CheckResult> = {};
    for (const k of [...task.dependsOn, ...(task.after ?? [])]) {
      const r = results.get(k);
      if (r) waited[k] = r;
    }
    return { ...opts.context, signal, result: (key) => results.get(key), waited };
  };

  /** In how many ms a task's window may let it start (it has had its turn), or null. */
  const nextWindowEdge = (task: CheckTask): number | null => {
    const w = task.window;
    if (!w || !turnAt.has(task.key)) return null;
    const t = sinceTurn(task);
    if (w.notBeforeMs !== undefined && t < w.notBeforeMs) return w.notBeforeMs - t;
    if (w.latestMs !== undefined && t < w.latestMs && (task.after ?? []).some((k) => byKey.has(k) && !results.has(k))) return w.latestMs - t;
    return null;
  };

  const blockedBy = (task: CheckTask): CheckResult | 'wait' | null => {
    for (const dep of task.dependsOn) {
      const r = results.get(dep);
      if (!byKey.has(dep)) continue; // a dependency that was not planned does not block
      if (!r) return 'wait';
      if (r.status !== 'ok') return r;
    }
    // Named deadlines and "after X, whatever X's status".
    if (!turnAt.has(task.key)) turnAt.set(task.key, opts.context.now());
    const w = task.window;
    const t = sinceTurn(task);
    if (w?.notBeforeMs !== undefined && t < w.notBeforeMs) return 'wait';
    const latePassed = w?.latestMs !== undefined && t >= w.latestMs;
    if (!latePassed && (task.after ?? []).some((k) => byKey.has(k) && !results.has(k))) return 'wait';
    return null;
  };

  const runOne = async (task: CheckTask): Promise<void> => {
    const def = defs.get(task.id);
    const t0 = opts.context.now();
    startTimes.set(task.key, t0);
    opts.onStart?.(task);
    const base = { id: task.id, target: task.target };
    let r: CheckResult;
    try {
      if (!def) throw new Error(`no check registered with id ${task.id}`);
      const out = await def.run(task, ctxFor(task, abort.signal));
      r = {
        ...base,
        status: out.status,
        durationMs: round(opts.context.now() - t0),
        metrics: out.metrics ?? {},
        error: out.error ?? null,
        ...(out.reason ? { reason: out.reason } : {}),
        ...(out.details ? { details: out.details as Record<string, unknown> } : {}),
      };
    } catch (e) {
      const durationMs = round(opts.context.now() - t0);
      if (e instanceof NetError || (abort.signal.aborted && deadlineHit)) {
        const ne = e instanceof NetError ? e : new NetError('DEADLINE_EXCEEDED', 'the run deadline was reached', 'timeout');
        r = {
          ...base,
          status: ne.kind,
          durationMs,
          metrics: {},
          error: { code: ne.code, message: ne.message },
          ...(Object.keys(ne.details).length ? { details: ne.details } : {}),
        };
      } else {
        const err = e as Error;
        r = {
          ...base,
          status: 'error',
          durationMs,
          metrics: {},
          error: { code: 'INTERNAL_ERROR', message: `netready bug in ${task.id}: ${err?.message ?? String(e)}` },
        };
      }
    }
    finish(task, r);
  };

  // Priority: a task's own, raised to that of any task depending on it (transitively), so a long
  // check's dependency chain is not queued behind short checks. Stable: equal priorities keep plan order.
  const prio = new Map<string, number>(tasks.map((t) => [t.key, t.priority ?? 0]));
  for (const t of tasks) {
    const p = t.priority ?? 0;
    if (p <= 0) continue;
    const stack = [...t.dependsOn];
    const seen = new Set<string>();
    while (stack.length) {
      const k = stack.pop()!;
      if (seen.has(k) || !byKey.has(k)) continue;
      seen.add(k);
      if ((prio.get(k) ?? 0) < p) prio.set(k, p);
      stack.push(...byKey.get(k)!.dependsOn);
    }
  }
  const byPriority = (a: CheckTask, b: CheckTask) => (prio.get(b.key) ?? 0) - (prio.get(a.key) ?? 0);
  const pending = tasks.filter((t) => !t.background).sort(byPriority);
  const background = tasks.filter((t) => t.background);
  const running = new Set<Promise<void>>();
  const bgRunning = new Set<Promise<void>>();

  const abortedP = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
  const allDone = (async () => {
    // Background tasks (idle holds) run beside the pool once their dependencies are met.
    let bgQueue = [...background];
    let queue = [...pending];
    // Each turn starts a task, sees one finish or reaches a window's edge (at most two per task).
    for (let guard = 0; guard < tasks.length * 6 + 16 && !abort.signal.aborted; guard++) {
      let progressed = false;
      for (const list of [bgQueue, queue]) {
        for (const task of [...list]) {
          if (started.has(task.key)) continue;
          const isBg = list === bgQueue;
          if (!isBg && running.size >= opts.concurrency) break;
          const blocker = blockedBy(task);
          if (blocker === 'wait') continue;
          started.add(task.key);
          if (isBg) bgQueue = bgQueue.filter((t) => t !== task);
          else queue = queue.filter((t) => t !== task);
          progressed = true;
          if (blocker) {
            finish(task, {
              id: task.id,
              target: task.target,
              status: 'skipped',
              durationMs: 0,
              metrics: {},
              error: null,
              reason: `${blocker.id} ${blocker.target} ${describeFailure(blocker)}`,
            });
            continue;
          }
          const p = runOne(task).finally(() => {
            running.delete(p);
            bgRunning.delete(p);
          });
          (isBg ? bgRunning : running).add(p);
        }
      }
      if (queue.length === 0 && bgQueue.length === 0) break;
      if (!progressed) {
        const edges = [...queue, ...bgQueue].map(nextWindowEdge).filter((e): e is number => e !== null);
        const edge = edges.length ? Math.min(...edges) : null;
        if (running.size === 0 && bgRunning.size === 0 && edge === null) {
          // Nothing runs and nothing can start: a dependency cycle or unknown dependency.
          for (const t of [...queue, ...bgQueue]) {
            started.add(t.key);
            finish(t, { id: t.id, target: t.target, status: 'error', durationMs: 0, metrics: {}, error: { code: 'PLAN_CYCLE', message: `dependencies of ${t.key} can never be met` } });
          }
          break;
        }
        // Each wait ends with a task finishing or a window's edge.
        let timer: NodeJS.Timeout | undefined;
        const atEdge = edge === null ? [] : [new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, edge) + 1)))];
        await Promise.race([...running, ...bgRunning, ...atEdge, abortedP]);
        clearTimeout(timer);
      }
    }
    await Promise.all([...running, ...bgRunning]);
  })();

  const aborted = new Promise<void>((resolve) => {
    if (abort.signal.aborted) resolve();
    abort.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await Promise.race([allDone, aborted]);
  // Give checks that honour the signal a moment to write their own timeout result.
  if (abort.signal.aborted) await Promise.race([allDone, new Promise((r) => setTimeout(r, 150))]);
  clearTimeout(deadlineTimer);
  opts.signal?.removeEventListener('abort', onOuterAbort);

  const now = opts.context.now();
  const out: CheckResult[] = [];
  for (const t of tasks) {
    let r = results.get(t.key);
    if (!r) {
      const st = startTimes.get(t.key);
      r = {
        id: t.id,
        target: t.target,
        status: 'timeout',
        durationMs: st === undefined ? 0 : round(now - st),
        metrics: {},
        error:
          st === undefined
            ? { code: 'DEADLINE_NOT_STARTED', message: 'not started before the run deadline' }
            : { code: 'DEADLINE_EXCEEDED', message: 'still running at the run deadline' },
      };
      results.set(t.key, r);
      opts.onFinish?.(t, r);
    }
    out.push(r);
  }
  return { results: out, deadlineHit };
}
