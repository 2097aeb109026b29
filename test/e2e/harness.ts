// End-to-end plumbing: a `netready serve` standing in for every Virtual Room host — judged by the
// checks as a real origin (it echoes, but nothing may depend on that) — and, under the name
// PROBE_HOST, as the probe (STUN and the UDP echo on the same address); a real middlebox in front
// of it, and the real CLI (bin/netready.js over dist/) run as a child process.
//
// Port mapping: through a proxy, the CLI sends `CONNECT HOST:443` (the profile's port) and the proxy
// resolves HOST itself. So serve listens on the real port 443, each test on its own random loopback
// address 127.X.Y.Z, and squid's hosts_file maps every profile name to that address: tests run in
// parallel, and squid sees the real host names (keyword ACLs, SNI, bump certificates).
// Direct runs (nginx) use --resolve + --connect-to instead.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { startServe, type ServeHandle } from '../../src/serve/server.js';
import { mediaServeModule } from '../../src/serve/turn-creds.js';
import { exitCodeFor } from '../../src/report/common.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { freeLoopbackAddress, removeDir, tempDir } from '../support/proc.js';
import { runCli, type CliResult } from '../support/cli.js';
import { validateReport } from '../../src/report/validate.js';

export const PROFILE = 'onespan-virtual-room';
// Any name works (serve answers every SNI); it must not contain a filter word such as "proxy".
export const SIGN_DOMAIN = 'apps.signing.test';
/** The probe's name: the same serve, asked as the cooperating far end (--probe). */
export const PROBE_HOST = 'probe.netready.test';
export const PROBE_URL = `https://${PROBE_HOST}`;

/** Every host name the profile checks (sign domain, Vonage, Upscope, cobrowsingapi, the zones) and the probe's. */
export function profileHosts(signDomain = SIGN_DOMAIN): string[] {
  return [...loadProfiles([PROFILE], { signDomain }).hosts.map((h) => h.host.toLowerCase()), PROBE_HOST];
}

export interface Vendor {
  serve: ServeHandle;
  /** The loopback address serve listens on (port 443 when onPort443). */
  addr: string;
  port: number;
  caFile: string;
  dir: string;
  /** name → addr for every profile host (squid hosts_file). */
  hosts: Record<string, string>;
}

/** Start serve as the stand-in for every profile host; cleaned up by t.after. */
export async function startVendor(
  t: TestContext,
  opts: { onPort443?: boolean; certPem?: string; keyPem?: string; caPem?: string } = {},
): Promise<Vendor> {
  const dir = tempDir('e2e');
  t.after(() => removeDir(dir));
  const on443 = opts.onPort443 ?? true;
  const addr = on443 ? await freeLoopbackAddress(443) : '127.0.0.1';
  // The probe's media far end on the same address: STUN and a tokened UDP echo (each test has its
  // own loopback address, so fixed ports are free); no TURN (those rows are skipped with the reason).
  const media = on443 ? [mediaServeModule({ stun: { host: addr, port: 3478 }, echo: { host: addr, ports: [1025, 20000, 40000, 65535] } })] : [];
  const serve = await startServe({ listen: [{ host: addr, port: on443 ? 443 : 0 }], certPem: opts.certPem, keyPem: opts.keyPem, modules: media });
  t.after(() => serve.close());
  const caFile = path.join(dir, 'serve-ca.pem');
  writeFileSync(caFile, opts.caPem ?? serve.caPem ?? '');
  const hosts = Object.fromEntries(profileHosts().map((h) => [h, addr]));
  return { serve, addr, port: serve.addresses[0].port, caFile, dir, hosts };
}

export interface CheckRun {
  cli: CliResult;
  /** The parsed --json - report (throws in the test when stdout is not JSON). */
  report: Report;
}

/** The fields of netready/report@1 the tests read. */
export interface Report {
  schema: string;
  ready: boolean;
  outcome: 'ready' | 'not-ready' | 'incomplete';
  tier: string | null;
  causes: { id: string; severity: string; summary: string; evidence: string[]; remedy: string }[];
  checks: {
    id: string;
    target: string;
    status: string;
    metrics: Record<string, number>;
    error: { code: string; message: string } | null;
    details?: Record<string, unknown>;
  }[];
  [k: string]: unknown;
}

export async function runCheck(args: string[], opts: { deadlineSec?: number; idleWindowSec?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CheckRun> {
  const deadline = opts.deadlineSec ?? 20;
  const cli = await runCli(
    [
      'check',
      '--profile', PROFILE,
      '--sign-domain', SIGN_DOMAIN,
      '--deadline', String(deadline),
      '--idle-window', String(opts.idleWindowSec ?? 4),
      '--json', '-',
      '--quality-seconds', '1',
      ...args,
    ],
    {
      timeoutMs: (deadline + 10) * 1000,
      // No proxy from the environment leaks into a run unless the test sets it.
      env: { HTTPS_PROXY: '', HTTP_PROXY: '', https_proxy: '', http_proxy: '', NO_PROXY: '', no_proxy: '', ALL_PROXY: '', all_proxy: '', ...opts.env },
    },
  );
  let report: Report;
  try {
    report = JSON.parse(cli.stdout) as Report;
  } catch {
    throw new Error(`check did not print a JSON report (exit ${cli.code}):\nstdout: ${cli.stdout.slice(0, 2000)}\nstderr: ${cli.stderr.slice(0, 3000)}`);
  }
  // Every report the e2e tests produce must be a valid netready/report@1.
  const violations = validateReport(report);
  if (violations.length) throw new Error(`report does not match schema/report.v1.json:\n${violations.join('\n')}`);
  // The contract: exit 0 ready, 1 not ready, 4 incomplete; --json - leaves stdout to the report alone.
  const want = exitCodeFor(report);
  if (cli.code !== want) throw new Error(`check exited ${cli.code}, expected ${want} for outcome=${report.outcome}\nstderr: ${cli.stderr.slice(0, 2000)}`);
  return { cli, report };
}

export const causeIds = (r: Report) => r.causes.map((c) => c.id).sort();
export const cause = (r: Report, id: string) => r.causes.find((c) => c.id === id);

/** One line per check that did not pass, for assertion messages. */
export function explain(r: Report): string {
  const bad = r.checks
    .filter((c) => c.status !== 'ok')
    .map((c) => `  ${c.id} ${c.target} ${c.status} ${c.error?.code ?? ''} ${c.error?.message ?? (c as { reason?: string }).reason ?? ''}`);
  return `outcome=${r.outcome} tier=${r.tier} causes=[${causeIds(r).join(', ')}]\n${bad.join('\n')}`;
}

/** --resolve for every profile host to `addr`, except the names given in `overrides`. */
export function resolveArgs(addr: string, overrides: Record<string, string> = {}): string[] {
  return profileHosts().flatMap((h) => ['--resolve', `${h}:${overrides[h] ?? addr}`]);
}
