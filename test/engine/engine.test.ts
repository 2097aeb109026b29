import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { runTasks } from '../../src/engine/engine.js';
import { NetError } from '../../src/shared/errors.js';
import { defaultConfig } from '../../src/shared/config.js';
import { DIRECT } from '../../src/net/proxy.js';
import type { CheckDef, CheckTask } from '../../src/checks/types.js';
import type { CheckId } from '../../src/shared/check-ids.js';

const config = defaultConfig();
const context = { config, timeouts: config.timeouts, proxy: DIRECT, now: () => performance.now() };
const task = (id: string, target: string, dependsOn: string[] = [], extra: Partial<CheckTask> = {}): CheckTask => ({
  key: `${id} ${target}`,
  id,
  target,
  dependsOn,
  params: {},
  ...extra,
});
// Made-up check ids: the engine runs whatever the plan names (an unknown id becomes an error result).
const def = (id: string, run: CheckDef['run']): CheckDef => ({ id: id as CheckId, title: id, plan: () => [], run });
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });

test('dependencies: a failed dependency skips its dependants with the reason', async () => {
  const defs = [
    def('a', async (t) => (t.target === 'bad' ? { status: 'failed', error: { code: 'TCP_REFUSED', message: 'no' } } : { status: 'ok' })),
    def('b', async () => ({ status: 'ok', metrics: { fooMs: 1 } })),
  ];
  const tasks = [task('a', 'good'), task('a', 'bad'), task('b', 'x', ['a good']), task('b', 'y', ['a bad'])];
  const { results } = await runTasks(tasks, { defs, context, concurrency: 2, deadlineMs: 5000 });
  const by = Object.fromEntries(results.map((r) => [`${r.id} ${r.target}`, r]));
  assert.equal(by['b x'].status, 'ok');
  assert.equal(by['b y'].status, 'skipped');
  assert.match(by['b y'].reason ?? '', /a bad failed \(TCP_REFUSED\)/);
  assert.deepEqual(results.map((r) => r.target), ['good', 'bad', 'x', 'y'], 'results keep plan order');
});

test('a thrown NetError becomes failed/timeout with its code; any other exception becomes error', async () => {
  const defs = [
    def('n', async () => {
      throw new NetError('TLS_TIMEOUT', 'no handshake', 'timeout');
    }),
    def('e', async () => {
      throw new TypeError('boom');
    }),
  ];
  const { results } = await runTasks([task('n', '1'), task('e', '2')], { defs, context, concurrency: 4, deadlineMs: 5000 });
  assert.equal(results[0].status, 'timeout');
  assert.equal(results[0].error?.code, 'TLS_TIMEOUT');
  assert.equal(results[1].status, 'error');
  assert.equal(results[1].error?.code, 'INTERNAL_ERROR');
  assert.match(results[1].error?.message ?? '', /boom/);
});

test('the pool never runs more than `concurrency` checks at once', async () => {
  let running = 0;
  let peak = 0;
  const defs = [
    def('p', async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(20);
      running--;
      return { status: 'ok' };
    }),
  ];
  const tasks = Array.from({ length: 12 }, (_, i) => task('p', String(i)));
  await runTasks(tasks, { defs, context, concurrency: 3, deadlineMs: 5000 });
  assert.equal(peak, 3);
});

test('background tasks run beside the pool', async () => {
  const order: string[] = [];
  const defs = [
    def('bg', async () => {
      order.push('bg-start');
      await sleep(150);
      order.push('bg-end');
      return { status: 'ok' };
    }),
    def('fg', async (t) => {
      await sleep(30);
      order.push(`fg-${t.target}`);
      return { status: 'ok' };
    }),
  ];
  const tasks = [task('fg', '1'), task('fg', '2'), task('bg', 'idle', [], { background: true })];
  const t0 = performance.now();
  await runTasks(tasks, { defs, context, concurrency: 1, deadlineMs: 5000 });
  assert.ok(performance.now() - t0 < 400);
  assert.equal(order[0], 'bg-start');
  assert.equal(order.at(-1), 'bg-end');
});

test('the deadline: unfinished checks become timeout, unstarted ones too, and the run returns in time', async () => {
  const defs = [
    def('slow', async (_t, ctx) => {
      await sleep(60_000, ctx.signal);
      return { status: 'ok' };
    }),
    def('stuck', () => new Promise(() => {})), // ignores the signal entirely
  ];
  const tasks = [task('slow', '1'), task('stuck', '2'), task('slow', '3')];
  const t0 = performance.now();
  const { results, deadlineHit } = await runTasks(tasks, { defs, context, concurrency: 2, deadlineMs: 300 });
  const took = performance.now() - t0;
  assert.ok(deadlineHit);
  assert.ok(took < 1000, `returned after ${took} ms`);
  assert.deepEqual(results.map((r) => r.status), ['timeout', 'timeout', 'timeout']);
  assert.equal(results[1].error?.code, 'DEADLINE_EXCEEDED');
  assert.equal(results[2].error?.code, 'DEADLINE_NOT_STARTED');
});

test('an unknown dependency key does not block; a cycle is reported, not hung', async () => {
  const defs = [def('a', async () => ({ status: 'ok' }))];
  const tasks = [task('a', '1', ['nope x']), task('a', '2', ['a 3']), task('a', '3', ['a 2'])];
  const { results } = await runTasks(tasks, { defs, context, concurrency: 2, deadlineMs: 2000 });
  assert.equal(results[0].status, 'ok');
  assert.equal(results[1].error?.code, 'PLAN_CYCLE');
  assert.equal(results[2].error?.code, 'PLAN_CYCLE');
});

test('priority: a ready long task starts before queued short ones; its dependency chain is lent the priority', async () => {
  const order: string[] = [];
  const defs = [
    def('short', async (t) => {
      order.push(t.key);
      await sleep(5);
      return { status: 'ok' };
    }),
    def('long', async (t) => {
      order.push(t.key);
      await sleep(5);
      return { status: 'ok' };
    }),
  ];
  const tasks = [
    task('short', '1'),
    task('short', '2'),
    task('short', '3'),
    task('short', 'dep-b', ['short dep-a']), // planned late, but the long task needs it
    task('short', 'dep-a'),
    task('short', '4'),
    task('long', 'x', ['short dep-b'], { priority: 20 }),
    task('long', 'y', [], { priority: 10 }),
  ];
  const { results } = await runTasks(tasks, { defs, context, concurrency: 1, deadlineMs: 5000 });
  assert.ok(results.every((r) => r.status === 'ok'));
  assert.deepEqual(results.map((r) => r.target), ['1', '2', '3', 'dep-b', 'dep-a', '4', 'x', 'y'], 'results keep plan order');
  // dep-a and dep-b are lent x's priority 20, so they run first, then x (20), y (10), then plan order.
  assert.deepEqual(order, ['short dep-a', 'short dep-b', 'long x', 'long y', 'short 1', 'short 2', 'short 3', 'short 4']);
});

test('priority: without priorities the plan order is kept (stable)', async () => {
  const order: string[] = [];
  const defs = [def('a', async (t) => (order.push(t.target), { status: 'ok' }))];
  const tasks = ['5', '3', '9', '1'].map((n) => task('a', n));
  await runTasks(tasks, { defs, context, concurrency: 1, deadlineMs: 5000 });
  assert.deepEqual(order, ['5', '3', '9', '1']);
});

test('after: a task starts after X whatever X\'s status, and gets the results it waited for', async () => {
  const order: string[] = [];
  let waited: Record<string, unknown> | undefined;
  const defs = [
    def('a', async (t) => {
      await sleep(60);
      order.push(`a ${t.target}`);
      return t.target === 'bad' ? { status: 'failed', error: { code: 'TCP_REFUSED', message: 'no' } } : { status: 'ok', metrics: { xMs: 1 } };
    }),
    def('b', async (_t, ctx) => {
      order.push('b');
      waited = ctx.waited;
      return { status: 'ok' };
    }),
  ];
  const tasks = [task('b', 'x', [], { after: ['a good', 'a bad', 'a not-planned'] }), task('a', 'good'), task('a', 'bad')];
  const { results } = await runTasks(tasks, { defs, context, concurrency: 4, deadlineMs: 5000 });
  assert.deepEqual(order.slice(-1), ['b'], 'b ran last although it was planned first and the pool had room');
  assert.equal(results.find((r) => r.id === 'b')!.status, 'ok', 'a failed task of `after` does not skip it');
  assert.deepEqual(Object.keys(waited ?? {}).sort(), ['a bad', 'a good']);
  assert.equal((waited!['a bad'] as { status: string }).status, 'failed');
});

test('window: not before notBeforeMs; at latestMs the task starts although its `after` task still runs', async () => {
  const startedAt: Record<string, number> = {};
  const t0 = performance.now();
  const defs = [
    def('slow', async (_t, ctx) => {
      startedAt.slow = performance.now() - t0;
      await sleep(1500, ctx.signal);
      return { status: 'ok' };
    }),
    def('q', async (t, ctx) => {
      startedAt[t.target] = performance.now() - t0;
      return { status: 'ok', metrics: { waitedCount: Object.keys(ctx.waited ?? {}).length } };
    }),
  ];
  const tasks = [
    task('slow', 's'),
    task('q', 'late', [], { after: ['slow s'], window: { name: 'q: after slow, at 300 ms at the latest', latestMs: 300 } }),
    task('q', 'early', [], { window: { name: 'q: not before 200 ms', notBeforeMs: 200 } }),
  ];
  const { results } = await runTasks(tasks, { defs, context, concurrency: 4, deadlineMs: 5000 });
  assert.ok(startedAt.early >= 195, `early started at ${startedAt.early} ms`);
  assert.ok(startedAt.late >= 295 && startedAt.late < 1400, `late started at ${startedAt.late} ms, before slow ended`);
  assert.equal(results.find((r) => r.target === 'late')!.metrics.waitedCount, 0, 'slow had not finished: nothing handed over');
  assert.equal(results.find((r) => r.id === 'slow')!.status, 'ok');
});

test('window: a task waiting only for its deadline is not taken for a plan cycle', async () => {
  const defs = [def('q', async () => ({ status: 'ok' }))];
  const { results } = await runTasks([task('q', 'x', [], { window: { name: 'later', notBeforeMs: 100 } })], { defs, context, concurrency: 1, deadlineMs: 5000 });
  assert.equal(results[0].status, 'ok');
});
