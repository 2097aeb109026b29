// `netready profiles`: the built-in profiles, their seeds and parameters.

import { builtinProfileIds, readProfile, instantiate } from '../profiles/load.js';

export async function profilesCommand(o: { json?: boolean }): Promise<number> {
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
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
