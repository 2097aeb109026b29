// `netready profiles`: the built-in profiles, their seeds and parameters; `netready profiles <id>`:
// one profile's hosts, ports, checks and parameters.

import { builtinProfileIds, readProfile, instantiate, loadProfiles } from '../profiles/load.js';
import { documentTitle } from '../shared/documents.js';
import { defaultConfig } from '../shared/config.js';
import { buildConfig } from './options.js';
import { planTasks } from './check-command.js';
import type { CheckTask } from '../checks/types.js';

export interface ProfilesOptions {
  json?: boolean;
  id?: string;
  signDomain?: string;
  param?: string[];
}

export async function profilesCommand(o: ProfilesOptions): Promise<number> {
  if (o.id !== undefined) return profileDetail(o.id, o);
  const list = builtinProfileIds().map((id) => {
    const raw = readProfile(id);
    const inst = instantiate(raw, {});
    return {
      id: raw.id,
      title: raw.title,
      source: raw.source,
      media: raw.media,
      hosts: inst.hosts.length,
      params: raw.params.map((p) => ({ name: p.name, default: p.default, description: p.description })),
      ...(inst.pcc ? { pccPorts: inst.pcc.ports } : {}),
    };
  });
  if (o.json) {
    process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    return 0;
  }
  const lines: string[] = [];
  for (const p of list) {
    lines.push(`${p.id}  —  ${p.title}`);
    lines.push(`  seed: ${p.source}; ${p.hosts} host(s)${p.media ? '; media tier' : ''}${p.pccPorts ? `; local agent ports ${p.pccPorts.join(', ')}` : ''}`);
    for (const prm of p.params) lines.push(`  --param ${prm.name}=<${typeof prm.default}>  (default ${JSON.stringify(prm.default)})  ${prm.description}`);
    lines.push('');
  }
  lines.push('Use: netready check --profile <id> [--sign-domain HOST] [--param NAME=VALUE]');
  lines.push('     netready profiles <id>    hosts, ports and checks of one profile');
  lines.push('     netready allowlist --profile <id> [--format csv|json|md|squid|nft|pac|ngfw]');
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

// A placeholder for the planned probe's host (`--probe URL`): the probe's checks are listed by id.
const PROBE_PLACEHOLDER = 'https://probe.invalid';

/** "http.path ×3, ws.upgrade" */
function countIds(tasks: CheckTask[]): string {
  const n = new Map<string, number>();
  for (const t of tasks) n.set(t.id, (n.get(t.id) ?? 0) + 1);
  return [...n].map(([id, c]) => (c > 1 ? `${id} ×${c}` : id)).join(', ');
}

function profileDetail(ref: string, o: ProfilesOptions): number {
  const cfg = buildConfig({ profile: [ref], param: o.param, signDomain: o.signDomain }, {});
  const set = loadProfiles(cfg.profiles, cfg.params);
  const profile = set.profiles[0]!;
  const tasks = planTasks(defaultConfig({ profiles: cfg.profiles, params: cfg.params }), set);
  const withProbe = planTasks(defaultConfig({ profiles: cfg.profiles, params: cfg.params, probe: PROBE_PLACEHOLDER }), set);
  const hostTasks = (host: string) => tasks.filter((t) => t.host?.host === host);
  const general = [...new Set(tasks.filter((t) => !t.host && t.id === 'proxy.config').map((t) => t.id))];
  const probeChecks = [...new Set(withProbe.filter((t) => !t.host && t.id !== 'proxy.config' && !t.id.startsWith('pcc.')).map((t) => t.id))];
  const pccTasks = tasks.filter((t) => t.id.startsWith('pcc.'));

  const detail = {
    id: profile.id,
    title: profile.title,
    source: profile.source,
    document: documentTitle(profile.source),
    origin: profile.origin,
    media: profile.media,
    params: profile.params.map((p) => ({ name: p.name, value: set.params[p.name], default: p.default, description: p.description })),
    hosts: profile.hosts.map((h) => ({
      host: h.host,
      ...(h.wildcard ? { wildcard: h.wildcard } : {}),
      role: h.role,
      group: h.group,
      required: h.required,
      tcp: h.tcp,
      ...(h.udp ? { udp: h.udp } : {}),
      tls: h.tls,
      http: h.http.map((x) => x.path),
      ws: h.ws.map((x) => x.path),
      sse: h.sse.map((x) => x.path),
      idle: h.idle,
      ...(h.ipRanges ? { ipRanges: h.ipRanges } : {}),
      checks: hostTasks(h.host).map((t) => ({ id: t.id, target: t.target })),
    })),
    ...(profile.pcc ? { pcc: { ...profile.pcc, checks: pccTasks.map((t) => ({ id: t.id, target: t.target })) } } : {}),
    checks: { always: general, withProbe: probeChecks },
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(detail, null, 2) + '\n');
    return 0;
  }
  const L: string[] = [`${profile.id}  —  ${profile.title}`, `  document: ${detail.document}${profile.origin.endsWith(`${profile.id}.yaml`) ? '' : ` (file ${profile.origin})`}`];
  if (profile.params.length) {
    L.push('', 'Parameters (--param NAME=VALUE)');
    for (const p of detail.params) L.push(`  ${p.name} = ${JSON.stringify(p.value)}${p.value !== p.default ? ` (default ${JSON.stringify(p.default)})` : ''}  ${p.description}`);
  }
  L.push('', `Hosts (${profile.hosts.length})`);
  for (const h of profile.hosts) {
    const ports = [h.tcp.length ? `TCP ${h.tcp.join(', ')}` : '', h.udp?.length ? `UDP ${h.udp.join(', ')}` : ''].filter(Boolean).join(' · ');
    L.push(`  ${h.host}  ${[h.role, h.required, ports, h.tls ? 'TLS' : '', h.wildcard ? `stands for ${h.wildcard}` : ''].filter(Boolean).join(' · ')}`);
    const paths = [
      h.http.length ? `http ${h.http.map((x) => x.path).join(', ')}` : '',
      h.ws.length ? `ws ${h.ws.map((x) => x.path).join(', ')}` : '',
      h.sse.length ? `sse ${h.sse.map((x) => x.path).join(', ')}` : '',
      h.idle ? 'idle hold' : '',
    ].filter(Boolean);
    if (paths.length) L.push(`      paths: ${paths.join('; ')}`);
    if (h.ipRanges?.length) L.push(`      ranges: ${h.ipRanges.join(', ')}`);
    L.push(`      checks: ${countIds(hostTasks(h.host)) || 'none'}`);
  }
  if (profile.pcc) {
    L.push('', `Local agent: ${profile.pcc.host}, ports ${profile.pcc.ports.join(', ')} (certificate for ${profile.pcc.certName})`);
    L.push(`      checks: ${countIds(pccTasks)}`);
  }
  L.push('', `Every run: ${detail.checks.always.join(', ') || 'none'}`);
  if (profile.media) L.push(`Media and quality, with --probe URL (a netready serve): ${probeChecks.join(', ')}`);
  L.push('', `Allowlist: netready allowlist --profile ${ref}${o.signDomain ? ` --sign-domain ${o.signDomain}` : ''}${(o.param ?? []).map((p) => ` --param ${p}`).join('')}`);
  process.stdout.write(L.join('\n') + '\n');
  return 0;
}
