// Small clients for the fixture self-tests: curl (async, so an in-process upstream keeps running)
// and an SSE reader that records when each event arrives.

import { execFile } from 'node:child_process';
import https from 'node:https';
import zlib from 'node:zlib';
import { performance } from 'node:perf_hooks';

export interface CurlResult {
  code: number;
  stdout: string;
  stderr: string;
  /** HTTP status of the final response (%{http_code}). */
  status: number;
}

/** Run curl with args; `-w` adds the status on the last stdout line. Never throws on non-zero exit. */
export function curl(args: string[], timeoutMs = 15_000): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '-w', '\n%{http_code}', ...args], { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const lines = stdout.split('\n');
      const status = Number(lines.pop() ?? 0);
      resolve({ code: err ? ((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) ?? 1 : 0, stdout: lines.join('\n'), stderr, status });
    });
  });
}

export interface SseArrival {
  seq: number;
  offsetMs: number;
  /** ms since the request was sent. */
  arrivalMs: number;
}

export interface SseResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: SseArrival[];
  /** ms since the request when the stream ended (closed by the far side) or null if we stopped it. */
  endedMs: number | null;
}

/** GET an SSE URL over TLS (connecting to `connect` when given), for at most `maxMs`. */
export function readSse(
  url: string,
  opts: { ca?: string | string[]; connect?: { host: string; port: number }; gzip?: boolean; maxMs?: number } = {},
): Promise<SseResult> {
  const u = new URL(url);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const events: SseArrival[] = [];
    const req = https.request(
      {
        host: opts.connect?.host ?? u.hostname,
        port: opts.connect?.port ?? Number(u.port || 443),
        servername: u.hostname,
        path: u.pathname + u.search,
        headers: { host: u.host, accept: 'text/event-stream', ...(opts.gzip ? { 'accept-encoding': 'gzip' } : {}) },
        ca: opts.ca,
        agent: false,
      },
      (res) => {
        let body: NodeJS.ReadableStream = res;
        if (res.headers['content-encoding'] === 'gzip') {
          const z = zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH });
          res.pipe(z);
          body = z;
        }
        let buf = '';
        body.on('data', (d: Buffer) => {
          buf += d.toString();
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block.split('\n').find((l) => l.startsWith('data:'));
            if (data) {
              const j = JSON.parse(data.slice(5));
              events.push({ seq: j.seq, offsetMs: j.offsetMs, arrivalMs: performance.now() - t0 });
            }
          }
        });
        const finish = (ended: boolean) => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, events, endedMs: ended ? performance.now() - t0 : null });
        };
        body.on('end', () => finish(true));
        // With gzip the decoder may still hold the tail when the socket closes: let it drain first.
        res.on('close', () => setTimeout(() => finish(!stopped), body === res ? 0 : 100));
        res.on('error', () => finish(true));
      },
    );
    let stopped = false;
    const timer = setTimeout(() => {
      stopped = true;
      req.destroy();
    }, opts.maxMs ?? 10_000);
    req.on('error', (e) => {
      clearTimeout(timer);
      if (stopped) resolve({ status: 0, headers: {}, events, endedMs: null });
      else reject(e);
    });
    req.end();
  });
}
