// The throughput far end of `netready serve` (a ServeModule), WebSocket over the shared HTTPS
// listeners, in the manner of ndt7:
//
//   /.netready/down?ms=N  after the client's text message "go", the server sends binary messages
//                         of 64 KiB as fast as the connection takes them for N ms (clamped to
//                         100..maxSessionMs), then a text message {"bytes":n,"ms":t} and closes.
//                         Pings before "go" are answered (WebSocket pong) for an idle-link RTT.
//   /.netready/up?ms=N    the server counts the bytes that arrive on the connection at the TCP
//                         payload layer (TLS records, as iperf3 counts) and sends a text report
//                         {"bytes":n,"ms":t} every 50 ms, t from the arrival of the first byte; after N ms (clamped)
//                         it closes. Messages are discarded unread.
//
// Bounds: at most maxSessions connections at once (beyond: 503 before the upgrade), each closed
// after its time (+ 2 s grace) whatever the client does, at most maxSessionBytes sent per download;
// uploads larger than 1 MiB per message are refused by the WebSocket layer.

import type http from 'node:http';
import type net from 'node:net';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServeModule } from './server.js';

export interface BandwidthOptions {
  maxSessions?: number;
  maxSessionMs?: number;
  maxSessionBytes?: number;
  chunkBytes?: number;
  reportEveryMs?: number;
}

export const BANDWIDTH_DEFAULTS = {
  maxSessions: 16,
  maxSessionMs: 10_000,
  maxSessionBytes: 2 * 1024 ** 3,
  chunkBytes: 64 * 1024,
  reportEveryMs: 50,
} as const;

export const DOWN_PATH = '/.netready/down';
export const UP_PATH = '/.netready/up';

export interface BandwidthModule extends ServeModule {
  /** Sessions open right now (tests). */
  sessions(): number;
}

export function bandwidthServeModule(opts: BandwidthOptions = {}): BandwidthModule {
  const o = { ...BANDWIDTH_DEFAULTS, ...opts };
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false, clientTracking: false });
  const live = new Set<() => void>();
  const chunk = randomBytes(o.chunkBytes);
  let closing = false;

  const clampMs = (v: string | null) => {
    const n = Number(v);
    return Math.round(Math.min(o.maxSessionMs, Math.max(100, Number.isFinite(n) && v !== null && v !== '' ? n : 2_000)));
  };

  const track = (ws: WebSocket, ms: number) => {
    const hard = setTimeout(() => ws.terminate(), ms + 2_000);
    const cleanup = () => ws.terminate();
    live.add(cleanup);
    ws.once('close', () => {
      clearTimeout(hard);
      live.delete(cleanup);
    });
    ws.on('error', () => {});
  };

  const runDown = (ws: WebSocket, ms: number) => {
    track(ws, ms + 30_000); // the wait for "go" is bounded below
    let started = false;
    const goTimer = setTimeout(() => ws.close(1008, 'no go'), 10_000);
    ws.on('message', (data, isBinary) => {
      if (started || isBinary || String(data) !== 'go') return;
      started = true;
      clearTimeout(goTimer);
      const t0 = performance.now();
      let bytes = 0;
      let inflight = 0;
      let ended = false;
      const finish = () => {
        if (ended) return;
        ended = true;
        if (ws.readyState === ws.OPEN) {
          ws.send(JSON.stringify({ bytes, ms: Math.round(performance.now() - t0) }));
          ws.close(1000, 'done');
        }
      };
      const endTimer = setTimeout(finish, ms);
      ws.once('close', () => {
        ended = true;
        clearTimeout(endTimer);
      });
      const pump = () => {
        // Keep a few messages queued so the connection never idles; the socket's write
        // callback paces us at the speed of the path.
        for (let guard = 0; guard < 16 && !ended && inflight < 4 && ws.readyState === ws.OPEN; guard++) {
          if (bytes >= o.maxSessionBytes || performance.now() - t0 >= ms) return finish();
          inflight++;
          bytes += chunk.length;
          ws.send(chunk, { binary: true }, () => {
            inflight--;
            if (!ended) setImmediate(pump);
          });
        }
      };
      pump();
    });
    ws.once('close', () => clearTimeout(goTimer));
  };

  const runUp = (ws: WebSocket, sock: net.Socket, ms: number) => {
    track(ws, ms);
    // Bytes as they arrive on the connection (decrypted TLS payload: WebSocket frames included;
    // the client sends 4 KiB frames, so the count moves in small steps).
    // t0 is the arrival of the first byte (not the first report tick: that would put up to one
    // report interval of bytes at ms 0 and overstate the rate by ~4 % over a 1 s measurement).
    let bytes = 0;
    let t0: number | null = null;
    const onData = (b: Buffer) => {
      if (t0 === null) t0 = performance.now();
      bytes += b.length;
    };
    sock.on('data', onData);
    const report = setInterval(() => {
      if (ws.readyState !== ws.OPEN) return;
      if (t0 === null) return;
      ws.send(JSON.stringify({ bytes, ms: Math.round((performance.now() - t0) * 10) / 10 }));
      if (performance.now() - t0 >= ms) ws.close(1000, 'done');
    }, o.reportEveryMs);
    ws.on('message', () => {
      /* discarded: only the byte count matters */
    });
    ws.once('close', () => {
      clearInterval(report);
      sock.off('data', onData);
    });
  };

  return {
    name: 'bandwidth',
    async start() {
      return {
        lines: [`bandwidth wss ${DOWN_PATH} ${UP_PATH}  (≤ ${o.maxSessionMs / 1000} s, ≤ ${o.maxSessions} at once)`],
        async close() {
          closing = true;
          for (const c of [...live]) c();
          wss.close();
        },
      };
    },
    upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer, url: URL): boolean {
      const path = url.pathname;
      if (path !== DOWN_PATH && path !== UP_PATH) return false;
      if (closing || live.size >= o.maxSessions) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\nX-Netready-Serve: 1\r\n\r\n');
        return true;
      }
      const ms = clampMs(url.searchParams.get('ms'));
      wss.handleUpgrade(req, socket, head, (ws) => {
        socket.setNoDelay(true);
        if (path === DOWN_PATH) runDown(ws, ms);
        else runUp(ws, socket, ms);
      });
      return true;
    },
    sessions: () => live.size,
  };
}
