// Test harness for the network checks: a ProfileSet from literal hosts, a context, and the engine.
import { performance } from 'node:perf_hooks';
import { defaultConfig, type RunConfig } from '../../src/shared/config.js';
import type { AnyCheckDef, CheckResult } from '../../src/checks/types.js';
import type { HostEntry, ProfileSet } from '../../src/shared/profile-types.js';
import { runTasks } from '../../src/engine/engine.js';
import { createProxyResolver } from '../../src/net/proxy.js';

export function host(h: Partial<HostEntry> & { host: string }): HostEntry {
  return { role: 'sign', group: h.host, required: 'always', source: 'test', tcp: [443], tls: true, http: [], ws: [], sse: [], idle: false, ...h };
}

export function profileSet(hosts: HostEntry[]): ProfileSet {
  return { profiles: [], params: {}, hosts, media: false };
}

export function config(over: Partial<RunConfig> = {}): RunConfig {
  return defaultConfig({ timeouts: { resolveMs: 2000, connectMs: 1500, tlsMs: 2000, firstByteMs: 2000, streamMs: 4000 }, idleWindowMs: 1500, ...over });
}

export async function runChecks(defs: AnyCheckDef[], ps: ProfileSet, cfg: RunConfig): Promise<{ results: CheckResult[]; byKey: Map<string, CheckResult>; ms: number }> {
  const tasks = defs.flatMap((d) => d.plan(ps, cfg));
  const t0 = performance.now();
  const run = await runTasks(tasks, {
    defs,
    context: { config: cfg, timeouts: cfg.timeouts, proxy: createProxyResolver(cfg), now: () => performance.now() },
    concurrency: cfg.concurrency,
    deadlineMs: cfg.deadlineMs,
  });
  const byKey = new Map(run.results.map((r) => [`${r.id} ${r.target}`, r]));
  return { results: run.results, byKey, ms: performance.now() - t0 };
}

export function get(m: Map<string, CheckResult>, key: string): CheckResult {
  const r = m.get(key);
  if (!r) throw new Error(`no result ${key}; have: ${[...m.keys()].join(' | ')}`);
  return r;
}
