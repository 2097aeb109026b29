// npm run lab -- <command>
//   up FILE            bring a lab up from a scenario (state in .lab-state/)
//   exec -- CMD...     run CMD in the client namespace of the lab that is up
//   down [--all]       tear down this checkout's labs (its state files); --all also sweeps every
//                      nrl-* namespace, /etc/netns entry and temp dir on the machine (CI)
//   test [FILES...]    run scenarios (default: lab/scenarios/*.yaml), print a table
//   selftest           measure every knob with standard tools
//   build              compile lab/helpers/nfq-delay
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../src/shared/errors.js';
import { loadScenario } from './scenario.js';
import { up, downAll, downOwn, listStates, REPO, ADDR } from './lab.js';
import { LabError } from './sh.js';
import { clientEnv, runTests } from './runner.js';
import { selftest } from './selftest.js';

export function buildHelper(): void {
  const src = join(REPO, 'lab', 'helpers', 'nfq-delay.c');
  const out = join(REPO, 'lab', 'helpers', 'nfq-delay');
  const r = spawnSync('gcc', ['-O2', '-Wall', '-o', out, src, '-lnetfilter_queue', '-lnfnetlink'], { stdio: 'inherit' });
  if (r.status !== 0) throw new LabError('gcc failed building nfq-delay (needs gcc and libnetfilter-queue-dev)');
}

/** Build the helper when it is missing or older than its source (a knob added to the C file must
 * not meet a stale binary that rejects the new argument form). */
function ensureHelper(): void {
  const src = join(REPO, 'lab', 'helpers', 'nfq-delay.c');
  const out = join(REPO, 'lab', 'helpers', 'nfq-delay');
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) buildHelper();
}

function usage(): never {
  throw new UsageError('usage: npm run lab -- up FILE | exec -- CMD... | down [--all] | test [FILES...] | selftest | build');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'build':
      buildHelper();
      return 0;
    case 'up': {
      if (rest.length !== 1) usage();
      const sc = loadScenario(rest[0]);
      ensureHelper();
      const st = await up(sc);
      console.log(`lab ${st.id} up from ${sc.file}`);
      console.log(`  namespaces: ${Object.values(st.ns).join(' ')}`);
      console.log(`  lab CA: ${st.files.labCa}`);
      console.log(`  proxy host: ${ADDR.proxy}  sign domain: ${st.signDomain}`);
      console.log(`  npm run lab -- exec -- CMD   runs in ${st.ns.client}; npm run lab -- down`);
      return 0;
    }
    case 'exec': {
      const args = rest[0] === '--' ? rest.slice(1) : rest;
      if (!args.length) usage();
      const states = listStates();
      if (!states.length) throw new UsageError('no lab is up (npm run lab -- up FILE)');
      const st = states.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
      const r = spawnSync('ip', ['netns', 'exec', st.ns.client, ...args], {
        stdio: 'inherit',
        env: { ...clientEnv(st), LAB_CA: st.files.labCa, LAB_CA_BUNDLE: st.files.caBundle ?? st.files.labCa, LAB_PROXY: ADDR.proxy, LAB_DIR: st.tmpDir },
      });
      return r.status ?? 1;
    }
    case 'down': {
      if (rest.length > 1 || (rest.length === 1 && rest[0] !== '--all')) usage();
      // Without --all only this checkout's labs go: another checkout (a worktree) may have its
      // own lab up on the same machine.
      const notes = rest[0] === '--all' ? await downAll() : await downOwn();
      for (const n of notes) console.log(n);
      console.log('lab down');
      return 0;
    }
    case 'test':
      ensureHelper();
      return runTests(rest);
    case 'selftest':
      ensureHelper();
      return selftest();
    default:
      usage();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`lab: ${e.message}`);
      process.exit(2);
    }
    if (e instanceof LabError) {
      console.error(`lab: ${e.message}`);
      process.exit(1);
    }
    console.error(e);
    process.exit(3);
  },
);
