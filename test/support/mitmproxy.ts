// A real mitmproxy (Debian 8.1, mitmdump) for tests, in reverse-proxy mode in front of one upstream
// (reverse mode never resolves names, so nothing leaves loopback). It presents a certificate from
// its own CA (generated in its temp confdir) and, by default, buffers whole responses
// (lab-notes.md): a finite text/event-stream arrives all at once, an endless one not at all.

import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, ownDaemon, startProc, tempDir, waitForPort } from './proc.js';
import { binPath, needs } from './prereqs.js';

/** The skip reason of a test that starts mitmproxy. */
export const NEEDS_MITMPROXY = needs('mitmdump');
export const MITMDUMP_BIN = binPath('mitmdump');

export interface MitmOptions {
  /** e.g. https://127.0.0.1:4443 (TLS to it is not verified). */
  upstream: string;
  host?: string;
  port?: number;
}

export interface Mitm {
  host: string;
  port: number;
  /** mitmproxy's own CA (PEM), which signs what it presents. */
  caPem: string;
  caFile: string;
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startMitmproxy(opts: MitmOptions): Promise<Mitm> {
  const dir = tempDir('mitm');
  return ownDaemon(dir, async (own) => {
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port ?? (await freePort(host));
    const p = own(
      startProc(
        MITMDUMP_BIN,
        ['-q', '--mode', `reverse:${opts.upstream}`, '--listen-host', host, '--listen-port', String(port), '--set', `confdir=${dir}`, '--ssl-insecure'],
        { cwd: dir, env: { ...process.env, HOME: dir }, graceMs: 3000 },
      ),
    );
    await waitForPort(host, port, 20_000, p);
    const caFile = path.join(dir, 'mitmproxy-ca-cert.pem');
    if (!existsSync(caFile)) throw new Error('mitmproxy did not write its CA');
    return {
      host,
      port,
      caPem: readFileSync(caFile, 'utf8'),
      caFile,
    };
  });
}
