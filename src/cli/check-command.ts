// `netready check`: plan -> run -> raw evidence -> verdict -> reports. Also `--from-raw` replay.

import { readFileSync, writeFileSync } from 'node:fs';
import dns from 'node:dns';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { CHECKS } from '../checks/registry.js';
import type { CheckTask } from '../checks/types.js';
import { runTasks } from '../engine/engine.js';
import { loadProfiles } from '../profiles/load.js';
import { createProxyResolver, type ProxyResolver } from '../net/proxy.js';
import { discoverForRun, discoveryBudgetMs, plannedRoute, systemDiscoveryEnv, type DiscoveryEnv, type DiscoveryRecord } from '../net/discovery/run.js';
import { DISCOVERY_FIXTURE_ENV, loadDiscoveryFixture } from '../net/discovery/fixture.js';
import { decisionUrl, webPort } from '../checks/web.js';
import { buildReport } from '../verdict/index.js';
import type { RawRun, Report, RunContext } from '../report/types.js';
import { createProgress } from '../report/progress.js';
import { UsageError } from '../shared/errors.js';
import { buildConfig, type CheckOptions } from './options.js';
import type { RunConfig } from '../shared/config.js';
import { VERSION } from '../shared/version.js';
import { writeOutputs, type OutputOptions } from './output.js';
import { discoverProbe } from '../net/probe-client.js';
import { withProbeHost } from '../checks/probe-reach.js';
import { exitCodeFor } from '../report/common.js';
import { planUpload, uploadReport, type UploadOptions, type UploadPlan } from './upload.js';

export interface CheckCommandOptions extends CheckOptions, OutputOptions, UploadOptions {
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
  opts: { progress?: ReturnType<typeof createProgress>; signal?: AbortSignal; discovery?: DiscoveryEnv } = {},
): Promise<CheckRun> {
  const startedAt = new Date();
  const t0 = performance.now();
  const profiles = withProbeHost(loadProfiles(config.profiles, config.params), config);
  const explicitResolver = createProxyResolver(config);
  // An explicit --pac that cannot be used is bad input: fetched, compiled and tried once for the
  // plan's first host before anything runs (exit 2, one line naming the file).
  const first = profiles.hosts[0];
  const trialUrl = first ? decisionUrl(first.host, webPort(first), first.tls) : null;
  if (config.pac && trialUrl) await explicitResolver.prepare?.(trialUrl, opts.signal);
  // The way the browser goes: the system's proxy settings, their auto-config URL, WPAD — bounded,
  // never stopping the run (a discovered PAC that fails is evidence); --proxy/--pac still win.
  const found = await discoverForRun(config, opts.discovery ?? systemDiscoveryEnv(), { signal: opts.signal, budgetMs: discoveryBudgetMs(config.deadlineMs), trialUrl });
  const proxy = found.record.route.kind === 'explicit' ? explicitResolver : createProxyResolver(config, found.route);
  if (proxy !== explicitResolver) explicitResolver.dispose?.();
  config = { ...config, discovered: plannedRoute(found) };
  try {
    return await runWithResolver(config, profiles, proxy, found.record, startedAt, t0, opts);
  } finally {
    proxy.dispose?.();
  }
}

async function runWithResolver(
  config: RunConfig,
  profiles: ReturnType<typeof withProbeHost>,
  proxy: ProxyResolver,
  discovery: DiscoveryRecord,
  startedAt: Date,
  t0: number,
  opts: { progress?: ReturnType<typeof createProgress>; signal?: AbortSignal },
): Promise<CheckRun> {
  let probeDiscovery: RawRun['probe'];
  if (config.probe) {
    // The media checks plan from what the probe offers (STUN address, TURN URLs, echo ports): one
    // request before planning, given connect + TLS + first byte like every other request (on a lossy
    // link a lost SYN costs a 1 s retransmission) and at most a third of the run's deadline. The
    // probe never stops the run: without an answer the media checks fall back to the probe's host
    // and the standard ports, and probe.reach records why (contract, "Two kinds of far end").
    const probeMs = Math.min(config.deadlineMs / 3, config.timeouts.connectMs + config.timeouts.tlsMs + config.timeouts.firstByteMs);
    if (config.probeInfo === undefined) {
      const d = await discoverProbe(config, probeMs, proxy, opts.signal);
      config = { ...config, probeInfo: d.info };
      probeDiscovery = { url: config.probe!, media: d.info ? 'described' : 'none', ...(d.error ? { error: d.error } : {}) };
    }
  }
  const tasks = planTasks(config, profiles);
  opts.progress?.plan?.(tasks.length, { idleWindowMs: config.idleWindowMs, qualityMs: config.qualityMs });
  // When each check started (ms since the run started), for the report's timeline.
  const started = new Map<string, number>();
  const run = await runTasks(tasks, {
    defs: CHECKS,
    concurrency: config.concurrency,
    deadlineMs: Math.max(0, config.deadlineMs - (performance.now() - t0) - 250),
    signal: opts.signal,
    context: { config, timeouts: config.timeouts, proxy, discovery, now: () => performance.now() },
    onStart: (t) => {
      started.set(t.key, Math.round(performance.now() - t0));
      opts.progress?.start(t);
    },
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
    discovery,
    ...(probeDiscovery ? { probe: probeDiscovery } : {}),
    ...(profiles.profiles.some((p) => p.historical) ? { historical: profiles.profiles.filter((p) => p.historical).map((p) => `${p.id}: ${p.historical}`) } : {}),
    options: runOptions(config),
    context: runContext(startedAt),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    deadlineHit: run.deadlineHit,
    // run.results follows the plan's order, one result per task.
    results: run.results.map((r, i) => {
      const at = started.get(tasks[i]?.key ?? '');
      return at === undefined || r.startMs !== undefined ? r : { ...r, startMs: at };
    }),
  };
  const notes = run.deadlineHit ? [`the run reached its deadline of ${config.deadlineMs / 1000} s; unfinished checks are marked timeout`] : [];
  return { raw, report: reportOrFallback(raw, notes) };
}

/** The options that shape the result, for the report (what a support engineer needs to read it). */
export function runOptions(config: RunConfig): NonNullable<RawRun['options']> {
  return {
    deadlineMs: config.deadlineMs,
    idleWindowMs: config.idleWindowMs,
    qualityMs: config.qualityMs,
    probe: config.probe,
    thorough: !!config.thorough,
    signDomainGiven: config.params.signDomain !== undefined,
    caFiles: config.caFiles,
    publicRoots: config.publicRootsFile,
    systemProxy: config.systemProxy,
  };
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
  // --upload and its token are checked before the run: a usage error costs no run.
  const upload = planUpload(o);
  const trust = upload ? buildConfig(o) : null;
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
  if (upload && trust) await sendUpload(report, upload, trust);
  // A rule that threw is a netready bug: the report stands without that cause, and the exit says so.
  if (report.internalErrors?.length) {
    process.stderr.write(`netready: internal error: ${report.internalErrors.join('; ')}\n`);
    return 3;
  }
  return exitCodeFor(report);
}

/** After the local outputs: post the report, print the share link or one line saying why not. */
async function sendUpload(report: Report, plan: UploadPlan, trust: RunConfig): Promise<void> {
  const r = await uploadReport(report, plan, trust);
  process.stderr.write(`netready: ${r.line}\n`);
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
      // TEST-ONLY: recorded system settings instead of this machine's (docs/discovery.md).
      const fixture = process.env[DISCOVERY_FIXTURE_ENV];
      const discovery = fixture ? loadDiscoveryFixture(fixture) : undefined;
      const run = await runCheck(config, { progress, signal: ac.signal, discovery });
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

/** Where the run happens, for a ticket: this machine, its resolvers, its local time. */
export function runContext(startedAt: Date): RunContext {
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal)
    .map((a) => a.address)
    .slice(0, 16);
  const off = -startedAt.getTimezoneOffset();
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(startedAt.getTime() + off * 60_000).toISOString().replace('Z', `${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`);
  let timeZone: string | null = null;
  try {
    timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? null;
  } catch {
    /* no Intl time zone data */
  }
  return {
    machine: { name: os.hostname(), os: `${os.type()} ${os.release()} (${process.platform}/${process.arch})`, addresses },
    resolvers: dns.getServers(),
    startedAtLocal: local,
    timeZone,
  };
}
