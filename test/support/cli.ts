// Runs the real netready CLI (bin/netready.js over dist/, built by `npm test`) as a child process.
import { join } from 'node:path';
import { runToEnd, type RunResult } from './proc.js';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netready.js');

export type CliResult = RunResult;

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; prefix?: string[] } = {}): Promise<CliResult> {
  const [cmd, ...pre] = opts.prefix ?? [];
  const env = { ...process.env, NO_COLOR: '1', ...opts.env };
  return cmd
    ? runToEnd(cmd, [...pre, process.execPath, BIN, ...args], { env, timeoutMs: opts.timeoutMs })
    : runToEnd(process.execPath, [BIN, ...args], { env, timeoutMs: opts.timeoutMs });
}
