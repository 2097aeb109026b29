// What the proxy discovery readers return: one SourceReading per place a browser (or the OS) keeps
// proxy settings, each saying where every value came from — including "nothing configured",
// "command not available" and "output not understood" (a note, never an exception).

/** Where a proxy setting can come from, in the order a browser consults them (see orchestrate.ts). */
export type DiscoverySourceId =
  | 'explicit' // --proxy / --pac
  | 'wininet' // Windows, the user's Internet Settings (or the machine's, when ProxySettingsPerUser=0)
  | 'winhttp' // Windows, `netsh winhttp show proxy` (services; reported beside, not in the browser's chain)
  | 'scutil' // macOS, `scutil --proxy`
  | 'gnome' // Linux, `gsettings list-recursively org.gnome.system.proxy`
  | 'kde' // Linux, ~/.config/kioslaverc
  | 'env' // HTTPS_PROXY / https_proxy / http_proxy / ALL_PROXY / NO_PROXY, as curl reads them
  | 'wpad'; // Web Proxy Auto-Discovery over DNS (wpad.<search domain>, http://wpad/wpad.dat)

import type { BypassFlavour, BypassList, ManualProxy, ProxyServerSetting } from '../../shared/proxy-settings.js';
export type { BypassFlavour, BypassList, ManualProxy, ProxyServerSetting };

/**
 * `configured`: something applies (auto-detect, a PAC URL or a manual proxy);
 * `nothing-configured`: the source was read and says "no proxy" (or holds nothing);
 * `not-available`: the command or file is not there (not this desktop, not installed);
 * `malformed`: the output was not understood (see notes) — treated as nothing configured.
 */
export type ReadingState = 'configured' | 'nothing-configured' | 'not-available' | 'malformed';

export interface SourceReading {
  source: DiscoverySourceId;
  /** What was read: the command lines or file paths. */
  where: string[];
  state: ReadingState;
  /**
   * Within one source a browser applies these in Chromium's order: auto-detect (WPAD) first, then
   * the PAC URL, then the manual proxy — each the fallback of the one before when it fails.
   */
  autoDetect: { from: string } | null;
  pacUrl: { url: string; from: string } | null;
  manual: ManualProxy | null;
  /** Things worth telling: ignored values, a malformed line, a policy that moved the settings. */
  notes: string[];
}

/** A reading with nothing in it (the readers start from this). */
export function emptyReading(source: DiscoverySourceId, where: string[], state: ReadingState = 'nothing-configured', notes: string[] = []): SourceReading {
  return { source, where, state, autoDetect: null, pacUrl: null, manual: null, notes };
}

/** `configured` when anything applies, else `nothing-configured` (keeps `malformed`). */
export function settle(r: SourceReading): SourceReading {
  if (r.state === 'malformed' || r.state === 'not-available') return r;
  const any = r.autoDetect || r.pacUrl || (r.manual && (r.manual.https || r.manual.http || r.manual.socks));
  return { ...r, state: any ? 'configured' : 'nothing-configured' };
}
