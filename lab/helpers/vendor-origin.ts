// The lab's real-like vendor origin: runs in the vendor namespace and answers on every vendor
// host's address like the vendors' real servers do (lab/origin.ts has the route table and why).
// HTTPS on :443 (the lab certificate; ALPN h2 and http/1.1, as real CDNs offer), plain HTTP on :80.
// WebSocket upgrades on the profiles' WebSocket paths complete (ws package: RFC 6455 framing, a
// ping is answered with a pong); data frames are ignored; the socket is closed by the server
// (Close 1008) after wsCloseAfterS. Usage: vendor-origin.ts --config FILE (JSON OriginConfig).
// Runs until SIGTERM/SIGINT, then closes every socket within 2 s.

import http from 'node:http';
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { commonHeaders, httpsAnswer, plainAnswer, refusalAnswer, serverHeader, type Answer, type OriginConfig, type OriginHost } from '../origin.js';

const argv = process.argv.slice(2);
if (argv[0] !== '--config' || !argv[1]) {
  console.error('vendor-origin: usage: vendor-origin.ts --config FILE');
  process.exit(2);
}
let cfg: OriginConfig;
try {
  cfg = JSON.parse(readFileSync(argv[1], 'utf8')) as OriginConfig;
} catch (e) {
  console.error(`vendor-origin: ${argv[1]}: ${(e as Error).message}`);
  process.exit(2);
}

const byName = new Map(cfg.hosts.map((h) => [h.name, h]));
const byAddr = new Map(cfg.hosts.map((h) => [h.addr, h]));
const sockets = new Set<Duplex>();
const track = (s: Duplex) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
};

/** The host a request is for: its Host (or :authority) name, else the address it arrived on. */
function hostOf(hostHeader: string | undefined, localAddress: string | undefined): OriginHost | null {
  const name = (hostHeader ?? '').replace(/:\d+$/, '').toLowerCase();
  return byName.get(name) ?? byAddr.get((localAddress ?? '').replace(/^::ffff:/, '')) ?? null;
}

const MISDIRECTED: Answer = { status: 421, headers: { 'content-type': 'text/plain' }, body: 'Misdirected Request\n' };

function log(addr: string | undefined, host: string, method: string, path: string, status: number | string): void {
  console.log(`${new Date().toISOString()} ${addr ?? '-'} ${host} ${method} ${path.slice(0, 200)} ${status}`);
}

/** Write an answer on a raw socket (an upgrade request that gets an ordinary HTTP answer). */
function writeRaw(sock: Duplex, a: Answer, extra: Record<string, string>): void {
  const body = typeof a.body === 'string' ? Buffer.from(a.body) : a.body;
  const head = { ...extra, ...a.headers, 'content-length': String(body.length), connection: 'close' };
  const lines = [`HTTP/1.1 ${a.status} ${http.STATUS_CODES[a.status] ?? ''}`, ...Object.entries(head).map(([k, v]) => `${k}: ${v}`)];
  sock.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), body]));
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
// the 101 carries the origin's Server header too
wss.on('headers', (headers: string[], req: http.IncomingMessage) => {
  const h = hostOf(req.headers.host, req.socket.localAddress);
  if (h) headers.push(`Server: ${serverHeader(h.name)}`);
});

function onUpgrade(req: http.IncomingMessage, sock: Duplex, head: Buffer, tls: boolean): void {
  track(sock);
  sock.on('error', () => {});
  const local = (sock as Socket).localAddress;
  const h = hostOf(req.headers.host, local);
  const path = req.url ?? '/';
  if (!h) return void (log(local, req.headers.host ?? '-', 'UPGRADE', path, 421), writeRaw(sock, MISDIRECTED, {}));
  const common = commonHeaders(h, tls);
  const pathname = path.split('?')[0];
  if (tls && h.refuseUpgrade) {
    log(local, h.name, 'UPGRADE', path, h.refuseUpgrade);
    return writeRaw(sock, refusalAnswer(h.refuseUpgrade), common);
  }
  if (!tls || !h.wsPaths.includes(pathname) || !/^websocket$/i.test(req.headers.upgrade ?? '')) {
    const a = tls ? httpsAnswer(h, req.method ?? 'GET', path, cfg.pathStatus) : plainAnswer(h, req.method ?? 'GET', path);
    log(local, h.name, 'UPGRADE', path, a.status);
    return writeRaw(sock, a, common);
  }
  wss.handleUpgrade(req, sock, head, (ws) => {
    log(local, h.name, 'UPGRADE', path, 101);
    // no 'message' listener: data frames are read and ignored (never echoed); the ws package
    // answers every ping with a pong (RFC 6455 5.5.2). An unauthenticated socket is closed by the
    // server after a while, as real servers do.
    ws.on('error', () => {});
    const t = setTimeout(() => ws.close(1008, 'unauthenticated'), cfg.wsCloseAfterS * 1000);
    ws.on('close', () => clearTimeout(t));
  });
}

function respond(res: http.ServerResponse | http2.Http2ServerResponse, a: Answer, extra: Record<string, string>): void {
  const body = typeof a.body === 'string' ? Buffer.from(a.body) : a.body;
  (res as http.ServerResponse).writeHead(a.status, { ...extra, ...a.headers, 'content-length': String(body.length) });
  res.end(body);
}

const tlsOpts = { key: readFileSync(cfg.key), cert: readFileSync(cfg.cert), allowHTTP1: true, ALPNProtocols: ['h2', 'http/1.1'] };
const servers: (http.Server | http2.Http2SecureServer)[] = [];
const listens: Promise<void>[] = [];
for (const h of cfg.hosts) {
  const s = http2.createSecureServer(tlsOpts, (req, res) => {
    const local = req.socket.localAddress;
    const hh = hostOf(req.headers[':authority'] as string | undefined ?? req.headers.host, local);
    const a = hh ? httpsAnswer(hh, req.method, req.url, cfg.pathStatus) : MISDIRECTED;
    log(local, hh?.name ?? '-', req.method, req.url, a.status);
    respond(res, a, hh ? commonHeaders(hh, true) : {});
  });
  s.on('upgrade', (req: http.IncomingMessage, sock: Duplex, head: Buffer) => onUpgrade(req, sock, head, true));
  s.on('secureConnection', track);
  s.on('tlsClientError', () => {});
  s.maxConnections = 4096;
  const p = http.createServer((req, res) => {
    const hh = hostOf(req.headers.host, req.socket.localAddress);
    const a = hh ? plainAnswer(hh, req.method ?? 'GET', req.url ?? '/') : MISDIRECTED;
    log(req.socket.localAddress, hh?.name ?? '-', req.method ?? 'GET', req.url ?? '/', a.status);
    respond(res, a, hh ? commonHeaders(hh, false) : {});
  });
  p.on('upgrade', (req: http.IncomingMessage, sock: Duplex, head: Buffer) => onUpgrade(req, sock, head, false));
  p.on('connection', track);
  p.maxConnections = 4096;
  for (const [srv, port, kind] of [[s, cfg.httpsPort ?? 443, 'https'], [p, cfg.httpPort ?? 80, 'http']] as const) {
    servers.push(srv);
    listens.push(
      new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, h.addr, () => {
          const a = srv.address();
          console.log(`vendor-origin: ${h.name} ${kind} ${h.addr}:${a && typeof a === 'object' ? a.port : port}`);
          resolve();
        });
      }),
    );
  }
}
Promise.all(listens).then(
  () => console.log(`vendor-origin: ready, ${cfg.hosts.length} hosts`),
  (e: Error) => {
    console.error(`vendor-origin: ${e.message}`);
    process.exit(1);
  },
);

function shutdown(): void {
  for (const s of servers) s.close();
  for (const ws of wss.clients) ws.terminate();
  for (const s of sockets) s.destroy();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
