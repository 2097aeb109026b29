// Child process for webrtc-ice.test.ts: runs the four webrtc.ice sessions against PROBE, prints
// "done", and must then exit on its own (no werift socket or timer left behind).
import { runIce, ICE_TARGETS } from '../../src/checks/webrtc-ice.js';
import { makeCtx, task } from './media-support.js';

const ctx = makeCtx({ probe: process.env.PROBE!, caPem: JSON.parse(process.env.CA ?? '[]') as string[] });
let ok = 0;
for (const t of ICE_TARGETS) {
  const out = await runIce(task('webrtc.ice', t), ctx);
  if (out.status === 'ok') ok++;
  else process.stdout.write(`${t}: ${JSON.stringify(out)}\n`);
}
process.stdout.write(`done ${ok} exit-after\n`);
if (ok !== ICE_TARGETS.length) process.exitCode = 1;
