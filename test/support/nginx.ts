// A real nginx (nginx-light 1.22) as a TLS reverse proxy in front of an upstream, for tests: own
// temp dir (config, pid, logs, temp paths), `daemon off; master_process off`, stopped by its PID.
// Variants (lab-notes.md): buffering of text/event-stream and a short proxy_read_timeout that cuts
// idle streams. Measured here (nginx 1.22): `proxy_buffering on` (nginx's own default) holds an
// event stream back and delivers it in one batch, with or without gzip; `gzip on` for
// text/event-stream with `proxy_buffering off` does NOT batch (nginx flushes every upstream read).

import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, ownDaemon, startProc, tempDir, waitForPort } from './proc.js';
import { binPath, needs } from './prereqs.js';

/** The skip reason of a test that starts nginx. */
export const NEEDS_NGINX = needs('nginx');
export const NGINX_BIN = binPath('nginx');

export interface NginxOptions {
  /** Where to listen (default 127.0.0.1 on a random port). */
  host?: string;
  port?: number;
  /** The certificate nginx presents (PEM); required (nginx terminates TLS). */
  certPem: string;
  keyPem: string;
  /** The upstream, e.g. https://127.0.0.1:4443 (TLS to it is not verified). */
  upstream: string;
  /** proxy_buffering on (nginx's default, with 64k buffers): SSE arrives batched. Default off. */
  proxyBuffering?: boolean;
  /** gzip on; gzip_types text/event-stream (for clients sending Accept-Encoding: gzip). Default off. */
  gzipEventStream?: boolean;
  /** proxy_read_timeout / proxy_send_timeout in seconds (idle streams are cut after it). */
  readTimeoutSec?: number;
}

export interface Nginx {
  host: string;
  port: number;
  url: string;
  dir: string;
  pid: number;
  errorLog(): string;
  accessLog(): string;
  stop(): Promise<void>;
}

export function nginxConfig(o: NginxOptions & { dir: string; host: string; port: number }): string {
  const d = o.dir;
  const gzip = !!o.gzipEventStream;
  const pbuf = !!o.proxyBuffering;
  const rt = o.readTimeoutSec ?? 60;
  return `daemon off;
master_process off;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/error.log info;
events { worker_connections 256; }
http {
  access_log ${d}/access.log;
  client_body_temp_path ${d}/body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen ${o.host}:${o.port} ssl;
    server_name _;
    ssl_certificate ${d}/cert.pem;
    ssl_certificate_key ${d}/key.pem;
    location / {
      proxy_pass ${o.upstream};
      proxy_http_version 1.1;
      proxy_ssl_verify off;
      proxy_ssl_server_name on;
      proxy_ssl_name $host;
      proxy_set_header Host $http_host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout ${rt}s;
      proxy_send_timeout ${rt}s;
${pbuf ? '      proxy_buffering on;\n      proxy_buffer_size 64k;\n      proxy_buffers 8 64k;\n      proxy_busy_buffers_size 128k;\n' : '      proxy_buffering off;\n'}${gzip ? '      gzip on;\n      gzip_types text/event-stream application/json;\n      gzip_min_length 1;\n' : '      gzip off;\n'}    }
  }
}
`;
}

export async function startNginx(opts: NginxOptions): Promise<Nginx> {
  const dir = tempDir('nginx');
  return ownDaemon(dir, async (own) => {
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port ?? (await freePort(host));
    writeFileSync(path.join(dir, 'cert.pem'), opts.certPem);
    writeFileSync(path.join(dir, 'key.pem'), opts.keyPem, { mode: 0o600 });
    const confFile = path.join(dir, 'nginx.conf');
    writeFileSync(confFile, nginxConfig({ ...opts, dir, host, port }));
    // -p: prefix for relative paths; -e: the startup error log before the config is read.
    const p = own(startProc(NGINX_BIN, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', confFile], { cwd: dir, graceMs: 2000 }));
    await waitForPort(host, port, 10_000, p);
    const read = (f: string) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8') : '');
    return {
      host,
      port,
      url: `https://${host}:${port}`,
      errorLog: () => read('error.log'),
      accessLog: () => read('access.log'),
    };
  });
}
