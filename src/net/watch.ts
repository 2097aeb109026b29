// One bounded wait on a socket: until the reader says it has what it wants, the peer ends or
// closes the connection, the socket errors, the wait's own timeout fires, or the run's signal
// aborts. Whatever ends it, every listener and the timer are removed and the socket is paused (the
// next reader resumes it), so a caller can hand the same socket on to another wait.
//
// Used by the HTTP/1 head and body readers, the WebSocket echo and the idle holds.

import type { Duplex } from 'node:stream';
import { abortError } from '../shared/errors.js';

export type Settle<T> = (v: T | Error) => void;

export interface Watch<T> {
  signal: AbortSignal;
  timeoutMs: number;
  /** Each chunk as it comes; call `end` to settle. */
  data(chunk: Buffer, end: Settle<T>): void;
  /** The peer ended or closed the connection ('end' or 'close'). */
  closed(): T | Error;
  /** A socket error (default: as closed()). */
  error?(e: NodeJS.ErrnoException): T | Error;
  timeout(): T | Error;
  /** The run's signal fired (default: reject with abortError). */
  aborted?(): T | Error;
  /** Called once the listeners are on, before any pending bytes: write a request here; may end. */
  start?(end: Settle<T>): void;
  /** Bytes read before this wait (past a response head), fed first. */
  pending?: Buffer;
  /** Called once when the wait settles, before the promise does (e.g. destroy on error). */
  settled?(v: T | Error): void;
}

export function watchSocket<T>(sock: Duplex, w: Watch<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const end: Settle<T> = (v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.pause();
      sock.off('data', onData);
      sock.off('end', onClosed);
      sock.off('close', onClosed);
      sock.off('error', onError);
      w.signal.removeEventListener('abort', onAbort);
      w.settled?.(v);
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    const onData = (chunk: Buffer) => {
      if (!done) w.data(chunk, end);
    };
    const onClosed = () => end(w.closed());
    const onError = (e: NodeJS.ErrnoException) => end(w.error ? w.error(e) : w.closed());
    const onAbort = () => end(w.aborted ? w.aborted() : abortError(w.signal));
    const timer = setTimeout(() => end(w.timeout()), Math.max(1, w.timeoutMs));
    if (w.signal.aborted) return onAbort();
    w.signal.addEventListener('abort', onAbort, { once: true });
    sock.on('data', onData);
    sock.once('end', onClosed);
    sock.once('close', onClosed);
    sock.on('error', onError);
    w.start?.(end);
    if (!done && w.pending?.length) onData(w.pending);
    if (!done) sock.resume();
  });
}
