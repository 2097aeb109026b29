// Many long-lived requests (idle SSE streams) held open at once, their answers counted by status —
// `503 Retry-After` when the refusal says when to come back — and errors by code (ECONNRESET ...).
// Shared by the abuse tests and the serve bench.
import type http from 'node:http';

export interface HeldStreams {
  codes: Map<string, number>;
  reqs: http.ClientRequest[];
}

/** Opens `n` requests with `open` (at most `concurrency` waiting for their head at once). */
export async function holdStreams(n: number, open: (onResponse: (res: http.IncomingMessage) => void) => http.ClientRequest, concurrency = 1): Promise<HeldStreams> {
  const codes = new Map<string, number>();
  const count = (k: string) => codes.set(k, (codes.get(k) ?? 0) + 1);
  const reqs: http.ClientRequest[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        next++;
        await new Promise<void>((resolve) => {
          const req = open((res) => {
            count(`${res.statusCode}${res.headers['retry-after'] ? ' Retry-After' : ''}`);
            res.on('data', () => {});
            res.on('error', () => {});
            resolve();
          });
          req.on('error', (e: NodeJS.ErrnoException) => {
            count(e.code ?? 'error');
            resolve();
          });
          reqs.push(req);
        });
      }
    }),
  );
  return { codes, reqs };
}
