// The --probe server (a `netready serve`): validated before the run — an unreachable probe is bad
// input (exit 2) — and asked once for its media description (/.netready/media), which the media
// checks plan from (RunConfig.probeInfo). Requests go the way a browser's would: directly, or
// through the proxy that applies to the probe's URL (explicit, env or PAC) with CONNECT.

import https from 'node:https';
import http from 'node:http';
import { rootCertificates } from 'node:tls';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProbeInfo, RunConfig } from './config.js';
import { NetError, UsageError } from './errors.js';
import { mapEndpoint } from '../net/endpoint.js';
import { dial } from '../net/dial.js';
import type { ProxyChoice, ProxyResolver } from '../net/proxy.js';

export interface ProbeResponse {
  status: number;
  body: Record<string, unknown> | null;
}

const MAX_BODY = 65536;

function parseBody(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The proxy a browser would use for the probe's URL; direct when none applies or PAC fails. */
export async function probeProxy(config: RunConfig, proxy: ProxyResolver | undefined, signal?: AbortSignal): Promise<ProxyChoice> {
  if (!proxy || !config.probe) return { kind: 'direct', source: 'none' } as ProxyChoice;
  try {
    return await proxy.forUrl(new URL('/', config.probe).href, signal);
  } catch {
    return { kind: 'direct', source: 'none' } as ProxyChoice;
  }
}

/**
 * GET a JSON document from the probe. Failures are NetErrors: PROBE_UNREACHABLE (with
 * details.cause = the socket error code, e.g. ECONNREFUSED), PROBE_TIMEOUT, or the dialer's codes
 * through a proxy.
 */
export async function probeGet(
  config: RunConfig,
  path: string,
  o: { timeoutMs: number; signal?: AbortSignal; proxy?: ProxyResolver },
): Promise<ProbeResponse> {
  const url = new URL(path, config.probe!);
  const tlsOn = url.protocol === 'https:';
  const port = Number(url.port || (tlsOn ? 443 : 80));
  const signal = o.signal ?? new AbortController().signal;
  const choice = await probeProxy(config, o.proxy, signal);
  const ac = new AbortController();
  const onAbort = () => ac.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ac.abort(new NetError('PROBE_TIMEOUT', `no answer within ${o.timeoutMs} ms`, 'timeout')), o.timeoutMs);
  try {
    let socket: import('node:net').Socket | undefined;
    if (choice.kind === 'http') {
      // through the proxy: CONNECT + TLS by the shared dialer (its phase timeouts, bounded by ours)
      const d = await dial(
        { host: url.hostname.replace(/^\[|\]$/g, ''), port, tls: tlsOn, alpn: ['http/1.1'], proxy: choice },
        { signal: ac.signal, config, timeouts: config.timeouts, now: () => performance.now() },
      );
      socket = d.socket as import('node:net').Socket;
    }
    const ep = mapEndpoint(config, url.hostname, port);
    return await new Promise<ProbeResponse>((resolve, reject) => {
      const lib = socket ? http : tlsOn ? https : http;
      const req = lib.request(
        {
          host: ep.host.replace(/^\[|\]$/g, ''),
          port: ep.port,
          path: url.pathname + url.search,
          method: 'GET',
          ...(isIP(url.hostname) ? {} : { servername: url.hostname }),
          headers: { host: url.host, 'user-agent': 'netready', accept: 'application/json' },
          ...(tlsOn && !socket ? { ca: [...rootCertificates, ...config.caPem] } : {}),
          // no agent with createConnection: an Agent would dial by itself and ignore it
          ...(socket ? {} : { agent: false }),
          ...(socket
            ? {
                createConnection: () => {
                  socket!.resume();
                  return socket!;
                },
              }
            : {}),
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            if (body.length < MAX_BODY) body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseBody(body) }));
          res.on('error', (e) => reject(new NetError('PROBE_UNREACHABLE', `the probe broke off: ${e.message}`, 'failed', { cause: 'EPIPE' })));
        },
      );
      const abort = () => {
        req.destroy();
        const r = ac.signal.reason;
        reject(r instanceof NetError ? r : new NetError('DEADLINE_EXCEEDED', 'the run was stopped', 'timeout'));
      };
      if (ac.signal.aborted) return abort();
      ac.signal.addEventListener('abort', abort, { once: true });
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(new NetError('PROBE_UNREACHABLE', `unreachable: ${e.code ?? e.message}`, 'failed', { cause: e.code ?? e.message })),
      );
      req.on('close', () => ac.signal.removeEventListener('abort', abort));
      req.end();
    });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

export async function checkProbe(config: RunConfig, timeoutMs: number, proxy?: ProxyResolver): Promise<Record<string, unknown>> {
  let res: ProbeResponse;
  try {
    res = await probeGet(config, '/.netready/health', { timeoutMs, proxy });
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    const why =
      e.code === 'PROBE_TIMEOUT'
        ? `no answer within ${timeoutMs} ms`
        : e.code === 'PROBE_UNREACHABLE'
          ? String((e.details as Record<string, unknown> | undefined)?.cause ?? e.message)
          : `${e.code}: ${e.message}`;
    throw new UsageError(`--probe ${config.probe}: unreachable (${why})`);
  }
  if (res.status === 200 && res.body?.ok === true) return res.body;
  throw new UsageError(`--probe ${config.probe}: not a netready serve instance (HTTP ${res.status} on /.netready/health)`);
}

const HOST_RE = /^[A-Za-z0-9.:[\]-]{1,255}$/;
const validPort = (p: unknown): p is number => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;

/** Validate the probe's /.netready/media answer into plain data (anything odd is dropped). */
export function parseProbeInfo(body: Record<string, unknown> | null): ProbeInfo | null {
  if (!body) return null;
  const info: ProbeInfo = { stun: null, udpEcho: null, turn: null };
  const s = body.stun as Record<string, unknown> | null | undefined;
  if (s && typeof s.host === 'string' && HOST_RE.test(s.host) && validPort(s.port)) info.stun = { host: s.host.replace(/^\[|\]$/g, '').toLowerCase(), port: s.port };
  const u = body.udpEcho as Record<string, unknown> | null | undefined;
  if (u && typeof u.host === 'string' && HOST_RE.test(u.host) && Array.isArray(u.ports)) {
    const ports = [...new Set(u.ports.filter(validPort))].slice(0, 1024);
    if (ports.length) info.udpEcho = { host: u.host.replace(/^\[|\]$/g, '').toLowerCase(), ports };
  }
  const t = body.turn as Record<string, unknown> | null | undefined;
  if (t && Array.isArray(t.urls)) {
    const urls = t.urls.filter((x): x is string => typeof x === 'string' && x.length < 300 && /^turns?:/.test(x)).slice(0, 16);
    if (urls.length) info.turn = { urls };
  }
  return info;
}

/**
 * The probe's media description, fetched once before planning; null when the probe has none or
 * does not answer in time (the media checks then fall back to the probe's host name and the
 * standard ports).
 */
export async function fetchProbeInfo(config: RunConfig, timeoutMs: number, proxy?: ProxyResolver, signal?: AbortSignal): Promise<ProbeInfo | null> {
  try {
    const res = await probeGet(config, '/.netready/media', { timeoutMs, proxy, signal });
    return res.status === 200 ? parseProbeInfo(res.body) : null;
  } catch (e) {
    if (e instanceof NetError) return null;
    throw e;
  }
}
