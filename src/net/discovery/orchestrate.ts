// The discovery orchestrator: which sources a browser on this OS consults, in which order, and the
// setting that wins — the way Chromium (Chrome, Edge) applies them:
//   1. explicit --proxy / --pac (like --proxy-server / --proxy-pac-url: they win over everything);
//   2. the OS's settings: Windows WinINET (per user, or per machine by policy); macOS `scutil --proxy`;
//      Linux the desktop's (GNOME gsettings, KDE kioslaverc — chosen by XDG_CURRENT_DESKTOP as Chromium
//      does; on an unknown desktop the first of them that configures something);
//   3. the environment (HTTPS_PROXY, https_proxy, http_proxy, ALL_PROXY, NO_PROXY, as curl reads them);
//   4. WPAD, last: a browser looks it up only with auto-detect on (the Windows default, a GNOME/KDE/
//      macOS "automatic" setting); netready also looks when nothing else configured a proxy, so that a
//      network whose only way out is a WPAD-announced proxy is not mistaken for "no proxy".
// Within one source Chromium tries auto-detect, then the PAC URL, then the manual proxy.
// WinHTTP (services, agents) is read on Windows and reported beside the chain, never in it.
// `system: false` (--no-system-proxy) keeps only the explicit options and the environment.

import type { RunConfig } from '../../shared/config.js';
import { parseProxyServer } from './proxy-text.js';
import { readGnome, readKde } from './linux-desktop.js';
import { readScutilProxy } from './macos.js';
import { systemFiles, systemRunner, type CommandRunner, type FileReader } from './runner.js';
import { emptyReading, settle, type DiscoverySourceId, type ManualProxy, type SourceReading } from './types.js';
import { readWinHttp, readWinInet } from './windows.js';
import type { WpadLookup } from './wpad.js';

/** How the report names each source. */
export const SOURCE_TITLE: Record<DiscoverySourceId, string> = {
  explicit: '--proxy/--pac',
  wininet: 'Windows Internet Settings (WinINET)',
  winhttp: 'Windows WinHTTP (netsh winhttp)',
  scutil: 'macOS system proxy (scutil --proxy)',
  gnome: 'GNOME proxy settings (gsettings)',
  kde: 'KDE proxy settings (kioslaverc)',
  env: 'environment (HTTPS_PROXY, NO_PROXY, …)',
  wpad: 'WPAD auto-discovery',
};

/** The environment's proxy variables as a reading (curl's semantics; `env` is RunConfig.env). */
export function readEnvProxy(env: RunConfig['env']): SourceReading {
  const where = ['HTTPS_PROXY / https_proxy, http_proxy, ALL_PROXY / all_proxy, NO_PROXY / no_proxy'];
  const notes: string[] = [];
  const r = emptyReading('env', where, 'nothing-configured', notes);
  const p = (value: string | undefined, name: string) => {
    if (!value) return null;
    const s = parseProxyServer(value, 'http', name, /^https:/i.test(value) ? 443 : 1080); // curl's default proxy port is 1080
    if (!s) notes.push(`${name}: "${value.replace(/\/\/[^@/]*@/, '//***@')}" is not a proxy URL`);
    return s;
  };
  const all = p(env.allProxy, 'ALL_PROXY');
  const https = p(env.httpsProxy, 'HTTPS_PROXY') ?? all;
  const http = p(env.httpProxy, 'http_proxy') ?? all;
  if (https || http)
    r.manual = {
      https,
      http,
      socks: null,
      bypass: { flavour: 'curl', entries: (env.noProxy ?? '').split(/[,\s]+/).filter(Boolean), simpleHostnames: false, reversed: false, from: env.noProxy ? 'NO_PROXY' : null },
    };
  else if (env.noProxy) notes.push('NO_PROXY is set but no proxy variable is');
  return settle(r);
}

/** The explicit options as a reading. */
export function explicitReading(explicit: { proxy: string | null; pac: string | null }): SourceReading {
  const r = emptyReading('explicit', ['--proxy', '--pac']);
  if (explicit.pac) r.pacUrl = { url: explicit.pac, from: '--pac' };
  if (explicit.proxy) {
    const p = parseProxyServer(explicit.proxy, 'http', '--proxy', 1080);
    if (p) r.manual = { https: p, http: p, socks: null, bypass: { flavour: 'curl', entries: [], simpleHostnames: false, reversed: false, from: null } };
  }
  return settle(r);
}

export type Desktop = 'gnome' | 'kde' | 'other';

/** Chromium's desktop detection (base/nix/xdg_util): XDG_CURRENT_DESKTOP, then DESKTOP_SESSION / KDE_FULL_SESSION. */
export function linuxDesktop(env: Record<string, string | undefined>): Desktop {
  const xdg = (env.XDG_CURRENT_DESKTOP ?? '').split(':').map((s) => s.trim().toLowerCase());
  for (const d of xdg) {
    if (d === 'kde') return 'kde';
    if (['gnome', 'unity', 'cinnamon', 'x-cinnamon', 'pantheon', 'ubuntu', 'budgie', 'gnome-classic', 'gnome-flashback'].includes(d)) return 'gnome';
  }
  const session = (env.DESKTOP_SESSION ?? '').toLowerCase();
  if (session.startsWith('gnome') || session === 'ubuntu' || session === 'cinnamon') return 'gnome';
  if (session.startsWith('kde') || session === 'plasma' || env.KDE_FULL_SESSION) return 'kde';
  return 'other';
}

/** The OS sources in the browser's order for a platform. */
export function osChain(platform: NodeJS.Platform, desktop: Desktop): DiscoverySourceId[] {
  if (platform === 'win32') return ['wininet'];
  if (platform === 'darwin') return ['scutil'];
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') return desktop === 'kde' ? ['kde', 'gnome'] : ['gnome', 'kde'];
  return [];
}

export type SourceRole =
  | 'effective' // this source decides
  | 'shadowed' // configured, but an earlier source decides
  | 'empty' // read: nothing configured
  | 'unavailable' // not this OS / desktop, or the tool is missing
  | 'malformed' // output not understood (see notes)
  | 'off'; // --no-system-proxy

export interface SourceEntry extends SourceReading {
  role: SourceRole;
}

/** What the browser would do, in Chromium's order within the winning source. */
export type EffectiveProxy =
  | { kind: 'direct'; source: DiscoverySourceId | null; why: string }
  | { kind: 'auto'; source: DiscoverySourceId; autoDetect: boolean; pacUrl: string | null; manual: ManualProxy | null }
  | { kind: 'manual'; source: DiscoverySourceId; manual: ManualProxy };

export interface ProxyDiscovery {
  /** false with --no-system-proxy. */
  system: boolean;
  platform: NodeJS.Platform;
  desktop: Desktop | null;
  /** Every source of the chain, in the order a browser consults them. */
  sources: SourceEntry[];
  /** Read and reported beside the chain: Windows' WinHTTP proxy (services and agents use it). */
  beside: SourceReading[];
  effective: EffectiveProxy;
  /** The WPAD lookup, when one was made (auto-detect on, or nothing else configured). */
  wpad: WpadLookup | null;
  /** One line for the report. */
  summary: string;
}

export interface DecideInput {
  platform: NodeJS.Platform;
  desktop: Desktop | null;
  system: boolean;
  /** explicit, then the OS sources, then env — as read. */
  readings: SourceReading[];
  beside?: SourceReading[];
  wpad?: WpadLookup | null;
}

/** Pure: given what was read, which source decides and what it says. */
export function decideProxy(input: DecideInput): ProxyDiscovery {
  const { platform, desktop, system } = input;
  const wpad = input.wpad ?? null;
  const sources: SourceEntry[] = [];
  let effective: EffectiveProxy | null = null;
  for (const r of input.readings) {
    let role: SourceRole;
    if (effective) role = r.state === 'configured' ? 'shadowed' : r.state === 'not-available' ? 'unavailable' : r.state === 'malformed' ? 'malformed' : 'empty';
    else if (r.state === 'configured') {
      role = 'effective';
      effective = r.manual && !r.autoDetect && !r.pacUrl ? { kind: 'manual', source: r.source, manual: r.manual } : { kind: 'auto', source: r.source, autoDetect: Boolean(r.autoDetect), pacUrl: r.pacUrl?.url ?? null, manual: r.manual };
    } else if (r.state === 'nothing-configured' && desktop && desktop !== 'other' && r.source === desktop) {
      // Chromium: the desktop's own "no proxy" is a configuration; the environment is not consulted.
      role = 'effective';
      effective = { kind: 'direct', source: r.source, why: `${SOURCE_TITLE[r.source]} says no proxy` };
    } else role = r.state === 'not-available' ? 'unavailable' : r.state === 'malformed' ? 'malformed' : 'empty';
    sources.push({ ...r, role });
  }
  const wpadEntry: SourceEntry = {
    ...emptyReading('wpad', wpad ? wpad.tried.map((t) => t.url) : [], wpad?.found ? 'configured' : 'nothing-configured'),
    role: !system ? 'off' : wpad?.found && (!effective || (effective.kind === 'auto' && effective.autoDetect)) ? 'effective' : wpad?.found ? 'shadowed' : 'empty',
  };
  if (wpad?.found) wpadEntry.pacUrl = { url: wpad.found.url, from: 'WPAD (DNS)' };
  if (wpad && !wpad.found) wpadEntry.notes = wpad.tried.map((t) => `${t.url}: ${t.why}`);
  if (!system) wpadEntry.notes = ['--no-system-proxy'];
  if (!effective && wpad?.found) effective = { kind: 'auto', source: 'wpad', autoDetect: true, pacUrl: null, manual: null };
  sources.push(wpadEntry);
  if (!effective) effective = { kind: 'direct', source: null, why: 'no proxy found' };
  return { system, platform, desktop, sources, beside: input.beside ?? [], effective, wpad, summary: summarize(effective, sources) };
}

export function describeManual(m: ManualProxy): string {
  const p = m.https ?? m.socks ?? m.http;
  return p ? `${p.scheme === 'http' ? '' : `${p.scheme}://`}${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}${m.https ? '' : m.socks ? ' (SOCKS)' : ' (http:// only)'}` : 'no proxy';
}

export function summarize(effective: EffectiveProxy, sources: SourceEntry[]): string {
  if (effective.kind === 'direct') {
    if (effective.source) return `no proxy: ${effective.why}`;
    const tried = sources.filter((s) => s.source !== 'explicit' && s.role !== 'unavailable' && s.role !== 'off').map((s) => SOURCE_TITLE[s.source]);
    return `no proxy found (sources tried: ${tried.join(', ') || 'none'})`;
  }
  const from = SOURCE_TITLE[effective.source];
  if (effective.kind === 'manual') return `proxy ${describeManual(effective.manual)} from ${from}`;
  const parts: string[] = [];
  if (effective.autoDetect) parts.push('auto-detect (WPAD)');
  if (effective.pacUrl) parts.push(`PAC ${effective.pacUrl}`);
  if (effective.manual) parts.push(`proxy ${describeManual(effective.manual)}`);
  return `${parts.join(', then ')} from ${from}`;
}

export interface DiscoverOptions {
  platform?: NodeJS.Platform;
  runner?: CommandRunner;
  files?: FileReader;
  /** The process environment (XDG_CURRENT_DESKTOP, HOME, and KDE's ProxyType=4 variable names). */
  osEnv?: Record<string, string | undefined>;
  /** The proxy variables as curl reads them (RunConfig.env). */
  proxyEnv: RunConfig['env'];
  explicit?: { proxy: string | null; pac: string | null };
  /** false = --no-system-proxy: only the explicit options and the environment. */
  system?: boolean;
  /** Looks WPAD up (wpad.ts lookupWpad with the search domains); omitted = no lookup. */
  wpad?: () => Promise<WpadLookup>;
  signal?: AbortSignal;
}

/** Read every source for this platform (through the injected runner) and decide. Never throws for what a source says. */
export async function discoverProxy(o: DiscoverOptions): Promise<ProxyDiscovery> {
  const platform = o.platform ?? process.platform;
  const run = o.runner ?? systemRunner;
  const files = o.files ?? systemFiles;
  const osEnv = o.osEnv ?? process.env;
  const system = o.system ?? true;
  const desktop = platform === 'linux' || platform === 'freebsd' || platform === 'openbsd' ? linuxDesktop(osEnv) : null;
  const readings: SourceReading[] = [explicitReading(o.explicit ?? { proxy: null, pac: null })];
  const beside: SourceReading[] = [];
  const explicitWins = readings[0].state === 'configured';
  for (const id of osChain(platform, desktop ?? 'other')) {
    if (!system) {
      readings.push(emptyReading(id, [], 'not-available', ['--no-system-proxy']));
      continue;
    }
    if (id === 'wininet') readings.push(await readWinInet(run, o.signal));
    else if (id === 'scutil') readings.push(await readScutilProxy(run, o.signal));
    else if (id === 'gnome') readings.push(await readGnome(run, o.signal));
    else if (id === 'kde') readings.push(await readKde(files, osEnv));
  }
  if (system && platform === 'win32') beside.push(await readWinHttp(run, o.signal));
  readings.push(readEnvProxy(o.proxyEnv));
  let decided = decideProxy({ platform, desktop, system, readings, beside });
  const eff = decided.effective;
  const wantWpad = system && !explicitWins && o.wpad && (eff.kind === 'direct' ? eff.source === null : eff.kind === 'auto' && eff.autoDetect);
  if (wantWpad) decided = decideProxy({ platform, desktop, system, readings, beside, wpad: await o.wpad!() });
  if (!system) decided.sources = decided.sources.map((s) => (s.source !== 'explicit' && s.source !== 'env' ? { ...s, role: 'off' } : s));
  return decided;
}
