// `netready invite --probe URL --label "…" [--site S] [--expires 7d]`: creates a signer invite on a
// `netready serve --store` through its admin API (POST /.netready/invites, the admin token) and
// prints the invite link (/i/<token>) on stdout. Exit 0 created, 1 the serve refused or could not
// be reached (one line on stderr), 2 bad usage.

import { UsageError } from '../shared/errors.js';
import { buildConfig } from './options.js';
import { parseServeUrl, readTokenFile, serveRequest } from './upload.js';

export interface InviteOptions {
  probe?: string;
  label?: string;
  site?: string;
  expires?: string;
  adminTokenFile?: string;
  ca?: string[];
  publicRoots?: string;
  resolve?: string[];
}

/** 7d, 36h, 2.5d, or a plain number of days: days, 1 hour to 366 days. */
export function parseExpires(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([dh]?)\s*$/i.exec(v);
  const days = m ? (m[2].toLowerCase() === 'h' ? Number(m[1]) / 24 : Number(m[1])) : NaN;
  if (!(days >= 1 / 24 && days <= 366)) throw new UsageError(`--expires: expected a lifetime like 7d or 48h (1 hour to 366 days), got "${v}"`);
  return days;
}

export async function inviteCommand(o: InviteOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (!o.probe) throw new UsageError('invite: --probe URL (the netready serve --store that collects the results) is required');
  const url = parseServeUrl('--probe', o.probe, '/.netready/invites');
  url.pathname = '/.netready/invites';
  const label = (o.label ?? '').trim();
  if (!label || label.length > 200) throw new UsageError('invite: --label "who it is for" is required (1-200 characters)');
  const days = o.expires !== undefined ? parseExpires(o.expires) : undefined;
  const token = o.adminTokenFile ? readTokenFile('--admin-token-file', o.adminTokenFile) : (env.NETREADY_ADMIN_TOKEN ?? '').trim();
  if (!token) throw new UsageError('invite: needs the serve\'s admin token: --admin-token-file FILE or NETREADY_ADMIN_TOKEN');
  const trust = buildConfig({ ca: o.ca, publicRoots: o.publicRoots, resolve: o.resolve }, env);
  const body = JSON.stringify({ label, ...(o.site ? { site: o.site.trim() } : {}), ...(days !== undefined ? { days } : {}) });
  try {
    const a = await serveRequest(url, { method: 'POST', token, body, trust });
    if (a.status === 201 && typeof a.body?.url === 'string') {
      process.stdout.write(`${a.body.url}\n`);
      process.stderr.write(`netready: invite for "${label}" created; it expires ${String(a.body.expiresAt)}\n`);
      return 0;
    }
    process.stderr.write(`netready: invite not created (HTTP ${a.status}: ${typeof a.body?.error === 'string' ? a.body.error : 'no reason given'})\n`);
  } catch (e) {
    process.stderr.write(`netready: invite not created: ${url.origin} did not answer (${String((e as Error).message).split('\n')[0]})\n`);
  }
  return 1;
}
