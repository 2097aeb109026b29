// A real squid (squid-openssl 5.x) on loopback for tests: its own temp dir (config, pid, logs,
// certificate db), foreground (-N), stopped by its PID. Features compose: basic auth (407), ssl-bump
// with a per-run interception CA, a URL-path ACL, a host-name keyword ACL, short idle timeouts.
// Squid resolves names itself: `hosts` goes to a generated hosts_file and dns_nameservers points at
// 127.0.0.1, so squid never asks a real resolver (tests stay on loopback).
// Measured behaviour: /work/shared/design/lab-notes.md.

import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { chownTree, freePort, ownDaemon, startProc, tempDir, waitForPort } from './proc.js';
import { binPath, isRoot, needs } from './prereqs.js';

/** The skip reason of a test that starts squid (bump CAs and passwords come from the openssl CLI). */
export const NEEDS_SQUID = needs('squid', 'openssl');
export const SQUID_BIN = binPath('squid');
const CERTGEN = '/usr/lib/squid/security_file_certgen';
const NCSA = '/usr/lib/squid/basic_ncsa_auth';
// Squid refuses to run as root; it drops to Debian's `proxy` user, so its temp dir is chowned to it.
// Started by another user, squid runs as that user and needs neither.
const SQUID_USER_NAME = 'proxy';
function squidUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, SQUID_USER_NAME]).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

export interface SquidOptions {
  /** Require basic proxy auth (→ 407 without credentials). */
  auth?: { user: string; password: string };
  /** ssl-bump every CONNECT with a per-run interception CA (peek at step 1, then bump). */
  bump?: boolean;
  /** Subject of the interception CA (default CN=Netready Test Interception CA, O=Squid Bump Lab). */
  bumpCaSubject?: { CN: string; O: string };
  /** Deny requests whose URL path matches (urlpath_regex; HTTPS paths only visible with bump). */
  denyPathRegex?: string;
  /** Deny CONNECT/requests whose destination host name matches (dstdom_regex -i, no bump needed). */
  denyHostRegex?: string;
  /**
   * Refuse responses whose Content-Type matches (rep_mime_type + http_reply_access deny), e.g.
   * `^text/event-stream` to block event streams; HTTPS replies only visible with bump.
   */
  denyReplyMimeRegex?: string;
  /**
   * Rewrite the Content-Type of text/event-stream replies to this (reply_header_access +
   * reply_header_replace; bump needed for HTTPS): the body still flows, but a browser's EventSource
   * refuses a stream that is not text/event-stream — the room event stream cannot be opened.
   */
  rewriteEventStreamType?: string;
  /** read_timeout + client_idle_pconn_timeout in seconds: cuts idle tunnels and streams. */
  idleTimeoutSec?: number;
  /** Host name → address map for squid's resolver (hosts_file). */
  hosts?: Record<string, string>;
  /** Extra raw squid.conf lines, placed before the http_access rules. */
  extra?: string[];
  /**
   * A config file squid includes (`include FILE`) before its own ssl_bump and http_access rules, as
   * an admin includes a snippet (e.g. `netready allowlist --format squid`): its rules come first.
   */
  include?: string;
}

export interface Squid {
  host: string;
  port: number;
  /** http://127.0.0.1:PORT (with user:password when auth is on — see urlWithAuth). */
  url: string;
  urlWithAuth: string | null;
  /** The interception CA (PEM) when bump is on. */
  caPem: string | null;
  caFile: string | null;
  dir: string;
  pid: number;
  accessLog(): string;
  cacheLog(): string;
  stop(): Promise<void>;
}

function sh(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** An RSA interception CA made with the openssl CLI (what squid's certgen expects). */
export function makeOpensslCa(dir: string, subject: { CN: string; O: string }): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, 'bump-ca.pem');
  const keyFile = path.join(dir, 'bump-ca.key');
  sh('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-keyout', keyFile, '-out', certFile,
    '-subj', `/CN=${subject.CN}/O=${subject.O}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  return { certFile, keyFile };
}

export function squidConfig(o: SquidOptions & { dir: string; port: number; caCert?: string; caKey?: string; passwdFile?: string }): string {
  const d = o.dir;
  const L: string[] = [];
  const bumpOpts = o.bump
    ? ` ssl-bump generate-host-certificates=on dynamic_cert_mem_cache_size=4MB tls-cert=${o.caCert} tls-key=${o.caKey}`
    : '';
  L.push(
    `http_port 127.0.0.1:${o.port}${bumpOpts}`,
    'visible_hostname netready-test-squid',
    `pid_filename ${d}/squid.pid`,
    `cache_log ${d}/cache.log`,
    `access_log stdio:${d}/access.log`,
    'cache_store_log none',
    `coredump_dir ${d}`,
    'cache deny all',
    'cache_mem 8 MB',
    'netdb_filename none',
    'pinger_enable off',
    'icp_port 0',
    'htcp_port 0',
    'shutdown_lifetime 0 seconds',
    ...(isRoot ? [`cache_effective_user ${SQUID_USER_NAME}`] : []),
    'max_filedescriptors 1024',
    // Never ask a real resolver: names come from our hosts file only.
    `hosts_file ${d}/hosts`,
    'dns_nameservers 127.0.0.1',
    'dns_timeout 2 seconds',
    'connect_timeout 5 seconds',
    'forwarded_for delete',
    'acl localnet src 127.0.0.0/8',
    'acl CONNECT method CONNECT',
  );
  if (o.include) L.push(`include ${o.include}`);
  if (o.idleTimeoutSec) {
    L.push(`read_timeout ${o.idleTimeoutSec} seconds`, `client_idle_pconn_timeout ${o.idleTimeoutSec} seconds`);
  }
  if (o.bump) {
    L.push(
      `sslcrtd_program ${CERTGEN} -s ${d}/ssldb -M 4MB`,
      'sslcrtd_children 4 startup=1 idle=1',
      'acl step1 at_step SslBump1',
      'ssl_bump peek step1',
      'ssl_bump bump all',
      'sslproxy_cert_error allow all',
      'tls_outgoing_options flags=DONT_VERIFY_PEER',
    );
  }
  if (o.auth) {
    L.push(
      `auth_param basic program ${NCSA} ${o.passwdFile}`,
      'auth_param basic realm netready-test',
      'auth_param basic children 2 startup=1 idle=1',
      'acl authed proxy_auth REQUIRED',
    );
  }
  if (o.denyHostRegex) L.push(`acl kwdeny dstdom_regex -i ${o.denyHostRegex}`);
  if (o.denyPathRegex) L.push(`acl pathdeny urlpath_regex ${o.denyPathRegex}`);
  if (o.denyReplyMimeRegex) L.push(`acl mimedeny rep_mime_type -i ${o.denyReplyMimeRegex}`, 'http_reply_access deny mimedeny');
  if (o.rewriteEventStreamType) {
    L.push(
      'acl ssemime rep_mime_type -i ^text/event-stream',
      'reply_header_access Content-Type deny ssemime',
      `reply_header_replace Content-Type ${o.rewriteEventStreamType}`,
    );
  }
  L.push(...(o.extra ?? []));
  // Access rules. No Safe_ports/SSL_ports limits: our upstreams live on random ports.
  L.push('http_access deny !localnet');
  if (o.auth) L.push('http_access deny !authed');
  if (o.denyHostRegex) L.push('http_access deny kwdeny');
  if (o.denyPathRegex) L.push('http_access deny pathdeny');
  L.push('http_access allow localnet', 'http_access deny all');
  return L.join('\n') + '\n';
}

export async function startSquid(opts: SquidOptions = {}): Promise<Squid> {
  const dir = tempDir('squid');
  // -N squid runs its helpers (certgen, auth) as its children; they exit with it.
  return ownDaemon(dir, async (own) => {
    const port = await freePort();
    const hosts = Object.entries(opts.hosts ?? {}).map(([name, addr]) => `${addr} ${name}`);
    writeFileSync(path.join(dir, 'hosts'), ['127.0.0.1 localhost', ...hosts].join('\n') + '\n');
    let caCert: string | undefined;
    let caKey: string | undefined;
    let caPem: string | null = null;
    if (opts.bump) {
      const ca = makeOpensslCa(dir, opts.bumpCaSubject ?? { CN: 'Netready Test Interception CA', O: 'Squid Bump Lab' });
      caCert = ca.certFile;
      caKey = ca.keyFile;
      caPem = readFileSync(ca.certFile, 'utf8');
      sh(CERTGEN, ['-c', '-s', path.join(dir, 'ssldb'), '-M', '4MB']);
    }
    let passwdFile: string | undefined;
    if (opts.auth) {
      passwdFile = path.join(dir, 'passwd');
      const hash = sh('openssl', ['passwd', '-apr1', opts.auth.password]).trim();
      writeFileSync(passwdFile, `${opts.auth.user}:${hash}\n`);
    }
    const conf = squidConfig({ ...opts, dir, port, caCert, caKey, passwdFile });
    const confFile = path.join(dir, 'squid.conf');
    writeFileSync(confFile, conf);
    if (isRoot) {
      const u = squidUser();
      chownTree(dir, u.uid, u.gid);
    }
    // -n: a service name of its own, which names squid's shared memory segments (/dev/shm/NAME-*.shm):
    // two squids under one name collide (shm_open: File exists), and a user may not take over another's.
    const service = `nrsquid${process.pid}x${port}`;
    const p = own(startProc(SQUID_BIN, ['-N', '-n', service, '-f', confFile], { cwd: dir, graceMs: 6000 }));
    try {
      await waitForPort('127.0.0.1', port, 15_000, p);
    } catch (e) {
      const log = existsSync(path.join(dir, 'cache.log')) ? readFileSync(path.join(dir, 'cache.log'), 'utf8').slice(-3000) : '';
      throw new Error(`${(e as Error).message}\ncache.log:\n${log}`);
    }
    const url = `http://127.0.0.1:${port}`;
    const read = (f: string) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8') : '');
    return {
      host: '127.0.0.1',
      port,
      url,
      urlWithAuth: opts.auth ? `http://${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.password)}@127.0.0.1:${port}` : null,
      caPem,
      caFile: caCert ?? null,
      accessLog: () => read('access.log'),
      cacheLog: () => read('cache.log'),
    };
  });
}
