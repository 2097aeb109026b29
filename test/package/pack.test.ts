// The package installs: `npm pack` ships what the CLI needs at run time (dist, bin, the schema,
// the profiles, README, CHANGELOG, LICENSE) and nothing of the tests; the tarball installed into
// an empty directory, with its runtime dependencies at the versions of package-lock.json, runs
// `netready demo --json -` from an empty working directory and the report is valid.
//
// No network beyond loopback: the install is `npm ci --offline` from the npm cache (`npm ci` of
// this checkout fills it); when the cache lacks a dependency the test is skipped, saying so.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, runToEnd, tempDir } from '../support/proc.js';
import { which } from '../support/prereqs.js';
import { validateReport } from '../../src/report/validate.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const npmPath = which('npm');

/** npm (the one on PATH) run by this Node, so the install is checked on the Node the tests run on. */
function npm(args: string[], cwd: string) {
  const cli = realpathSync(npmPath!);
  const [cmd, argv] = cli.endsWith('.js') ? [process.execPath, [cli, ...args]] : [cli, args];
  const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  return runToEnd(cmd, argv, { cwd, env, timeoutMs: 120_000 });
}

test('npm pack + install into an empty directory + `netready demo --json -` there: a valid report', { skip: npmPath ? false : 'needs npm (it comes with Node.js)', timeout: 240_000 }, async (t) => {
  const dir = tempDir('pack');
  t.after(() => removeDir(dir));

  // 1. The tarball (dist/ is built by npm test; the prepare script is not needed again).
  const packed = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
  assert.equal(packed.code, 0, packed.stderr);
  const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  const paths = files.map((f) => f.path);
  for (const p of ['bin/netready.js', 'dist/cli/main.js', 'dist/assets.js', 'dist/serve/page/assets.gen.js', 'schema/report.v1.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'package.json'])
    assert.ok(paths.includes(p), `the package holds ${p}`);
  for (const id of ['onespan-virtual-room', 'vonage-video', 'opentok-2013', 'pcc-local-agent'])
    assert.ok(paths.includes(`src/profiles/${id}.yaml`), `the package holds the ${id} profile`);
  assert.deepEqual(paths.filter((p) => /^(test|lab|bench|scripts|\.ci)\//.test(p) || (p.startsWith('src/') && !p.endsWith('.yaml'))), [], 'no tests, lab, sources or scripts in the package');

  // 2. Install it into an empty directory, its dependencies at the versions this checkout locks.
  const app = join(dir, 'app');
  mkdirSync(app);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const spec = `file:../${filename}`;
  const packages: Record<string, unknown> = {
    '': { name: 'netready-install-test', dependencies: { netready: spec } },
    'node_modules/netready': { version: pkg.version, resolved: spec, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines, license: pkg.license },
  };
  for (const [key, entry] of Object.entries(lock.packages)) if (key && !entry.dev) packages[key] = entry;
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'netready-install-test', private: true, dependencies: { netready: spec } }));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify({ name: 'netready-install-test', lockfileVersion: 3, requires: true, packages }));
  const installed = await npm(['ci', '--offline', '--ignore-scripts'], app);
  if (installed.code !== 0 && /ENOTCACHED/.test(installed.stderr)) {
    t.skip(`the npm cache lacks a runtime dependency and the test does not reach the registry (run npm ci as this user first): ${/request to \S+/.exec(installed.stderr)?.[0] ?? 'ENOTCACHED'}`);
    return;
  }
  assert.equal(installed.code, 0, installed.stderr);
  for (const dep of Object.keys(pkg.dependencies as Record<string, string>)) assert.ok(existsSync(join(app, 'node_modules', dep, 'package.json')), `${dep} installed`);

  // 3. Run it from an empty working directory.
  const cwd = join(dir, 'empty');
  mkdirSync(cwd);
  const bin = join(app, 'node_modules', '.bin', 'netready');
  const version = await runToEnd(process.execPath, [bin, '--version'], { cwd, timeoutMs: 20_000 });
  assert.equal(version.stdout.trim(), pkg.version, version.stderr);
  const demo = await runToEnd(process.execPath, [bin, 'demo', '--json', '-'], { cwd });
  assert.ok(demo.code === 0 || demo.code === 1, `demo exit ${demo.code}: ${demo.stderr.slice(-2000)}`);
  const report = JSON.parse(demo.stdout) as { schema: string; tier: string | null; checks: { id: string; status: string }[] };
  assert.deepEqual(validateReport(report), [], 'the installed demo writes a valid netready/report@1');
  assert.equal(report.tier, 'optimal', 'the demo measures media on loopback');
  assert.ok(report.checks.some((c) => c.id === 'quality.udp-train' && c.status === 'ok'), 'the quality train ran');
  // With coturn installed the demo's serve runs it (--turn managed): the TURN rows run, and pass.
  const turnRows = report.checks.filter((c) => c.id === 'turn.allocate' || c.id === 'quality.relay-train');
  if (which('turnserver')) {
    assert.ok(turnRows.length >= 4, `TURN rows: ${JSON.stringify(turnRows)}`);
    assert.deepEqual(turnRows.filter((c) => c.status !== 'ok'), [], 'every TURN row passes through the managed coturn');
  } else assert.ok(turnRows.every((c) => c.status === 'skipped'), 'without coturn the TURN rows are skipped');
});
