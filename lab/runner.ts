// `npm run lab -- test [FILES...]`: for each scenario bring the lab up, run `netready check` in
// the client namespace, compare the JSON report with `expect:`, and tear the lab down — always,
// also on failure, exception, SIGINT or SIGTERM.

import { validateReport } from '../src/report/validate.js';
import { readdirSync, readFileSync, existsSync, mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario, type Scenario } from './scenario.js';
import { up, down, abortUp, REPO, ADDR, type LabState } from './lab.js';
import { runAsync } from './sh.js';

interface Report {
  ready: boolean;
  outcome?: string;
  unverified?: { checklist: string; reason: string }[];
  durationMs?: number;
  tier: string | null;
  causes: { id: string; severity?: string; summary?: string; remedy?: string }[];
  checks?: { id: string; target: string; status: string; error?: { code: string } | null }[];
  notes?: string[];
  context?: { routes?: { host: string; route: string; source: string; carriedBy?: string }[] };
}

export interface Outcome {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  seconds: number;
}

export function defaultScenarioFiles(): string[] {
  const dir = join(REPO, 'lab', 'scenarios');
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export function fillPlaceholders(argv: string[], st: LabState, reportFile: string): string[] {
  const map: Record<string, string | undefined> = {
    labCa: st.files.labCa,
    reportFile,
    proxy: ADDR.proxy,
    pacFile: st.files.pac,
    signDomain: st.signDomain,
    squidCa: st.files.squidCa,
    mitmCa: st.files.mitmCa,
    labDir: st.tmpDir,
    caBundle: st.files.caBundle,
  };
  return argv.map((a) =>
    a.replace(/\{([A-Za-z]+)\}/g, (m, k: string) => {
      const v = map[k];
      if (v === undefined) throw new Error(`check: placeholder ${m} has no value in this lab`);
      return v;
    }),
  );
}

/** Compare a report with expect:, returning the list of mismatches (empty = pass). */
export function compare(expect: NonNullable<Scenario['expect']>, report: Report, exitCode: number | null): string[] {
  const bad: string[] = [];
  const got = new Set(report.causes.map((c) => c.id));
  if (expect.ready !== undefined && report.ready !== expect.ready) bad.push(`ready ${report.ready} (want ${expect.ready})`);
  if (expect.outcome !== undefined && report.outcome !== expect.outcome) bad.push(`outcome ${report.outcome} (want ${expect.outcome})`);
  if (expect.unverified !== undefined) {
    const got = (report.unverified ?? []).map((u) => u.checklist).sort();
    if (got.join() !== [...expect.unverified].sort().join()) bad.push(`unverified [${got.join(',')}] (want [${expect.unverified.join(',')}])`);
  }
  if (expect.maxSeconds !== undefined && !(typeof report.durationMs === 'number' && report.durationMs <= expect.maxSeconds * 1000))
    bad.push(`durationMs ${report.durationMs} (want at most ${expect.maxSeconds * 1000})`);
  if (expect.tier !== undefined && report.tier !== expect.tier) bad.push(`tier ${report.tier} (want ${expect.tier})`);
  if (expect.causes) {
    // an empty list means: no cause at all
    if (expect.causes.length === 0 && got.size) bad.push(`causes [${[...got].join(',')}] (want none)`);
    for (const c of expect.causes) if (!got.has(c)) bad.push(`missing cause ${c}`);
  }
  for (const c of expect.notCauses ?? []) if (got.has(c)) bad.push(`unwanted cause ${c}`);
  for (const [id, re] of Object.entries(expect.causeText ?? {})) {
    const c = report.causes.find((x) => x.id === id);
    if (!c) bad.push(`missing cause ${id} (causeText)`);
    else if (!new RegExp(re, 'i').test(`${c.summary ?? ''} ${c.remedy ?? ''}`)) bad.push(`cause ${id} does not say /${re}/`);
  }
  for (const [key, status] of Object.entries(expect.checks ?? {})) {
    const sp = key.indexOf(' ');
    const [id, target] = sp < 0 ? [key, null] : [key.slice(0, sp), key.slice(sp + 1)];
    const rs = (report.checks ?? []).filter((r) => r.id === id && (target === null || r.target === target));
    if (!rs.length) bad.push(`no result for ${key}`);
    for (const r of rs) if (r.status !== status) bad.push(`${r.id} ${r.target} ${r.status}${r.error ? ` ${r.error.code}` : ''} (want ${status})`);
  }
  for (const [host, re] of Object.entries(expect.routes ?? {})) {
    const r = (report.context?.routes ?? []).find((x) => x.host === host.toLowerCase());
    const text = r ? `${r.route} (${r.source})${r.carriedBy ? ` carried by ${r.carriedBy}` : ''}` : null;
    if (text === null) bad.push(`no route for ${host} in the report's context`);
    else if (!new RegExp(re, 'i').test(text)) bad.push(`route to ${host} "${text}" does not match /${re}/`);
  }
  for (const re of expect.notes ?? []) if (!(report.notes ?? []).some((n) => new RegExp(re, 'i').test(n))) bad.push(`no note matches /${re}/`);
  const byOutcome = expect.outcome === undefined ? undefined : { ready: 0, 'not-ready': 1, incomplete: 4 }[expect.outcome];
  const wantExit = expect.exitCode ?? byOutcome ?? (expect.ready === undefined ? undefined : expect.ready ? 0 : 1);
  if (wantExit !== undefined && exitCode !== wantExit) bad.push(`exit ${exitCode} (want ${wantExit})`);
  return bad;
}

/** The labs up right now (two scenarios may run at once). */
const current = new Set<LabState>();
let interrupted = false;

function installSignalHandlers(): void {
  const onSig = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\nlab: ${sig}: tearing down`);
    abortUp();
    const labs = [...current];
    // twice: the second pass catches what a step in flight added during the first
    void Promise.all(labs.map((st) => down(st).then(() => down(st)))).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
}

/** LAB_REPORT_DIR: keep each scenario's report (NAME.json) and the check's output (NAME.out). */
function keepOutput(name: string, reportFile: string, r: { code: number | null; stdout: string; stderr: string }): void {
  const dir = process.env.LAB_REPORT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  if (existsSync(reportFile)) copyFileSync(reportFile, join(dir, `${name}.json`));
  writeFileSync(join(dir, `${name}.out`), `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
}

/**
 * The environment of the check in the client namespace: the lab's client is a machine of its own —
 * no proxy variables, no desktop session and a home of its own, so the system proxy settings the
 * check reads are the lab's (its resolv.conf, WPAD), never this host's user's.
 */
export function clientEnv(st: LabState, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const drop = /^(https?_proxy|all_proxy|no_proxy|XDG_CURRENT_DESKTOP|XDG_CONFIG_HOME|XDG_RUNTIME_DIR|DESKTOP_SESSION|KDE_FULL_SESSION|KDEHOME|DBUS_SESSION_BUS_ADDRESS|NETREADY_TEST_DISCOVERY)$/i;
  const env = Object.fromEntries(Object.entries(base).filter(([k]) => !drop.test(k)));
  return { ...env, HOME: join(st.tmpDir, 'client-home') };
}

export async function runScenario(sc: Scenario): Promise<Outcome> {
  const t0 = Date.now();
  const secs = () => Math.round((Date.now() - t0) / 100) / 10;
  if (sc.pending) return { name: sc.name, status: 'skip', detail: `pending: ${sc.pending}`, seconds: 0 };
  let st: LabState | null = null;
  try {
    st = await up(sc, { onState: (s) => current.add(s) });
    const reportFile = join(st.tmpDir, 'report.json');
    const args = fillPlaceholders(sc.check ?? [], st, reportFile);
    const deadline = Number(args[args.indexOf('--deadline') + 1]) || 30;
    // LAB_NETREADY_MAIN: another entry point of the CLI (e.g. dist/cli/main.js), for debugging
    const entry = process.env.LAB_NETREADY_MAIN ?? join(REPO, 'src', 'cli', 'main.ts');
    const r = await runAsync([process.execPath, '--import', 'tsx', entry, 'check', ...args], {
      ns: st.ns.client,
      timeoutMs: (deadline + 30) * 1000,
      env: clientEnv(st),
    });
    keepOutput(sc.name, reportFile, r);
    if (!existsSync(reportFile))
      return { name: sc.name, status: 'fail', detail: `no report (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`, seconds: secs() };
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
    const bad = compare(sc.expect ?? {}, report, r.code);
    // every report the lab produces must keep the contract
    const schemaErrors = validateReport(report);
    if (schemaErrors.length) bad.push(`report does not validate against schema/report.v1.json: ${schemaErrors.slice(0, 3).join('; ')}`);
    const summary = `${report.outcome ? `outcome=${report.outcome} ` : ''}ready=${report.ready} tier=${report.tier} causes=[${report.causes.map((c) => c.id).join(',')}] exit ${r.code}`;
    return { name: sc.name, status: bad.length ? 'fail' : 'pass', detail: bad.length ? `${bad.join('; ')} — got ${summary}` : summary, seconds: secs() };
  } catch (e) {
    return { name: sc.name, status: 'fail', detail: `lab error: ${(e as Error).message}`, seconds: secs() };
  } finally {
    if (st) {
      await down(st);
      current.delete(st);
    }
  }
}

/**
 * Scenarios that measure the link itself (rate, loss, delay, jitter) run alone: a second lab beside
 * them would share the CPU that paces their packet trains and skews what they measure.
 */
export function runsAlone(sc: Scenario): boolean {
  return !!sc.link || !!sc.vpn;
}

/** How many labs run at once (LAB_JOBS; default 2 — a machine of 2 cores carries two). */
function labJobs(): number {
  const n = Number(process.env.LAB_JOBS ?? 2);
  return Number.isInteger(n) && n >= 1 && n <= 8 ? n : 2;
}

export async function runTests(files: string[]): Promise<number> {
  installSignalHandlers();
  const list = files.length ? files : defaultScenarioFiles();
  const scenarios = list.map(loadScenario); // validate all first: a broken file is exit 2
  const results = new Map<Scenario, Outcome>();
  const run = async (sc: Scenario) => {
    const o = await runScenario(sc);
    process.stderr.write(`lab: ${sc.name} … ${o.status} (${o.seconds}s)\n`);
    results.set(sc, o);
  };
  // The link-measuring scenarios first, one at a time; then the rest, labJobs() at once.
  for (const sc of scenarios.filter(runsAlone)) {
    if (interrupted) break;
    await run(sc);
  }
  const queue = scenarios.filter((sc) => !runsAlone(sc));
  const worker = async () => {
    for (let sc = queue.shift(); sc && !interrupted; sc = queue.shift()) await run(sc);
  };
  await Promise.all(Array.from({ length: labJobs() }, worker));
  const outcomes = scenarios.map((sc) => results.get(sc)).filter((o): o is Outcome => !!o);
  const w = Math.max(8, ...outcomes.map((o) => o.name.length));
  console.log(`${'scenario'.padEnd(w)}  result  time    detail`);
  for (const o of outcomes) {
    const mark = o.status === 'pass' ? '✔ pass' : o.status === 'fail' ? '✘ FAIL' : '- skip';
    console.log(`${o.name.padEnd(w)}  ${mark}  ${`${o.seconds}s`.padEnd(6)}  ${o.detail}`);
  }
  const n = (s: Outcome['status']) => outcomes.filter((o) => o.status === s).length;
  const skipped = n('skip');
  console.log(`${n('pass')} passed, ${n('fail')} failed${skipped ? `, ${skipped} skipped` : ''}`);
  if (interrupted) return 130;
  return n('fail') ? 1 : 0;
}
