// A small HTTP/1.1 client over an already dialed socket: write a request, read the status line and
// headers (size-limited, first-byte timeout), then read a capped body (content-length, chunked or
// until close). Hand-written so a proxy's own answer (CONNECT refusal, block page) stays
// distinguishable from the server's.

import type { Duplex } from 'node:stream';
import { NetError } from '../shared/errors.js';
import { watchSocket } from './watch.js';

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
  let buf: Buffer = Buffer.alloc(0);
  let first = true;
  return watchSocket<ResponseHead>(sock, {
    signal: o.signal,
    timeoutMs: o.timeoutMs,
    data(chunk, end) {
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
      end({ ...parsed, rest: buf.subarray(i + 4) });
    },
    closed: () => o.closedError(),
    error: (e) => (e.code === 'ECONNRESET' ? new NetError('CONN_RESET', 'the connection was reset before the response headers', 'failed') : o.closedError()),
    timeout: () => o.timeoutError(),
    settled(v) {
      if (v instanceof Error) sock.destroy();
    },
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
  const parts: Buffer[] = [];
  let size = 0;
  let raw = 0;
  const dec = chunked ? new ChunkedDecoder() : null;
  const result = (why: BodyResult['end']): BodyResult => ({ body: Buffer.concat(parts), end: why });
  /** Keep a decoded piece; the reason to stop, if this piece is the last one wanted. */
  const accept = (piece: Buffer): BodyResult['end'] | null => {
    if (piece.length === 0) return null;
    const room = o.maxBytes - size;
    const p = piece.length > room ? piece.subarray(0, room) : piece;
    parts.push(p);
    size += p.length;
    if (o.onData?.(p)) return 'stopped';
    return size >= o.maxBytes ? 'cap' : null;
  };
  if (!o.signal.aborted && (length === 0 || head.status === 204 || head.status === 304)) return Promise.resolve(result('complete'));
  return watchSocket<BodyResult>(sock, {
    signal: o.signal,
    timeoutMs: o.timeoutMs,
    pending: head.rest,
    data(chunk, end) {
      if (dec) {
        for (const p of dec.push(chunk)) {
          const stop = accept(p);
          if (stop) return end(result(stop));
        }
        if (dec.error) return end(result('error'));
        if (dec.done) return end(result('complete'));
        return;
      }
      raw += chunk.length;
      const over = length !== null && raw > length ? raw - length : 0;
      const stop = accept(over ? chunk.subarray(0, chunk.length - over) : chunk);
      if (stop) return end(result(stop));
      if (length !== null && raw >= length) end(result('complete'));
    },
    closed: () => result(length === null && !dec ? 'complete' : 'closed'),
    error: () => result('error'),
    timeout: () => result('timeout'),
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
