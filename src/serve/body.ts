// A request body read under a size bound, for the serve's handlers.
import type http from 'node:http';

/**
 * Reads a request body up to `max` bytes: the bytes (empty when `keep` is false: read and
 * discarded), or null when it is larger (declared or sent; the rest is not read) or the request
 * failed.
 */
export function readRequestBody(req: http.IncomingMessage, max: number, keep = true): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (Number.isFinite(declared) && declared > max) return resolve(null);
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (v: Buffer | null) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(v);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > max) {
        req.pause();
        finish(null);
      } else if (keep) chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish(Buffer.concat(chunks)));
    req.once('error', () => finish(null));
    req.once('close', () => finish(total <= max ? Buffer.concat(chunks) : null));
  });
}
