// The one dialer every check uses: resolve (override or system) -> TCP -> optional proxy CONNECT
// -> optional TLS, each phase with its own timeout, the AbortSignal destroying the socket, and
// every failure a NetError with a stable code and `details.phase`.

import dns from 'node:dns';
import { setMaxListeners } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import type { RunConfig } from '../shared/config.js';
import { abortError, NetError } from '../shared/errors.js';
import type { ErrorCode } from '../shared/error-codes.js';
import type { PhaseTimeouts } from '../shared/config.js';
import { entryLabel, proxySummary, routeEntries, type ProxyChoice } from './proxy.js';
import { readHead, type ResponseHead } from './http1.js';
import { mapEndpoint } from './endpoint.js';
import { trustStore, type RootSource, type TrustStore } from './trust.js';

export interface DialContext {
  signal: AbortSignal;
  config: RunConfig;
  timeouts: PhaseTimeouts;
  now(): number;
}

export type Phase = 'dns' | 'tcp' | 'proxy' | 'tls';

const r1 = (n: number) => Math.round(n * 10) / 10;

const raised = new WeakSet<AbortSignal>();
/** The run signal is shared by every socket of a run: lift Node's 10-listener warning once. */
export function shareSignal(signal: AbortSignal): AbortSignal {
  if (!raised.has(signal)) {
    raised.add(signal);
    setMaxListeners(0, signal);
  }
  return signal;
}

/**
 * Run one phase: `start(settle)` begins the work; the phase ends with the first of its own result,
 * its timeout (timeoutError) or the signal. `cleanup` runs on timeout/abort (destroy sockets).
 */
export function phase<T>(
  ms: number,
  signal: AbortSignal,
  timeoutError: () => NetError,
  start: (resolve: (v: T) => void, reject: (e: unknown) => void) => void,
  cleanup: () => void = () => {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      cleanup();
      return reject(abortError(signal));
    }
    shareSignal(signal);
    let done = false;
    const finish = () => {
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      if (done) return;
      finish();
      cleanup();
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      if (done) return;
      finish();
      cleanup();
      reject(timeoutError());
    }, Math.max(1, ms));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      start(
        (v) => {
          if (done) return;
          finish();
          resolve(v);
        },
        (e) => {
          if (done) return;
          finish();
          reject(e);
        },
      );
    } catch (e) {
      if (!done) {
        finish();
        reject(e);
      }
    }
  });
}

// ---------------------------------------------------------------- resolve

export interface Resolved {
  addresses: string[];
  via: 'system' | 'override' | 'literal';
  resolveMs: number;
  /** A port given with the override (`HOST:ADDR:PORT`), replacing the profile's port. */
  port?: number;
}

/** Parse an override ADDR: `1.2.3.4`, `::1`, `[::1]`, `1.2.3.4:8443`, `[::1]:8443`. */
export function parseOverride(addr: string): { address: string; port?: number } | null {
  const a = addr.trim();
  if (isIPAny(a)) return { address: a };
  let m = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(a);
  if (m && net.isIPv6(m[1])) return { address: m[1], port: m[2] ? Number(m[2]) : undefined };
  m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(a);
  if (m && net.isIPv4(m[1])) return { address: m[1], port: Number(m[2]) };
  return null;
}

function isIPAny(s: string): boolean {
  return net.isIP(s) !== 0;
}

/** DNS error codes (getaddrinfo / c-ares) -> stable netready codes. */
export function classifyDnsError(code: string | undefined): { code: ErrorCode; kind: 'failed' | 'timeout' } {
  switch (code) {
    case 'ENOTFOUND':
    case 'NXDOMAIN':
      return { code: 'DNS_NXDOMAIN', kind: 'failed' };
    case 'ENODATA':
    case 'NODATA':
    case 'EAI_NODATA':
    case 'EAI_ADDRFAMILY':
      return { code: 'DNS_NO_ADDRESS', kind: 'failed' };
    case 'EREFUSED':
    case 'ECONNREFUSED':
      return { code: 'DNS_REFUSED', kind: 'failed' };
    case 'ETIMEOUT':
    case 'ETIMEDOUT':
      return { code: 'DNS_TIMEOUT', kind: 'timeout' };
    case 'EAI_AGAIN':
    case 'ESERVFAIL':
    case 'SERVFAIL':
    default:
      return { code: 'DNS_SERVFAIL', kind: 'failed' };
  }
}

export async function resolveHost(host: string, ctx: DialContext): Promise<Resolved> {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  const t0 = ctx.now();
  const override = ctx.config.resolve[h];
  if (override !== undefined) {
    const o = parseOverride(override);
    if (!o) throw new NetError('DNS_NO_ADDRESS', `the --resolve address "${override}" for ${h} is not an IP address`, 'failed', { phase: 'dns' });
    return { addresses: [o.address], via: 'override', resolveMs: r1(ctx.now() - t0), port: o.port };
  }
  if (isIPAny(h)) return { addresses: [h], via: 'literal', resolveMs: 0 };
  const ms = ctx.timeouts.resolveMs;
  const list = await phase<dns.LookupAddress[]>(
    ms,
    ctx.signal,
    () => new NetError('DNS_TIMEOUT', `no DNS answer for ${h} within ${ms} ms`, 'timeout', { phase: 'dns', host: h }),
    (resolve, reject) => {
      // getaddrinfo cannot be cancelled; on timeout its late answer is ignored.
      dns.lookup(h, { all: true }, (err, addrs) => {
        if (err) {
          const c = classifyDnsError(err.code);
          const msg =
            c.code === 'DNS_NXDOMAIN'
              ? `${h} does not resolve (no such name)`
              : c.code === 'DNS_NO_ADDRESS'
                ? `${h} has no address records`
                : c.code === 'DNS_REFUSED'
                  ? `the resolver refused to answer for ${h}`
                  : `the resolver failed for ${h} (${err.code})`;
          reject(new NetError(c.code, msg, c.kind, { phase: 'dns', host: h, sysCode: err.code }));
        } else resolve(addrs);
      });
    },
  );
  if (list.length === 0) throw new NetError('DNS_NO_ADDRESS', `${h} has no address records`, 'failed', { phase: 'dns', host: h });
  return { addresses: list.map((a) => a.address), via: 'system', resolveMs: r1(ctx.now() - t0) };
}

/**
 * Where HOST:PORT really goes: --connect-to (curl semantics; the name stays for SNI and Host), then
 * --resolve (ADDR, or ADDR:PORT), else the system resolver.
 */
export async function resolveEndpoint(host: string, port: number, ctx: DialContext): Promise<Resolved & { port: number }> {
  const ep = mapEndpoint({ connectTo: ctx.config.connectTo ?? [], resolve: ctx.config.resolve }, host, port);
  if (ep.overridden) {
    const o = parseOverride(ep.host);
    if (o) return { addresses: [o.address], via: 'override', resolveMs: 0, port: o.port ?? ep.port };
  }
  const r = await resolveHost(ep.host, ctx);
  return { ...r, port: r.port ?? ep.port };
}

// ---------------------------------------------------------------- TCP

function tcpCode(sys: string | undefined): ErrorCode {
  switch (sys) {
    case 'ECONNREFUSED':
      return 'TCP_REFUSED';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'TCP_RESET';
    case 'ETIMEDOUT':
      return 'TCP_TIMEOUT';
    default:
      return 'TCP_UNREACHABLE'; // EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL, EACCES (firewall reject) ...
  }
}

/** One TCP connection attempt with a timeout; errors are NetErrors (TCP_* or, forProxy, PROXY_*). */
export function connectTcp(address: string, port: number, ms: number, signal: AbortSignal, forProxy = false): Promise<net.Socket> {
  const sock = new net.Socket();
  const where = `${net.isIPv6(address) ? `[${address}]` : address}:${port}`;
  return phase<net.Socket>(
    ms,
    signal,
    () =>
      forProxy
        ? new NetError('PROXY_TIMEOUT', `the proxy ${where} did not accept a connection within ${ms} ms`, 'timeout', { phase: 'proxy', proxyStage: 'connect' })
        : new NetError('TCP_TIMEOUT', `no TCP answer from ${where} within ${ms} ms (dropped?)`, 'timeout', { phase: 'tcp', address }),
    (resolve, reject) => {
      sock.once('error', (e: NodeJS.ErrnoException) => {
        sock.destroy();
        const code = tcpCode(e.code);
        if (forProxy)
          reject(new NetError('PROXY_UNREACHABLE', `cannot reach the proxy ${where}: ${e.code ?? e.message}`, 'failed', { phase: 'proxy', proxyStage: 'connect', sysCode: e.code }));
        else
          reject(
            new NetError(code, `TCP to ${where}: ${code === 'TCP_REFUSED' ? 'connection refused' : code === 'TCP_RESET' ? 'connection reset' : (e.code ?? e.message)}`, code === 'TCP_TIMEOUT' ? 'timeout' : 'failed', {
              phase: 'tcp',
              address,
              sysCode: e.code,
            }),
          );
      });
      sock.once('connect', () => {
        sock.removeAllListeners('error');
        sock.setNoDelay(true);
        resolve(sock);
      });
      sock.connect({ host: address, port });
    },
    () => sock.destroy(),
  );
}

// ---------------------------------------------------------------- TLS

export interface NameOrg {
  CN?: string;
  O?: string;
}

export interface PeerSummary {
  protocol: string | null;
  alpn: string | null;
  subject: NameOrg;
  issuer: NameOrg;
  /** The top of the presented chain: its issuer (the root it claims). */
  root: NameOrg;
  validTo: string | null;
  altNames: string[];
  /** OpenSSL / Node verification error code, null when trusted and the name matches. */
  verifyError: string | null;
  trusted: boolean;
  sanMatch: boolean;
  /** Where the root of a trusted chain came from (public roots, --ca, NODE_EXTRA_CA_CERTS); null when untrusted or unknown. */
  rootSource: RootSource | null;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
]);

/** A verification error -> netready code. */
export function classifyVerifyError(code: string): ErrorCode {
  if (code === 'CERT_HAS_EXPIRED') return 'TLS_CERT_EXPIRED';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') return 'TLS_NAME_MISMATCH';
  if (UNTRUSTED.has(code)) return 'TLS_CERT_UNTRUSTED';
  return 'TLS_HANDSHAKE_FAILED';
}

function nameOrg(x: Record<string, unknown> | undefined): NameOrg {
  if (!x) return {};
  const pick = (v: unknown) => (Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v));
  const out: NameOrg = {};
  const cn = pick(x.CN);
  const o = pick(x.O);
  if (cn !== undefined) out.CN = cn;
  if (o !== undefined) out.O = o;
  return out;
}

export function summarizePeer(sock: tls.TLSSocket, verifyError: string | null, store?: TrustStore): PeerSummary {
  const leaf = sock.getPeerCertificate(true) as tls.DetailedPeerCertificate;
  let top: tls.DetailedPeerCertificate | undefined = leaf && Object.keys(leaf).length ? leaf : undefined;
  for (let i = 0; i < 16 && top?.issuerCertificate && top.issuerCertificate !== top; i++) {
    if (top.issuerCertificate.fingerprint256 === top.fingerprint256) break;
    top = top.issuerCertificate;
  }
  const altNames = (leaf?.subjectaltname ?? '')
    .split(/,\s*/)
    .map((s) => s.replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
  const trusted = verifyError === null || !UNTRUSTED.has(verifyError);
  return {
    protocol: sock.getProtocol() ?? null,
    alpn: sock.alpnProtocol || null,
    subject: nameOrg(leaf?.subject as unknown as Record<string, unknown>),
    issuer: nameOrg(leaf?.issuer as unknown as Record<string, unknown>),
    root: nameOrg(top?.issuer as unknown as Record<string, unknown>),
    validTo: leaf?.valid_to ? new Date(leaf.valid_to).toISOString() : null,
    altNames,
    verifyError,
    trusted,
    sanMatch: verifyError !== 'ERR_TLS_CERT_ALTNAME_INVALID',
    // Node completes a verified chain with the trust anchor from the store: the top is the root.
    rootSource: trusted && store ? store.sourceOf(top?.fingerprint256) : null,
  };
}

/** The public roots (or --public-roots), --ca and NODE_EXTRA_CA_CERTS, for callers that build their own TLS options. */
export function trustedCAs(config: RunConfig): string[] {
  return trustStore(config).ca;
}

/** The same trust as one SecureContext per run (parsing ~150 root PEMs per connection costs ms each). */
export function trustContext(config: RunConfig): tls.SecureContext {
  return trustStore(config).context;
}

export interface TlsOptions {
  servername: string;
  alpn?: string[];
  /** Accept an untrusted chain (interception diagnosis); other verification errors still fail. */
  allowUntrusted?: boolean;
}

export async function startTls(raw: net.Socket, opt: TlsOptions, ctx: DialContext): Promise<{ socket: tls.TLSSocket; peer: PeerSummary; tlsMs: number }> {
  const ms = ctx.timeouts.tlsMs;
  const t0 = ctx.now();
  let sock: tls.TLSSocket | undefined;
  const socket = await phase<tls.TLSSocket>(
    ms,
    ctx.signal,
    () => new NetError('TLS_TIMEOUT', `no TLS handshake with ${opt.servername} within ${ms} ms`, 'timeout', { phase: 'tls' }),
    (resolve, reject) => {
      sock = tls.connect({
        socket: raw,
        servername: net.isIP(opt.servername) ? undefined : opt.servername,
        secureContext: trustContext(ctx.config),
        rejectUnauthorized: false,
        ALPNProtocols: opt.alpn ?? ['http/1.1'],
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        sock?.destroy();
        const m = String(e.code ?? '');
        const code = /VERSION|PROTOCOL|WRONG_VERSION|UNSUPPORTED/.test(m) ? 'TLS_PROTOCOL' : 'TLS_HANDSHAKE_FAILED';
        const why = m === 'ECONNRESET' ? 'the connection was reset during the TLS handshake' : `TLS handshake with ${opt.servername} failed: ${e.code ?? e.message}`;
        reject(new NetError(code, why, 'failed', { phase: 'tls', sysCode: e.code }));
      });
      sock.once('close', () => reject(new NetError('TLS_HANDSHAKE_FAILED', `the connection closed during the TLS handshake with ${opt.servername}`, 'failed', { phase: 'tls' })));
      sock.once('secureConnect', () => {
        sock!.removeAllListeners('error');
        sock!.removeAllListeners('close');
        resolve(sock!);
      });
    },
    () => {
      sock?.destroy();
      raw.destroy();
    },
  );
  const tlsMs = r1(ctx.now() - t0);
  const verifyError = socket.authorized ? null : String(socket.authorizationError ?? 'UNKNOWN');
  const peer = summarizePeer(socket, verifyError, trustStore(ctx.config));
  if (verifyError) {
    const code = classifyVerifyError(verifyError);
    if (!(code === 'TLS_CERT_UNTRUSTED' && opt.allowUntrusted)) {
      socket.destroy();
      const details: Record<string, unknown> = { phase: 'tls', verifyError, subject: peer.subject, issuer: peer.issuer, root: peer.root, validTo: peer.validTo };
      let msg: string;
      if (code === 'TLS_CERT_UNTRUSTED') {
        details.intercepted = true;
        msg = `the certificate of ${opt.servername} chains to an untrusted root "${peer.root.CN ?? '?'}"${peer.root.O ? ` (${peer.root.O})` : ''}: TLS interception?`;
      } else if (code === 'TLS_CERT_EXPIRED') msg = `the certificate of ${opt.servername} expired on ${peer.validTo}`;
      else if (code === 'TLS_NAME_MISMATCH') {
        details.altNames = peer.altNames;
        msg = `the certificate presented for ${opt.servername} is for ${peer.altNames.join(', ') || peer.subject.CN || 'another name'}`;
      } else msg = `the certificate of ${opt.servername} was not accepted: ${verifyError}`;
      throw new NetError(code, msg, 'failed', details);
    }
  }
  return { socket, peer, tlsMs };
}

// ---------------------------------------------------------------- proxy CONNECT

const PROXY_HEADER_KEEP = ['server', 'via', 'x-squid-error', 'proxy-authenticate', 'x-cache', 'content-type', 'x-netready-serve'];

export function keepHeaders(h: Record<string, string>, keep = PROXY_HEADER_KEEP): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keep) if (h[k] !== undefined) out[k] = h[k].slice(0, 200);
  return out;
}

export async function proxyConnect(sock: net.Socket, host: string, port: number, proxy: Extract<ProxyChoice, { kind: 'http' }>, ctx: DialContext): Promise<{ head: ResponseHead; proxyMs: number }> {
  const t0 = ctx.now();
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`, 'User-Agent: netready/0.1'];
  if (proxy.authorization) lines.push(`Proxy-Authorization: ${proxy.authorization}`);
  sock.write(lines.join('\r\n') + '\r\n\r\n');
  const ms = ctx.timeouts.firstByteMs;
  const head = await readHead(sock, {
    timeoutMs: ms,
    signal: ctx.signal,
    timeoutError: () => new NetError('PROXY_TIMEOUT', `the proxy ${proxy.display} did not answer CONNECT ${authority} within ${ms} ms`, 'timeout', { phase: 'proxy' }),
    closedError: () => new NetError('PROXY_CONNECT_REFUSED', `the proxy ${proxy.display} closed the connection on CONNECT ${authority}`, 'failed', { phase: 'proxy', proxyStatus: null }),
  });
  const proxyMs = r1(ctx.now() - t0);
  if (head.status === 407) {
    sock.destroy();
    throw new NetError('PROXY_AUTH_REQUIRED', `the proxy ${proxy.display} demands authentication (407)${proxy.authorization ? ' and refused the given credentials' : ''}`, 'failed', {
      phase: 'proxy',
      proxyStatus: 407,
      proxyHeaders: keepHeaders(head.headers),
      credentialsSent: !!proxy.authorization,
    });
  }
  if (head.status < 200 || head.status > 299) {
    sock.destroy();
    throw new NetError('PROXY_CONNECT_REFUSED', `the proxy ${proxy.display} refused CONNECT ${authority}: ${head.status} ${head.statusText}`, 'failed', {
      phase: 'proxy',
      proxyStatus: head.status,
      proxyHeaders: keepHeaders(head.headers),
    });
  }
  if (head.rest.length) sock.unshift(head.rest);
  return { head, proxyMs };
}

// ---------------------------------------------------------------- dial

export interface DialOptions {
  host: string;
  port: number;
  /** Do TLS to the host (SNI = host). */
  tls?: boolean;
  alpn?: string[];
  allowUntrusted?: boolean;
  /** The proxy to tunnel through (CONNECT); default direct. */
  proxy?: ProxyChoice;
  /** With a proxy: stop after the TCP connection to the proxy (plain-HTTP absolute-URI requests). */
  proxyNoConnect?: boolean;
}

export interface Dialed {
  /** Handed over paused: consumers attach their listeners, then resume(). */
  socket: net.Socket | tls.TLSSocket;
  /** The address connected to (the proxy's when through a proxy). */
  address: string;
  port: number;
  via: Resolved['via'] | 'proxy';
  proxy: { display: string; source: string } | null;
  timings: { resolveMs?: number; connectMs: number; proxyMs?: number; tlsMs?: number };
  peer?: PeerSummary;
  /** TLS accepted an untrusted (intercepting) chain for the diagnosis. */
  inspected: boolean;
  /**
   * The chain is trusted but ends at a root outside the public web PKI (--ca, NODE_EXTRA_CA_CERTS):
   * fine for the probe, inspection for a vendor host (the caller knows which it dialed).
   */
  privateRoot: boolean;
  /** The route entry that carried the connection (a proxy or direct), when the route had fallbacks. */
  choice?: ProxyChoice;
  /** A route with fallbacks: which entry carried it and the ones that could not be reached before it. */
  route?: RouteTrace;
}

export interface RouteTrace {
  /** The entry that carried the connection, as a PAC writes it (`PROXY host:port`, `DIRECT`). */
  carriedBy: string;
  /** The entries tried before it, and why each could not be reached. */
  tried: { entry: string; code: string }[];
}

async function connectAny(addresses: string[], port: number, ctx: DialContext, forProxy: boolean): Promise<{ sock: net.Socket; address: string }> {
  const deadline = ctx.now() + ctx.timeouts.connectMs;
  let lastErr: unknown;
  for (const address of addresses.slice(0, 4)) {
    const left = Math.max(1, deadline - ctx.now());
    try {
      return { sock: await connectTcp(address, port, left, ctx.signal, forProxy), address };
    } catch (e) {
      lastErr = e;
      if (e instanceof NetError && e.kind === 'timeout') break; // the time is spent
      if (ctx.signal.aborted) break;
    }
  }
  throw lastErr;
}

/** At most this many entries of a route are tried (each has its own phase timeouts). */
export const ROUTE_MAX_TRIES = 4;

/**
 * Whether the next entry of a route is tried after this failure: the entry itself could not be
 * reached — its name did not resolve, TCP to it failed or timed out, TLS to an HTTPS proxy failed,
 * or the proxy closed the connection before answering CONNECT (Chromium's CanFalloverToNextProxy:
 * name not resolved, connection refused/reset/closed/timed out, proxy connection failed). A proxy
 * that answers — 407, a refused CONNECT, a re-signed certificate — carried the request: no fallback.
 */
export function canFallOver(e: unknown): boolean {
  if (!(e instanceof NetError) || e.code === 'DEADLINE_EXCEEDED') return false;
  const phase = e.details.phase;
  if (phase === 'dns' || phase === 'tcp') return true;
  if (phase !== 'proxy') return false;
  if (e.code === 'PROXY_UNREACHABLE') return true;
  if (e.code === 'PROXY_TIMEOUT') return e.details.proxyStage === 'connect';
  return e.code === 'PROXY_CONNECT_REFUSED' && e.details.proxyStatus === null;
}

/**
 * Dial HOST:PORT the way the route says: directly, or through its proxy; a route with fallbacks
 * ("PROXY a; PROXY b; DIRECT") tries each entry in order while one cannot be reached (canFallOver),
 * proxies that failed earlier in the run last, and records which entry carried it (`route`).
 */
export async function dial(opt: DialOptions, ctx: DialContext): Promise<Dialed> {
  const route = opt.proxy;
  if (!route?.fallbacks?.length) {
    const d = await dialOne(opt, ctx);
    return route ? { ...d, choice: route } : d;
  }
  const all = routeEntries(route).slice(0, ROUTE_MAX_TRIES);
  const retry = route.retry;
  const bad = (c: ProxyChoice) => c.kind === 'http' && !!retry?.isBad(c.display);
  const entries = [...all.filter((c) => !bad(c)), ...all.filter(bad)];
  const tried: RouteTrace['tried'] = [];
  for (let i = 0; ; i++) {
    const entry = entries[i];
    try {
      const d = await dialOne({ ...opt, proxy: entry }, ctx);
      return { ...d, choice: entry, route: { carriedBy: entryLabel(entry), tried } };
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      tried.push({ entry: entryLabel(entry), code: e.code });
      if (entry.kind === 'http' && canFallOver(e)) retry?.markBad(entry.display, e.code);
      if (i === entries.length - 1 || !canFallOver(e) || ctx.signal.aborted)
        throw new NetError(e.code, e.message, e.kind, { ...e.details, route: { carriedBy: null, tried }, proxy: proxySummary(entry) });
    }
  }
}

async function dialOne(opt: DialOptions, ctx: DialContext): Promise<Dialed> {
  shareSignal(ctx.signal);
  const proxy = opt.proxy && opt.proxy.kind === 'http' ? opt.proxy : null;
  if (proxy) {
    let res: Resolved;
    try {
      res = await resolveHost(proxy.host, ctx);
    } catch (e) {
      if (e instanceof NetError && e.code !== 'DEADLINE_EXCEEDED')
        throw new NetError('PROXY_UNREACHABLE', `the proxy host ${proxy.host} does not resolve (${e.code})`, 'failed', { phase: 'proxy', proxyStage: 'connect' });
      throw e;
    }
    const t0 = ctx.now();
    let { sock, address } = await connectAny(res.addresses, res.port ?? proxy.port, ctx, true);
    const onAbort = () => sock.destroy();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    sock.once('close', () => ctx.signal.removeEventListener('abort', onAbort));
    const connectMs = r1(ctx.now() - t0);
    const timings: Dialed['timings'] = { connectMs };
    if (proxy.tls) {
      const t = await startTls(sock, { servername: proxy.host }, ctx).catch((e) => {
        throw e instanceof NetError && e.code !== 'DEADLINE_EXCEEDED'
          ? new NetError('PROXY_UNREACHABLE', `TLS to the proxy ${proxy.display} failed: ${e.message}`, 'failed', { phase: 'proxy', proxyStage: 'connect', cause: e.code })
          : e;
      });
      sock = t.socket;
    }
    const base = { address, port: res.port ?? proxy.port, via: 'proxy' as const, proxy: proxySummary(proxy), inspected: false, privateRoot: false };
    if (opt.proxyNoConnect) return { ...base, socket: sock, timings };
    const { proxyMs } = await proxyConnect(sock, opt.host, opt.port, proxy, ctx);
    timings.proxyMs = proxyMs;
    if (!opt.tls) return { ...base, socket: sock, timings };
    const t = await startTls(sock, { servername: opt.host, alpn: opt.alpn, allowUntrusted: opt.allowUntrusted }, ctx);
    timings.tlsMs = t.tlsMs;
    return { ...base, socket: t.socket, timings, peer: t.peer, ...tlsVerdict(t.peer) };
  }

  const res = await resolveEndpoint(opt.host, opt.port, ctx);
  const port = res.port;
  const t0 = ctx.now();
  const { sock, address } = await connectAny(res.addresses, port, ctx, false);
  const onAbort = () => sock.destroy();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  sock.once('close', () => ctx.signal.removeEventListener('abort', onAbort));
  const timings: Dialed['timings'] = { resolveMs: res.resolveMs, connectMs: r1(ctx.now() - t0) };
  const base = { address, port, via: res.via, proxy: null, inspected: false, privateRoot: false };
  if (!opt.tls) return { ...base, socket: sock, timings };
  const t = await startTls(sock, { servername: opt.host, alpn: opt.alpn, allowUntrusted: opt.allowUntrusted }, ctx);
  timings.tlsMs = t.tlsMs;
  return { ...base, socket: t.socket, timings, peer: t.peer, ...tlsVerdict(t.peer) };
}

function tlsVerdict(peer: PeerSummary): { inspected: boolean; privateRoot: boolean } {
  return { inspected: !peer.trusted, privateRoot: peer.trusted && peer.rootSource !== 'public' };
}
