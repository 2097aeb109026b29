// Proxy discovery for one run of `check`, before planning: read every source the browser on this OS
// consults (orchestrate.ts), look WPAD up when the browser would (or when nothing else configured a
// proxy), fetch and compile the PAC that applies, and decide the route the resolver follows
// (src/net/proxy.ts SystemRoute). Bounded by one time budget; never throws for what a source says
// and never stops the run: a PAC that cannot be fetched, does not compile, throws or runs too long is
// evidence (the browser would fail the same way — Chromium then falls back to the manual proxy or
// direct, and so does netready), never bad input. The result is plain data for the raw run
// (--save-raw / --from-raw) and for the proxy.config evidence.

import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RunConfig } from '../../shared/config.js';
import { loadPac, loadPacText, type PacFailure } from '../pac.js';
import type { SystemRoute } from '../proxy.js';
import { describeManual, discoverProxy, SOURCE_TITLE, type ProxyDiscovery, type SourceEntry } from './orchestrate.js';
import { systemFiles, systemRunner, type CommandRunner, type FileReader } from './runner.js';
import type { DiscoverySourceId, ManualProxy, SourceReading } from './types.js';
import { lookupWpad, readSearchDomains, WPAD_DEADLINE_MS, type WpadLookup } from './wpad.js';

/** Where discovery reads the OS from: the real one, or (tests) recorded outputs and a name map. */
export interface DiscoveryEnv {
  platform: NodeJS.Platform;
  runner: CommandRunner;
  files: FileReader;
  /** The process environment (XDG_CURRENT_DESKTOP, HOME, KDE's ProxyType=4 variables). */
  osEnv: Record<string, string | undefined>;
  /** Name resolution for the WPAD and PAC fetches (default: the system's). */
  lookup?: LookupFunction;
  /** The PAC sandbox's dnsResolve()/isResolvable() (default: the system resolver). */
  resolve4?: (host: string) => Promise<string | null>;
  /** Fetch WPAD candidates on this port instead of 80 (tests). */
  wpadPort?: number;
  /** The test fixture this environment comes from (NETREADY_TEST_DISCOVERY), recorded in the evidence. */
  fixture?: string;
}

export function systemDiscoveryEnv(): DiscoveryEnv {
  return { platform: process.platform, runner: systemRunner, files: systemFiles, osEnv: process.env };
}

/** One PAC netready tried to use, in Chromium's order (WPAD, then the auto-config URL). */
export interface PacAttempt {
  /** How it was found: "WPAD auto-discovery", "auto-config URL in GNOME proxy settings (gsettings)". */
  how: string;
  url: string | null;
  ok: boolean;
  failure?: PacFailure;
}

export type RouteKind = 'explicit' | 'env' | 'direct' | 'manual' | 'pac';

/** What discovery found, as plain data (raw run `discovery`, proxy.config `details.discovery`). */
export interface DiscoveryRecord {
  /** false with --no-system-proxy. */
  system: boolean;
  platform: string;
  desktop: string | null;
  /** One line: what applies and where it came from, or "no proxy found (sources tried: …)". */
  summary: string;
  /** Every source of the browser's chain, in order, with its role (effective, shadowed, empty, …) and what it said. */
  sources: SourceEntry[];
  /** Read and reported beside the chain (Windows' WinHTTP proxy: services and agents use it). */
  beside: SourceReading[];
  wpad: { searchDomains: string[]; candidates: string[]; tried: { url: string; why: string }[]; found: string | null; notes: string[] } | null;
  /** The PACs tried (WPAD, an auto-config URL): which compiled, which failed and why. */
  pac: PacAttempt[];
  /** The route netready follows: kind, the source it comes from, and that source in words. */
  route: { kind: RouteKind; origin: DiscoverySourceId | null; from: string };
  /** The environment and the system settings disagree: a CLI and the browser would go different ways. */
  disagreement: string | null;
  notes: string[];
  durationMs: number;
  fixture?: string;
}

/** Time proxy discovery may take before planning: up to 10 s, a quarter of the run's deadline. */
export function discoveryBudgetMs(deadlineMs: number): number {
  return Math.min(10_000, Math.max(2000, Math.floor(deadlineMs / 4)));
}

const OS_SOURCES: DiscoverySourceId[] = ['wininet', 'scutil', 'gnome', 'kde'];

function proxyText(m: ManualProxy | null): string {
  return m ? describeManual(m) : 'no proxy';
}

/**
 * The environment and the system settings disagree (pure): tools that read only the environment
 * (curl, many SDKs and agents) and the browser would go different ways. Null when they agree.
 */
export function disagreement(d: Pick<ProxyDiscovery, 'sources' | 'platform' | 'system'>): string | null {
  if (!d.system) return null;
  const env = d.sources.find((s) => s.source === 'env');
  const envProxy = env?.state === 'configured' && env.manual ? env.manual : null;
  const envText = envProxy ? `the environment names the proxy ${proxyText(envProxy)} (${env!.manual!.https?.from ?? env!.manual!.http?.from ?? 'HTTPS_PROXY'})` : null;
  const os = d.sources.find((s) => OS_SOURCES.includes(s.source) && (s.role === 'effective' || s.role === 'shadowed'));
  const wpad = d.sources.find((s) => s.source === 'wpad' && s.role === 'effective');
  if (!os && !wpad) {
    // Nothing in the system settings. Browsers on Windows and macOS never read the environment.
    if (envText && (d.platform === 'win32' || d.platform === 'darwin'))
      return `${envText}, but the system settings configure no proxy and browsers on ${d.platform === 'win32' ? 'Windows' : 'macOS'} do not read the environment: the browser goes direct while command-line tools use the proxy; netready followed the environment (pass --proxy, or unset the variable, to test one way)`;
    return null;
  }
  let sysText: string;
  let sysProxy: ManualProxy | null = null;
  if (os && os.role === 'effective' && os.state !== 'configured') sysText = `${SOURCE_TITLE[os.source]} says no proxy`;
  else if (os && (os.autoDetect || os.pacUrl)) sysText = `${SOURCE_TITLE[os.source]} use${os.pacUrl ? ` the PAC file ${os.pacUrl.url}` : ' WPAD auto-detection'}`;
  else if (os?.manual) {
    sysProxy = os.manual;
    sysText = `${SOURCE_TITLE[os.source]} name the proxy ${proxyText(os.manual)}`;
  } else sysText = `WPAD announces the PAC file ${wpad?.pacUrl?.url ?? ''}`.trimEnd();
  const same = (a: ManualProxy | null, b: ManualProxy | null) => {
    const x = a?.https ?? a?.http;
    const y = b?.https ?? b?.http;
    return !!x && !!y && x.host === y.host && x.port === y.port;
  };
  if (envProxy && same(envProxy, sysProxy)) return null;
  if (envText) return `${envText}, but ${sysText}: command-line tools and SDKs that read the environment go one way, the browser the other; netready went the browser's way`;
  if (os && os.state !== 'configured') return null;
  return `${sysText}, but no proxy variable is set: command-line tools and SDKs that read only the environment go direct while the browser goes the way ${os ? 'the system settings say' : 'WPAD says'}; netready went the browser's way`;
}

function wpadRecord(w: WpadLookup | null): DiscoveryRecord['wpad'] {
  if (!w) return null;
  return { searchDomains: w.searchDomains.domains, candidates: w.candidates, tried: w.tried, found: w.found?.url ?? null, notes: w.notes };
}

export interface DiscoverForRun {
  record: DiscoveryRecord;
  /** What the resolver follows; undefined when --proxy/--pac decide. */
  route: SystemRoute | undefined;
}

/**
 * Discover, fetch and compile, decide. `trialUrl`: the plan's first host, evaluated once by a
 * discovered PAC before it is used (the same trial an explicit --pac gets).
 */
export async function discoverForRun(config: RunConfig, env: DiscoveryEnv, o: { signal?: AbortSignal; budgetMs: number; trialUrl: string | null }): Promise<DiscoverForRun> {
  const t0 = performance.now();
  const budget = AbortSignal.timeout(o.budgetMs);
  const signal = o.signal ? AbortSignal.any([o.signal, budget]) : budget;
  const notes: string[] = [];
  const left = () => Math.max(0, Math.floor(o.budgetMs - (performance.now() - t0)));
  let d: ProxyDiscovery;
  try {
    d = await discoverProxy({
      platform: env.platform,
      runner: env.runner,
      files: env.files,
      osEnv: env.osEnv,
      proxyEnv: config.env,
      explicit: { proxy: config.proxy, pac: config.pac },
      system: config.systemProxy,
      signal,
      wpad: async () => {
        const domains = await readSearchDomains(env.platform, env.runner, env.files, signal);
        return lookupWpad(domains, { signal, lookup: env.lookup, port: env.wpadPort, deadlineMs: Math.min(WPAD_DEADLINE_MS, left()) });
      },
    });
  } catch (e) {
    // A netready bug in a reader: the run goes on the way the environment says, and the report says why.
    const why = `proxy discovery failed (a netready bug): ${(e as Error)?.message ?? String(e)}`;
    return {
      record: {
        system: config.systemProxy,
        platform: env.platform,
        desktop: null,
        summary: why,
        sources: [],
        beside: [],
        wpad: null,
        pac: [],
        route: { kind: 'env', origin: 'env', from: 'environment' },
        disagreement: null,
        notes: [],
        durationMs: Math.round(performance.now() - t0),
        ...(env.fixture ? { fixture: env.fixture } : {}),
      },
      route: { kind: 'env' },
    };
  }

  const eff = d.effective;
  const pac: PacAttempt[] = [];
  let route: SystemRoute | undefined;
  let kind: RouteKind;
  let summary = d.summary;
  const explicitWins = d.sources[0]?.source === 'explicit' && d.sources[0].role === 'effective';
  const pacOptions = { signal, caPem: config.caPem, lookup: env.lookup, resolve4: env.resolve4, ...(o.trialUrl ? { trialUrl: o.trialUrl } : {}) };

  if (explicitWins) {
    kind = 'explicit';
    route = undefined;
  } else if (eff.kind === 'direct') {
    kind = 'direct';
    route = { kind: 'direct', origin: eff.source, from: eff.source ? `${SOURCE_TITLE[eff.source]} says no proxy` : 'no proxy found' };
  } else if (eff.kind === 'manual') {
    if (eff.source === 'env') {
      kind = 'env';
      route = { kind: 'env' };
    } else {
      kind = 'manual';
      route = { kind: 'manual', origin: eff.source, from: SOURCE_TITLE[eff.source], manual: eff.manual };
    }
  } else {
    // Chromium's order within the deciding source: auto-detect (WPAD), then the PAC URL, then the
    // manual proxy; each the fallback of the one before when it cannot be used; then direct.
    const title = SOURCE_TITLE[eff.source];
    if (eff.autoDetect) {
      const how = eff.source === 'wpad' ? 'WPAD auto-discovery' : `WPAD auto-detection (on in ${title})`;
      const found = d.wpad?.found;
      if (!found) pac.push({ how, url: null, ok: false, failure: { ref: 'WPAD', stage: 'fetch', message: `no WPAD server answered (${d.wpad?.tried.length ?? 0} names tried)` } });
      else {
        const r = await loadPacText(found.text, found.url, found.url, pacOptions);
        pac.push({ how, url: found.url, ok: r.ok, ...(r.ok ? {} : { failure: r.failure }) });
        if (r.ok) route = { kind: 'pac', origin: eff.source === 'wpad' ? 'wpad' : eff.source, from: `PAC ${found.url} (${how})`, ref: found.url, engine: r.engine };
      }
    }
    if (!route && eff.pacUrl) {
      const how = `auto-config URL in ${title}`;
      const r = await loadPac(eff.pacUrl, pacOptions);
      pac.push({ how, url: eff.pacUrl, ok: r.ok, ...(r.ok ? {} : { failure: r.failure }) });
      if (r.ok) route = { kind: 'pac', origin: eff.source, from: `PAC ${eff.pacUrl} (${how})`, ref: eff.pacUrl, engine: r.engine };
    }
    if (route?.kind === 'pac') {
      kind = 'pac';
      summary = `PAC ${route.ref} from ${route.from.replace(/^PAC \S+ \((.*)\)$/, '$1')}`;
    } else if (eff.manual) {
      kind = 'manual';
      route = { kind: 'manual', origin: eff.source, from: SOURCE_TITLE[eff.source], manual: eff.manual };
      summary = `proxy ${describeManual(eff.manual)} from ${title} (its PAC could not be used: ${pac.map((p) => p.failure?.message).join('; ')})`;
    } else {
      kind = 'direct';
      route = { kind: 'direct', origin: eff.source, from: `${title}: the PAC could not be used, the browser goes direct` };
      summary = `${d.summary}: the PAC could not be used (${pac.map((p) => p.failure?.message).join('; ')}); the browser goes direct, and so did netready`;
    }
  }
  if (!config.systemProxy) summary += ' (system proxy settings and WPAD not read: --no-system-proxy)';
  if (budget.aborted && !o.signal?.aborted) notes.push(`proxy discovery reached its time bound of ${o.budgetMs} ms; what was not read by then counts as not configured`);
  const origin: DiscoverySourceId | null = kind === 'explicit' ? 'explicit' : kind === 'env' ? 'env' : route && route.kind !== 'env' ? route.origin : null;
  const from = kind === 'explicit' ? (config.proxy ? '--proxy' : `--pac ${config.pac}`) : kind === 'env' ? SOURCE_TITLE.env : route && route.kind !== 'env' ? route.from : 'no proxy found';
  return {
    record: {
      system: d.system,
      platform: d.platform,
      desktop: d.desktop,
      summary,
      sources: d.sources,
      beside: d.beside,
      wpad: wpadRecord(d.wpad),
      pac,
      route: { kind, origin, from },
      disagreement: disagreement(d),
      notes,
      durationMs: Math.round(performance.now() - t0),
      ...(env.fixture ? { fixture: env.fixture } : {}),
    },
    route,
  };
}

/** What planning needs to know of the route (RunConfig.discovered), as plain data. */
export function plannedRoute(r: DiscoverForRun): RunConfig['discovered'] {
  const k = r.record.route.kind;
  if (k === 'explicit') return undefined;
  if (r.route?.kind === 'manual') return { kind: 'manual', manual: r.route.manual };
  return { kind: k === 'pac' ? 'pac' : k === 'direct' ? 'direct' : 'env' };
}
