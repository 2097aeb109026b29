// Runs the real netready CLI (bin/netready.js over dist/, built by `npm test`) as a child process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netready.js');

/**
 * The system proxy settings every CLI run in the tests sees unless a test gives its own
 * (NETREADY_TEST_DISCOVERY, test-only): a Linux machine with nothing configured and no search
 * domain — no test reads this machine's settings or sends a WPAD query to its resolver.
 */
export const NOTHING_CONFIGURED = join(import.meta.dirname, '..', 'fixtures', 'discovery', 'cli', 'nothing.json');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; prefix?: string[] } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const [cmd, ...pre] = opts.prefix ?? [];
    const child = cmd
      ? spawn(cmd, [...pre, process.execPath, BIN, ...args], { env: { ...process.env, NO_COLOR: '1', NETREADY_TEST_DISCOVERY: NOTHING_CONFIGURED, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', NETREADY_TEST_DISCOVERY: NOTHING_CONFIGURED, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, wallMs: Date.now() - t0 });
    });
  });
}
