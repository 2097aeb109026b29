// A small HTTP/1.1 client over an already dialed socket: write a request, read the status line and
// headers (size-limited, first-byte timeout), then read a capped body (content-length, chunked or
// until close). Hand-written so a proxy's own answer (CONNECT refusal, block page) stays
// distinguishable from the server's.

import type { Duplex } from 'node:stream';
import { NetError } from '../cli/errors.js';
import { abortError } from './dial.js';

export interface ResponseHead {
  httpVersion: string;
  status: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Bytes read past the head (start of the body / tunnel). */
  rest: Buffer;
}

export const MAX_HEAD_BYTES = 32 * 1024;

/** Parse a response head (without the final CRLFCRLF). Returns null when it is not HTTP. */
export function parseHead(text: string): Omit<ResponseHead, 'rest'> | null {
  const lines = text.split('\r\n');
  const m = /^HTTP\/(\d\.\d)\s+(\d{3})(?:\s+(.*))?$/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] !== undefined ? `${headers[k]}, ${v}` : v;
  }
  return { httpVersion: m[1], status: Number(m[2]), statusText: m[3] ?? '', headers };
}

export interface ReadHeadOptions {
  timeoutMs: number;
  signal: AbortSignal;
  maxBytes?: number;
  timeoutError: () => NetError;
  /** The peer closed before a complete head. */
  closedError: () => NetError;
  /** Called with the time the first byte arrived. */
  onFirstByte?: () => void;
}

/** Read one response head. Leaves the socket paused; the body starts with `rest`. */
export function readHead(sock: Duplex, o: ReadHeadOptions): Promise<ResponseHead> {
  const max = o.maxBytes ?? MAX_HEAD_BYTES;
  return new Promise<ResponseHead>((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    let done = false;
    let first = true;
    const end = (err: NetError | null, head?: ResponseHead) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.pause();
      sock.off('data', onData);
      sock.off('end', onClose);
      sock.off('close', onClose);
      sock.off('error', onError);
      o.signal.removeEventListener('abort', onAbort);
      if (err) {
        sock.destroy();
        reject(err);
      } else resolve(head!);
    };
    const onData = (chunk: Buffer) => {
      if (first) {
        first = false;
        o.onFirstByte?.();
      }
      buf = Buffer.concat([buf, chunk]);
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) {
        if (buf.length > max) end(new NetError('HTTP_PROTOCOL', `response headers larger than ${max} bytes`, 'failed'));
        return;
      }
      const parsed = parseHead(buf.subarray(0, i).toString('latin1'));
      if (!parsed) return end(new NetError('HTTP_PROTOCOL', `not an HTTP response: ${JSON.stringify(buf.subarray(0, 40).toString('latin1'))}`, 'failed'));
      // Interim 1xx answers other than 101 are skipped.
      if (parsed.status >= 100 && parsed.status < 200 && parsed.status !== 101) {
        buf = buf.subarray(i + 4);
        return;
      }
      end(null, { ...parsed, rest: buf.subarray(i + 4) });
    };
    const onClose = () => end(o.closedError());
    const onError = (e: NodeJS.ErrnoException) =>
      end(e.code === 'ECONNRESET' ? new NetError('CONN_RESET', 'the connection was reset before the response headers', 'failed') : o.closedError());
    const onAbort = () => end(abortError(o.signal));
    const timer = setTimeout(() => end(o.timeoutError()), Math.max(1, o.timeoutMs));
    if (o.signal.aborted) return onAbort();
    o.signal.addEventListener('abort', onAbort, { once: true });
    sock.on('data', onData);
    sock.once('end', onClose);
    sock.once('close', onClose);
    sock.on('error', onError);
    sock.resume();
  });
}

/** Incremental chunked transfer-coding decoder (sans-I/O). */
export class ChunkedDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private left = -1; // bytes of chunk data still to read; -1 = expecting a size line
  private needCrlf = false;
  done = false;
  error: string | null = null;

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (let guard = 0; guard < 100_000 && !this.done && !this.error; guard++) {
      if (this.needCrlf) {
        if (this.buf.length < 2) break;
        if (this.buf[0] !== 13 || this.buf[1] !== 10) {
          this.error = 'missing CRLF after a chunk';
          break;
        }
        this.buf = this.buf.subarray(2);
        this.needCrlf = false;
        continue;
      }
      if (this.left < 0) {
        const i = this.buf.indexOf('\r\n');
        if (i < 0) {
          if (this.buf.length > 1024) this.error = 'chunk size line too long';
          break;
        }
        const size = parseInt(this.buf.subarray(0, i).toString('latin1').split(';')[0].trim(), 16);
        if (!Number.isFinite(size) || size < 0) {
          this.error = 'bad chunk size';
          break;
        }
        this.buf = this.buf.subarray(i + 2);
        if (size === 0) {
          this.done = true; // trailers are ignored
          break;
        }
        this.left = size;
        continue;
      }
      if (this.buf.length === 0) break;
      const take = Math.min(this.left, this.buf.length);
      out.push(this.buf.subarray(0, take));
      this.buf = this.buf.subarray(take);
      this.left -= take;
      if (this.left === 0) {
        this.left = -1;
        this.needCrlf = true;
      }
    }
    return out;
  }
}

export interface RequestSpec {
  method?: string;
  /** Origin-form path, or an absolute URI for plain HTTP through a proxy. */
  target: string;
  host: string;
  headers?: Record<string, string>;
}

export function writeRequest(sock: Duplex, r: RequestSpec): void {
  const lines = [`${r.method ?? 'GET'} ${r.target} HTTP/1.1`, `Host: ${r.host}`, 'User-Agent: netready/0.1'];
  const h = { Accept: '*/*', Connection: 'close', ...(r.headers ?? {}) };
  for (const [k, v] of Object.entries(h)) lines.push(`${k}: ${v}`);
  sock.write(lines.join('\r\n') + '\r\n\r\n');
}

export interface BodyStreamOptions {
  signal: AbortSignal;
  /** Overall time for the body. */
  timeoutMs: number;
  maxBytes: number;
  /** Each decoded piece with the time it arrived. Return true to stop reading. */
  onData?: (piece: Buffer) => boolean | void;
}

export interface BodyResult {
  body: Buffer;
  /** Why reading stopped. */
  end: 'complete' | 'closed' | 'timeout' | 'cap' | 'stopped' | 'error';
}

/** Read a response body after readHead (the socket is paused). Never throws except on abort. */
export function readBody(sock: Duplex, head: ResponseHead, o: BodyStreamOptions): Promise<BodyResult> {
  const chunked = /chunked/i.test(head.headers['transfer-encoding'] ?? '');
  const lenHeader = head.headers['content-length'];
  const length = !chunked && lenHeader !== undefined && /^\d+$/.test(lenHeader) ? Number(lenHeader) : null;
  return new Promise<BodyResult>((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let raw = 0;
    let done = false;
    const dec = chunked ? new ChunkedDecoder() : null;
    const end = (why: BodyResult['end'] | Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('close', onEnd);
      sock.off('error', onErr);
      o.signal.removeEventListener('abort', onAbort);
      sock.pause();
      if (why instanceof Error) reject(why);
      else resolve({ body: Buffer.concat(parts), end: why });
    };
    const accept = (piece: Buffer): boolean => {
      if (piece.length === 0) return false;
      const room = o.maxBytes - size;
      const p = piece.length > room ? piece.subarray(0, room) : piece;
      parts.push(p);
      size += p.length;
      if (o.onData?.(p)) {
        end('stopped');
        return true;
      }
      if (size >= o.maxBytes) {
        end('cap');
        return true;
      }
      return false;
    };
    const onData = (chunk: Buffer) => {
      if (dec) {
        for (const p of dec.push(chunk)) if (accept(p)) return;
        if (dec.error) return end('error');
        if (dec.done) return end('complete');
        return;
      }
      raw += chunk.length;
      const over = length !== null && raw > length ? raw - length : 0;
      if (accept(over ? chunk.subarray(0, chunk.length - over) : chunk)) return;
      if (length !== null && raw >= length) end('complete');
    };
    const onEnd = () => end(length === null && !dec ? 'complete' : 'closed');
    const onErr = () => end('error');
    const onAbort = () => end(abortError(o.signal));
    const timer = setTimeout(() => end('timeout'), Math.max(1, o.timeoutMs));
    if (o.signal.aborted) return onAbort();
    o.signal.addEventListener('abort', onAbort, { once: true });
    if (length === 0 || head.status === 204 || head.status === 304) return end('complete');
    sock.on('data', onData);
    sock.once('end', onEnd);
    sock.once('close', onEnd);
    sock.on('error', onErr);
    if (head.rest.length) onData(head.rest);
    if (!done) sock.resume();
  });
}

const MIDDLEBOX_SERVER = /squid|bluecoat|proxysg|zscaler|fortigate|fortiweb|websense|forcepoint|mcafee web gateway|skyhigh|netskope|palo ?alto|sophos|cisco|ironport|mitmproxy|tinyproxy|privoxy|barracuda|checkpoint|untangle|kerio/i;

/**
 * Whether a response is a middlebox's refusal rather than the server's answer. Returns the marker
 * that gave it away (for details.marker), or null. netready serve always sets X-Netready-Serve.
 */
export function proxyRefusalMarker(status: number, headers: Record<string, string>, body = ''): string | null {
  if (headers['x-netready-serve']) return null;
  if (headers['x-squid-error']) return `X-Squid-Error: ${headers['x-squid-error']}`;
  if (status < 400) return null;
  if (headers['server'] && MIDDLEBOX_SERVER.test(headers['server'])) return `Server: ${headers['server']}`;
  if (status === 403 || status === 407 || status === 502 || status === 503 || status === 511) {
    if (headers['via']) return `Via: ${headers['via']}`;
    const m = MIDDLEBOX_SERVER.exec(body.slice(0, 4096));
    if (m) return `block page mentions "${m[0]}"`;
  }
  return null;
}
