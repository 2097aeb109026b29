// Sans-I/O tokens and packet format for the tokened UDP echo (no reflector, no amplifier).
//
// Token (27 bytes, base64url 36 chars on the wire of the HTTP API):
//   version(1)=1 | flags(1) (bit0: bound to a client address) | expiresAt ms since epoch (6) |
//   nonce(3) | mac(16) = HMAC-SHA256(secret, first 11 bytes [+ client address]) truncated.
//
// Echo packet (request and reply have the same size; the echo never answers more than it got):
//   magic(4) "NRE1" request / "NRR1" reply | token(27) | seq u32 | sentAt f64 (client ms) | padding.
//   magic(4) "NRE2" request / "NRR2" reply | token(27) | cookie(16) | seq u32 | sentAt f64 | padding.
// A reply's magic differs from a request's, so two echoes can never be made to ping-pong.
//
// Return routability (the echo answers only an address that proved it receives packets there, so
// a spoofed source gets nothing back that is larger than what the spoofer sent):
// - a token bound to an address (issued over HTTPS to that address: the TCP handshake proved it)
//   is answered from that address at once;
// - any other valid token is first answered with a cookie challenge, smaller than the request:
//   magic(4) "NRC1" | seq u32 (the request's) | cookie(16) = 24 bytes. The cookie is a MAC of the
//   source address and port and a 60 s window; requests that carry it ("NRE2") are echoed. This is
//   DTLS HelloVerifyRequest / QUIC Retry for the echo: a client whose HTTPS goes through a proxy
//   (another source address than its UDP) still gets its echo after one extra round trip.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_BYTES = 27;
const MAC_BYTES = 16;
const BODY_BYTES = TOKEN_BYTES - MAC_BYTES;
export const REQUEST_MAGIC = Buffer.from('NRE1', 'ascii');
export const REPLY_MAGIC = Buffer.from('NRR1', 'ascii');
export const COOKIE_REQUEST_MAGIC = Buffer.from('NRE2', 'ascii');
export const COOKIE_REPLY_MAGIC = Buffer.from('NRR2', 'ascii');
export const CHALLENGE_MAGIC = Buffer.from('NRC1', 'ascii');
export const COOKIE_BYTES = 16;
export const ECHO_HEADER_BYTES = 4 + TOKEN_BYTES + 4 + 8;
/** Header of a request that carries a cookie. */
export const COOKIE_ECHO_HEADER_BYTES = ECHO_HEADER_BYTES + COOKIE_BYTES;
/** A cookie challenge: magic, the request's seq, the cookie. */
export const CHALLENGE_BYTES = 4 + 4 + COOKIE_BYTES;
/** A cookie is valid in its 60 s window and the next. */
export const COOKIE_WINDOW_MS = 60_000;
/** Largest echo packet accepted (fits an unfragmented datagram on any path). */
export const ECHO_MAX_BYTES = 1200;
/** Longest token lifetime the server issues. */
export const MAX_TTL_MS = 10 * 60_000;

export type TokenError = 'TOKEN_MALFORMED' | 'TOKEN_BAD_MAC' | 'TOKEN_EXPIRED' | 'TOKEN_WRONG_CLIENT' | 'TOKEN_TOO_FAR';

export interface IssueOptions {
  clientAddr?: string;
  ttlMs: number;
  now: number;
}

function mac(secret: string | Buffer, body: Buffer, clientAddr?: string): Buffer {
  const h = createHmac('sha256', secret).update(body);
  if (clientAddr !== undefined) h.update(`|${clientAddr.toLowerCase()}`);
  return h.digest().subarray(0, MAC_BYTES);
}

export function issueRaw(secret: string | Buffer, opts: IssueOptions): Buffer {
  const ttl = Math.max(1, Math.min(MAX_TTL_MS, Math.floor(opts.ttlMs)));
  const body = Buffer.alloc(BODY_BYTES);
  body[0] = 1;
  body[1] = opts.clientAddr !== undefined ? 1 : 0;
  body.writeUIntBE(Math.floor(opts.now + ttl), 2, 6);
  randomBytes(3).copy(body, 8);
  return Buffer.concat([body, mac(secret, body, opts.clientAddr)]);
}

/** A short token (base64url, 36 chars) valid for ttlMs (capped at 10 minutes). */
export function issue(secret: string | Buffer, opts: IssueOptions): string {
  return issueRaw(secret, opts).toString('base64url');
}

export function decodeToken(token: string): Buffer | null {
  if (typeof token !== 'string' || token.length !== 36 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
  const b = Buffer.from(token, 'base64url');
  return b.length === TOKEN_BYTES ? b : null;
}

export type VerifyResult = { ok: true; expiresAt: number } | { ok: false; error: TokenError };

/** Verify raw token bytes. `clientAddr` must be given when the token was bound to one. */
export function verifyRaw(secret: string | Buffer, raw: Uint8Array, now: number, clientAddr?: string): VerifyResult {
  if (raw.length !== TOKEN_BYTES || raw[0] !== 1 || (raw[1] & ~1) !== 0) return { ok: false, error: 'TOKEN_MALFORMED' };
  const b = Buffer.from(raw);
  const body = b.subarray(0, BODY_BYTES);
  const bound = (raw[1] & 1) === 1;
  if (bound && clientAddr === undefined) return { ok: false, error: 'TOKEN_WRONG_CLIENT' };
  const want = mac(secret, body, bound ? clientAddr : undefined);
  if (!timingSafeEqual(want, b.subarray(BODY_BYTES))) return { ok: false, error: bound ? 'TOKEN_WRONG_CLIENT' : 'TOKEN_BAD_MAC' };
  const expiresAt = body.readUIntBE(2, 6);
  if (now >= expiresAt) return { ok: false, error: 'TOKEN_EXPIRED' };
  if (expiresAt - now > MAX_TTL_MS) return { ok: false, error: 'TOKEN_TOO_FAR' };
  return { ok: true, expiresAt };
}

export function verify(secret: string | Buffer, token: string, now: number, clientAddr?: string): VerifyResult {
  const raw = decodeToken(token);
  if (!raw) return { ok: false, error: 'TOKEN_MALFORMED' };
  return verifyRaw(secret, raw, now, clientAddr);
}

// ---------------------------------------------------------------------------------------------

export interface EchoPacket {
  reply: boolean;
  token: Buffer;
  /** The return-routability cookie the request carries ("NRE2"/"NRR2"), else null. */
  cookie: Buffer | null;
  seq: number;
  sentAt: number;
  /** Total size of the packet in bytes. */
  size: number;
}

/**
 * Build a request packet of `size` bytes (>= its header, <= ECHO_MAX_BYTES); with a cookie from
 * the echo's challenge it is an "NRE2" request.
 */
export function encodeEchoRequest(token: string | Buffer, seq: number, sentAt: number, size = 64, cookie?: Buffer | null): Buffer {
  const raw = typeof token === 'string' ? decodeToken(token) : token;
  if (!raw || raw.length !== TOKEN_BYTES) throw new RangeError('not an echo token');
  if (cookie && cookie.length !== COOKIE_BYTES) throw new RangeError('not an echo cookie');
  const header = cookie ? COOKIE_ECHO_HEADER_BYTES : ECHO_HEADER_BYTES;
  const n = Math.max(header, Math.min(ECHO_MAX_BYTES, Math.floor(size)));
  const b = Buffer.alloc(n);
  (cookie ? COOKIE_REQUEST_MAGIC : REQUEST_MAGIC).copy(b, 0);
  raw.copy(b, 4);
  let at = 4 + TOKEN_BYTES;
  if (cookie) {
    cookie.copy(b, at);
    at += COOKIE_BYTES;
  }
  b.writeUInt32BE(seq >>> 0, at);
  b.writeDoubleBE(sentAt, at + 4);
  return b;
}

/** The reply to a request: the same bytes with the reply magic (same length, never longer). */
export function echoReplyFor(request: Buffer): Buffer {
  const b = Buffer.from(request);
  (b.subarray(0, 4).equals(COOKIE_REQUEST_MAGIC) ? COOKIE_REPLY_MAGIC : REPLY_MAGIC).copy(b, 0);
  return b;
}

/** Parse an echo packet; null for anything that is not one (garbage never throws). */
export function parseEchoPacket(buf: Uint8Array): EchoPacket | null {
  if (!buf || buf.length < ECHO_HEADER_BYTES || buf.length > ECHO_MAX_BYTES) return null;
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = b.subarray(0, 4);
  const withCookie = magic.equals(COOKIE_REQUEST_MAGIC) || magic.equals(COOKIE_REPLY_MAGIC);
  const reply = magic.equals(REPLY_MAGIC) || magic.equals(COOKIE_REPLY_MAGIC);
  if (!reply && !withCookie && !magic.equals(REQUEST_MAGIC)) return null;
  if (withCookie && b.length < COOKIE_ECHO_HEADER_BYTES) return null;
  const token = Buffer.from(b.subarray(4, 4 + TOKEN_BYTES));
  if (token[0] !== 1) return null;
  let at = 4 + TOKEN_BYTES;
  const cookie = withCookie ? Buffer.from(b.subarray(at, at + COOKIE_BYTES)) : null;
  if (withCookie) at += COOKIE_BYTES;
  const seq = b.readUInt32BE(at);
  const sentAt = b.readDoubleBE(at + 4);
  if (!Number.isFinite(sentAt)) return null;
  return { reply, token, cookie, seq, sentAt, size: b.length };
}

// ---- return routability ----------------------------------------------------------------------

function cookieFor(secret: string | Buffer, window: number, address: string, port: number): Buffer {
  return createHmac('sha256', secret).update(`cookie|${window}|${address.toLowerCase()}|${port}`).digest().subarray(0, COOKIE_BYTES);
}

/** The echo's cookie for a source address and port now. */
export function issueCookie(secret: string | Buffer, address: string, port: number, now: number): Buffer {
  return cookieFor(secret, Math.floor(now / COOKIE_WINDOW_MS), address, port);
}

/** True when `cookie` was issued to this source in this window or the one before. */
export function verifyCookie(secret: string | Buffer, cookie: Buffer, address: string, port: number, now: number): boolean {
  if (cookie.length !== COOKIE_BYTES) return false;
  const w = Math.floor(now / COOKIE_WINDOW_MS);
  return timingSafeEqual(cookie, cookieFor(secret, w, address, port)) || timingSafeEqual(cookie, cookieFor(secret, w - 1, address, port));
}

/** The challenge that answers a request from an unproven source (CHALLENGE_BYTES, smaller than any request). */
export function encodeChallenge(seq: number, cookie: Buffer): Buffer {
  const b = Buffer.alloc(CHALLENGE_BYTES);
  CHALLENGE_MAGIC.copy(b, 0);
  b.writeUInt32BE(seq >>> 0, 4);
  cookie.copy(b, 8);
  return b;
}

export function parseChallenge(buf: Uint8Array): { seq: number; cookie: Buffer } | null {
  if (!buf || buf.length !== CHALLENGE_BYTES) return null;
  const b = Buffer.from(buf);
  if (!b.subarray(0, 4).equals(CHALLENGE_MAGIC)) return null;
  return { seq: b.readUInt32BE(4), cookie: b.subarray(8) };
}

/** What came back from the echo, for a client. */
export type EchoIncoming = { kind: 'reply'; packet: EchoPacket } | { kind: 'challenge'; seq: number } | null;

/**
 * The client side of one token against one echo source address: builds requests (with the cookie
 * once the echo handed one out) and sorts what comes back into replies and challenges.
 */
export class EchoClient {
  /** The cookie of the last challenge (requests carry it from then on). */
  cookie: Buffer | null = null;
  /** Challenges seen. */
  challenges = 0;
  private readonly token: Buffer;

  constructor(token: string | Buffer) {
    const raw = typeof token === 'string' ? decodeToken(token) : token;
    if (!raw || raw.length !== TOKEN_BYTES) throw new RangeError('not an echo token');
    this.token = raw;
  }

  request(seq: number, sentAt: number, size = 64): Buffer {
    return encodeEchoRequest(this.token, seq, sentAt, size, this.cookie);
  }

  receive(buf: Uint8Array): EchoIncoming {
    const c = parseChallenge(buf);
    if (c) {
      this.cookie = Buffer.from(c.cookie);
      this.challenges++;
      return { kind: 'challenge', seq: c.seq };
    }
    const p = parseEchoPacket(buf);
    return p && p.reply ? { kind: 'reply', packet: p } : null;
  }
}
