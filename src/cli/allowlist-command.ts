// `netready allowlist`: the names, wildcards, IP ranges, ports and protocols a profile needs, in a
// format the firewall or proxy team can paste.

import { buildAllowlist } from '../report/allowlist.js';
import { ALLOWLIST_FORMATS, renderAllowlist, type AllowlistFormat } from '../report/allowlist-formats.js';
import { parseProxyUrl } from '../net/proxy.js';
import { UsageError } from '../shared/errors.js';
import { buildConfig } from './options.js';
import { write } from './output.js';

export interface AllowlistOptions {
  profile?: string[];
  signDomain?: string;
  param?: string[];
  format?: string;
  proxy?: string;
  out?: string;
}

/** "PROXY host:port" (or "HTTPS host:port") for a proxy URL; a PAC answer carries no credentials. */
export function pacAnswerFor(url: string): string {
  const p = parseProxyUrl(url, 'explicit', '--proxy');
  if (p.authorization) throw new UsageError('--proxy: a PAC answer cannot carry credentials; give the proxy without user:password');
  return `${p.tls ? 'HTTPS' : 'PROXY'} ${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`;
}

export function allowlistText(o: AllowlistOptions): string {
  const format = (o.format ?? 'md') as AllowlistFormat;
  if (!ALLOWLIST_FORMATS.includes(format)) throw new UsageError(`--format: expected one of ${ALLOWLIST_FORMATS.join(', ')}, got "${o.format}"`);
  if (o.proxy !== undefined && format !== 'pac') throw new UsageError('--proxy: only for --format pac (the answer the PAC gives for the listed names)');
  // The same parsing and validation as `check` (profiles, --param, --sign-domain), without the environment.
  const cfg = buildConfig({ profile: o.profile, param: o.param, signDomain: o.signDomain }, {});
  const list = buildAllowlist(cfg.profiles, cfg.params);
  return renderAllowlist(list, format, { pacAnswer: o.proxy !== undefined ? pacAnswerFor(o.proxy) : undefined });
}

export async function allowlistCommand(o: AllowlistOptions): Promise<number> {
  const text = allowlistText(o);
  if (o.out && o.out !== '-') write(o.out, text, '--out');
  else process.stdout.write(text);
  return 0;
}
