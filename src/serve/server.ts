// `netready serve`: the self-hosted far end. HTTPS + WSS + SSE on every --listen address (plain
// HTTP on --http addresses), with a throw-away CA issuing a certificate per SNI name when no
// --cert/--key is given. The wire protocol below is what the checks rely on; keep it stable.
//
// - Every HTTP request: 200 JSON {"ok":true,"server":"netready","host":<Host>,"path":<path>,"method":<m>},
//   header X-Netready-Serve: 1. GET /.netready/health -> {"ok":true,"uptimeMs":n,"connections":n}.
// - SSE: GET whose path ends in /event, or with Accept: text/event-stream. Query interval (ms,
//   default 250, min 20, max 60000), count (default 8, 1..200), idle=1 (one event, then silence
//   until the client closes or maxStreamMs). Events: `id: <seq>\nevent: tick\ndata:
//   {"seq":n,"offsetMs":x,"sentAt":epochMs}\n\n`, seq from 1, offsetMs since the request arrived
//   (monotonic clock, 1 decimal). No X-Accel-Buffering header: buffering middleboxes must show.
// - WebSocket on any path: 101, every message echoed unchanged, no pings of our own.
// - Bounds: maxConnections (beyond: socket destroyed), maxStreamMs for SSE/WS, maxRequestBytes
//   for headers and body (413), header/request/handshake timeouts against slowloris.
//
// Media modules (STUN, UDP echo, TURN credentials) plug in through `modules` (ServeModule).

import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { readRequestBody } from './body.js';
import { createCA, issueCert, type CertPair } from '../net/certs.js';

export interface ListenAddr {
  host: string;
  port: number;
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
}

export interface ServeModuleContext {
  log: (line: string) => void;
}

export interface ServeOptions {
  /** HTTPS + WSS + SSE listeners (port 0 = random). */
  listen: ListenAddr[];
  /** Plain HTTP listeners (OCSP/CRL hosts on port 80 in the lab). */
  httpListen?: ListenAddr[];
  /** Served for every name; without them a throw-away CA issues a certificate per SNI name. */
  certPem?: string;
  keyPem?: string;
  maxConnections?: number;
  maxStreamMs?: number;
  maxRequestBytes?: number;
  /** Headers and body must arrive within this (slowloris bound); default 10 000. */
  requestTimeoutMs?: number;
  /** Write the throw-away CA to a temp file (removed on close) and report it as caFile. */
  writeCaFile?: boolean;
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
  close(): Promise<void>;
}

export const SERVE_DEFAULTS = {
  maxConnections: 512,
  maxStreamMs: 10 * 60_000,
  maxRequestBytes: 64 * 1024,
  requestTimeoutMs: 10_000,
  sseIntervalMs: 250,
  sseMinIntervalMs: 20,
  sseMaxIntervalMs: 60_000,
  sseCount: 8,
  sseMaxCount: 200,
} as const;

const SNI_CACHE_MAX = 512;
const HOST_NAME_RE = /^[a-z0-9_*]([a-z0-9_.*-]{0,251}[a-z0-9_.])?$/;

export function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function localHostFor(host: string): string {
  // A wildcard listener is reached on loopback.
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function intParam(v: string | null, def: number, min: number, max: number): number {
  if (v === null || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n)) return def;
  return Math.min(max, Math.max(min, Math.round(n)));
}

export async function startServe(opts: ServeOptions): Promise<ServeHandle> {
  const log = opts.log ?? (() => {});
  const maxConnections = opts.maxConnections ?? SERVE_DEFAULTS.maxConnections;
  const maxStreamMs = opts.maxStreamMs ?? SERVE_DEFAULTS.maxStreamMs;
  const maxRequestBytes = opts.maxRequestBytes ?? SERVE_DEFAULTS.maxRequestBytes;
  const requestTimeoutMs = opts.requestTimeoutMs ?? SERVE_DEFAULTS.requestTimeoutMs;
  const modules = opts.modules ?? [];
  const startedAt = performance.now();
  if (opts.listen.length === 0 && (opts.httpListen ?? []).length === 0 && modules.length === 0) {
    throw new Error('serve needs at least one listener');
  }
  if (!!opts.certPem !== !!opts.keyPem) throw new Error('certPem and keyPem go together');

  // ---- certificates --------------------------------------------------------------------------
  let ca: CertPair | null = null;
  let defaultPair: CertPair;
  const sniCache = new Map<string, Promise<tls.SecureContext>>();
  if (opts.certPem && opts.keyPem) {
    defaultPair = { certPem: opts.certPem, keyPem: opts.keyPem };
  } else if (opts.listen.length > 0) {
    ca = await createCA('netready throw-away CA', { organization: 'netready serve' });
    const names = new Set(['localhost']);
    const ips = new Set(['127.0.0.1', '::1']);
    for (const l of opts.listen) {
      const h = localHostFor(l.host);
      if (net.isIP(h)) ips.add(h);
      else names.add(h.toLowerCase());
    }
    defaultPair = await issueCert(ca, { names: [...names], ips: [...ips] });
  } else {
    defaultPair = { certPem: '', keyPem: '' };
  }
  const contextFor = (servername: string): Promise<tls.SecureContext> => {
    const name = servername.toLowerCase().replace(/\.$/, '');
    let p = sniCache.get(name);
    if (!p) {
      if (sniCache.size >= SNI_CACHE_MAX) sniCache.delete(sniCache.keys().next().value as string);
      p = issueCert(ca!, { names: [name] }).then((pair) => tls.createSecureContext({ cert: pair.certPem, key: pair.keyPem }));
      p.catch(() => sniCache.delete(name));
      sniCache.set(name, p);
    }
    return p;
  };
  const sniCallback = ca
    ? (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => {
        const name = servername.toLowerCase().replace(/\.$/, '');
        if (!HOST_NAME_RE.test(name) || net.isIP(name)) return cb(null, undefined); // default cert
        contextFor(name).then(
          (ctx) => cb(null, ctx),
          (e: Error) => cb(e),
        );
      }
    : undefined;

  let caFile: string | undefined;
  let caDir: string | undefined;
  if (ca && opts.writeCaFile) {
    caDir = mkdtempSync(path.join(os.tmpdir(), 'netready-serve-'));
    caFile = path.join(caDir, 'netready-ca.pem');
    writeFileSync(caFile, ca.certPem, { mode: 0o644 });
  }

  // ---- connection tracking and bounds --------------------------------------------------------
  const rawSockets = new Set<net.Socket>();
  const allSockets = new Set<net.Socket>(); // raw + TLS sockets, destroyed on close
  const streamCleanups = new Set<() => void>();
  let closing = false;

  const onConnection = (socket: net.Socket) => {
    if (closing || rawSockets.size >= maxConnections) {
      socket.destroy();
      return;
    }
    rawSockets.add(socket);
    allSockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => {
      rawSockets.delete(socket);
      allSockets.delete(socket);
    });
  };
  const onSecureConnection = (socket: tls.TLSSocket) => {
    allSockets.add(socket);
    socket.once('close', () => allSockets.delete(socket));
    armFirstRequest(socket);
  };
  // Node's header timeout starts with the first byte of a request; a client that connects and
  // says nothing is cut here instead.
  const firstRequestTimers = new WeakMap<net.Socket, NodeJS.Timeout>();
  const armFirstRequest = (socket: net.Socket) => {
    // + 1.5 s: a client that did start a request gets Node's own 408 first (checked every second).
    const timer = setTimeout(() => socket.destroy(), requestTimeoutMs + 1_500);
    timer.unref();
    firstRequestTimers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  };
  const sawRequest = (socket: net.Socket) => {
    const timer = firstRequestTimers.get(socket);
    if (timer) {
      clearTimeout(timer);
      firstRequestTimers.delete(socket);
    }
  };

  // ---- HTTP handling -------------------------------------------------------------------------
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxRequestBytes, perMessageDeflate: false, clientTracking: true });

  const sendJson = (res: http.ServerResponse, status: number, body: unknown, method?: string) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
      'X-Netready-Serve': '1',
    });
    res.end(method === 'HEAD' ? undefined : text);
  };

  const tooLarge = (res: http.ServerResponse) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.shouldKeepAlive = false;
    res.setHeader('Connection', 'close');
    sendJson(res, 413, { ok: false, server: 'netready', error: 'request too large', maxRequestBytes });
  };

  /** Reads and discards the body (bounded); resolves false when it was too large. */
  const drainBody = (req: http.IncomingMessage): Promise<boolean> => readRequestBody(req, maxRequestBytes, false).then((b) => b !== null);

  const isSse = (req: http.IncomingMessage, url: URL) =>
    req.method === 'GET' && (url.pathname.endsWith('/event') || String(req.headers.accept ?? '').includes('text/event-stream'));

  const serveSse = (req: http.IncomingMessage, res: http.ServerResponse, url: URL, arrivedAt: number) => {
    const interval = intParam(url.searchParams.get('interval'), SERVE_DEFAULTS.sseIntervalMs, SERVE_DEFAULTS.sseMinIntervalMs, SERVE_DEFAULTS.sseMaxIntervalMs);
    const count = intParam(url.searchParams.get('count'), SERVE_DEFAULTS.sseCount, 1, SERVE_DEFAULTS.sseMaxCount);
    const idle = url.searchParams.get('idle') === '1';
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Netready-Serve': '1',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    let seq = 0;
    let timer: NodeJS.Timeout | undefined;
    const capTimer = setTimeout(() => stop(true), maxStreamMs);
    const stop = (end: boolean) => {
      clearTimeout(timer);
      clearTimeout(capTimer);
      streamCleanups.delete(cleanup);
      if (end && !res.writableEnded) res.end();
    };
    const cleanup = () => {
      stop(false);
      res.destroy();
    };
    streamCleanups.add(cleanup);
    res.once('close', () => stop(false));
    const send = () => {
      if (res.writableEnded || res.destroyed) return stop(false);
      seq += 1;
      const data = JSON.stringify({ seq, offsetMs: round1(performance.now() - arrivedAt), sentAt: Date.now() });
      res.write(`id: ${seq}\nevent: tick\ndata: ${data}\n\n`);
      if (idle) return; // one event, then silence until the client goes or maxStreamMs
      if (seq >= count) return stop(true);
      // Schedule against the request's arrival so events do not drift.
      const due = arrivedAt + seq * interval;
      timer = setTimeout(send, Math.max(0, due - performance.now()));
    };
    send();
  };

  const onRequest = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const arrivedAt = performance.now();
    sawRequest(req.socket);
    res.on('error', () => {});
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://netready.invalid');
    } catch {
      return sendJson(res, 400, { ok: false, server: 'netready', error: 'bad request target' });
    }
    try {
      for (const m of modules) {
        if (m.handle && (await m.handle(req, res, url))) return;
      }
      if (isSse(req, url)) {
        // A GET with a body is unusual; drain what there is without waiting for it.
        req.resume();
        return serveSse(req, res, url, arrivedAt);
      }
      const ok = await drainBody(req);
      if (!ok) return tooLarge(res);
      if (req.method === 'GET' && url.pathname === '/.netready/health') {
        return sendJson(res, 200, { ok: true, uptimeMs: Math.round(performance.now() - startedAt), connections: rawSockets.size });
      }
      sendJson(res, 200, { ok: true, server: 'netready', host: req.headers.host ?? null, path: url.pathname, method: req.method }, req.method);
    } catch (e) {
      log(`serve: request error: ${(e as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { ok: false, server: 'netready', error: 'internal error' });
      else res.destroy();
    }
  };

  const onUpgrade = (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    sawRequest(socket);
    socket.on('error', () => {});
    if (closing || String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upUrl = URL.canParse(req.url ?? '/', 'http://netready.invalid') ? new URL(req.url ?? '/', 'http://netready.invalid') : null;
    if (upUrl && modules.some((m) => m.upgrade?.(req, socket, head, upUrl))) return;
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const capTimer = setTimeout(() => ws.close(1001, 'netready serve: stream time limit'), maxStreamMs);
      const cleanup = () => {
        clearTimeout(capTimer);
        ws.terminate();
      };
      streamCleanups.add(cleanup);
      ws.on('message', (data, isBinary) => {
        ws.send(data, { binary: isBinary });
      });
      ws.on('error', () => {});
      ws.once('close', () => {
        clearTimeout(capTimer);
        streamCleanups.delete(cleanup);
      });
    });
  };

  const onClientError = (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (!socket.writable || (socket as net.Socket & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? '413 Payload Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\nX-Netready-Serve: 1\r\n\r\n`);
    socket.destroySoon?.();
  };

  const tune = (server: http.Server, plain: boolean) => {
    server.headersTimeout = requestTimeoutMs;
    server.requestTimeout = requestTimeoutMs;
    server.keepAliveTimeout = 5_000;
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
        const a = server.address() as net.AddressInfo;
        resolve({ host: l.host, port: a.port });
      });
    });

  const common = { maxHeaderSize: maxRequestBytes, connectionsCheckingInterval: 1_000, noDelay: true } as const;
  const addresses: ListenAddr[] = [];
  const httpAddresses: ListenAddr[] = [];
  const moduleClosers: Array<() => Promise<void>> = [];
  const moduleLines: string[] = [];

  const closeAll = async () => {
    closing = true;
    for (const c of [...streamCleanups]) c();
    for (const c of wss.clients) c.terminate();
    const closed = servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (!s.listening) return resolve();
          s.close(() => resolve());
        }),
    );
    for (const s of servers) s.closeAllConnections();
    for (const s of [...allSockets]) s.destroy();
    const moduleDone = moduleClosers.map((c) => c().catch((e: Error) => log(`serve: closing module: ${e.message}`)));
    await Promise.race([Promise.all([...closed, ...moduleDone]), new Promise((r) => setTimeout(r, 1_500).unref())]);
    wss.close();
    if (caDir) rmSync(caDir, { recursive: true, force: true });
  };

  try {
    for (const l of opts.listen) {
      const server = https.createServer({
        ...common,
        cert: defaultPair.certPem,
        key: defaultPair.keyPem,
        SNICallback: sniCallback,
        ALPNProtocols: ['http/1.1'],
        handshakeTimeout: requestTimeoutMs,
        minVersion: 'TLSv1.2',
      });
      server.on('secureConnection', onSecureConnection);
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
      const started = await m.start({ log });
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
    caPem: ca?.certPem ?? null,
    ...(caFile ? { caFile } : {}),
    moduleLines,
    connections: () => rawSockets.size,
    close() {
      closePromise ??= closeAll();
      return closePromise;
    },
  };
}
