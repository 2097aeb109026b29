// A command runner and file reader that answer from recorded outputs (test/fixtures/…), so the
// discovery and route readers are tested without depending on the host OS.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commandLine, type CommandResult, type CommandRunner, type FileReader } from '../../../src/net/discovery/runner.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export function fixture(rel: string): string {
  return readFileSync(`${FIXTURES}${rel}`, 'utf8');
}

/** stdout of a command that succeeded, from a fixture file. */
export const ok = (rel: string): CommandResult => ({ kind: 'ok', stdout: fixture(rel), stderr: '' });
/** reg.exe's answer for a key or value that does not exist. */
export const regAbsent: CommandResult = { kind: 'exit', code: 1, stdout: '', stderr: fixture('discovery/wininet/not-found.txt') };

/**
 * Answers by command line (as `commandLine()` prints it); a command not in the map is "not
 * installed". `calls` lists what was run, in order.
 */
export function fixtureRunner(answers: Record<string, CommandResult>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = (async (file: string, args: string[]) => {
    const line = commandLine(file, args);
    calls.push(line);
    return answers[line] ?? { kind: 'missing' };
  }) as CommandRunner & { calls: string[] };
  run.calls = calls;
  return run;
}

export function fixtureFiles(files: Record<string, string>): FileReader {
  return async (path) => (path in files ? fixture(files[path]) : null);
}
