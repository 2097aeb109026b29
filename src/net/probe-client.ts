// Requests to the --probe server (a `netready serve`, the cooperating far end): a small JSON GET,
// sent the way a browser's would go — directly, or through the proxy that applies to the probe's
// URL — with the one dialer every check uses. An intercepting middlebox on the way is carried on
// through (the diagnosis goes on; `inspected` says so), and nothing here ever stops the run: every
// failure is a NetError the calling check records (contract: "The probe never stops the run").

import type { ProbeInfo, RunConfig } from '../shared/config.js';
import { abortError, NetError } from '../shared/errors.js';
import { dial, keepHeaders, type DialContext, type Dialed } from './dial.js';
import { readBody, readHead, writeRequest } from './http1.js';
import { proxySummary, type ProxyChoice, type ProxyResolver } from './proxy.js';
import { decisionUrl, hostHeader, requestTarget } from './url.js';

export interface ProbeResponse {
  status: number;
  body: Record<string, unknown> | null;
  /** Response headers worth keeping (server, via, content type). */
  headers: Record<string, string>;
  /** The TLS chain to the probe was not trusted: an intercepting middlebox, or the probe's own CA without --ca. */
  inspected: boolean;
  /** How the request went (for evidence). */
  dialed: Pick<Dialed, 'address' | 'port' | 'via' | 'proxy' | 'timings' | 'peer' | 'route'>;
  firstByteMs: number;
}

const MAX_BODY = 65536;
const r1 = (n: number) => Math.round(n * 10) / 10;

function parseBody(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The probe URL's parts. */
export function probeTarget(config: Pick<RunConfig, 'probe'>): { host: string; port: number; tls: boolean } | null {
  if (!config.probe) return null;
  try {
    const u = new URL(config.probe);
    const tls = u.protocol === 'https:';
    return { host: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port: Number(u.port || (tls ? 443 : 80)), tls };
  } catch {
    return null;
  }
}

/** The proxy a browser would use for the probe's URL; direct when none applies. */
export async function probeProxy(config: RunConfig, proxy: ProxyResolver | undefined, signal?: AbortSignal): Promise<ProxyChoice> {
  const t = probeTarget(config);
  if (!proxy || !t) return { kind: 'direct', source: 'none' };
  return proxy.forUrl(decisionUrl(t.host, t.port, t.tls), signal);
}

/**
 * GET a JSON document from the probe, bounded by `timeoutMs` overall (and the run's signal).
 * Failures are the dialer's NetErrors (TCP_TIMEOUT, PROXY_AUTH_REQUIRED, TLS_…), FIRST_BYTE_TIMEOUT
 * or PROBE_TIMEOUT when the overall bound ends first.
 */
export async function probeGet(
  config: RunConfig,
  path: string,
  o: { timeoutMs: number; signal?: AbortSignal; proxy?: ProxyResolver; now?: () => number },
): Promise<ProbeResponse> {
  const t = probeTarget(config);
  if (!t) throw new NetError('PROBE_UNREACHABLE', 'no --probe URL', 'failed');
  const now = o.now ?? (() => performance.now());
  const outer = o.signal ?? new AbortController().signal;
  const ac = new AbortController();
  const onAbort = () => ac.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ac.abort(new NetError('PROBE_TIMEOUT', `the probe ${config.probe} did not answer ${path} within ${o.timeoutMs} ms`, 'timeout')), o.timeoutMs);
  const ctx: DialContext = { signal: ac.signal, config, timeouts: config.timeouts, now };
  let sock: Dialed['socket'] | undefined;
  try {
    const choice = await probeProxy(config, o.proxy, ac.signal);
    const plainViaProxy = choice.kind === 'http' && !t.tls;
    const d = await dial({ host: t.host, port: t.port, tls: t.tls, alpn: ['http/1.1'], allowUntrusted: true, proxy: choice, proxyNoConnect: plainViaProxy }, ctx);
    sock = d.socket;
    const carrier = d.choice ?? choice;
    const { target, headers } = requestTarget({ ...t, plainViaProxy: plainViaProxy && carrier.kind === 'http' }, path, carrier);
    const t0 = now();
    writeRequest(sock, { target, host: hostHeader(t.host, t.port, t.tls), headers: { ...headers, Accept: 'application/json' } });
    const head = await readHead(sock, {
      timeoutMs: config.timeouts.firstByteMs,
      signal: ac.signal,
      timeoutError: () => new NetError('FIRST_BYTE_TIMEOUT', `the probe ${config.probe} sent no answer to ${path} within ${config.timeouts.firstByteMs} ms`, 'timeout'),
      closedError: () => new NetError('CONN_RESET', `the connection to the probe closed before an answer to ${path}`, 'failed'),
    });
    const firstByteMs = r1(now() - t0);
    const body = await readBody(sock, head, { signal: ac.signal, timeoutMs: config.timeouts.streamMs, maxBytes: MAX_BODY });
    if (ac.signal.aborted) throw abortError(ac.signal);
    return {
      status: head.status,
      body: parseBody(body.body.toString('utf8')),
      headers: keepHeaders(head.headers),
      inspected: d.inspected,
      dialed: { address: d.address, port: d.port, via: d.via, proxy: d.proxy ?? proxySummary(carrier), timings: d.timings, peer: d.peer, ...(d.route ? { route: d.route } : {}) },
      firstByteMs,
    };
  } catch (e) {
    // The overall bound or the run's end: the reason the abort carries.
    if (ac.signal.aborted && !(e instanceof NetError && e.code !== 'DEADLINE_EXCEEDED')) throw abortError(ac.signal);
    throw e;
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onAbort);
    sock?.destroy();
  }
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

/** What asking the probe for its media description gave, before planning (never throws for the network). */
export interface ProbeDiscovery {
  info: ProbeInfo | null;
  /** Why there is no description: the error code and message, or the HTTP status. */
  error: { code: string; message: string } | null;
}

/**
 * The probe's media description (/.netready/media), fetched once before planning so the media
 * checks plan the probe's real targets. Unreachable, intercepted, refused: `info` is null and the
 * media checks fall back to the probe's host name and the standard ports; the run goes on.
 */
export async function discoverProbe(config: RunConfig, timeoutMs: number, proxy?: ProxyResolver, signal?: AbortSignal): Promise<ProbeDiscovery> {
  try {
    const res = await probeGet(config, '/.netready/media', { timeoutMs, proxy, signal });
    if (res.status === 200) {
      const info = parseProbeInfo(res.body);
      return info ? { info, error: null } : { info: null, error: { code: 'PROBE_PROTOCOL', message: 'the probe answered /.netready/media without a media description' } };
    }
    return { info: null, error: { code: 'PROBE_PROTOCOL', message: `the probe answered /.netready/media with HTTP ${res.status}` } };
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    return { info: null, error: { code: e.code, message: e.message } };
  }
}
