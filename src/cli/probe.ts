// Validates --probe before the run: an unreachable probe server is bad input (exit 2).

import https from 'node:https';
import http from 'node:http';
import { rootCertificates } from 'node:tls';
import { isIP } from 'node:net';
import type { RunConfig } from './config.js';
import { UsageError } from './errors.js';
import { mapEndpoint } from '../net/endpoint.js';

export async function checkProbe(config: RunConfig, timeoutMs: number): Promise<Record<string, unknown>> {
  const url = new URL('/.netready/health', config.probe!);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const ep = mapEndpoint(config, url.hostname, port);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        host: ep.host,
        port: ep.port,
        path: url.pathname,
        method: 'GET',
        ...(isIP(url.hostname) ? {} : { servername: url.hostname }),
        headers: { host: url.host, 'user-agent': 'netready' },
        ca: [...rootCertificates, ...config.caPem],
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (body.length < 65536) body += d;
        });
        res.on('end', () => {
          try {
            const doc = JSON.parse(body) as Record<string, unknown>;
            if (res.statusCode === 200 && doc.ok === true) return resolve(doc);
          } catch {
            /* fall through */
          }
          reject(new UsageError(`--probe ${config.probe}: not a netready serve instance (HTTP ${res.statusCode} on /.netready/health)`));
        });
      },
    );
    const fail = (why: string) => {
      req.destroy();
      reject(new UsageError(`--probe ${config.probe}: unreachable (${why})`));
    };
    req.on('timeout', () => fail(`no answer within ${timeoutMs} ms`));
    req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    req.end();
  });
}
