// The shared vocabulary of checks, the engine and the verdict.
// A check gathers evidence over the network; everything after CheckResult is pure.

import type { PhaseTimeouts, RunConfig } from '../shared/config.js';
import type { ProfileSet, HostEntry } from '../shared/profile-types.js';
import type { ProxyResolver } from '../net/proxy.js';
import type { DiscoveryRecord } from '../net/discovery/run.js';

import type { CheckStatus } from '../shared/vocabulary.js';
export type { CheckStatus };

import type { CheckError, CheckResult, Metrics } from '../shared/results.js';
export type { CheckError, CheckResult, Metrics };

/** What a check's run() returns; the engine fills id, target and durationMs. */
export interface CheckOutcome {
  status: Exclude<CheckStatus, 'skipped' | 'error'> | 'skipped';
  metrics?: Metrics;
  error?: CheckError | null;
  reason?: string;
  details?: Record<string, unknown>;
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
  /** Monotonic clock in ms (injectable for tests of timing logic). */
  now(): number;
}

export interface CheckDef {
  id: string;
  /** One line for humans: what this check proves. */
  title: string;
  /** Pure: the tasks this check contributes for these profiles and options. */
  plan(profiles: ProfileSet, config: RunConfig): CheckTask[];
  run(task: CheckTask, ctx: CheckContext): Promise<CheckOutcome>;
}

export function taskKey(id: string, target: string): string {
  return `${id} ${target}`;
}
