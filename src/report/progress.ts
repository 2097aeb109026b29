// Live progress while checks run. TTY: one line rewritten in place (throttled). Not a TTY: one plain
// line per finished check. Writes nothing else; the caller owns the stream.
import { createColors } from './colors.js';
import type { CheckResult } from '../checks/types.js';

export interface ProgressTask {
  key?: string;
  id: string;
  target: string;
}

export interface Progress {
  start(task: ProgressTask): void;
  finish(task: ProgressTask, result: CheckResult): void;
  /** Clears the live line (TTY). Idempotent. */
  done(): void;
}

export interface ProgressOptions {
  tty: boolean;
  color: boolean;
  /** Minimum ms between redraws of the live line (default 80). */
  intervalMs?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

const keyOf = (t: ProgressTask) => t.key ?? `${t.id} ${t.target}`;

export function createProgress(stream: { write(s: string): unknown; columns?: number }, opts: ProgressOptions): Progress {
  const c = createColors(opts.color);
  const running = new Map<string, ProgressTask>();
  let finished = 0;
  let failed = 0;
  let lastDraw = -Infinity;
  let drawn = false;
  let closed = false;
  const now = opts.now ?? (() => Date.now());
  const interval = opts.intervalMs ?? 80;

  const draw = (force = false) => {
    if (!opts.tty || closed) return;
    const t = now();
    if (!force && t - lastDraw < interval) return;
    lastDraw = t;
    const cur = [...running.values()].at(-1);
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    let line = `${finished} done${failed ? `, ${failed} failed` : ''}, ${running.size} running${cur ? `: ${cur.id} ${cur.target}` : ''}`;
    if (line.length > width) line = line.slice(0, width - 1) + '…';
    stream.write(`\r\x1b[2K${c.dim(line)}`);
    drawn = true;
  };

  return {
    start(task) {
      running.set(keyOf(task), task);
      draw();
    },
    finish(task, result) {
      running.delete(keyOf(task));
      finished++;
      const bad = result.status === 'failed' || result.status === 'timeout' || result.status === 'error';
      if (bad) failed++;
      if (!opts.tty) {
        const what = result.error ? result.error.code : result.status === 'skipped' ? `skipped` : `${result.durationMs} ms`;
        stream.write(`${result.status.padEnd(7)} ${result.id} ${result.target} ${what}\n`);
        return;
      }
      if (bad) {
        // Failures stay on screen above the live line.
        stream.write(`\r\x1b[2K${c.red('✘')} ${result.id} ${result.target} ${c.dim(result.error?.code ?? result.status)}\n`);
        drawn = false;
        draw(true);
        return;
      }
      draw();
    },
    done() {
      if (closed) return;
      closed = true;
      if (opts.tty && drawn) stream.write('\r\x1b[2K');
    },
  };
}
