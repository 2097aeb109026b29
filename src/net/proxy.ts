// Which way each URL goes, the way the browser goes: --proxy, else --pac, else what proxy discovery
// found (the OS's settings with their bypass list, an auto-config URL or WPAD — src/net/discovery/),
// else the environment as curl reads it. A PAC answer is a list ("PROXY a; PROXY b; DIRECT"): the
// first entry is the route, the rest its fallbacks, tried in order by the dialer when an entry
// cannot be reached (src/net/dial.ts), as browsers do.
// seed 000_637c892c7d775e13.txt: "Vonage SDKs do not support PAC files, and native SDKs do not
// support authenticating proxies" — so the choice, its source and where the setting came from are
// recorded for the verdict.

import { isIP } from 'node:net';
import { NetError, UsageError } from '../shared/errors.js';
import { loadPac, PacError, type PacEngine } from './pac.js';
import type { RunConfig } from '../shared/config.js';
import { bypassMatches, noProxyMatches } from './discovery/bypass.js';
import type { DiscoverySourceId, ManualProxy, ProxyServerSetting } from './discovery/types.js';

export { noProxyMatches } from './discovery/bypass.js';

/**
 * The kind of setting that chose a proxy: `explicit` (--proxy), `env` (HTTPS_PROXY …), `pac` (a PAC
 * file: --pac, an auto-config URL of the system settings, or WPAD), `system` (a fixed proxy in the
 * OS's settings: WinINET, scutil, GNOME, KDE).
 */
export type ProxySource = 'explicit' | 'env' | 'pac' | 'system';

/** Where a route came from, and what else to try: shared by both kinds of choice. */
export interface RouteFacts {
  /** The discovery source behind it (machine-readable): explicit, wininet, scutil, gnome, kde, env, wpad. */
  origin?: DiscoverySourceId;
  /** Where the setting came from, for people: "--proxy", "HTTPS_PROXY", "PAC http://wpad.corp/wpad.dat (WPAD)". */
  from?: string;
  /** The rest of a PAC answer, in order: tried when this entry cannot be reached. */
  fallbacks?: ProxyChoice[];
  /** The PAC's whole answer for this URL. */
  pacAnswer?: string;
  /** Proxies found unreachable during this run (shared by a resolver's choices): tried last. */
  retry?: ProxyRetry;
  /** Something the route cannot carry as configured (a SOCKS proxy, a PAC that failed for this URL). */
  note?: string;
}

export type ProxyChoice =
  | ({ kind: 'direct'; source: 'none' | 'no_proxy' | 'pac' | 'system' } & RouteFacts)
  | ({
      kind: 'http';
      /** The proxy URL with any password redacted, for reports. */
      display: string;
      host: string;
      port: number;
      /** `Proxy-Authorization` header value when the URL carried credentials. */
      authorization?: string;
      /** An https:// proxy (TLS to the proxy itself). */
      tls: boolean;
      source: ProxySource;
    } & RouteFacts);

/**
 * Chromium's proxy retry list: a proxy that could not be reached is tried after the others for the
 * rest of the run (Chromium keeps it 5 minutes), so one dead proxy costs one timeout, not one per check.
 */
export class ProxyRetry {
  private readonly bad = new Map<string, string>();
  markBad(display: string, why: string): void {
    if (this.bad.size < 64 && !this.bad.has(display)) this.bad.set(display, why);
  }
  isBad(display: string): boolean {
    return this.bad.has(display);
  }
  list(): { proxy: string; why: string }[] {
    return [...this.bad].map(([proxy, why]) => ({ proxy, why }));
  }
}

/**
 * The way the system settings say to go, decided by discovery before the run (src/net/discovery/run.ts):
 * `env` = the environment decides (curl's rules); `direct` = no proxy (the settings say so, or nothing
 * was found); `manual` = a fixed proxy with its bypass list; `pac` = a PAC file that compiled.
 */
export type SystemRoute =
  | { kind: 'env' }
  | { kind: 'direct'; origin: DiscoverySourceId | null; from: string }
  | { kind: 'manual'; origin: DiscoverySourceId; from: string; manual: ManualProxy }
  | { kind: 'pac'; origin: DiscoverySourceId; from: string; ref: string; engine: PacEngine };

export interface ProxyResolver {
  forUrl(url: string, signal?: AbortSignal): Promise<ProxyChoice>;
  /**
   * Before the run: an explicit --pac is fetched, compiled and evaluated once for `trialUrl`; a PAC
   * that cannot be read or fetched, does not parse, throws or runs too long is a UsageError (exit 2).
   */
  prepare?(trialUrl: string, signal?: AbortSignal): Promise<void>;
  /** What is configured, for the report (credentials redacted). */
  describe(): { explicit: string | null; pac: string | null; env: Record<string, string | undefined> };
  /** The PAC in use (explicit --pac or discovered), or null. */
  pacInUse?(): string | null;
  /** Proxies found unreachable during the run. */
  unreachable?(): { proxy: string; why: string }[];
  /** Release what the resolver holds (a PAC's sandbox). */
  dispose?(): void;
}

/** No proxy at all (tests, replay). */
export const DIRECT: ProxyResolver = {
  async forUrl() {
    return { kind: 'direct', source: 'none' };
  },
  describe() {
    return { explicit: null, pac: null, env: {} };
  },
};

type HttpProxy = Extract<ProxyChoice, { kind: 'http' }>;

/** Parse a proxy URL as curl does (`host:port` without a scheme means http://, default port 1080). */
export function parseProxyUrl(raw: string, source: ProxySource, what = 'proxy'): HttpProxy {
  const text = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new UsageError(`${what} "${redactUrlText(raw)}" is not a valid proxy URL (expected http://[user:pass@]host:port)`);
  }
  const scheme = u.protocol.replace(/:$/, '').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https')
    throw new UsageError(`${what} "${redactUrlText(raw)}": unsupported proxy scheme "${scheme}" (only http:// and https:// proxies)`);
  if (!u.hostname) throw new UsageError(`${what} "${redactUrlText(raw)}" has no host name`);
  const tls = scheme === 'https';
  const port = u.port ? Number(u.port) : tls ? 443 : 1080; // curl's default proxy port is 1080
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let authorization: string | undefined;
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  const hostPart = isIP(host) === 6 ? `[${host}]` : host;
  const cred = u.username ? `${u.username}${u.password ? ':***' : ''}@` : '';
  return { kind: 'http', display: `${scheme}://${cred}${hostPart}:${port}`, host, port, authorization, tls, source };
}

/** A URL-ish string with the password replaced (for error messages and reports). */
export function redactUrlText(s: string | undefined | null): string | undefined {
  if (s === undefined || s === null) return undefined;
  return s.replace(/(\/\/[^:/@\s]*:)[^@/\s]*@/, '$1***@');
}

function urlParts(url: string): { scheme: string; host: string; port: number } {
  const u = new URL(url);
  const scheme = u.protocol.replace(/:$/, '');
  const secure = scheme === 'https' || scheme === 'wss';
  return { scheme, host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : secure ? 443 : 80 };
}

/**
 * The environment proxy for a URL, as curl reads it: https (and wss) URLs use HTTPS_PROXY, http
 * URLs use HTTP_PROXY (config.env holds what the CLI captured), else ALL_PROXY; NO_PROXY wins.
 * Pure: the plan uses it to know whether a proxy can apply.
 */
export function envProxyFor(url: string, env: RunConfig['env']): ProxyChoice {
  const { scheme, host, port } = urlParts(url);
  const secure = scheme === 'https' || scheme === 'wss';
  const raw = (secure ? env.httpsProxy : env.httpProxy) || env.allProxy;
  if (!raw) return { kind: 'direct', source: 'none' };
  if (noProxyMatches(host, port, env.noProxy)) return { kind: 'direct', source: 'no_proxy' };
  return parseProxyUrl(raw, 'env', secure ? 'HTTPS_PROXY' : 'HTTP_PROXY');
}

/** Which environment variable decided (for `from`). */
function envFrom(url: string, env: RunConfig['env'], c: ProxyChoice): string {
  if (c.kind === 'direct') return c.source === 'no_proxy' ? 'NO_PROXY' : 'no proxy variable';
  const secure = /^(https|wss):/i.test(url);
  return (secure ? env.httpsProxy : env.httpProxy) ? (secure ? 'HTTPS_PROXY' : 'http_proxy') : 'ALL_PROXY';
}

/** The proxy a manual setting names for a URL's scheme (Chromium: the scheme's own, else SOCKS). */
function manualServer(url: string, m: ManualProxy): ProxyServerSetting | null {
  const secure = /^(https|wss):/i.test(url);
  return (secure ? m.https : m.http) ?? m.socks;
}

/** A proxy of the system settings as a choice (SOCKS: netready speaks only HTTP CONNECT). */
function serverChoice(s: ProxyServerSetting, source: ProxySource, facts: RouteFacts): ProxyChoice {
  if (s.scheme.startsWith('socks'))
    return { kind: 'direct', source: 'system', ...facts, note: `the browser would use the SOCKS proxy ${s.host}:${s.port}; netready cannot test through SOCKS and went direct` };
  const hostPart = isIP(s.host) === 6 ? `[${s.host}]` : s.host;
  return { kind: 'http', display: `${s.scheme}://${hostPart}:${s.port}`, host: s.host, port: s.port, tls: s.scheme === 'https', source, ...facts };
}

/** Whether a proxy may apply to a URL, known without evaluating a PAC file (pure, for plans). */
export function proxyMayApply(url: string, config: RunConfig): boolean {
  if (config.proxy || config.pac) return true;
  const d = config.discovered;
  if (d?.kind === 'pac') return true;
  if (d?.kind === 'direct') return false;
  if (d?.kind === 'manual' && d.manual) {
    const s = manualServer(url, d.manual);
    return !!s && !s.scheme.startsWith('socks') && !bypassMatches(url, d.manual.bypass);
  }
  try {
    return envProxyFor(url, config.env).kind === 'http';
  } catch {
    return true;
  }
}

/** At most this many entries of a PAC answer are used (Chromium has no limit; 16 is plenty). */
export const PAC_MAX_ENTRIES = 16;

/**
 * A PAC answer ("PROXY a:1; HTTPS b:2; DIRECT") as the ordered list of routes netready can use.
 * SOCKS entries are left out (netready speaks HTTP CONNECT; a browser's HTTPS goes through SOCKS
 * another way); an empty or unusable answer is DIRECT, as in browsers.
 */
export function parsePacList(result: string, pacName: string, facts: RouteFacts = {}): ProxyChoice[] {
  const entries = String(result ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  const out: ProxyChoice[] = [];
  for (const e of entries.slice(0, PAC_MAX_ENTRIES)) {
    const [kw, addr] = e.split(/\s+/, 2);
    const k = kw.toUpperCase();
    if (k === 'DIRECT') out.push({ kind: 'direct', source: 'pac', ...facts });
    else if ((k === 'PROXY' || k === 'HTTP' || k === 'HTTPS') && addr) {
      let p = parseProxyUrl(`${k === 'HTTPS' ? 'https' : 'http'}://${addr}`, 'pac', `PAC ${pacName} result`);
      if (k !== 'HTTPS' && !/:\d+$/.test(addr)) p = { ...p, port: 80, display: p.display.replace(/:\d+$/, ':80') };
      out.push({ ...p, ...facts });
    }
  }
  return out.length ? out : [{ kind: 'direct', source: 'pac', ...facts }];
}

/** Parse a PAC result to the route: its first usable entry, the others as fallbacks. */
export function parsePacResult(result: string, pacName: string, facts: RouteFacts = {}): ProxyChoice {
  const [first, ...rest] = parsePacList(result, pacName, facts);
  return rest.length ? { ...first, fallbacks: rest } : first;
}

/** A route's entries in the order the dialer tries them: the first, then its fallbacks. */
export function routeEntries(c: ProxyChoice): ProxyChoice[] {
  const { fallbacks, ...first } = c;
  return [first as ProxyChoice, ...(fallbacks ?? [])];
}

/** One entry as a PAC would write it: `PROXY host:port`, `HTTPS host:port`, `DIRECT`. */
export function entryLabel(c: ProxyChoice): string {
  if (c.kind === 'direct') return 'DIRECT';
  const hp = isIP(c.host) === 6 ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}`;
  return `${c.tls ? 'HTTPS' : 'PROXY'} ${hp}`;
}

/** Fetch, compile and try an explicit --pac once: any failure is bad input (one line naming the file, exit 2). */
async function explicitPac(ref: string, caPem: string[], signal: AbortSignal | undefined, trialUrl: string): Promise<PacEngine> {
  const r = await loadPac(ref, { signal, caPem, trialUrl });
  if (!r.ok) throw new UsageError(r.failure.message);
  return r.engine;
}

/**
 * The run's resolver. `system` is what discovery decided (absent: --proxy, --pac and the
 * environment only, as before discovery — tests, library callers, --no-system-proxy).
 */
export function createProxyResolver(config: RunConfig, system?: SystemRoute): ProxyResolver {
  const explicit = config.proxy ? parseProxyUrl(config.proxy, 'explicit', '--proxy') : null;
  // Validate the environment once, up front: a malformed value is bad input (exit 2).
  if (config.env.httpsProxy) parseProxyUrl(config.env.httpsProxy, 'env', 'HTTPS_PROXY');
  if (config.env.httpProxy) parseProxyUrl(config.env.httpProxy, 'env', 'HTTP_PROXY');
  if (config.env.allProxy) parseProxyUrl(config.env.allProxy, 'env', 'ALL_PROXY');
  let pac: Promise<PacEngine> | null = null;
  const pacCache = new Map<string, ProxyChoice>();
  const retry = new ProxyRetry();

  /** A PAC's answer for a URL as a route (cached per URL). */
  const viaPac = async (url: string, engine: PacEngine, name: string, facts: RouteFacts, discovered: boolean): Promise<ProxyChoice> => {
    const hit = pacCache.get(url);
    if (hit) return hit;
    let result: string;
    try {
      result = await engine.findProxy(url);
    } catch (e) {
      if (!(e instanceof PacError)) throw e;
      // A discovered PAC that fails for this URL: browsers go direct (Chromium falls back to DIRECT
      // when FindProxyForURL fails), and so does netready — the failure is recorded with the route.
      if (discovered) return { kind: 'direct', source: 'pac', ...facts, note: `${e.message}; the browser goes direct` };
      // The explicit PAC passed its trial but fails for this URL: the browser would fail the same way.
      throw new NetError('PAC_FAILED', e.message, 'failed', { pac: name, stage: e.failure.stage });
    }
    const choice = parsePacResult(result, name, { ...facts, pacAnswer: result.slice(0, 300) });
    if (pacCache.size < 4096) pacCache.set(url, choice);
    return choice;
  };

  const decide = async (url: string, signal?: AbortSignal): Promise<ProxyChoice> => {
    if (explicit) return { ...explicit, origin: 'explicit', from: '--proxy' };
    if (config.pac) {
      pac ??= explicitPac(config.pac, config.caPem, signal, url);
      return viaPac(url, await pac, config.pac, { origin: 'explicit', from: `--pac ${config.pac}` }, false);
    }
    if (system && system.kind !== 'env') {
      if (system.kind === 'direct') return { kind: 'direct', source: system.origin ? 'system' : 'none', ...(system.origin ? { origin: system.origin } : {}), from: system.from };
      if (system.kind === 'pac') return viaPac(url, system.engine, system.ref, { origin: system.origin, from: system.from }, true);
      const m = system.manual;
      if (bypassMatches(url, m.bypass)) return { kind: 'direct', source: 'system', origin: system.origin, from: `${system.from}, bypass list${m.bypass.from ? ` (${m.bypass.from})` : ''}` };
      const s = manualServer(url, m);
      if (!s) return { kind: 'direct', source: 'system', origin: system.origin, from: `${system.from} (no proxy for this scheme)` };
      return serverChoice(s, 'system', { origin: system.origin, from: system.from });
    }
    const c = envProxyFor(url, config.env);
    return c.kind === 'direct' && c.source === 'none' ? { ...c, from: 'no proxy configured' } : { ...c, origin: 'env', from: envFrom(url, config.env, c) };
  };

  return {
    async prepare(trialUrl: string, signal?: AbortSignal): Promise<void> {
      if (!config.pac || explicit) return;
      pac ??= explicitPac(config.pac, config.caPem, signal, trialUrl);
      await pac;
    },
    async forUrl(url: string, signal?: AbortSignal): Promise<ProxyChoice> {
      const c = await decide(url, signal);
      // A route with fallbacks shares the run's retry list (the dialer fills it).
      return c.fallbacks?.length ? { ...c, retry, fallbacks: c.fallbacks.map((f) => ({ ...f, retry })) } : c;
    },
    describe() {
      return {
        explicit: explicit ? explicit.display : null,
        pac: config.pac,
        env: {
          HTTPS_PROXY: redactUrlText(config.env.httpsProxy),
          HTTP_PROXY: redactUrlText(config.env.httpProxy),
          ALL_PROXY: redactUrlText(config.env.allProxy),
          NO_PROXY: config.env.noProxy,
        },
      };
    },
    pacInUse() {
      if (explicit) return null;
      if (config.pac) return config.pac;
      return system?.kind === 'pac' ? system.ref : null;
    },
    unreachable: () => retry.list(),
    dispose() {
      if (system?.kind === 'pac') system.engine.dispose();
      void pac?.then((e) => e.dispose(), () => {});
    },
  };
}

/** A short, credential-free summary of a choice for check details (with where the setting came from). */
export function proxySummary(c: ProxyChoice): { display: string; source: ProxySource; from?: string } | null {
  return c.kind === 'http' ? { display: c.display, source: c.source, ...(c.from ? { from: c.from } : {}) } : null;
}
