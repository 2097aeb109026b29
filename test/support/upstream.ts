// A tiny upstream for the fixture self-tests (independent of `netready serve`, so a fixture test
// proves the fixture, not serve): HTTPS or HTTP, every path → 200 JSON, `/…/event` → an SSE stream
// (query count, interval; events carry offsetMs), WebSocket echo on any path.

import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import { createCA, issueCert, type CertPair } from '../../src/net/certs.js';

export interface Upstream {
  host: string;
  port: number;
  /** The CA that signed the upstream's certificate (TLS only). */
  ca: CertPair | null;
  /** Request paths seen, in order. */
  seen: string[];
  close(): Promise<void>;
}

export interface UpstreamOptions {
  host?: string;
  port?: number;
  tls?: boolean;
  /** DNS names for the certificate (default: localhost). */
  names?: string[];
}

export async function startUpstream(opts: UpstreamOptions = {}): Promise<Upstream> {
  const host = opts.host ?? '127.0.0.1';
  let ca: CertPair | null = null;
  let server: http.Server;
  const seen: string[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(url.pathname);
    if (url.pathname.endsWith('/event')) {
      const count = Math.min(200, Number(url.searchParams.get('count') ?? 5));
      const interval = Math.max(10, Number(url.searchParams.get('interval') ?? 300));
      const t0 = performance.now();
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      let seq = 0;
      const send = () => {
        seq++;
        res.write(`id: ${seq}\nevent: tick\ndata: ${JSON.stringify({ seq, offsetMs: Math.round((performance.now() - t0) * 10) / 10 })}\n\n`);
        if (seq >= count) {
          clearInterval(timer);
          if (url.searchParams.get('hold') !== '1') res.end();
        }
      };
      const timer = setInterval(send, interval);
      send();
      res.on('close', () => clearInterval(timer));
      return;
    }
    const body = JSON.stringify({ ok: true, path: url.pathname, host: req.headers.host, upgrade: req.headers.upgrade ?? null });
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': '1' });
    res.end(body);
  };
  if (opts.tls !== false) {
    ca = await createCA('Upstream Test CA', { organization: 'netready tests' });
    const leaf = await issueCert(ca, { names: opts.names ?? ['localhost'], ips: ['127.0.0.1'] });
    server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, handler);
  } else {
    server = http.createServer(handler);
  }
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (m, binary) => ws.send(m, { binary })));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    ca,
    seen,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
