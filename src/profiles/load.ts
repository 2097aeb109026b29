// Loads, validates and merges profiles. A broken profile is a UsageError naming the file,
// the field and what was expected (exit 2), never a stack trace.

import { readFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';
import * as v from 'valibot';
import { UsageError } from '../shared/errors.js';
import { parseYamlDoc } from '../shared/yaml-doc.js';
import type { HostEntry, Profile, ProfileSet, PccSpec } from '../shared/profile-types.js';
import { assetNames, assetPath, inExecutable, readAsset } from '../assets.js';

/** Built-in profiles live beside the sources (src/profiles) and are read from there by dist and the executable too. */
const BUILTIN_DIR = 'src/profiles';

const Port = v.pipe(v.number('a port number'), v.integer('an integer port'), v.minValue(1, 'a port 1-65535'), v.maxValue(65535, 'a port 1-65535'));
const PathStr = v.pipe(v.string('a path string'), v.startsWith('/', "a path starting with '/'"));
const PathSpec = v.union(
  [PathStr, v.strictObject({ path: PathStr, anyStatus: v.optional(v.boolean()), source: v.optional(v.string()) })],
  "a path string or { path, anyStatus?, source? }",
);
const StreamSpec = v.union([PathStr, v.strictObject({ path: PathStr, source: v.optional(v.string()) })], 'a path string or { path, source? }');

const HostSchema = v.strictObject({
  host: v.pipe(v.string('a host name'), v.minLength(1, 'a non-empty host name')),
  expand: v.optional(v.record(v.string(), v.array(v.union([v.string(), v.number()])), 'a map of variable -> list of values')),
  when: v.optional(v.string('a parameter name')),
  role: v.picklist(['sign', 'video', 'media', 'cobrowse', 'ocsp', 'pcc', 'other'], 'one of sign|video|media|cobrowse|ocsp|pcc|other'),
  /** the host is a wildcard's zone apex: only its SOA/NS is checked */
  zone: v.optional(v.boolean('true or false')),
  /** netready picked the name (e.g. a seed's "*" expanded): NXDOMAIN is not dns-blocked */
  chosen: v.optional(v.boolean('true or false')),
  /** the document's protocol column for this destination, e.g. [HTTPS, WSS] (for allowlists) */
  services: v.optional(v.array(v.string('a protocol name'))),
  group: v.optional(v.string()),
  required: v.picklist(['always', 'recommended', 'optional'], 'one of always|recommended|optional'),
  wildcard: v.optional(v.string()),
  source: v.pipe(v.string('a seed citation'), v.minLength(3, 'a seed citation')),
  tcp: v.optional(v.array(Port, 'a list of TCP ports')),
  udp: v.optional(v.array(Port, 'a list of UDP ports')),
  tls: v.optional(v.boolean('true or false')),
  http: v.optional(v.array(PathSpec, 'a list of paths')),
  ws: v.optional(v.array(StreamSpec, 'a list of paths')),
  sse: v.optional(v.array(StreamSpec, 'a list of paths')),
  idle: v.optional(v.boolean('true or false')),
  ipRanges: v.optional(v.array(v.string())),
  note: v.optional(v.string()),
});

const ProfileSchema = v.strictObject({
  id: v.pipe(v.string('a profile id'), v.regex(/^[a-z0-9][a-z0-9-]*$/, 'a kebab-case id')),
  title: v.string('a title'),
  source: v.pipe(v.string('the seed file name'), v.minLength(3)),
  media: v.boolean('true or false'),
  historical: v.optional(v.string('a note on what is historical')),
  params: v.array(
    v.strictObject({
      name: v.pipe(v.string(), v.regex(/^[A-Za-z][A-Za-z0-9]*$/, 'a camelCase parameter name')),
      default: v.union([v.string(), v.boolean()], 'a string or boolean default'),
      description: v.string('a description'),
      source: v.optional(v.string()),
    }),
    'a list of parameters',
  ),
  hosts: v.array(HostSchema, 'a list of hosts'),
  pcc: v.optional(
    v.strictObject({ host: v.string(), certName: v.string(), ports: v.array(Port), source: v.string() }),
  ),
});

type RawProfile = v.InferOutput<typeof ProfileSchema>;

export function builtinProfileIds(): string[] {
  return assetNames(BUILTIN_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

/** Read and validate one profile (built-in id or YAML file), without parameters applied. */
export function readProfile(ref: string): RawProfile & { origin: string } {
  let file: string;
  let text = /^[a-z0-9-]+$/.test(ref) ? readAsset(`${BUILTIN_DIR}/${ref}.yaml`) : null;
  if (text !== null) file = inExecutable ? `${BUILTIN_DIR}/${ref}.yaml` : assetPath(`${BUILTIN_DIR}/${ref}.yaml`);
  else if (existsSync(ref)) {
    file = ref;
    text = readFileSync(file, 'utf8');
  } else
    throw new UsageError(
      `unknown profile "${ref}": not a built-in profile (${builtinProfileIds().join(', ')}) and no such file`,
    );
  // Our schema's own messages say what is expected in words.
  const profile = parseYamlDoc(ProfileSchema, text, `profile ${file}`, { merge: true, schemaMessages: true });
  return { ...profile, origin: file };
}

function substitute(template: string, vars: Record<string, string | boolean | number>, where: string): string {
  return template.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (_, name: string) => {
    if (!(name in vars)) throw new UsageError(`${where}: unknown parameter {${name}}`);
    return String(vars[name]);
  });
}

function cartesian(expand: Record<string, (string | number)[]>): Record<string, string | number>[] {
  let rows: Record<string, string | number>[] = [{}];
  for (const [k, values] of Object.entries(expand)) {
    rows = rows.flatMap((r) => values.map((val) => ({ ...r, [k]: val })));
  }
  return rows;
}

const HOST_RE = /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;
export function isValidHost(h: string): boolean {
  return HOST_RE.test(h) || /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || /^\[?[0-9a-fA-F:]+\]?$/.test(h);
}

/** `when:` holds for true, and for a string parameter that was given a value (not "", "false", "0", "no"). */
function truthy(val: string | boolean | undefined): boolean {
  if (typeof val === 'boolean') return val;
  return val !== undefined && !['', 'false', '0', 'no'].includes(val.trim().toLowerCase());
}

/** Apply parameters and expansions: the concrete hosts of one profile. */
export function instantiate(raw: RawProfile & { origin: string }, params: Record<string, string | boolean>): Profile {
  const vars: Record<string, string | boolean> = {};
  for (const p of raw.params) vars[p.name] = p.name in params ? params[p.name] : p.default;
  const hosts: HostEntry[] = [];
  raw.hosts.forEach((h, i) => {
    if (h.when && !truthy(vars[h.when])) return;
    const where = `profile ${raw.origin}: field hosts.${i}.host`;
    for (const row of cartesian(h.expand ?? {})) {
      const host = substitute(h.host, { ...vars, ...row }, where).toLowerCase();
      if (!isValidHost(host)) throw new UsageError(`${where}: "${host}" is not a valid host name`);
      const sub = (s: string) => substitute(s, { ...vars, ...row }, `profile ${raw.origin}: hosts.${i}`);
      const paths = <T extends string | { path: string }>(list: T[] | undefined) =>
        (list ?? []).map((e) => (typeof e === 'string' ? { path: sub(e) } : { ...(e as object), path: sub((e as { path: string }).path) }));
      hosts.push({
        host,
        role: h.role,
        group: h.group ?? host,
        required: h.required,
        wildcard: h.wildcard,
        source: `${raw.source}: ${h.source}`,
        tcp: h.tcp ?? [],
        udp: h.udp,
        tls: h.tls ?? false,
        http: paths(h.http),
        ws: paths(h.ws),
        sse: paths(h.sse),
        idle: h.idle ?? false,
        ipRanges: h.ipRanges,
        note: h.note,
        ...(h.zone ? { zone: true } : {}),
        ...(h.services ? { services: h.services } : {}),
        ...(h.chosen ? { chosen: true } : {}),
        ...(raw.historical ? { historical: true } : {}),
      });
    }
  });
  const pcc: PccSpec | undefined = raw.pcc ? { ...raw.pcc, source: `${raw.source}: ${raw.pcc.source}` } : undefined;
  return {
    id: raw.id,
    title: raw.title,
    source: raw.source,
    media: raw.media,
    params: raw.params.map((p) => ({ ...p, default: p.default })),
    hosts,
    pcc,
    ...(raw.historical ? { historical: raw.historical } : {}),
    origin: raw.origin,
  };
}

/** Load and merge the given profiles with the run's parameters. */
export function loadProfiles(refs: string[], params: Record<string, string | boolean>): ProfileSet {
  const raws = refs.map(readProfile);
  const known = new Set(raws.flatMap((r) => r.params.map((p) => p.name)));
  for (const name of Object.keys(params)) {
    if (!known.has(name))
      throw new UsageError(`unknown parameter "${name}" for profile(s) ${raws.map((r) => r.id).join(', ')} (known: ${[...known].join(', ') || 'none'})`);
  }
  const profiles = raws.map((r) => instantiate(r, params));
  const effective: Record<string, string | boolean> = {};
  for (const r of raws) for (const p of r.params) effective[p.name] = p.name in params ? params[p.name] : p.default;
  const byHost = new Map<string, HostEntry>();
  for (const p of profiles)
    for (const h of p.hosts) {
      const prev = byHost.get(h.host);
      if (!prev) {
        byHost.set(h.host, { ...h, tcp: [...h.tcp], http: [...h.http], ws: [...h.ws], sse: [...h.sse] });
        continue;
      }
      for (const port of h.tcp) if (!prev.tcp.includes(port)) prev.tcp.push(port);
      const mergePaths = <T extends { path: string }>(a: T[], b: T[]) => {
        for (const e of b) if (!a.some((x) => x.path === e.path)) a.push(e);
      };
      mergePaths(prev.http, h.http);
      mergePaths(prev.ws, h.ws);
      mergePaths(prev.sse, h.sse);
      prev.tls ||= h.tls;
      prev.idle ||= h.idle;
      if (h.udp) prev.udp = [...new Set([...(prev.udp ?? []), ...h.udp])];
      if (!prev.source.includes(h.source)) prev.source += `; ${h.source}`;
    }
  return {
    profiles,
    params: effective,
    hosts: [...byHost.values()],
    media: profiles.some((p) => p.media),
    pcc: profiles.find((p) => p.pcc)?.pcc,
  };
}
