// `netready check`: plan -> run -> raw evidence -> verdict -> reports. Also `--from-raw` replay.

import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CHECKS } from '../checks/registry.js';
import type { CheckTask } from '../checks/types.js';
import { runTasks } from '../engine/engine.js';
import { loadProfiles } from '../profiles/load.js';
import { createProxyResolver } from '../net/proxy.js';
import { decisionUrl, webPort } from '../net/web.js';
import { buildReport } from '../verdict/index.js';
import type { RawRun, Report } from '../report/types.js';
import { createProgress } from '../report/progress.js';
import { UsageError } from './errors.js';
import { buildConfig, type CheckOptions } from './options.js';
import type { RunConfig } from './config.js';
import { VERSION } from './version.js';
import { writeOutputs, type OutputOptions } from './output.js';
import { checkProbe, fetchProbeInfo } from './probe.js';

export interface CheckCommandOptions extends CheckOptions, OutputOptions {
  saveRaw?: string;
  fromRaw?: string;
}

export interface CheckRun {
  raw: RawRun;
  report: Report;
}

/** Plan every registered check for these profiles (pure). */
export function planTasks(config: RunConfig, profiles: ReturnType<typeof loadProfiles>): CheckTask[] {
  return CHECKS.flatMap((d) => d.plan(profiles, config));
}

/** Runs a check and returns the evidence and the report (no output written). */
export async function runCheck(
  config: RunConfig,
  opts: { progress?: ReturnType<typeof createProgress>; signal?: AbortSignal } = {},
): Promise<CheckRun> {
  const startedAt = new Date();
  const t0 = performance.now();
  const profiles = loadProfiles(config.profiles, config.params);
  const proxy = createProxyResolver(config);
  // An explicit --pac that cannot be used is bad input: fetched, compiled and tried once for the
  // plan's first host before anything runs (exit 2, one line naming the file).
  const first = profiles.hosts[0];
  if (config.pac && first) await proxy.prepare?.(decisionUrl(first.host, webPort(first), first.tls), opts.signal);
  if (config.probe) {
    // Connect + TLS + first byte, as every other request gets: on a lossy link a lost SYN or
    // handshake packet costs a 1 s retransmission (5 % loss each way failed a 3 s cap in the bench),
    // and an unreachable probe is exit 2, so it must not be declared unreachable too early.
    // Bounded by a third of the run's deadline.
    const probeMs = Math.min(config.deadlineMs / 3, config.timeouts.connectMs + config.timeouts.tlsMs + config.timeouts.firstByteMs);
    await checkProbe(config, probeMs, proxy);
    // The media checks plan from what the probe offers (STUN address, TURN URLs, echo ports); one
    // bounded request, and without an answer they fall back to the probe's host and standard ports.
    if (config.probeInfo === undefined) config = { ...config, probeInfo: await fetchProbeInfo(config, probeMs, proxy, opts.signal) };
  }
  const tasks = planTasks(config, profiles);
  const run = await runTasks(tasks, {
    defs: CHECKS,
    concurrency: config.concurrency,
    deadlineMs: Math.max(0, config.deadlineMs - (performance.now() - t0) - 250),
    signal: opts.signal,
    context: { config, timeouts: config.timeouts, proxy, now: () => performance.now() },
    onStart: (t) => opts.progress?.start(t),
    onFinish: (t, r) => opts.progress?.finish(t, r),
  });
  opts.progress?.done();
  const raw: RawRun = {
    schema: 'netready/raw@1',
    tool: { name: 'netready', version: VERSION },
    profiles: profiles.profiles.map((p) => p.id),
    params: profiles.params,
    hosts: profiles.hosts,
    media: profiles.media,
    ...(profiles.pcc ? { pcc: profiles.pcc } : {}),
    proxy: proxy.describe(),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    deadlineHit: run.deadlineHit,
    results: run.results,
  };
  const notes = run.deadlineHit ? [`the run reached its deadline of ${config.deadlineMs / 1000} s; unfinished checks are marked timeout`] : [];
  return { raw, report: reportOrFallback(raw, notes) };
}

/** A netready bug after the evidence was gathered: the evidence still reaches the user (exit 3). */
export class VerdictError extends Error {
  constructor(
    readonly cause: unknown,
    readonly report: Report,
    readonly raw: RawRun,
  ) {
    super(`the verdict failed: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** buildReport, but a bug in it still yields a report: the checks as gathered, not ready, no verdict. */
export function reportOrFallback(raw: RawRun, notes: string[]): Report {
  try {
    return buildReport(raw, { notes });
  } catch (e) {
    const report: Report = {
      schema: 'netready/report@1',
      tool: { name: 'netready', version: VERSION },
      profiles: raw.profiles,
      params: raw.params,
      startedAt: raw.startedAt,
      durationMs: raw.durationMs,
      ready: false,
      tier: null,
      causes: [],
      symptoms: [],
      checklist: [],
      checks: (raw.results ?? []).filter((r) => r && typeof r === 'object'),
      quality: null,
      notes: [...notes, `internal error: the verdict failed (${(e as Error)?.message ?? String(e)}); the checks below are the raw evidence`],
    };
    throw new VerdictError(e, report, raw);
  }
}

export function readRaw(file: string): RawRun {
  let doc: RawRun;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as RawRun;
  } catch (e) {
    throw new UsageError(`--from-raw: cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc?.schema !== 'netready/raw@1' || !Array.isArray(doc.results) || !Array.isArray(doc.hosts))
    throw new UsageError(`--from-raw: ${file} is not a netready raw run (schema netready/raw@1)`);
  return doc;
}

export async function checkCommand(o: CheckCommandOptions): Promise<number> {
  let report: Report;
  try {
    report = await gatherReport(o);
  } catch (e) {
    if (!(e instanceof VerdictError)) throw e;
    if (o.saveRaw && !o.fromRaw) writeFileSync(o.saveRaw, JSON.stringify(e.raw, null, 2) + '\n');
    writeOutputs(e.report, o);
    process.stderr.write(`netready: internal error: ${e.message}\n`);
    return 3;
  }
  writeOutputs(report, o);
  return report.ready ? 0 : 1;
}

async function gatherReport(o: CheckCommandOptions): Promise<Report> {
  let report: Report;
  if (o.fromRaw) {
    const raw = readRaw(o.fromRaw);
    report = reportOrFallback(raw, [`replayed from ${o.fromRaw} without a network`]);
  } else {
    const config = buildConfig(o);
    const progress = createProgress(process.stderr, {
      tty: Boolean(process.stderr.isTTY) && !process.env.CI,
      color: useColor(process.stderr),
    });
    const ac = new AbortController();
    const onSig = () => ac.abort(new Error('interrupted'));
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    try {
      const run = await runCheck(config, { progress, signal: ac.signal });
      report = run.report;
      if (o.saveRaw) writeFileSync(o.saveRaw, JSON.stringify(run.raw, null, 2) + '\n');
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  }
  return report;
}

export function useColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}
