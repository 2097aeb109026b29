// A real coturn (Debian's turnserver) on 127.0.0.1, random ports, for TURN tests. Never an open
// relay: use-auth-secret credentials only, and every peer denied except the ones allowed
// (lab-notes: denied-peer-ip=0.0.0.0-255.255.255.255 then allowed-peer-ip=<lab range>).

import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { createCA, issueCert } from '../../src/net/certs.js';
import { freePort, removeDir, startProc, tempDir, waitForPort, killPidFile, type Proc } from './proc.js';
import { binPath, needs } from './prereqs.js';

/** The skip reason of a test that starts coturn. */
export const NEEDS_COTURN = needs('turnserver');

export interface Coturn {
  host: string;
  /** UDP + TCP listening port. */
  port: number;
  /** TLS listening port. */
  tlsPort: number;
  secret: string;
  realm: string;
  /** PEM of the CA that issued coturn's certificate (trust it with RunConfig.caPem). */
  caPem: string;
  proc: Proc;
  stop(): Promise<void>;
}

export async function startCoturn(opts: { allowedPeers?: string[]; secret?: string } = {}): Promise<Coturn> {
  const host = '127.0.0.1';
  const dir = tempDir('coturn');
  const secret = opts.secret ?? 'netready-test-secret';
  const realm = 'netready.test';
  const ca = await createCA('netready test coturn CA');
  const leaf = await issueCert(ca, { names: ['localhost', 'turn.netready.test'], ips: [host] });
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  writeFileSync(certFile, leaf.certPem);
  writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
  const pidFile = path.join(dir, 'turnserver.pid');
  const port = await freePort(host);
  let tlsPort = await freePort(host);
  for (let i = 0; i < 10 && tlsPort === port; i++) tlsPort = await freePort(host);
  // A small relay port range of our own (random, so parallel tests rarely collide).
  const minPort = 40000 + Math.floor(Math.random() * 200) * 50;
  const args = [
    '-n',
    `--listening-ip=${host}`,
    `--relay-ip=${host}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    `--realm=${realm}`,
    `--listening-port=${port}`,
    `--tls-listening-port=${tlsPort}`,
    `--cert=${certFile}`,
    `--pkey=${keyFile}`,
    '--no-cli',
    '--no-tlsv1',
    '--no-tlsv1_1',
    '--no-dtls',
    '--allow-loopback-peers',
    '--denied-peer-ip=0.0.0.0-255.255.255.255',
    ...(opts.allowedPeers ?? [host]).map((p) => `--allowed-peer-ip=${p}`),
    '--log-file=stdout',
    '--simple-log',
    `--pidfile=${pidFile}`,
    `--min-port=${minPort}`,
    `--max-port=${minPort + 49}`,
    '--no-software-attribute',
  ];
  const proc = startProc(binPath('turnserver'), args, { cwd: dir, graceMs: 2000 });
  try {
    await waitForPort(host, port, 8000, proc);
    await waitForPort(host, tlsPort, 8000, proc);
  } catch (e) {
    await proc.stop();
    removeDir(dir);
    throw e;
  }
  return {
    host,
    port,
    tlsPort,
    secret,
    realm,
    caPem: ca.certPem,
    proc,
    async stop() {
      await proc.stop();
      killPidFile(pidFile); // only if our own turnserver left it behind alive
      removeDir(dir);
    },
  };
}
