// TEST-ONLY: a discovery environment read from a JSON file (NETREADY_TEST_DISCOVERY=FILE), so the
// real CLI can be run against recorded outputs of reg/netsh/scutil/gsettings/kioslaverc and a
// resolv.conf, on any host OS, without reading this machine's settings and without a DNS query:
// names resolve only through the file's `hosts` map (to loopback), every other name fails as
// ENOTFOUND. Not for production use; documented in docs/discovery.md.
//
// {
//   "platform": "win32",                         // the OS whose readers run
//   "env": { "XDG_CURRENT_DESKTOP": "GNOME" },   // the process environment the readers see
//   "commands": { "netsh winhttp show proxy": { "file": "winhttp/direct.txt" },
//                 "reg query \"HKLM\\…\" /v ProxySettingsPerUser": { "exit": 1, "stderr": "…" } },
//                                                 // by command line; absent = not installed
//   "files": { "/etc/resolv.conf": "search corp.example\n" },   // text, or { "file": "…" }
//   "hosts": { "wpad.corp.example": "127.0.0.1" }, // the only names that resolve
//   "wpadPort": 8080                               // WPAD candidates fetched on this port
// }
// `file` paths are relative to the JSON file.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { LookupFunction } from 'node:net';
import * as v from 'valibot';
import { UsageError } from '../../shared/errors.js';
import { commandLine, type CommandResult, type CommandRunner, type FileReader } from './runner.js';
import type { DiscoveryEnv } from './run.js';

export const DISCOVERY_FIXTURE_ENV = 'NETREADY_TEST_DISCOVERY';

const Text = v.union([v.string(), v.strictObject({ file: v.string() })], 'a string or { "file": PATH }');
const Command = v.strictObject({
  stdout: v.optional(v.string()),
  file: v.optional(v.string()),
  exit: v.optional(v.pipe(v.number(), v.integer())),
  stderr: v.optional(v.string()),
  missing: v.optional(v.boolean()),
  timeout: v.optional(v.boolean()),
});
const Fixture = v.strictObject({
  platform: v.picklist(['linux', 'win32', 'darwin', 'freebsd', 'openbsd'], 'linux | win32 | darwin | freebsd | openbsd'),
  env: v.optional(v.record(v.string(), v.string())),
  commands: v.optional(v.record(v.string(), Command)),
  files: v.optional(v.record(v.string(), Text)),
  hosts: v.optional(v.record(v.string(), v.pipe(v.string(), v.ip('an IP address')))),
  wpadPort: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))),
});

/** Name resolution from a map (names are matched lower-case); every other name fails as ENOTFOUND, without a query. */
export function mapLookup(hosts: Record<string, string>): LookupFunction {
  return ((hostname: string, options: unknown, cb: (...a: unknown[]) => void) => {
    const callback = typeof options === 'function' ? (options as typeof cb) : cb;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    const addr = hosts[hostname.toLowerCase().replace(/\.$/, '')];
    if (!addr) return process.nextTick(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })));
    const family = addr.includes(':') ? 6 : 4;
    process.nextTick(() => (all ? callback(null, [{ address: addr, family }]) : callback(null, addr, family)));
  }) as LookupFunction;
}

/** Read a fixture file into a discovery environment; a broken file is one line naming it (exit 2). */
export function loadDiscoveryFixture(file: string): DiscoveryEnv {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${DISCOVERY_FIXTURE_ENV}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]}`);
  }
  const r = v.safeParse(Fixture, raw);
  if (!r.success) {
    const i = r.issues[0];
    throw new UsageError(`${DISCOVERY_FIXTURE_ENV}: ${file}: field ${v.getDotPath(i) ?? '(root)'}: ${i.message}`);
  }
  const f = r.output;
  const base = dirname(file);
  const read = (p: string) => {
    const path = isAbsolute(p) ? p : join(base, p);
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new UsageError(`${DISCOVERY_FIXTURE_ENV}: ${file}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const commands = new Map<string, CommandResult>();
  for (const [line, c] of Object.entries(f.commands ?? {})) {
    const stdout = c.file !== undefined ? read(c.file) : (c.stdout ?? '');
    commands.set(
      line,
      c.missing ? { kind: 'missing' } : c.timeout ? { kind: 'timeout', afterMs: 4000 } : c.exit ? { kind: 'exit', code: c.exit, stdout, stderr: c.stderr ?? '' } : { kind: 'ok', stdout, stderr: c.stderr ?? '' },
    );
  }
  const files = new Map<string, string>();
  for (const [path, t] of Object.entries(f.files ?? {})) files.set(path, typeof t === 'string' ? t : read(t.file));
  const hosts = Object.fromEntries(Object.entries(f.hosts ?? {}).map(([k, a]) => [k.toLowerCase(), a]));
  const runner: CommandRunner = async (cmd, args) => commands.get(commandLine(cmd, args)) ?? { kind: 'missing' };
  const reader: FileReader = async (path) => files.get(path) ?? null;
  return {
    platform: f.platform,
    runner,
    files: reader,
    osEnv: f.env ?? {},
    lookup: mapLookup(hosts),
    resolve4: async (h) => {
      const a = hosts[h.toLowerCase().replace(/\.$/, '')];
      return a && !a.includes(':') ? a : null;
    },
    ...(f.wpadPort ? { wpadPort: f.wpadPort } : {}),
    fixture: file,
  };
}
