// `netready demo` (npm start): a serve on loopback with a throw-away CA, and a check of the
// Virtual Room profile against it — every vendor name points at the demo server. No setup.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../serve/server.js';
import { loadProfiles } from '../profiles/load.js';
import { runCheck } from './check-command.js';
import { buildConfig } from './options.js';
import { writeOutputs, type OutputOptions } from './output.js';
import { createProgress } from '../report/progress.js';
import { useColor } from './check-command.js';
import { exitCodeFor } from '../report/common.js';

export interface DemoOptions extends OutputOptions {
  deadline?: string;
  idleWindow?: string;
}

export async function demoCommand(o: DemoOptions): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'netready-demo-'));
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  try {
    const port = serve.addresses[0].port;
    const caFile = join(dir, 'demo-ca.pem');
    writeFileSync(caFile, serve.caPem ?? '');
    const signDomain = 'localhost';
    const names = loadProfiles(['onespan-virtual-room'], { signDomain }).hosts.map((h) => h.host);
    const config = buildConfig({
      profile: ['onespan-virtual-room'],
      signDomain,
      publicRoots: caFile,
      resolve: names.map((n) => `${n}:127.0.0.1`),
      connectTo: [`::127.0.0.1:${port}`],
      deadline: o.deadline ?? '20',
      idleWindow: o.idleWindow ?? '1',
      // loopback only: no system proxy settings, no WPAD lookup
      systemProxy: false,
    }, {});
    if (o.json !== '-') process.stderr.write(`netready demo: serve on https://127.0.0.1:${port} (throw-away CA ${caFile}); every vendor name points there\n`);
    const progress = createProgress(process.stderr, { tty: Boolean(process.stderr.isTTY) && !process.env.CI, color: useColor(process.stderr) });
    const { report } = await runCheck(config, { progress });
    writeOutputs(report, o);
    return exitCodeFor(report);
  } finally {
    await serve.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
