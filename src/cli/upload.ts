// Talking to a `netready serve --store` from the command line (issue 15): `check --upload URL`
// posts the finished report and prints its share link; `netready invite` creates a signer invite.
// One bounded HTTPS (or HTTP) request, trusting what the run trusts (--ca, --public-roots or the
// bundled roots): through the proxy --proxy, --pac or the environment name for the serve's URL
// (the dialer every check uses), else direct honouring --resolve. The system's proxy settings and
// WPAD, which the run itself discovers, are not consulted here. An upload that fails never changes the local report
// or the exit code: it says so in one line.

import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { NetError, UsageError } from '../shared/errors.js';
import type { RunConfig } from '../shared/config.js';
import { performance } from 'node:perf_hooks';
import { trustStore } from '../net/trust.js';
import { dial, type DialContext } from '../net/dial.js';
import { readBody, readHead, writeRequest } from '../net/http1.js';
import { createProxyResolver, type ProxyChoice } from '../net/proxy.js';
import { decisionUrl, hostHeader } from '../net/url.js';

export const UPLOAD_TIMEOUT_MS = 20_000;
const MAX_ANSWER_BYTES = 64 * 1024;

export interface UploadOptions {
  upload?: string;
  site?: string;
  label?: string;
  uploadToken?: string;
  uploadTokenFile?: string;
}

export interface UploadPlan {
  url: URL;
  token: string;
  site: string | null;
  label: string | null;
}

/** A token from a file (one word), for --upload-token-file / --admin-token-file. */
export function readTokenFile(flag: string, file: string): string {
  let s: string;
  try {
    s = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new UsageError(`${flag}: cannot read "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!s) throw new UsageError(`${flag}: "${file}" is empty`);
  if (/\s/.test(s)) throw new UsageError(`${flag}: "${file}" holds more than one word (one token expected)`);
  return s;
}

/** A serve's URL (https://probe.example.com[:port][/path]); bad input is a one-line UsageError. */
export function parseServeUrl(flag: string, value: string, path: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag}: malformed URL "${value}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError(`${flag}: expected an https URL of a netready serve, got "${value}"`);
  if (!u.hostname) throw new UsageError(`${flag}: URL has no host: "${value}"`);
  if (u.username || u.password) throw new UsageError(`${flag}: put the token in --upload-token-file, not in the URL`);
  // The serve's base URL stands for its API path.
  if (u.pathname === '/' || u.pathname === '') u.pathname = path;
  return u;
}

/** --upload and its companions, checked before the run (exit 2 on a problem). Null without --upload. */
export function planUpload(o: UploadOptions, env: NodeJS.ProcessEnv = process.env): UploadPlan | null {
  if (o.upload === undefined) {
    for (const [flag, v] of [['--site', o.site], ['--label', o.label], ['--upload-token', o.uploadToken], ['--upload-token-file', o.uploadTokenFile]] as const)
      if (v !== undefined) throw new UsageError(`${flag} goes with --upload URL`);
    return null;
  }
  const url = parseServeUrl('--upload', o.upload, '/.netready/reports');
  const given = [o.uploadToken !== undefined, o.uploadTokenFile !== undefined].filter(Boolean).length;
  if (given > 1) throw new UsageError('the upload token: give --upload-token-file or --upload-token, not both');
  const token =
    o.uploadTokenFile !== undefined
      ? readTokenFile('--upload-token-file', o.uploadTokenFile)
      : o.uploadToken !== undefined
        ? o.uploadToken.trim()
        : (env.NETREADY_UPLOAD_TOKEN ?? '').trim();
  if (!token) throw new UsageError('--upload needs the serve\'s upload token: --upload-token-file FILE, NETREADY_UPLOAD_TOKEN or --upload-token (printed by `netready serve --store` at start)');
  const name = (flag: string, v: string | undefined) => {
    if (v === undefined) return null;
    const s = v.trim();
    if (!s || s.length > 200 || /[\u0000-\u001f]/.test(s)) throw new UsageError(`${flag}: expected one line of 1-200 characters`);
    return s;
  };
  return { url, token, site: name('--site', o.site), label: name('--label', o.label) };
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown> | null;
}

/** One bounded request to a serve: direct, TLS verified against the run's trust, --resolve honoured. */
export function serveRequest(
  url: URL,
  o: { method: string; token: string; body: string; trust: Pick<RunConfig, 'caPem' | 'publicRootsPem' | 'resolve'>; timeoutMs?: number },
): Promise<ApiAnswer> {
  const timeoutMs = o.timeoutMs ?? UPLOAD_TIMEOUT_MS;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const pinned = o.trust.resolve[host];
  const lookup = pinned
    ? (_h: string, opts: { all?: boolean }, cb: (e: Error | null, a: string | { address: string; family: number }[], f?: number) => void) => {
        const family = isIP(pinned);
        if (opts?.all) cb(null, [{ address: pinned, family }]);
        else cb(null, pinned, family);
      }
    : undefined;
  const tlsUrl = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const mod = tlsUrl ? https : http;
    const req = mod.request(
      url,
      {
        method: o.method,
        headers: { Authorization: `Bearer ${o.token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(o.body), Accept: 'application/json' },
        ...(tlsUrl ? { ca: trustStore({ caPem: o.trust.caPem, publicRootsPem: o.trust.publicRootsPem }).ca, servername: isIP(host) ? undefined : host } : {}),
        ...(lookup ? { lookup: lookup as never } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(c);
        });
        res.on('end', () => {
          let body: Record<string, unknown> | null = null;
          try {
            const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
            if (v && typeof v === 'object' && !Array.isArray(v)) body = v as Record<string, unknown>;
          } catch {
            /* not JSON: the status speaks */
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(o.body);
  });
}

const reason = (e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  return `${err.code ? `${err.code}: ` : ''}${String(err.message ?? e).split('\n')[0]}`;
};

/** POST through a proxy (CONNECT, then TLS to the serve), with the dialer the checks use. */
async function postViaProxy(url: URL, choice: ProxyChoice, o: { token: string; body: string; config: RunConfig; timeoutMs: number }): Promise<ApiAnswer> {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = Number(url.port || 443);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no answer within ${o.timeoutMs / 1000} s`)), o.timeoutMs);
  const ctx: DialContext = { signal: ac.signal, config: o.config, timeouts: o.config.timeouts, now: () => performance.now() };
  let sock: Awaited<ReturnType<typeof dial>>['socket'] | undefined;
  try {
    const d = await dial({ host, port, tls: true, alpn: ['http/1.1'], proxy: choice }, ctx);
    sock = d.socket;
    writeRequest(sock, {
      method: 'POST',
      target: `${url.pathname}${url.search}`,
      host: hostHeader(host, port, true),
      headers: { Authorization: `Bearer ${o.token}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(o.body)), Accept: 'application/json' },
    });
    sock.write(o.body);
    const head = await readHead(sock, {
      timeoutMs: o.timeoutMs,
      signal: ac.signal,
      timeoutError: () => new NetError('FIRST_BYTE_TIMEOUT', `no answer within ${o.timeoutMs / 1000} s`, 'timeout'),
      closedError: () => new NetError('CONN_RESET', 'the connection closed before an answer', 'failed'),
    });
    const b = await readBody(sock, head, { signal: ac.signal, timeoutMs: o.timeoutMs, maxBytes: MAX_ANSWER_BYTES });
    let body: Record<string, unknown> | null = null;
    try {
      const v = JSON.parse(b.body.toString('utf8')) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) body = v as Record<string, unknown>;
    } catch {
      /* not JSON: the status speaks */
    }
    return { status: head.status, body };
  } finally {
    clearTimeout(timer);
    sock?.destroy();
  }
}

/** Posts the report; resolves to the line to print (never throws). */
export async function uploadReport(report: unknown, plan: UploadPlan, config: RunConfig): Promise<{ ok: boolean; line: string; url: string | null; via: string }> {
  const u = new URL(plan.url);
  if (plan.site) u.searchParams.set('site', plan.site);
  if (plan.label) u.searchParams.set('label', plan.label);
  const where = `${plan.url.origin}${plan.url.pathname}`;
  const body = JSON.stringify(report);
  let via = 'direct';
  try {
    let a: ApiAnswer;
    const resolver = createProxyResolver(config);
    try {
      const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      const tlsUrl = u.protocol === 'https:';
      const choice: ProxyChoice = tlsUrl ? await resolver.forUrl(decisionUrl(host, Number(u.port || 443), true)) : { kind: 'direct', source: 'none' };
      if (choice.kind !== 'direct') {
        via = `proxy ${(choice as { display?: string }).display ?? 'from the configuration'}`;
        a = await postViaProxy(u, choice, { token: plan.token, body, config, timeoutMs: UPLOAD_TIMEOUT_MS });
      } else a = await serveRequest(u, { method: 'POST', token: plan.token, body, trust: config });
    } finally {
      resolver.dispose?.();
    }
    if ((a.status === 201 || a.status === 200) && typeof a.body?.url === 'string') return { ok: true, url: a.body.url, via, line: `report uploaded to ${plan.url.host}: ${a.body.url}` };
    const why = typeof a.body?.error === 'string' ? a.body.error : `HTTP ${a.status}`;
    return { ok: false, url: null, via, line: `upload to ${where} failed (HTTP ${a.status}: ${why}); the local report is unchanged` };
  } catch (e) {
    return { ok: false, url: null, via, line: `upload to ${where} failed (${reason(e)}${via === 'direct' ? '' : `, through ${via}`}); the local report is unchanged` };
  }
}
