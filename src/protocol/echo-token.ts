// Sans-I/O tokens and packet format for the tokened UDP echo (no reflector, no amplifier).
//
// Token (27 bytes, base64url 36 chars on the wire of the HTTP API):
//   version(1)=1 | flags(1) (bit0: bound to a client address) | expiresAt ms since epoch (6) |
//   nonce(3) | mac(16) = HMAC-SHA256(secret, first 11 bytes [+ client address]) truncated.
//
// Echo packet (request and reply have the same size; the echo never answers more than it got):
//   magic(4) "NRE1" request / "NRR1" reply | token(27) | seq u32 | sentAt f64 (client ms) | padding.
// A reply's magic differs from a request's, so two echoes can never be made to ping-pong.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_BYTES = 27;
const MAC_BYTES = 16;
const BODY_BYTES = TOKEN_BYTES - MAC_BYTES;
export const REQUEST_MAGIC = Buffer.from('NRE1', 'ascii');
export const REPLY_MAGIC = Buffer.from('NRR1', 'ascii');
export const ECHO_HEADER_BYTES = 4 + TOKEN_BYTES + 4 + 8;
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
  seq: number;
  sentAt: number;
  /** Total size of the packet in bytes. */
  size: number;
}

/** Build a request packet of `size` bytes (>= ECHO_HEADER_BYTES, <= ECHO_MAX_BYTES). */
export function encodeEchoRequest(token: string | Buffer, seq: number, sentAt: number, size = 64): Buffer {
  const raw = typeof token === 'string' ? decodeToken(token) : token;
  if (!raw || raw.length !== TOKEN_BYTES) throw new RangeError('not an echo token');
  const n = Math.max(ECHO_HEADER_BYTES, Math.min(ECHO_MAX_BYTES, Math.floor(size)));
  const b = Buffer.alloc(n);
  REQUEST_MAGIC.copy(b, 0);
  raw.copy(b, 4);
  b.writeUInt32BE(seq >>> 0, 4 + TOKEN_BYTES);
  b.writeDoubleBE(sentAt, 8 + TOKEN_BYTES);
  return b;
}

/** The reply to a request: the same bytes with the reply magic (same length, never longer). */
export function echoReplyFor(request: Buffer): Buffer {
  const b = Buffer.from(request);
  REPLY_MAGIC.copy(b, 0);
  return b;
}

/** Parse an echo packet; null for anything that is not one (garbage never throws). */
export function parseEchoPacket(buf: Uint8Array): EchoPacket | null {
  if (!buf || buf.length < ECHO_HEADER_BYTES || buf.length > ECHO_MAX_BYTES) return null;
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = b.subarray(0, 4);
  const reply = magic.equals(REPLY_MAGIC);
  if (!reply && !magic.equals(REQUEST_MAGIC)) return null;
  const token = Buffer.from(b.subarray(4, 4 + TOKEN_BYTES));
  if (token[0] !== 1) return null;
  const seq = b.readUInt32BE(4 + TOKEN_BYTES);
  const sentAt = b.readDoubleBE(8 + TOKEN_BYTES);
  if (!Number.isFinite(sentAt)) return null;
  return { reply, token, seq, sentAt, size: b.length };
}
