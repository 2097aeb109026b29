// The run's configuration, built from command-line options (pure data, saved with --save-raw).
// A leaf module: it imports nothing of netready's but the other shared leaves.

import type { ManualProxy } from './proxy-settings.js';

/** Per-phase timeouts of one network operation. */
export interface PhaseTimeouts {
  resolveMs: number;
  connectMs: number;
  tlsMs: number;
  firstByteMs: number;
  streamMs: number;
}

export interface RunConfig {
  profiles: string[];
  params: Record<string, string | boolean>;
  /** HOST -> ADDR overrides (like curl --resolve); keys lower-case. */
  resolve: Record<string, string>;
  /** curl-style --connect-to: requests for HOST:PORT go to TO_HOST:TO_PORT instead (empty = any). */
  connectTo: ConnectTo[];
  /**
   * Extra trusted CA certificates (PEM text, --ca): trusted, but not public. A vendor host whose
   * chain ends at one of them is inspected (contract: "a vendor host chaining to one is
   * inspected"); the probe may chain to one (its own CA).
   */
  caPem: string[];
  /** Paths of the --ca files, for the report. */
  caFiles: string[];
  /**
   * The roots treated as the public web PKI (--public-roots FILE), or null for Node's bundled
   * Mozilla roots. Labs and air-gapped tests put their own CA here.
   */
  publicRootsPem: string[] | null;
  /** Path of the --public-roots file, for the report. */
  publicRootsFile: string | null;
  /** Explicit proxy URL (--proxy) or null. */
  proxy: string | null;
  /** PAC file URL or path, or null. */
  pac: string | null;
  /** Proxy environment as curl reads it (captured once, so a run can be replayed). */
  env: { httpsProxy?: string; httpProxy?: string; noProxy?: string; allProxy?: string };
  /**
   * Read the system's proxy settings (WinINET, scutil, GNOME, KDE), their auto-config URL and WPAD
   * before planning, and go the way the browser goes. The CLI turns it on (off: --no-system-proxy);
   * library callers and tests opt in.
   */
  systemProxy: boolean;
  /**
   * What discovery decided, as plain data for planning (which tasks may go through a proxy), set
   * before planning: `env` = the environment decides; `manual` = a fixed proxy and its bypass list.
   */
  discovered?: { kind: 'env' | 'direct' | 'manual' | 'pac'; manual?: ManualProxy };
  /** A netready serve instance (URL) for UDP range, TURN credentials and quality. */
  probe: string | null;
  /** The probe's media description (/.netready/media), fetched once before planning so the media
   * checks plan real targets; absent without --probe or when the probe did not answer. */
  probeInfo?: ProbeInfo | null;
  deadlineMs: number;
  idleWindowMs: number;
  qualityMs: number;
  timeouts: PhaseTimeouts;
  /** Pool size for concurrent checks. */
  concurrency: number;
  /** --thorough: long idle holds (330 s) and a deadline that fits them. */
  thorough?: boolean;
}

/** What a `netready serve` probe says it offers (GET /.netready/media), as plain data. */
export interface ProbeInfo {
  /** STUN binding responder (UDP and TCP). */
  stun: { host: string; port: number } | null;
  /** Tokened UDP echo: host and ports. */
  udpEcho: { host: string; ports: number[] } | null;
  /** TURN URLs it hands out credentials for (turn:HOST:PORT?transport=udp|tcp, turns:HOST:PORT). */
  turn: { urls: string[] } | null;
}

export interface ConnectTo {
  host: string | null;
  port: number | null;
  toHost: string | null;
  toPort: number | null;
}

export const DEFAULT_TIMEOUTS: PhaseTimeouts = {
  resolveMs: 3000,
  connectMs: 3000,
  tlsMs: 4000,
  firstByteMs: 4000,
  streamMs: 6000,
};

export function defaultConfig(overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    profiles: ['onespan-virtual-room'],
    params: {},
    resolve: {},
    connectTo: [],
    caPem: [],
    caFiles: [],
    publicRootsPem: null,
    publicRootsFile: null,
    proxy: null,
    pac: null,
    env: {},
    systemProxy: false,
    probe: null,
    deadlineMs: 30_000,
    idleWindowMs: 10_000,
    qualityMs: 5_000,
    timeouts: { ...DEFAULT_TIMEOUTS },
    concurrency: 16,
    ...overrides,
  };
}
