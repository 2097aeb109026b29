// Live progress while checks run. TTY: one line rewritten in place (throttled). Not a TTY: one plain
// line per finished check. Writes nothing else; the caller owns the stream.
import { createColors } from './colors.js';
import type { CheckResult } from '../shared/results.js';

export interface ProgressTask {
  key?: string;
  id: string;
  target: string;
}

export interface Progress {
  /** How many checks the run has planned, and the windows the phases last (for the live line). */
  plan?(total: number, windows?: { idleWindowMs?: number; qualityMs?: number }): void;
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

/** What the run is doing while a check of this id runs ("holding idle connections 10 s"). */
export function phaseOf(id: string, w: { idleWindowMs?: number; qualityMs?: number } = {}): string {
  const s = (ms: number | undefined) => (ms ? ` ${Math.round(ms / 1000)} s` : '');
  if (id === 'conn.idle') return `holding idle connections${s(w.idleWindowMs)}`;
  if (id.startsWith('quality.')) return `measuring quality${s(w.qualityMs)}`;
  if (id === 'dns.resolve' || id === 'dns.zone') return 'resolving names';
  if (id === 'tcp.connect' || id === 'tls.handshake' || id === 'proxy.config') return 'connecting';
  if (id === 'http.path' || id === 'ws.upgrade' || id === 'sse.stream') return 'requests, WebSockets and event streams';
  if (['stun.binding', 'turn.allocate', 'udp.range', 'webrtc.ice', 'vpn.route'].includes(id)) return 'media paths: STUN, TURN, UDP';
  if (id === 'probe.reach') return 'reaching the probe';
  if (id === 'pcc.agent') return 'the local certificate agent';
  return id;
}

export function createProgress(stream: { write(s: string): unknown; columns?: number }, opts: ProgressOptions): Progress {
  const c = createColors(opts.color);
  const running = new Map<string, ProgressTask>();
  let finished = 0;
  let failed = 0;
  let total = 0;
  let windows: { idleWindowMs?: number; qualityMs?: number } = {};
  let lastDraw = -Infinity;
  let drawn = false;
  let closed = false;
  const now = opts.now ?? (() => Date.now());
  const interval = opts.intervalMs ?? 80;
  const t0 = now();
  const count = () => (total ? `[${finished}/${total}]` : `[${finished}]`);

  const draw = (force = false) => {
    if (!opts.tty || closed) return;
    const t = now();
    if (!force && t - lastDraw < interval) return;
    lastDraw = t;
    const tasks = [...running.values()];
    // The phase: the latest check that is not an idle hold; only idle holds left: holding them.
    const cur = tasks.filter((x) => x.id !== 'conn.idle').at(-1) ?? tasks.at(-1);
    const width = Math.max(20, (stream.columns || 80) - 1); // a pty without a size says 0
    const elapsed = `${((t - t0) / 1000).toFixed(1)} s`;
    let line = `${count()} ${elapsed} · ${cur ? phaseOf(cur.id, windows) : total && finished >= total ? 'finishing' : 'starting'}${failed ? ` · ${failed} failed` : ''}${cur ? ` · ${cur.id} ${cur.target}` : ''}`;
    if (line.length > width) line = line.slice(0, width - 1) + '…';
    stream.write(`\r\x1b[2K${c.dim(line)}`);
    drawn = true;
  };

  return {
    plan(n, w = {}) {
      total = n;
      windows = w;
      draw(true);
    },
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
        stream.write(`${count()} ${result.status.padEnd(7)} ${result.id} ${result.target} ${what}\n`);
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
