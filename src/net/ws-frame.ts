// Minimal RFC 6455 pieces for the hand-written upgrade check: the accept key, a masked client
// frame and an incremental frame decoder (sans-I/O).

import { createHash, randomBytes } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function wsKey(): string {
  return randomBytes(16).toString('base64');
}

export function wsAccept(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** A masked client frame (opcode 1 = text, 8 = close, 9 = ping, 10 = pong). */
export function encodeClientFrame(payload: Buffer, opcode = 1): Buffer {
  const len = payload.length;
  const head: number[] = [0x80 | opcode];
  if (len < 126) head.push(0x80 | len);
  else if (len < 65536) head.push(0x80 | 126, len >> 8, len & 0xff);
  else throw new Error('frame too large for netready probes');
  const mask = randomBytes(4);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([Buffer.from(head), mask, body]);
}

export interface WsFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Incremental decoder for server frames; frames over maxPayload set `error`. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  error: string | null = null;
  constructor(private readonly maxPayload = 1 << 20) {}

  push(chunk: Buffer): WsFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: WsFrame[] = [];
    for (let guard = 0; guard < 10_000 && !this.error; guard++) {
      if (this.buf.length < 2) break;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        const big = this.buf.readBigUInt64BE(2);
        if (big > BigInt(this.maxPayload)) {
          this.error = 'frame too large';
          break;
        }
        len = Number(big);
        off = 10;
      }
      if (len > this.maxPayload) {
        this.error = 'frame too large';
        break;
      }
      const masked = (b1 & 0x80) !== 0;
      const maskOff = off;
      if (masked) off += 4;
      if (this.buf.length < off + len) break;
      let payload = Buffer.from(this.buf.subarray(off, off + len));
      if (masked) {
        const mask = this.buf.subarray(maskOff, maskOff + 4);
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      }
      out.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload });
      this.buf = this.buf.subarray(off + len);
    }
    return out;
  }
}
