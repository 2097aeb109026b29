// Which proxy applies to a URL: --proxy, else a PAC file, else the environment as curl reads it.
// seed 000_637c892c7d775e13.txt: "Vonage SDKs do not support PAC files, and native SDKs do not
// support authenticating proxies" — so the choice (and its source) is recorded for the verdict.

import { isIP } from 'node:net';
import { NetError, UsageError } from '../cli/errors.js';
import { loadPac, PacError, type PacEngine } from './pac.js';
import type { RunConfig } from '../cli/config.js';

export type ProxySource = 'explicit' | 'env' | 'pac';

export type ProxyChoice =
  | { kind: 'direct'; source: 'none' | 'no_proxy' | 'pac' }
  | {
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
    };

export interface ProxyResolver {
  forUrl(url: string, signal?: AbortSignal): Promise<ProxyChoice>;
  /**
   * Before the run: an explicit --pac is fetched, compiled and evaluated once for `trialUrl`; a PAC
   * that cannot be read or fetched, does not parse, throws or runs too long is a UsageError (exit 2).
   */
  prepare?(trialUrl: string, signal?: AbortSignal): Promise<void>;
  /** What is configured, for the report (credentials redacted). */
  describe(): { explicit: string | null; pac: string | null; env: Record<string, string | undefined> };
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

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
}

/**
 * curl's NO_PROXY: comma (or space) separated; `*` matches everything; a name matches itself and
 * its subdomains (a leading dot is ignored); `name:port` only for that port; IPs match exactly;
 * `a.b.c.d/n` is a CIDR range (curl ≥ 7.86).
 */
export function noProxyMatches(host: string, port: number, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  for (let entry of noProxy.split(/[,\s]+/)) {
    entry = entry.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: number | null = null;
    const portMatch = /^(.*[^:]):(\d+)$/.exec(entry);
    if (portMatch && !entry.startsWith('[') && isIP(entry) !== 6) {
      entry = portMatch[1];
      entryPort = Number(portMatch[2]);
    } else {
      const v6 = /^\[(.+)\](?::(\d+))?$/.exec(entry);
      if (v6) {
        entry = v6[1];
        if (v6[2]) entryPort = Number(v6[2]);
      }
    }
    if (entryPort !== null && entryPort !== port) continue;
    const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(entry);
    if (cidr) {
      if (isIP(h) !== 4) continue;
      const bits = Number(cidr[2]);
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      if ((ipv4ToInt(h) & mask) === (ipv4ToInt(cidr[1]) & mask)) return true;
      continue;
    }
    if (isIP(entry) || isIP(h)) {
      if (entry === h) return true;
      continue;
    }
    const name = entry.replace(/^\*?\./, '').replace(/\.$/, '');
    if (h === name || h.endsWith(`.${name}`)) return true;
  }
  return false;
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

/** Whether a proxy may apply to a URL, known without evaluating a PAC file (pure, for plans). */
export function proxyMayApply(url: string, config: RunConfig): boolean {
  if (config.proxy || config.pac) return true;
  try {
    return envProxyFor(url, config.env).kind === 'http';
  } catch {
    return true;
  }
}

/** Parse a PAC result ("PROXY h:p; DIRECT") to the first entry netready can use. */
export function parsePacResult(result: string, pacName: string): ProxyChoice {
  const entries = String(result ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const e of entries.slice(0, 16)) {
    const [kw, addr] = e.split(/\s+/, 2);
    const k = kw.toUpperCase();
    if (k === 'DIRECT') return { kind: 'direct', source: 'pac' };
    if ((k === 'PROXY' || k === 'HTTP' || k === 'HTTPS') && addr) {
      const p = parseProxyUrl(`${k === 'HTTPS' ? 'https' : 'http'}://${addr}`, 'pac', `PAC ${pacName} result`);
      if (k !== 'HTTPS' && !/:\d+$/.test(addr)) return { ...p, port: 80, display: p.display.replace(/:\d+$/, ':80') };
      return p;
    }
    // SOCKS entries: not something a browser's HTTPS goes through the same way; try the next one.
  }
  return { kind: 'direct', source: 'pac' };
}

/** Fetch, compile and try an explicit --pac once: any failure is bad input (one line naming the file, exit 2). */
async function explicitPac(ref: string, caPem: string[], signal: AbortSignal | undefined, trialUrl: string): Promise<PacEngine> {
  const r = await loadPac(ref, { signal, caPem, trialUrl });
  if (!r.ok) throw new UsageError(r.failure.message);
  return r.engine;
}

export function createProxyResolver(config: RunConfig): ProxyResolver {
  const explicit = config.proxy ? parseProxyUrl(config.proxy, 'explicit', '--proxy') : null;
  // Validate the environment once, up front: a malformed value is bad input (exit 2).
  if (config.env.httpsProxy) parseProxyUrl(config.env.httpsProxy, 'env', 'HTTPS_PROXY');
  if (config.env.httpProxy) parseProxyUrl(config.env.httpProxy, 'env', 'HTTP_PROXY');
  if (config.env.allProxy) parseProxyUrl(config.env.allProxy, 'env', 'ALL_PROXY');
  let pac: Promise<PacEngine> | null = null;
  const pacCache = new Map<string, ProxyChoice>();

  return {
    async prepare(trialUrl: string, signal?: AbortSignal): Promise<void> {
      if (!config.pac || explicit) return;
      pac ??= explicitPac(config.pac, config.caPem, signal, trialUrl);
      await pac;
    },
    async forUrl(url: string, signal?: AbortSignal): Promise<ProxyChoice> {
      if (explicit) return explicit;
      if (config.pac) {
        const hit = pacCache.get(url);
        if (hit) return hit;
        pac ??= explicitPac(config.pac, config.caPem, signal, url);
        const engine = await pac;
        let result: string;
        try {
          result = await engine.findProxy(url);
        } catch (e) {
          // The PAC passed its trial but fails for this URL: the browser would fail the same way.
          if (e instanceof PacError) throw new NetError('PAC_FAILED', e.message, 'failed', { pac: config.pac, stage: e.failure.stage });
          throw e;
        }
        const choice = parsePacResult(result, config.pac);
        if (pacCache.size < 4096) pacCache.set(url, choice);
        return choice;
      }
      return envProxyFor(url, config.env);
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
  };
}

/** A short, credential-free summary of a choice for check details. */
export function proxySummary(c: ProxyChoice): { display: string; source: ProxySource } | null {
  return c.kind === 'http' ? { display: c.display, source: c.source } : null;
}
