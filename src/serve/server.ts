// `netready serve`: the self-hosted far end. HTTPS + WSS + SSE on every --listen address (plain
// HTTP on --http addresses), with a throw-away CA issuing a certificate per SNI name when no
// --cert/--key is given (tls-certs.ts). The wire protocol below is what the checks rely on; keep it
// stable.
//
// - Every HTTP request: 200 JSON {"ok":true,"server":"netready","host":<Host>,"path":<path>,"method":<m>},
//   header X-Netready-Serve: 1.
// - GET /.netready/health -> {"ok":true,"server":"netready","uptimeMs":n,"connections":n,"clientAddress":<the address the client came from: its egress, or its proxy's>,"probe":
//   {"names":[..],"address":<the address the client reached>,"port":n,"host":<Host>,"version":v}}
//   (the probe's identity, so a report can name the probe it measured to).
// - GET /.netready/status (admin token) -> connections, refusals, streams, certificates, modules.
// - SSE and the WebSocket echo: streams.ts.
// - Bounds (admission.ts): maxConnections in all, maxPerAddress per client address; a connection
//   refused gets 503 + Retry-After on its first request; when full, the connection longest without a
//   request in progress makes room. maxStreamMs for SSE/WS; maxRequestBytes for a body (413) and
//   the headers (431); a connection that sends no complete request within requestTimeoutMs gets
//   408; an answer that does not read the body (405/413/415 ...) closes the connection instead of
//   reading on (http-answer.ts).
//
// Media modules (STUN, UDP echo, TURN credentials) plug in through `modules` (ServeModule).

import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { readRequestBody } from './body.js';
import { Admission, rawSocketOf, type AdmissionStats } from './admission.js';
import { adminRefused, answerAndClose, closeAfterAnswer, isAdmin, rawAnswer, sendJson } from './http-answer.js';
import { StreamSet, serveSse, serveWsEcho, STREAM_DEFAULTS } from './streams.js';
import { localHostFor, serveCertificates } from './tls-certs.js';
import { parseCertPem, type CertPair } from '../net/certs.js';
import { VERSION } from '../shared/version.js';

export interface ListenAddr {
  host: string;
  port: number;
}

/** Who this serve is, as a client sees it (GET /.netready/health, /.netready/media). */
export interface ProbeIdentity {
  /** The configured names (config `names`, else the certificate's DNS names, else non-IP listen hosts). */
  names: string[];
  /** The local address the client reached, and its port. */
  address: string | null;
  port: number | null;
  /** The Host header the client sent. */
  host: string | null;
  version: string;
}

/** A pluggable part of serve (STUN responder, UDP echo, TURN credentials ...). */
export interface ServeModule {
  name: string;
  /** Opens the module's own sockets. Lines are printed by the serve command (one per listener). */
  start?(ctx: ServeModuleContext): Promise<{ lines?: string[]; close(): Promise<void> }>;
  /** An HTTP route on the shared HTTPS/HTTP listeners; return true when the request was answered. */
  handle?(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean | Promise<boolean>;
  /** A WebSocket upgrade on the shared listeners (e.g. WebRTC signalling); return true when the module took the socket. */
  upgrade?(req: http.IncomingMessage, socket: net.Socket, head: Buffer, url: URL): boolean;
  /** Figures for the admin view (GET /.netready/status). */
  status?(): Record<string, unknown>;
}

export interface ServeModuleContext {
  log: (line: string) => void;
  /** The probe's identity for a request (names, the address reached, version). */
  identity: (req: http.IncomingMessage) => ProbeIdentity;
  /** The certificate the HTTPS listeners serve by default (for a managed coturn's TLS). */
  certificate: CertPair;
}

export interface ServeOptions {
  /** HTTPS + WSS + SSE listeners (port 0 = random). */
  listen: ListenAddr[];
  /** Plain HTTP listeners (OCSP/CRL hosts on port 80 in the lab). */
  httpListen?: ListenAddr[];
  /** Served for every name; without them a throw-away CA issues a certificate per SNI name. */
  certPem?: string;
  keyPem?: string;
  /** The probe's public names (its identity); default: the certificate's DNS names. */
  names?: string[];
  maxConnections?: number;
  /** Connections from one client address (an IPv6 client: its /64). */
  maxPerAddress?: number;
  maxStreamMs?: number;
  maxRequestBytes?: number;
  /** Headers and body must arrive within this (slowloris bound); default 10 000. */
  requestTimeoutMs?: number;
  /** The token of the admin views (/.netready/status, the posted browser results); none = no admin view. */
  adminToken?: string;
  /** Write the throw-away CA to a temp file (removed on close) and report it as caFile. */
  writeCaFile?: boolean;
  /** The WebSocket echo's memory bounds (streams.ts STREAM_DEFAULTS). */
  wsEcho?: { highWaterBytes?: number; maxBufferedBytes?: number; stalledMs?: number };
  /** New SNI names the throw-away CA certifies per second, and its burst (tls-certs.ts MINT_RATE, MINT_BURST). */
  sniMint?: { ratePerSec: number; burst: number };
  modules?: ServeModule[];
  log?: (line: string) => void;
}

export interface ServeHandle {
  urls: string[];
  httpUrls: string[];
  addresses: ListenAddr[];
  httpAddresses: ListenAddr[];
  /** The throw-away CA (PEM), when one was generated. */
  caPem: string | null;
  caFile?: string;
  /** Banner lines of the modules. */
  moduleLines: string[];
  /** Open TCP connections right now. */
  connections(): number;
  /** Refusals, evictions and resets so far. */
  admission(): AdmissionStats;
  close(): Promise<void>;
}

export const SERVE_DEFAULTS = {
  maxConnections: 4096,
  maxPerAddress: 256,
  maxStreamMs: 10 * 60_000,
  maxRequestBytes: 64 * 1024,
  requestTimeoutMs: 10_000,
  keepAliveMs: 5_000,
  ...STREAM_DEFAULTS,
} as const;

/** Retry-After (s) for a connection refused because its address has its share, or the serve is full. */
const RETRY_AFTER = { address: 10, busy: 5 } as const;

export function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

const unmapped = (a: string | undefined) => (a ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
const HOST_HEADER_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/;

/** The names a probe goes by: given ones, else its certificate's DNS names, else its non-IP listen hosts. */
function probeNames(opts: ServeOptions): string[] {
  if (opts.names?.length) return opts.names;
  if (opts.certPem) {
    try {
      const san = parseCertPem(opts.certPem).subjectAltName ?? '';
      const dns = [...san.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1].toLowerCase());
      if (dns.length) return dns;
    } catch {
      /* checked by the caller */
    }
  }
  return [...new Set([...opts.listen, ...(opts.httpListen ?? [])].map((l) => l.host).filter((h) => !net.isIP(h) && h !== ''))];
}

function validate(opts: ServeOptions): void {
  if (opts.listen.length === 0 && (opts.httpListen ?? []).length === 0 && (opts.modules ?? []).length === 0) throw new Error('serve needs at least one listener');
  if (!!opts.certPem !== !!opts.keyPem) throw new Error('certPem and keyPem go together');
}

export async function startServe(opts: ServeOptions): Promise<ServeHandle> {
  validate(opts);
  const log = opts.log ?? (() => {});
  const maxStreamMs = opts.maxStreamMs ?? SERVE_DEFAULTS.maxStreamMs;
  const maxRequestBytes = opts.maxRequestBytes ?? SERVE_DEFAULTS.maxRequestBytes;
  const requestTimeoutMs = opts.requestTimeoutMs ?? SERVE_DEFAULTS.requestTimeoutMs;
  const modules = opts.modules ?? [];
  const startedAt = performance.now();
  const certs = await serveCertificates({ certPem: opts.certPem, keyPem: opts.keyPem, hosts: opts.listen.map((l) => l.host), writeCaFile: opts.writeCaFile, ...(opts.sniMint ? { mint: opts.sniMint } : {}) });
  const names = probeNames(opts);
  const admission = new Admission({
    maxConnections: opts.maxConnections ?? SERVE_DEFAULTS.maxConnections,
    maxPerAddress: opts.maxPerAddress ?? SERVE_DEFAULTS.maxPerAddress,
  });
  const streams = new StreamSet();
  let closing = false;

  const identity = (req: http.IncomingMessage): ProbeIdentity => {
    const host = String(req.headers.host ?? '');
    return {
      names,
      address: unmapped(req.socket.localAddress) || null,
      port: req.socket.localPort ?? null,
      host: HOST_HEADER_RE.test(host) ? host.toLowerCase() : null,
      version: VERSION,
    };
  };

  // ---- connections: admission, and 408 for one that sends no request in time -------------------
  const onConnection = (socket: net.Socket) => {
    socket.on('error', () => {});
    if (closing) return void socket.destroy();
    admission.admit(socket);
  };
  // Node's header timeout starts with the first byte of a request; a client that connects and
  // says nothing gets its 408 here (+ 1.5 s: one that did start a request gets Node's own 408 first).
  const firstRequestTimers = new WeakMap<net.Socket, NodeJS.Timeout>();
  const armFirstRequest = (socket: net.Socket) => {
    const timer = setTimeout(() => rawAnswer(socket, '408 Request Timeout'), requestTimeoutMs + 1_500);
    timer.unref();
    firstRequestTimers.set(rawSocketOf(socket), timer);
    socket.once('close', () => clearTimeout(timer));
  };
  const sawRequest = (socket: net.Socket) => {
    const raw = rawSocketOf(socket);
    clearTimeout(firstRequestTimers.get(raw));
    firstRequestTimers.delete(raw);
  };

  // ---- requests ---------------------------------------------------------------------------------
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxRequestBytes, perMessageDeflate: false, clientTracking: false });

  const isSse = (req: http.IncomingMessage, url: URL) =>
    req.method === 'GET' && (url.pathname.endsWith('/event') || String(req.headers.accept ?? '').includes('text/event-stream'));

  const refuse = (req: http.IncomingMessage, res: http.ServerResponse, why: 'address' | 'busy') =>
    answerAndClose(
      req,
      res,
      503,
      { ok: false, server: 'netready', error: why === 'address' ? 'too many connections from your address' : 'the serve is at its connection limit' },
      { headers: { 'Retry-After': String(RETRY_AFTER[why]) } },
    );

  const serveBuiltin = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, arrivedAt: number) => {
    if (isSse(req, url)) {
      admission.stream(req.socket);
      return serveSse(res, url, arrivedAt, streams, maxStreamMs);
    }
    if (req.method === 'GET' && url.pathname === '/.netready/health') {
      return sendJson(res, 200, { ok: true, server: 'netready', uptimeMs: Math.round(performance.now() - startedAt), connections: admission.size, probe: identity(req), clientAddress: unmapped(req.socket.remoteAddress) || null });
    }
    if (url.pathname === '/.netready/status') {
      if (!isAdmin(req, url, opts.adminToken)) return adminRefused(res, req.method);
      return sendJson(res, 200, status());
    }
    const body = await readRequestBody(req, maxRequestBytes, false);
    if (!body) return answerAndClose(req, res, 413, { ok: false, server: 'netready', error: 'request too large', maxRequestBytes });
    sendJson(res, 200, { ok: true, server: 'netready', host: req.headers.host ?? null, path: url.pathname, method: req.method }, { method: req.method });
  };

  const onRequest = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const arrivedAt = performance.now();
    sawRequest(req.socket);
    res.on('error', () => {});
    const why = admission.refusal(req.socket);
    if (why) return refuse(req, res, why);
    admission.busy(req.socket);
    res.once('finish', () => admission.idle(req.socket));
    // Whatever answered without reading the whole body: close rather than read on.
    closeAfterAnswer(req, res);
    const url = URL.canParse(req.url ?? '/', 'http://netready.invalid') ? new URL(req.url ?? '/', 'http://netready.invalid') : null;
    if (!url) return answerAndClose(req, res, 400, { ok: false, server: 'netready', error: 'bad request target' });
    try {
      for (const m of modules) if (m.handle && (await m.handle(req, res, url))) return;
      await serveBuiltin(req, res, url, arrivedAt);
    } catch (e) {
      log(`serve: request error: ${(e as Error).message}`);
      if (!res.headersSent) answerAndClose(req, res, 500, { ok: false, server: 'netready', error: 'internal error' });
      else res.destroy();
    }
  };

  const onUpgrade = (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    sawRequest(socket);
    socket.on('error', () => {});
    const why = admission.refusal(socket);
    if (why) return rawAnswer(socket, '503 Service Unavailable', { 'Retry-After': RETRY_AFTER[why] });
    if (closing || String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return rawAnswer(socket, '400 Bad Request');
    admission.stream(socket);
    const url = URL.canParse(req.url ?? '/', 'http://netready.invalid') ? new URL(req.url ?? '/', 'http://netready.invalid') : null;
    if (url && modules.some((m) => m.upgrade?.(req, socket, head, url))) return;
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => serveWsEcho(ws, streams, maxStreamMs, opts.wsEcho));
  };

  const onClientError = (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (!socket.writable || (socket as net.Socket & { _httpMessage?: unknown })._httpMessage) return void socket.destroy();
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    rawAnswer(socket, status);
  };

  const status = () => ({
    ok: true,
    server: 'netready',
    version: VERSION,
    uptimeMs: Math.round(performance.now() - startedAt),
    connections: admission.size,
    streams: streams.size,
    wsEcho: streams.stats,
    admission: admission.stats,
    certificates: certs.stats,
    limits: {
      maxConnections: opts.maxConnections ?? SERVE_DEFAULTS.maxConnections,
      maxPerAddress: opts.maxPerAddress ?? SERVE_DEFAULTS.maxPerAddress,
      maxStreamMs,
      maxRequestBytes,
      requestTimeoutMs,
    },
    modules: Object.fromEntries(modules.filter((m) => m.status).map((m) => [m.name, m.status!()])),
  });

  // ---- listeners --------------------------------------------------------------------------------
  const tune = (server: http.Server, plain: boolean) => {
    server.headersTimeout = requestTimeoutMs;
    server.requestTimeout = requestTimeoutMs;
    server.keepAliveTimeout = SERVE_DEFAULTS.keepAliveMs;
    server.timeout = 0; // idle SSE/WS streams are legitimate; they are bounded by maxStreamMs
    server.on('request', onRequest);
    server.on('upgrade', onUpgrade);
    server.on('clientError', onClientError);
    server.on('connection', (socket: net.Socket) => {
      onConnection(socket);
      if (plain && !socket.destroyed) armFirstRequest(socket);
    });
  };

  const servers: http.Server[] = [];
  const listenOn = (server: http.Server, l: ListenAddr): Promise<ListenAddr> =>
    new Promise((resolve, reject) => {
      const onErr = (e: Error) => reject(new Error(`cannot listen on ${formatHostPort(l.host, l.port)}: ${e.message}`));
      server.once('error', onErr);
      server.listen({ host: l.host, port: l.port, ipv6Only: l.host === '::' ? false : undefined }, () => {
        server.off('error', onErr);
        server.on('error', (e) => log(`serve: ${e.message}`));
        resolve({ host: l.host, port: (server.address() as net.AddressInfo).port });
      });
    });

  const common = { maxHeaderSize: maxRequestBytes, connectionsCheckingInterval: 1_000, noDelay: true } as const;
  const addresses: ListenAddr[] = [];
  const httpAddresses: ListenAddr[] = [];
  const moduleClosers: Array<() => Promise<void>> = [];
  const moduleLines: string[] = [];

  const closeAll = async () => {
    closing = true;
    streams.endAll();
    const closed = servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())));
    for (const s of servers) s.closeAllConnections();
    for (const s of admission.all()) s.destroy();
    const moduleDone = moduleClosers.map((c) => c().catch((e: Error) => log(`serve: closing module: ${e.message}`)));
    await Promise.race([Promise.all([...closed, ...moduleDone]), new Promise((r) => setTimeout(r, 1_500).unref())]);
    wss.close();
    certs.close();
  };

  try {
    for (const l of opts.listen) {
      const server = https.createServer({
        ...common,
        cert: certs.defaultPair.certPem,
        key: certs.defaultPair.keyPem,
        SNICallback: certs.sniCallback,
        ALPNProtocols: ['http/1.1'],
        handshakeTimeout: requestTimeoutMs,
        minVersion: 'TLSv1.2',
      });
      server.on('secureConnection', (socket: tls.TLSSocket) => armFirstRequest(socket));
      server.on('tlsClientError', (_err, tlsSocket) => tlsSocket.destroy());
      tune(server, false);
      servers.push(server);
      addresses.push(await listenOn(server, l));
    }
    for (const l of opts.httpListen ?? []) {
      const server = http.createServer({ ...common });
      tune(server, true);
      servers.push(server);
      httpAddresses.push(await listenOn(server, l));
    }
    for (const m of modules) {
      if (!m.start) continue;
      const started = await m.start({ log, identity, certificate: certs.defaultPair });
      moduleClosers.push(started.close);
      moduleLines.push(...(started.lines ?? []));
    }
  } catch (e) {
    await closeAll();
    throw e;
  }

  const urlOf = (scheme: string, a: ListenAddr) => `${scheme}://${formatHostPort(localHostFor(a.host), a.port)}`;
  let closePromise: Promise<void> | null = null;
  return {
    urls: addresses.map((a) => urlOf('https', a)),
    httpUrls: httpAddresses.map((a) => urlOf('http', a)),
    addresses,
    httpAddresses,
    caPem: certs.caPem,
    ...(certs.caFile ? { caFile: certs.caFile } : {}),
    moduleLines,
    connections: () => admission.size,
    admission: () => ({ ...admission.stats }),
    close() {
      closePromise ??= closeAll();
      return closePromise;
    },
  };
}
