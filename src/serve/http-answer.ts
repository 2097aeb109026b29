// How `netready serve` answers: JSON with the serve's headers, and answers that end the connection
// without reading the rest of the request (a 405/413/415 must not make the serve swallow a body of
// any size: Node would otherwise read and discard it to keep the connection alive).

import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { createHash, timingSafeEqual } from 'node:crypto';

export const SERVE_HEADERS = { 'Cache-Control': 'no-store', 'X-Netready-Serve': '1' } as const;

/**
 * After an answer that closes: read at most LINGER_BYTES more of the request (then stop reading:
 * the client's writes back up in its own buffers), and end the connection after LINGER_MS — long
 * enough for a client still sending to read the answer before the close.
 */
export const LINGER_BYTES = 256 * 1024;
export const LINGER_MS = 1_000;

export function sendJson(res: http.ServerResponse, status: number, body: unknown, o: { method?: string; headers?: Record<string, string> } = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...SERVE_HEADERS,
    ...o.headers,
  });
  res.end(o.method === 'HEAD' ? undefined : text);
}

/**
 * Answer and close the connection without reading the request body: the client may still be
 * sending, so the serve lingers (reads and drops at most LINGER_BYTES for LINGER_MS, so the client
 * sees the answer instead of a reset), then destroys the socket.
 */
export function answerAndClose(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: unknown, o: { method?: string; headers?: Record<string, string> } = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.shouldKeepAlive = false;
  // Node ends a "Connection: close" answer with destroySoon(): a close with unread bytes in the
  // kernel is a reset, and a client still sending may lose the answer. Half-close instead (FIN
  // after the answer); closeAfterAnswer's timer ends the connection (a lingering close).
  const socket = req.socket as typeof req.socket & { destroySoon?: () => void };
  if (!req.complete) socket.destroySoon = () => socket.end();
  sendJson(res, status, body, { ...o, headers: { Connection: 'close', ...o.headers } });
  closeAfterAnswer(req, res);
}

/** Once the answer is out, a request whose body was not read ends the connection (bounded linger). */
const lingering = new WeakSet<http.ServerResponse>();

export function closeAfterAnswer(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (lingering.has(res)) return;
  lingering.add(res);
  const socket = req.socket;
  const linger = () => {
    if (req.complete || socket.destroyed) return;
    let read = 0;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    req.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > LINGER_BYTES) req.pause(); // reads no further; the timer ends it
    });
    req.resume();
  };
  if (res.writableFinished) linger();
  else res.once('finish', linger);
}

/** A status line + headers straight onto a socket (upgrades, refused and timed-out connections). */
export function rawAnswer(socket: Duplex, status: string, headers: Record<string, string | number> = {}, body = ''): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const lines = [`HTTP/1.1 ${status}`, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`, 'X-Netready-Serve: 1'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * The admin token of an admin view: `Authorization: Bearer <token>` or `?token=<token>`,
 * compared in constant time. No token configured = no admin view.
 */
export function isAdmin(req: http.IncomingMessage, url: URL, token: string | undefined): boolean {
  if (!token) return false;
  return tokenEquals(bearerOf(req) ?? url.searchParams.get('token') ?? '', token);
}

/** The token of an `Authorization: Bearer TOKEN` header, or null. */
export function bearerOf(req: http.IncomingMessage): string | null {
  return /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1] ?? null;
}

/** A given token against the configured one, in constant time (no token configured: never equal). */
export function tokenEquals(given: string | null | undefined, token: string | undefined): boolean {
  if (!token || given === null || given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** 401 for an admin view without the right token. */
export function adminRefused(res: http.ServerResponse, method?: string): void {
  sendJson(res, 401, { ok: false, error: 'admin view: give the admin token (Authorization: Bearer TOKEN), printed by `netready serve` at start or set in its config' }, { method, headers: { 'WWW-Authenticate': 'Bearer realm="netready serve"' } });
}
