// Which proxy applies to a URL: --proxy, else a PAC file, else the environment as curl reads it.
// seed 000_637c892c7d775e13.txt: "Vonage SDKs do not support PAC files, and native SDKs do not
// support authenticating proxies" — so the choice (and its source) is recorded for the verdict.

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { UsageError } from '../cli/errors.js';
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

export const PAC_FETCH_TIMEOUT_MS = 5000;
const PAC_MAX_BYTES = 1 << 20;

/** GET a PAC file over http(s): --ca is trusted besides the public roots (fetch() would ignore it); ≤ 5 redirects. */
function getPac(ref: string, caPem: string[], signal: AbortSignal, redirects = 0): Promise<string> {
  const u = new URL(ref);
  const secure = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).get(
      u,
      { signal, headers: { 'user-agent': 'netready', accept: '*/*' }, ...(secure && caPem.length ? { ca: [...rootCertificates, ...caPem] } : {}) },
      (res) => {
        const status = res.statusCode ?? 0;
        const loc = res.headers.location;
        if (status >= 300 && status < 400 && loc && redirects < 5 && /^https?:$/.test(new URL(loc, u).protocol)) {
          res.resume();
          return resolve(getPac(new URL(loc, u).href, caPem, signal, redirects + 1));
        }
        if (status < 200 || status > 299) {
          res.resume();
          return reject(new UsageError(`cannot fetch the PAC file ${ref}: HTTP ${status}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > PAC_MAX_BYTES) {
            req.destroy();
            reject(new UsageError(`the PAC file ${ref} is larger than 1 MiB`));
          } else chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

async function loadPacText(ref: string, signal?: AbortSignal, caPem: string[] = []): Promise<string> {
  if (/^https?:\/\//i.test(ref)) {
    const timeout = AbortSignal.timeout(PAC_FETCH_TIMEOUT_MS);
    const sig = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      return await getPac(ref, caPem, sig);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const err = e as NodeJS.ErrnoException;
      const why = timeout.aborted ? `no answer within ${PAC_FETCH_TIMEOUT_MS} ms` : (err.code ?? err.message);
      throw new UsageError(`cannot fetch the PAC file ${ref}: ${why}`);
    }
  }
  const path = ref.startsWith('file://') ? new URL(ref).pathname : ref;
  try {
    const text = await readFile(path, 'utf8');
    if (text.length > PAC_MAX_BYTES) throw new UsageError(`the PAC file ${ref} is larger than 1 MiB`);
    return text;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read the PAC file ${ref}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

type FindProxy = (url: string) => Promise<string>;

async function compilePac(ref: string, signal?: AbortSignal, caPem: string[] = []): Promise<FindProxy> {
  const text = await loadPacText(ref, signal, caPem);
  const [{ QuickJS }, { createPacResolver }] = await Promise.all([import('quickjs-wasi'), import('pac-resolver')]);
  const qjs = await QuickJS.create();
  try {
    const find = createPacResolver(qjs, text);
    return (url: string) => find(url);
  } catch (e) {
    throw new UsageError(`the PAC file ${ref} does not compile: ${(e as Error).message.split('\n')[0]}`);
  }
}

export const PAC_EVAL_TIMEOUT_MS = 3000;

export function createProxyResolver(config: RunConfig): ProxyResolver {
  const explicit = config.proxy ? parseProxyUrl(config.proxy, 'explicit', '--proxy') : null;
  // Validate the environment once, up front: a malformed value is bad input (exit 2).
  if (config.env.httpsProxy) parseProxyUrl(config.env.httpsProxy, 'env', 'HTTPS_PROXY');
  if (config.env.httpProxy) parseProxyUrl(config.env.httpProxy, 'env', 'HTTP_PROXY');
  if (config.env.allProxy) parseProxyUrl(config.env.allProxy, 'env', 'ALL_PROXY');
  let pac: Promise<FindProxy> | null = null;
  const pacCache = new Map<string, ProxyChoice>();

  return {
    async forUrl(url: string, signal?: AbortSignal): Promise<ProxyChoice> {
      if (explicit) return explicit;
      if (config.pac) {
        const hit = pacCache.get(url);
        if (hit) return hit;
        pac ??= compilePac(config.pac, signal, config.caPem);
        const find = await pac;
        let timer: NodeJS.Timeout | undefined;
        const result = await Promise.race([
          find(url),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new UsageError(`the PAC file ${config.pac} did not answer for ${url} within ${PAC_EVAL_TIMEOUT_MS} ms`)), PAC_EVAL_TIMEOUT_MS);
          }),
        ]).finally(() => clearTimeout(timer));
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
