// `npm test` (optionally `npm test -- FILE...`): the test prerequisites, the type checks, the layering
// check (dependency-cruiser), the lab's
// delay helper, then node's test runner, ending with one line of what was skipped and why and the
// closing count line.
//
// Prerequisites: as root with apt-get, the Debian packages of scripts/test-deps.txt that are
// missing are installed first (scripts/install-test-deps.sh; NETREADY_TEST_NO_INSTALL=1 turns that
// off). Otherwise one line names what is missing, and the tests that need it are skipped.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
process.chdir(ROOT);
const node = process.execPath;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

// 1. Test prerequisites.
const isRoot = process.getuid?.() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
const check = spawnSync('bash', ['scripts/install-test-deps.sh', '--check'], { encoding: 'utf8' });
if (check.status !== 0) {
  const missing = check.stdout.trim().replace(/^test-deps: missing /, '');
  if (isRoot && hasApt && !process.env.NETREADY_TEST_NO_INSTALL) {
    if (run('bash', ['scripts/install-test-deps.sh']) !== 0) console.log('test-deps: the install failed; the tests that need the missing packages are skipped');
  } else {
    console.log(`test-deps: missing Debian packages ${missing}; the tests that need them are skipped (install: sudo scripts/install-test-deps.sh)`);
  }
}

// 2. Type checks (the sources, then the tests, the lab and the bench).
const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
for (const project of ['tsconfig.json', 'test/tsconfig.json']) {
  const code = run(node, [tsc, '-p', project]);
  if (code !== 0) process.exit(code);
}

// 2b. The layering (architecture.md's "Rooms" table) and no import cycles, by dependency-cruiser
// (.dependency-cruiser.cjs): a violation prints the offending arrow and fails the run.
{
  const depcruise = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');
  const code = run(node, [depcruise, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err']);
  if (code !== 0) process.exit(code);
}

// 3. The lab's NFQUEUE delay helper (lab tests that need it say so when it is missing).
if (spawnSync(node, ['--import', 'tsx', 'lab/cli.ts', 'build'], { stdio: 'inherit' }).status !== 0) {
  console.log('lab: delay helper not built (needs gcc + libnetfilter-queue-dev); lab tests that need it will say so');
}

// 4. The tests.
function testFiles(dir) {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? testFiles(p) : e.endsWith('.test.ts') ? [relative(ROOT, p)] : [];
  });
}
const files = process.argv.slice(2).length ? process.argv.slice(2) : testFiles('test').sort();
const tmp = mkdtempSync(join(tmpdir(), 'netready-test-'));
const summaryFile = join(tmp, 'summary.txt');
let code;
try {
  code = run(node, [
    '--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/test-summary-reporter.mjs', `--test-reporter-destination=${summaryFile}`,
    ...files,
  ]);
  try {
    process.stdout.write(readFileSync(summaryFile, 'utf8'));
  } catch {
    console.log('test: node\'s test runner wrote no summary');
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
