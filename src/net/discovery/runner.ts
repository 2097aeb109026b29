// How discovery and route reading reach the operating system: every command and file read goes
// through an injected runner, so each reader is a pure function over text and no test depends on
// the host OS. `systemRunner` is the real one (bounded in time and output, C locale).

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** What one command gave. `missing`: the program is not installed (ENOENT); `timeout`: killed at the bound. */
export type CommandResult =
  | { kind: 'ok'; stdout: string; stderr: string }
  | { kind: 'exit'; code: number | null; stdout: string; stderr: string }
  | { kind: 'missing' }
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'error'; message: string };

export type CommandRunner = (file: string, args: string[], opts?: { signal?: AbortSignal }) => Promise<CommandResult>;

/** Reads a text file; null when it does not exist or cannot be read. */
export type FileReader = (path: string) => Promise<string | null>;

/** Time one discovery or route command may take (PowerShell alone can take a second to start). */
export const COMMAND_TIMEOUT_MS = 4000;
/** Output a command may print before it is cut (reg query of Internet Settings is a few KiB). */
export const COMMAND_MAX_BYTES = 1 << 20;

/** The one-line form of a command for reports ("reg query HKCU\…"). */
export function commandLine(file: string, args: string[]): string {
  return [file, ...args.map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a))].join(' ');
}

/** The real runner: execFile (no shell), LC_ALL=C, a timeout and an output cap; `env` replaces process.env. */
export function createSystemRunner(timeoutMs = COMMAND_TIMEOUT_MS, env: NodeJS.ProcessEnv = process.env): CommandRunner {
  return (file, args, opts = {}) =>
    new Promise((resolve) => {
      if (opts.signal?.aborted) return resolve({ kind: 'error', message: 'stopped before it started' });
      execFile(
        file,
        args,
        { timeout: timeoutMs, signal: opts.signal, maxBuffer: COMMAND_MAX_BYTES, windowsHide: true, env: { ...env, LC_ALL: 'C', LANG: 'C' } },
        (err, stdout, stderr) => {
          if (!err) return resolve({ kind: 'ok', stdout, stderr });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
          if (e.code === 'ENOENT') return resolve({ kind: 'missing' });
          if (e.killed && !opts.signal?.aborted) return resolve({ kind: 'timeout', afterMs: timeoutMs });
          if (typeof e.code === 'number') return resolve({ kind: 'exit', code: e.code, stdout: String(stdout ?? ''), stderr: String(stderr ?? '') });
          resolve({ kind: 'error', message: String(e.code ?? e.message) });
        },
      );
    });
}

export const systemRunner: CommandRunner = createSystemRunner();

export const systemFiles: FileReader = async (path) => {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
};

/** Why a command gave no usable output, in words for a note ("not installed", "timed out after 4000 ms", …). */
export function describeFailure(r: Exclude<CommandResult, { kind: 'ok' }>): string {
  switch (r.kind) {
    case 'missing':
      return 'not installed';
    case 'timeout':
      return `no answer within ${r.afterMs} ms`;
    case 'exit':
      return `exit ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().split(/\r?\n/)[0].slice(0, 200)}` : ''}`;
    case 'error':
      return r.message;
  }
}
