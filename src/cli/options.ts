// Turns command-line option values into a RunConfig. Every bad value is a one-line UsageError.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { UsageError } from '../shared/errors.js';
import { defaultConfig, type ConnectTo, type RunConfig } from '../shared/config.js';
import { isValidHost } from '../profiles/load.js';

export interface CheckOptions {
  profile?: string[];
  signDomain?: string;
  param?: string[];
  probe?: string;
  ca?: string[];
  publicRoots?: string;
  resolve?: string[];
  connectTo?: string[];
  proxy?: string;
  pac?: string;
  /** false with --no-system-proxy: do not read the system's proxy settings or look WPAD up. */
  systemProxy?: boolean;
  deadline?: string;
  idleWindow?: string;
  qualitySeconds?: string;
  concurrency?: string;
  thorough?: boolean;
}

/**
 * --thorough: hold idle connections 330 s (5.5 min), long enough to see the "5-minute hard cap"
 * seed 000_637c892c7d775e13.txt names ("Proxies with short idle timeouts (for example, 60 seconds
 * or a 5-minute hard cap) cause repeated drops"); the deadline grows to fit.
 */
export const THOROUGH_IDLE_MS = 330_000;
/** Room left for the rest of the run beside a thorough hold (the holds start first and run beside everything). */
export const THOROUGH_SLACK_MS = 30_000;

export function parseSeconds(name: string, value: string | undefined, fallbackMs: number, min = 0.1, max = 3600): number {
  if (value === undefined) return fallbackMs;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`${name}: expected a number of seconds between ${min} and ${max}, got "${value}"`);
  return Math.round(n * 1000);
}

export function parsePort(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new UsageError(`${name}: port out of range (1-65535): "${value}"`);
  return n;
}

export function parseUrl(name: string, value: string, schemes: string[]): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${name}: malformed URL "${value}"`);
  }
  if (!schemes.includes(u.protocol.replace(/:$/, '')))
    throw new UsageError(`${name}: expected a ${schemes.join(' or ')} URL, got "${value}"`);
  if (!u.hostname) throw new UsageError(`${name}: URL has no host: "${value}"`);
  if (u.port) parsePort(name, u.port);
  return u;
}

function parseHost(name: string, value: string): string {
  const h = value.trim().toLowerCase();
  if (!h || !isValidHost(h)) throw new UsageError(`${name}: not a valid host name: "${value}"`);
  return h;
}

/** --resolve HOST:ADDR (ADDR may be IPv6, with or without brackets). curl's HOST:PORT:ADDR is accepted too. */
export function parseResolve(value: string): [string, string] {
  const m = /^([^:\s]+):(?:(\d+):)?(\[?[0-9A-Fa-f:.]+\]?)$/.exec(value);
  if (!m) throw new UsageError(`--resolve: expected HOST:ADDR, got "${value}"`);
  const host = parseHost('--resolve', m[1]);
  if (m[2]) parsePort('--resolve', m[2]);
  const addr = m[3].replace(/^\[|\]$/g, '');
  if (!isIP(addr)) throw new UsageError(`--resolve: "${m[3]}" is not an IP address (in "${value}")`);
  return [host, addr];
}

/** --connect-to HOST1:PORT1:HOST2:PORT2 (curl semantics; empty fields match any / keep). */
export function parseConnectTo(value: string): ConnectTo {
  const m = /^([^:]*):(\d*):(\[[0-9A-Fa-f:.]+\]|[^:]*):(\d*)$/.exec(value);
  if (!m) throw new UsageError(`--connect-to: expected HOST1:PORT1:HOST2:PORT2, got "${value}"`);
  return {
    host: m[1] ? parseHost('--connect-to', m[1]) : null,
    port: m[2] ? parsePort('--connect-to', m[2]) : null,
    toHost: m[3] ? m[3].replace(/^\[|\]$/g, '') : null,
    toPort: m[4] ? parsePort('--connect-to', m[4]) : null,
  };
}

function parseParam(value: string): [string, string | boolean] {
  const m = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(value);
  if (!m) throw new UsageError(`--param: expected NAME=VALUE, got "${value}"`);
  const v = m[2] === 'true' ? true : m[2] === 'false' ? false : m[2];
  return [m[1], v];
}

function readCa(file: string, option = '--ca'): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${option}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`${option}: ${file} holds no PEM certificate`);
  return text;
}

/** Proxy-related environment exactly as curl reads it (lower case wins for http_proxy). */
export function proxyEnv(env: NodeJS.ProcessEnv): RunConfig['env'] {
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  return {
    httpsProxy: pick('https_proxy', 'HTTPS_PROXY'),
    httpProxy: pick('http_proxy'), // curl ignores upper-case HTTP_PROXY (httpoxy)
    allProxy: pick('all_proxy', 'ALL_PROXY'),
    noProxy: pick('no_proxy', 'NO_PROXY'),
  };
}

export function buildConfig(o: CheckOptions, env: NodeJS.ProcessEnv = process.env): RunConfig {
  const cfg = defaultConfig();
  if (o.profile?.length) cfg.profiles = o.profile;
  for (const p of o.param ?? []) {
    const [k, v] = parseParam(p);
    cfg.params[k] = v;
  }
  if (o.signDomain !== undefined) cfg.params.signDomain = parseHost('--sign-domain', o.signDomain);
  for (const r of o.resolve ?? []) {
    const [h, a] = parseResolve(r);
    cfg.resolve[h] = a;
  }
  cfg.connectTo = (o.connectTo ?? []).map(parseConnectTo);
  cfg.caFiles = o.ca ?? [];
  cfg.caPem = cfg.caFiles.map((f) => readCa(f));
  if (o.publicRoots !== undefined) {
    cfg.publicRootsFile = o.publicRoots;
    cfg.publicRootsPem = [readCa(o.publicRoots, '--public-roots')];
  }
  if (o.proxy !== undefined) cfg.proxy = parseUrl('--proxy', o.proxy, ['http', 'https']).toString();
  if (o.pac !== undefined) {
    if (/^[a-z]+:\/\//i.test(o.pac)) parseUrl('--pac', o.pac, ['http', 'https', 'file']);
    cfg.pac = o.pac;
  }
  cfg.env = proxyEnv(env);
  cfg.systemProxy = o.systemProxy !== false;
  for (const [name, val] of Object.entries(cfg.env)) {
    if (val && name !== 'noProxy') {
      const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(val) ? val : `http://${val}`;
      parseUrl(`environment ${name === 'httpsProxy' ? 'HTTPS_PROXY' : name === 'httpProxy' ? 'http_proxy' : 'ALL_PROXY'}`, withScheme, ['http', 'https', 'socks5', 'socks5h', 'socks4']);
    }
  }
  if (o.probe !== undefined) cfg.probe = parseUrl('--probe', o.probe, ['http', 'https']).toString().replace(/\/$/, '');
  cfg.deadlineMs = parseSeconds('--deadline', o.deadline, cfg.deadlineMs, 1, 3600);
  cfg.idleWindowMs = parseSeconds('--idle-window', o.idleWindow, o.thorough ? THOROUGH_IDLE_MS : cfg.idleWindowMs, 0, 3600);
  if (o.thorough) {
    cfg.thorough = true;
    // the deadline grows to fit the hold, unless the user gave a longer one
    if (cfg.deadlineMs < cfg.idleWindowMs + THOROUGH_SLACK_MS) cfg.deadlineMs = cfg.idleWindowMs + THOROUGH_SLACK_MS;
  }
  cfg.qualityMs = parseSeconds('--quality-seconds', o.qualitySeconds, cfg.qualityMs, 0, 600);
  if (o.concurrency !== undefined) {
    const n = Number(o.concurrency);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--concurrency: expected an integer 1-256, got "${o.concurrency}"`);
    cfg.concurrency = n;
  }
  // Phases never outlive the run: scale them down for short deadlines.
  const cap = Math.max(500, Math.floor(cfg.deadlineMs / 2));
  for (const k of Object.keys(cfg.timeouts) as (keyof typeof cfg.timeouts)[]) cfg.timeouts[k] = Math.min(cfg.timeouts[k], cap);
  return cfg;
}
