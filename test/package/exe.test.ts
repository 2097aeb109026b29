// The standalone executable (`npm run build:exe`: build/exe/netready-linux-x64) runs with no Node
// and no node_modules: copied alone into an empty directory it prints its version, runs the demo
// (its own serve as a child process, the WebRTC peer and client, STUN, the UDP echo) with a valid
// report, and evaluates a PAC file (quickjs.wasm is one of its embedded assets). Outside CI the
// test is skipped until the executable is built; in CI (.ci/run builds it first) a missing one fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, runToEnd, tempDir } from '../support/proc.js';
import { validateReport } from '../../src/report/validate.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXE = join(ROOT, 'build', 'exe', 'netready-linux-x64');
const built = existsSync(EXE);
const skip = built || process.env.CI ? false : 'needs the executable: npm run build:exe -- linux-x64';
const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

/** Run the executable with no Node on PATH: it needs none. */
const run = (exe: string, args: string[], cwd: string) => runToEnd(exe, args, { cwd, env: { PATH: '/usr/bin:/bin', NO_COLOR: '1', HOME: cwd } });

test('the linux-x64 executable, alone in an empty directory: --version, demo (valid report, media measured), a PAC file', { skip: skip || (onLinuxX64 ? false : 'linux-x64 only'), timeout: 120_000 }, async (t) => {
  assert.ok(built, `${EXE} is missing: .ci/run builds it with npm run build:exe before npm test`);
  const dir = tempDir('exe');
  t.after(() => removeDir(dir));
  const exe = join(dir, 'netready');
  copyFileSync(EXE, exe);

  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const version = await run(exe, ['--version'], dir);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), pkg.version);
  assert.equal(version.stderr, '', 'no warning (the SEA notice is off)');

  const demo = await run(exe, ['demo', '--json', '-'], dir);
  assert.ok(demo.code === 0 || demo.code === 1, `demo exit ${demo.code}: ${demo.stderr.slice(-2000)}`);
  assert.doesNotMatch(demo.stderr, /Warning|internal error/);
  const report = JSON.parse(demo.stdout) as { tier: string | null; checks: { id: string; target: string; status: string }[] };
  assert.deepEqual(validateReport(report), [], 'a valid netready/report@1 (the schema is an embedded asset)');
  assert.equal(report.tier, 'optimal');
  const status = (id: string, target?: string) => report.checks.find((c) => c.id === id && (target === undefined || c.target === target))?.status;
  assert.equal(status('webrtc.ice', 'host-udp'), 'ok', 'werift works inside the executable');
  assert.equal(status('udp.range'), 'ok');
  assert.equal(status('quality.udp-train'), 'ok');

  // PAC evaluation runs QuickJS from the embedded quickjs.wasm: a PAC sending the agent's name to
  // a proxy raises pcc-proxy-not-bypassed, one answering DIRECT does not.
  const pacRun = async (answer: string) => {
    const pac = join(dir, 'proxy.pac');
    writeFileSync(pac, `function FindProxyForURL(url, host) { return host == "localhost.esignlive.com" ? "${answer}" : "DIRECT"; }`);
    const r = await run(exe, ['check', '--profile', 'pcc-local-agent', '--pac', pac, '--resolve', 'localhost.esignlive.com:127.0.0.1', '--deadline', '5', '--json', '-'], dir);
    assert.ok(r.code === 0 || r.code === 1, `check exit ${r.code}: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { causes: { id: string }[] }).causes.map((c) => c.id);
  };
  assert.ok((await pacRun('PROXY 127.0.0.1:9')).includes('pcc-proxy-not-bypassed'));
  assert.ok(!(await pacRun('DIRECT')).includes('pcc-proxy-not-bypassed'));
});
