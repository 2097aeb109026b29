// The shared vocabulary of checks, the engine and the verdict.
// A check gathers evidence over the network; everything after CheckResult is pure.

import type { PhaseTimeouts, RunConfig } from '../shared/config.js';
import type { CheckId } from '../shared/check-ids.js';
import type { ProfileSet, HostEntry } from '../shared/profile-types.js';
import type { ProxyResolver } from '../net/proxy.js';
import type { DiscoveryRecord } from '../net/discovery/run.js';

import type { CheckStatus } from '../shared/vocabulary.js';
export type { CheckStatus };

import type { CheckError, CheckResult, Metrics } from '../shared/results.js';
export type { CheckError, CheckResult, Metrics };

/** What a check's run() returns; the engine fills id, target and durationMs. */
export interface CheckOutcome<D extends object = Record<string, unknown>> {
  status: Exclude<CheckStatus, 'skipped' | 'error'> | 'skipped';
  metrics?: Metrics;
  error?: CheckError | null;
  reason?: string;
  /** The check's evidence, of the type it declares (CheckDef<Details>; src/shared/evidence.ts). */
  details?: D;
}

/** One planned unit of work: a check id applied to one target. */
export interface CheckTask {
  /** Unique within a run: `${id} ${target}` unless the plan says otherwise. */
  key: string;
  id: string;
  target: string;
  /** Keys of tasks that must be `ok` before this one runs; otherwise it is skipped with the reason. */
  dependsOn: string[];
  /** The profile host entry this task was planned from (role, group, requirement, seed source). */
  host?: HostEntry;
  /** Check-specific parameters (port, path, ...). */
  params: Record<string, unknown>;
  /** Long-lived checks (idle holds) start at once and are not counted against the pool. */
  background?: boolean;
  /**
   * Higher first among tasks ready to start (default 0). Long checks (event streams, upgrades that
   * an idle hold waits for) set it so they start as early as their dependencies allow; the engine
   * lends a task's priority to the tasks it depends on.
   */
  priority?: number;
  /**
   * Keys of tasks this one starts after, whatever their status (unlike dependsOn, a failure does
   * not skip it); keys that were not planned are ignored. The engine hands their results to the
   * task (CheckContext.waited).
   */
  after?: string[];
  /** Named deadlines of a schedule computed at plan time (ms from the task's turn: see TaskWindow). */
  window?: TaskWindow;
}

/**
 * When a task may start (the engine holds it, no check polls), in ms from its turn: the first moment
 * its dependencies are met and the pool has a slot for it (in priority order).
 */
export interface TaskWindow {
  /** What the deadline is (for tests and the reader), e.g. "quality.throughput: after the WebRTC sessions". */
  name: string;
  /** Not before this (lets the run's short checks pass first). */
  notBeforeMs?: number;
  /** At the latest: the task starts then even if tasks of `after` still run (their results missing). */
  latestMs?: number;
}

export interface CheckContext {
  signal: AbortSignal;
  config: RunConfig;
  timeouts: PhaseTimeouts;
  proxy: ProxyResolver;
  /** What proxy discovery found before planning (absent in tests that do not discover). */
  discovery?: DiscoveryRecord;
  /** Results of tasks already finished (dependencies are always there). */
  result(key: string): CheckResult | undefined;
  /**
   * The results of the tasks this one waited for (its `after` and `dependsOn` keys), as they were
   * when it started; a key whose task had not finished by the window's `latestMs` is absent.
   */
  waited?: Readonly<Record<string, CheckResult>>;
  /** Monotonic clock in ms (injectable for tests of timing logic). */
  now(): number;
}

/** A check; `D` is the type of its evidence (`details`), declared in src/shared/evidence.ts. */
export interface CheckDef<D extends object = Record<string, unknown>> {
  id: CheckId;
  /** One line for humans: what this check proves. */
  title: string;
  /** Pure: the tasks this check contributes for these profiles and options. */
  plan(profiles: ProfileSet, config: RunConfig): CheckTask[];
  run(task: CheckTask, ctx: CheckContext): Promise<CheckOutcome<D>>;
}

/** Any check, whatever its details type (the registry, the engine). */
export type AnyCheckDef = CheckDef<object>;

export function taskKey(id: string, target: string): string {
  return `${id} ${target}`;
}
