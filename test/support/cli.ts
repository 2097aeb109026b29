// Runs the real netready CLI (bin/netready.js over dist/, built by `npm test`) as a child process.
import { join } from 'node:path';
import { runToEnd, type RunResult } from './proc.js';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netready.js');

/**
 * The system proxy settings every CLI run in the tests sees unless a test gives its own
 * (NETREADY_TEST_DISCOVERY, test-only): a Linux machine with nothing configured and no search
 * domain — no test reads this machine's settings or sends a WPAD query to its resolver.
 */
export const NOTHING_CONFIGURED = join(import.meta.dirname, '..', 'fixtures', 'discovery', 'cli', 'nothing.json');

export type CliResult = RunResult;

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; prefix?: string[] } = {}): Promise<CliResult> {
  const [cmd, ...pre] = opts.prefix ?? [];
  const env = { ...process.env, NO_COLOR: '1', NETREADY_TEST_DISCOVERY: NOTHING_CONFIGURED, ...opts.env };
  return cmd
    ? runToEnd(cmd, [...pre, process.execPath, BIN, ...args], { env, timeoutMs: opts.timeoutMs })
    : runToEnd(process.execPath, [BIN, ...args], { env, timeoutMs: opts.timeoutMs });
}
