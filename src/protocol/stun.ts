// Sans-I/O STUN/TURN codec (RFC 8489 STUN, RFC 8656 TURN, RFC 5389 compatible). No sockets here:
// bytes in, typed messages out, and back. Every malformed input ends in a StunParseError with a
// stable code — never another kind of exception, never an unbounded loop (each attribute step
// advances at least 4 bytes through a buffer of at most 64 KiB + 20).

import { createHash, createHmac, timingSafeEqual, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

export const MAGIC_COOKIE = 0x2112a442;
export const HEADER_LENGTH = 20;
/** Largest message the 16-bit length field can describe. */
export const MAX_MESSAGE_LENGTH = HEADER_LENGTH + 0xfffc;
const FINGERPRINT_XOR = 0x5354554e;

export const Method = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
} as const;

export type StunClass = 'request' | 'indication' | 'success' | 'error';
const CLASS_BITS: Record<StunClass, number> = { request: 0, indication: 1, success: 2, error: 3 };
const CLASS_NAMES: StunClass[] = ['request', 'indication', 'success', 'error'];

export const Attr = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedTransport: 0x0019,
  XorMappedAddress: 0x0020,
  Software: 0x8022,
  Fingerprint: 0x8028,
} as const;

export type StunParseErrorCode =
  | 'TOO_SHORT'
  | 'NOT_STUN'
  | 'BAD_COOKIE'
  | 'BAD_LENGTH'
  | 'LENGTH_MISMATCH'
  | 'ATTR_TRUNCATED'
  | 'ATTR_OVERFLOW'
  | 'BAD_ATTRIBUTE'
  | 'BAD_FINGERPRINT'
  | 'ATTR_AFTER_FINGERPRINT'
  | 'MISSING_ATTRIBUTE'
  | 'BAD_CHANNEL'
  | 'FRAME_TOO_LARGE'
  | 'BAD_FRAME';

export class StunParseError extends Error {
  constructor(
    readonly code: StunParseErrorCode,
    message: string,
  ) {
    super(`STUN ${code}: ${message}`);
    this.name = 'StunParseError';
  }
}

export interface StunAttribute {
  type: number;
  value: Buffer;
}

export interface StunMessage {
  method: number;
  cls: StunClass;
  /** 12 bytes. */
  transactionId: Buffer;
  attributes: StunAttribute[];
  /** The raw bytes this message was decoded from (for integrity checks); absent on built messages. */
  raw?: Buffer;
  /** Offset of MESSAGE-INTEGRITY in raw, when present. */
  integrityOffset?: number;
}

export interface TransportAddress {
  family: 4 | 6;
  address: string;
  port: number;
}

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE), for FINGERPRINT. Own table: zlib.crc32 is not in every Node 20.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Message type <-> method/class.

export function encodeType(method: number, cls: StunClass): number {
  const c = CLASS_BITS[cls];
  return ((method & 0xf80) << 2) | ((method & 0x70) << 1) | (method & 0xf) | ((c & 2) << 7) | ((c & 1) << 4);
}

export function decodeType(type: number): { method: number; cls: StunClass } {
  const method = ((type & 0x3e00) >> 2) | ((type & 0xe0) >> 1) | (type & 0xf);
  const c = ((type & 0x100) >> 7) | ((type & 0x10) >> 4);
  return { method, cls: CLASS_NAMES[c] };
}

export function newTransactionId(): Buffer {
  return randomBytes(12);
}

/** Quick test without a full decode: first two bits 0 and the magic cookie in place. */
export function looksLikeStun(buf: Uint8Array): boolean {
  return (
    buf.length >= HEADER_LENGTH &&
    (buf[0] & 0xc0) === 0 &&
    buf[4] === 0x21 &&
    buf[5] === 0x12 &&
    buf[6] === 0xa4 &&
    buf[7] === 0x42
  );
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/** Decode one whole STUN message (a UDP datagram or a frame cut by StreamFramer). */
export function decodeMessage(input: Uint8Array): StunMessage {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length < HEADER_LENGTH) throw new StunParseError('TOO_SHORT', `${buf.length} bytes, a header needs 20`);
  if ((buf[0] & 0xc0) !== 0) throw new StunParseError('NOT_STUN', 'the first two bits are not zero');
  if (buf.readUInt32BE(4) !== MAGIC_COOKIE) throw new StunParseError('BAD_COOKIE', 'no magic cookie');
  const length = buf.readUInt16BE(2);
  if (length % 4 !== 0) throw new StunParseError('BAD_LENGTH', `length ${length} is not a multiple of 4`);
  if (HEADER_LENGTH + length !== buf.length)
    throw new StunParseError('LENGTH_MISMATCH', `length field says ${length}, ${buf.length - HEADER_LENGTH} bytes follow`);
  const { method, cls } = decodeType(buf.readUInt16BE(0));
  const transactionId = Buffer.from(buf.subarray(8, 20));
  const attributes: StunAttribute[] = [];
  let off = HEADER_LENGTH;
  let integrityOffset: number | undefined;
  let sawFingerprint = false;
  const end = buf.length;
  // Each step advances off by >= 4, so at most 16 383 iterations.
  while (off < end) {
    if (sawFingerprint) throw new StunParseError('ATTR_AFTER_FINGERPRINT', 'an attribute follows FINGERPRINT');
    if (off + 4 > end) throw new StunParseError('ATTR_TRUNCATED', `attribute header at ${off} runs past the end`);
    const type = buf.readUInt16BE(off);
    const alen = buf.readUInt16BE(off + 2);
    const padded = (alen + 3) & ~3;
    if (off + 4 + padded > end)
      throw new StunParseError('ATTR_OVERFLOW', `attribute 0x${type.toString(16)} length ${alen} runs past the end`);
    const value = Buffer.from(buf.subarray(off + 4, off + 4 + alen));
    if (type === Attr.Fingerprint) {
      if (alen !== 4) throw new StunParseError('BAD_ATTRIBUTE', 'FINGERPRINT must be 4 bytes');
      const want = (crc32(buf.subarray(0, off)) ^ FINGERPRINT_XOR) >>> 0;
      if (value.readUInt32BE(0) !== want) throw new StunParseError('BAD_FINGERPRINT', 'FINGERPRINT does not match');
      sawFingerprint = true;
    } else if (integrityOffset !== undefined) {
      // RFC 8489 14.5: attributes after MESSAGE-INTEGRITY (other than FINGERPRINT) are ignored.
      off += 4 + padded;
      continue;
    } else if (type === Attr.MessageIntegrity) {
      if (alen !== 20) throw new StunParseError('BAD_ATTRIBUTE', 'MESSAGE-INTEGRITY must be 20 bytes');
      integrityOffset = off;
    }
    attributes.push({ type, value });
    off += 4 + padded;
  }
  return { method, cls, transactionId, attributes, raw: Buffer.from(buf), integrityOffset };
}

export function getAttr(msg: StunMessage, type: number): Buffer | undefined {
  return msg.attributes.find((a) => a.type === type)?.value;
}

function need(msg: StunMessage, type: number, name: string): Buffer {
  const v = getAttr(msg, type);
  if (!v) throw new StunParseError('MISSING_ATTRIBUTE', `no ${name}`);
  return v;
}

function parseAddressValue(v: Buffer, xor: Buffer | null, name: string): TransportAddress {
  if (v.length < 4) throw new StunParseError('BAD_ATTRIBUTE', `${name} too short`);
  const fam = v[1];
  let port = v.readUInt16BE(2);
  if (xor) port ^= MAGIC_COOKIE >>> 16;
  if (fam === 0x01) {
    if (v.length !== 8) throw new StunParseError('BAD_ATTRIBUTE', `${name} IPv4 must be 8 bytes`);
    const a = Buffer.from(v.subarray(4, 8));
    if (xor) for (let i = 0; i < 4; i++) a[i] ^= xor[i];
    return { family: 4, address: [...a].join('.'), port };
  }
  if (fam === 0x02) {
    if (v.length !== 20) throw new StunParseError('BAD_ATTRIBUTE', `${name} IPv6 must be 20 bytes`);
    const a = Buffer.from(v.subarray(4, 20));
    if (xor) for (let i = 0; i < 16; i++) a[i] ^= xor[i];
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(a.readUInt16BE(i).toString(16));
    return { family: 6, address: compressV6(parts.join(':')), port };
  }
  throw new StunParseError('BAD_ATTRIBUTE', `${name} has unknown family ${fam}`);
}

function compressV6(full: string): string {
  // Longest run of zero groups -> "::".
  const groups = full.split(':');
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return groups.join(':');
  const head = groups.slice(0, best).join(':');
  const tail = groups.slice(best + bestLen).join(':');
  return `${head}::${tail}`;
}

function xorKey(tid: Buffer): Buffer {
  const k = Buffer.alloc(16);
  k.writeUInt32BE(MAGIC_COOKIE, 0);
  tid.copy(k, 4);
  return k;
}

/** XOR-MAPPED-ADDRESS / XOR-RELAYED-ADDRESS / XOR-PEER-ADDRESS of a message. */
export function getXorAddress(msg: StunMessage, type: number = Attr.XorMappedAddress): TransportAddress | undefined {
  const v = getAttr(msg, type);
  return v ? parseAddressValue(v, xorKey(msg.transactionId), `attribute 0x${type.toString(16)}`) : undefined;
}

export function getMappedAddress(msg: StunMessage): TransportAddress | undefined {
  const v = getAttr(msg, Attr.MappedAddress);
  return v ? parseAddressValue(v, null, 'MAPPED-ADDRESS') : undefined;
}

function utf8(v: Buffer, name: string, max: number): string {
  if (v.length > max) throw new StunParseError('BAD_ATTRIBUTE', `${name} longer than ${max} bytes`);
  return v.toString('utf8');
}

export function getString(msg: StunMessage, type: number): string | undefined {
  const v = getAttr(msg, type);
  return v ? utf8(v, `attribute 0x${type.toString(16)}`, 763) : undefined;
}

export function getErrorCode(msg: StunMessage): { code: number; reason: string } | undefined {
  const v = getAttr(msg, Attr.ErrorCode);
  if (!v) return undefined;
  if (v.length < 4) throw new StunParseError('BAD_ATTRIBUTE', 'ERROR-CODE too short');
  const cls = v[2] & 0x7;
  const num = v[3];
  if (cls < 3 || cls > 6 || num > 99) throw new StunParseError('BAD_ATTRIBUTE', `ERROR-CODE ${cls}${num} out of range`);
  return { code: cls * 100 + num, reason: utf8(v.subarray(4), 'ERROR-CODE reason', 763) };
}

export function getUint32(msg: StunMessage, type: number): number | undefined {
  const v = getAttr(msg, type);
  if (!v) return undefined;
  if (v.length !== 4) throw new StunParseError('BAD_ATTRIBUTE', `attribute 0x${type.toString(16)} must be 4 bytes`);
  return v.readUInt32BE(0);
}

export function getLifetime(msg: StunMessage): number | undefined {
  return getUint32(msg, Attr.Lifetime);
}

export function getChannelNumber(msg: StunMessage): number | undefined {
  const v = getAttr(msg, Attr.ChannelNumber);
  if (!v) return undefined;
  if (v.length !== 4) throw new StunParseError('BAD_ATTRIBUTE', 'CHANNEL-NUMBER must be 4 bytes');
  const n = v.readUInt16BE(0);
  if (n < 0x4000 || n > 0x4fff) throw new StunParseError('BAD_CHANNEL', `channel 0x${n.toString(16)} outside 0x4000-0x4FFF`);
  return n;
}

export function getRequestedTransport(msg: StunMessage): number | undefined {
  const v = getAttr(msg, Attr.RequestedTransport);
  if (!v) return undefined;
  if (v.length !== 4) throw new StunParseError('BAD_ATTRIBUTE', 'REQUESTED-TRANSPORT must be 4 bytes');
  return v[0];
}

export function getData(msg: StunMessage): Buffer | undefined {
  return getAttr(msg, Attr.Data);
}

export function requireXorAddress(msg: StunMessage, type: number, name: string): TransportAddress {
  need(msg, type, name);
  return getXorAddress(msg, type)!;
}

// ---------------------------------------------------------------------------------------------
// Keys and integrity.

/** Long-term credential key: MD5(username ":" realm ":" password) (RFC 8489 9.2.2, no SASLprep). */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest();
}

/** Short-term credential key: the password itself. */
export function shortTermKey(password: string): Buffer {
  return Buffer.from(password, 'utf8');
}

/** Verify MESSAGE-INTEGRITY (HMAC-SHA1) of a decoded message. False when absent or wrong. */
export function verifyIntegrity(msg: StunMessage, key: Buffer): boolean {
  if (!msg.raw || msg.integrityOffset === undefined) return false;
  const off = msg.integrityOffset;
  const head = Buffer.from(msg.raw.subarray(0, off));
  head.writeUInt16BE(off + 24 - HEADER_LENGTH, 2);
  const mac = createHmac('sha1', key).update(head).digest();
  const got = msg.raw.subarray(off + 4, off + 24);
  return got.length === 20 && timingSafeEqual(mac, got);
}

export function hasFingerprint(msg: StunMessage): boolean {
  return msg.attributes.some((a) => a.type === Attr.Fingerprint);
}

// ---------------------------------------------------------------------------------------------
// Encoding.

export interface EncodeOptions {
  /** Add MESSAGE-INTEGRITY with this key (longTermKey / shortTermKey). */
  integrityKey?: Buffer;
  /** Add FINGERPRINT (last). */
  fingerprint?: boolean;
}

export function encodeMessage(
  msg: { method: number; cls: StunClass; transactionId: Buffer; attributes: StunAttribute[] },
  opts: EncodeOptions = {},
): Buffer {
  if (msg.transactionId.length !== 12) throw new RangeError('transaction id must be 12 bytes');
  const parts: Buffer[] = [];
  let len = 0;
  for (const a of msg.attributes) {
    if (a.value.length > 0xffff) throw new RangeError('attribute too long');
    const padded = (a.value.length + 3) & ~3;
    const b = Buffer.alloc(4 + padded);
    b.writeUInt16BE(a.type, 0);
    b.writeUInt16BE(a.value.length, 2);
    a.value.copy(b, 4);
    parts.push(b);
    len += b.length;
  }
  const extra = (opts.integrityKey ? 24 : 0) + (opts.fingerprint ? 8 : 0);
  if (len + extra > 0xfffc) throw new RangeError('message too long');
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(encodeType(msg.method, msg.cls), 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  msg.transactionId.copy(header, 8);
  let out = Buffer.concat([header, ...parts]);
  if (opts.integrityKey) {
    out.writeUInt16BE(out.length - HEADER_LENGTH + 24, 2);
    const mac = createHmac('sha1', opts.integrityKey).update(out).digest();
    const a = Buffer.alloc(24);
    a.writeUInt16BE(Attr.MessageIntegrity, 0);
    a.writeUInt16BE(20, 2);
    mac.copy(a, 4);
    out = Buffer.concat([out, a]);
  }
  if (opts.fingerprint) {
    out.writeUInt16BE(out.length - HEADER_LENGTH + 8, 2);
    const a = Buffer.alloc(8);
    a.writeUInt16BE(Attr.Fingerprint, 0);
    a.writeUInt16BE(4, 2);
    a.writeUInt32BE((crc32(out) ^ FINGERPRINT_XOR) >>> 0, 4);
    out = Buffer.concat([out, a]);
  }
  out.writeUInt16BE(out.length - HEADER_LENGTH, 2);
  return out;
}

function addressBytes(addr: TransportAddress): Buffer {
  const fam = isIP(addr.address);
  if (fam === 4) return Buffer.from(addr.address.split('.').map(Number));
  if (fam === 6) {
    const [h, t = ''] = addr.address.includes('::') ? addr.address.split('::') : [addr.address, undefined as unknown as string];
    const hp = h ? h.split(':') : [];
    const tp = t ? t.split(':') : [];
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
    const expand = (g: string[]) =>
      g.flatMap((x) => (x.includes('.') ? ((b) => [((b[0] << 8) | b[1]).toString(16), ((b[2] << 8) | b[3]).toString(16)])(x.split('.').map(Number)) : [x]));
    const head = expand(hp);
    const tail = expand(tp);
    const groups = addr.address.includes('::') ? [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail] : head;
    const b = Buffer.alloc(16);
    groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
    return b;
  }
  throw new RangeError(`not an IP address: ${addr.address}`);
}

/** The value of a (XOR-)address attribute. Pass the transaction id for XOR variants. */
export function addressValue(addr: TransportAddress, transactionId?: Buffer): Buffer {
  const ab = addressBytes(addr);
  const v = Buffer.alloc(4 + ab.length);
  v[1] = ab.length === 4 ? 0x01 : 0x02;
  if (transactionId) {
    const k = xorKey(transactionId);
    v.writeUInt16BE((addr.port ^ (MAGIC_COOKIE >>> 16)) & 0xffff, 2);
    for (let i = 0; i < ab.length; i++) v[4 + i] = ab[i] ^ k[i];
  } else {
    v.writeUInt16BE(addr.port, 2);
    ab.copy(v, 4);
  }
  return v;
}

export const attr = {
  xorAddress: (type: number, addr: TransportAddress, tid: Buffer): StunAttribute => ({ type, value: addressValue(addr, tid) }),
  mappedAddress: (addr: TransportAddress): StunAttribute => ({ type: Attr.MappedAddress, value: addressValue(addr) }),
  string: (type: number, s: string): StunAttribute => ({ type, value: Buffer.from(s, 'utf8') }),
  username: (s: string): StunAttribute => attr.string(Attr.Username, s),
  realm: (s: string): StunAttribute => attr.string(Attr.Realm, s),
  nonce: (s: string): StunAttribute => attr.string(Attr.Nonce, s),
  software: (s: string): StunAttribute => attr.string(Attr.Software, s),
  errorCode: (code: number, reason: string): StunAttribute => {
    const r = Buffer.from(reason, 'utf8');
    const v = Buffer.alloc(4 + r.length);
    v[2] = Math.floor(code / 100) & 0x7;
    v[3] = code % 100;
    r.copy(v, 4);
    return { type: Attr.ErrorCode, value: v };
  },
  uint32: (type: number, n: number): StunAttribute => {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(n >>> 0, 0);
    return { type, value: v };
  },
  lifetime: (s: number): StunAttribute => attr.uint32(Attr.Lifetime, s),
  /** REQUESTED-TRANSPORT: 17 = UDP. */
  requestedTransport: (proto = 17): StunAttribute => {
    const v = Buffer.alloc(4);
    v[0] = proto;
    return { type: Attr.RequestedTransport, value: v };
  },
  channelNumber: (ch: number): StunAttribute => {
    const v = Buffer.alloc(4);
    v.writeUInt16BE(ch, 0);
    return { type: Attr.ChannelNumber, value: v };
  },
  data: (b: Buffer): StunAttribute => ({ type: Attr.Data, value: b }),
};

// ---------------------------------------------------------------------------------------------
// ChannelData (RFC 8656 12.4).

export interface ChannelData {
  channel: number;
  data: Buffer;
}

export function isChannelData(buf: Uint8Array): boolean {
  return buf.length >= 4 && (buf[0] & 0xc0) === 0x40;
}

/** Encode ChannelData; over TCP/TLS pad to a multiple of 4 (`pad`). */
export function encodeChannelData(channel: number, data: Buffer, pad = false): Buffer {
  if (channel < 0x4000 || channel > 0x4fff) throw new RangeError('channel outside 0x4000-0x4FFF');
  if (data.length > 0xffff) throw new RangeError('channel data too long');
  const total = 4 + (pad ? (data.length + 3) & ~3 : data.length);
  const b = Buffer.alloc(total);
  b.writeUInt16BE(channel, 0);
  b.writeUInt16BE(data.length, 2);
  data.copy(b, 4);
  return b;
}

/** Decode one ChannelData message (UDP datagram: padding allowed but not required). */
export function decodeChannelData(input: Uint8Array): ChannelData {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length < 4) throw new StunParseError('TOO_SHORT', 'ChannelData needs 4 bytes');
  const channel = buf.readUInt16BE(0);
  if (channel < 0x4000 || channel > 0x4fff) throw new StunParseError('BAD_CHANNEL', `channel 0x${channel.toString(16)}`);
  const len = buf.readUInt16BE(2);
  if (4 + len > buf.length) throw new StunParseError('LENGTH_MISMATCH', `ChannelData says ${len}, has ${buf.length - 4}`);
  if (buf.length > 4 + ((len + 3) & ~3)) throw new StunParseError('LENGTH_MISMATCH', 'ChannelData has trailing bytes');
  return { channel, data: Buffer.from(buf.subarray(4, 4 + len)) };
}

// ---------------------------------------------------------------------------------------------
// Stream framing for STUN/TURN over TCP and TLS: STUN messages are self-delimiting by their
// length field; ChannelData carries its own length and is padded to 4 bytes over streams.

export type Frame = { kind: 'stun'; bytes: Buffer } | { kind: 'channel'; channel: number; data: Buffer };

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private failed: StunParseError | null = null;

  /** `allowChannelData: false` for a plain STUN server: only STUN messages are valid frames. */
  constructor(private readonly opts: { allowChannelData?: boolean } = {}) {}

  /** Bytes held while waiting for the rest of a frame (at most one frame). */
  get pending(): number {
    return this.buf.length;
  }

  /**
   * Feed bytes; returns every complete frame. After a framing error the stream is unusable
   * (there is no way to resynchronise), so every later push throws the same error.
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.failed) throw this.failed;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const frames: Frame[] = [];
    // Each iteration consumes >= 4 bytes or returns: bounded by buffer length / 4.
    while (this.buf.length >= 4) {
      const top = this.buf[0] & 0xc0;
      const len = this.buf.readUInt16BE(2);
      let total: number;
      if (top === 0x00) {
        if (len % 4 !== 0) return this.fail(new StunParseError('BAD_LENGTH', `STUN length ${len} not a multiple of 4`));
        total = HEADER_LENGTH + len;
      } else if (top === 0x40 && this.opts.allowChannelData !== false) {
        const ch = this.buf.readUInt16BE(0);
        if (ch > 0x4fff) return this.fail(new StunParseError('BAD_CHANNEL', `channel 0x${ch.toString(16)}`));
        total = 4 + ((len + 3) & ~3);
      } else {
        return this.fail(new StunParseError('BAD_FRAME', top === 0x40 ? 'ChannelData on a STUN-only stream' : 'neither STUN nor ChannelData'));
      }
      if (this.buf.length < total) break;
      const frame = this.buf.subarray(0, total);
      this.buf = Buffer.from(this.buf.subarray(total));
      if (top === 0x00) frames.push({ kind: 'stun', bytes: Buffer.from(frame) });
      else frames.push({ kind: 'channel', channel: frame.readUInt16BE(0), data: Buffer.from(frame.subarray(4, 4 + len)) });
    }
    return frames;
  }

  private fail(e: StunParseError): never {
    this.failed = e;
    this.buf = Buffer.alloc(0);
    throw e;
  }
}
