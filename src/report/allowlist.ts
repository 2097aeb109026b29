// The allowlist a set of profiles implies: names, wildcards, IP ranges, ports and protocols, each
// with what to do (allow, no TLS inspection, bypass the proxy, ...), why, and the document it comes
// from. Pure: built from the loaded profiles only (src/profiles/*.yaml) and the few facts of the
// requirement documents cited below. Rendered by allowlist-formats.ts.
//
// Names: a profile host that stands for a wildcard (its `wildcard` field) is listed as that
// wildcard, never by its own name when the name comes from a parameter: those are the
// representative names netready tests through (`--param tokboxMediaHost=…`), not names a
// document gives. A literal name under a wildcard is one the profile copied from its document
// (seed 000's explicit Upscope hosts), listed as the alternative for firewalls without wildcards.

import { instantiate, loadProfiles, readProfile } from '../profiles/load.js';
import { DOCUMENTS, DOCUMENT_WILDCARDS, NO_INSPECTION, SEED_000, SEED_001, SEED_002, SEED_003, covers, documentTitle, wildcardZone } from '../shared/documents.js';
import type { HostEntry, Profile, Requirement } from '../shared/profile-types.js';

export const ALLOWLIST_SCHEMA = 'netready/allowlist@1';

/** name: one host; wildcard: `*.zone`; range: an IP prefix; unlisted: servers no document names. */
export type DestinationKind = 'name' | 'wildcard' | 'range' | 'unlisted';

/**
 * allow: let it through the firewall/proxy · no-inspection: no TLS inspection (decryption) ·
 * no-buffering: the proxy passes streaming responses at once · long-idle: idle timeout ≥ 4 hours ·
 * bypass-proxy: the browser must not send it to a proxy · no-keyword-filter: exempt from URL-keyword
 * filters.
 */
export type AllowAction = 'allow' | 'no-inspection' | 'no-buffering' | 'long-idle' | 'bypass-proxy' | 'no-keyword-filter';

export interface AllowEntry {
  destination: string;
  kind: DestinationKind;
  protocol: 'tcp' | 'udp';
  /** Ports and port ranges ("443", "1025-65535"), ascending. */
  ports: string[];
  /** What runs there, e.g. "HTTPS, WSS, Server-Sent Events". */
  service: string;
  actions: AllowAction[];
  required: Requirement;
  reason: string;
  /** Titles of the requirement documents this entry comes from. */
  documents: string[];
  /** Profile ids that need it. */
  profiles: string[];
  /** For a proxy that filters by URL path: the paths to include. */
  paths?: string[];
  /** An explicit name listed for firewalls that cannot match this wildcard. */
  alternativeTo?: string;
  /** Narrower wildcards of the profiles this entry covers. */
  includes?: string[];
  /** What to know before applying it (e.g. that no document names these servers). */
  note?: string;
}

export interface Allowlist {
  schema: typeof ALLOWLIST_SCHEMA;
  profiles: string[];
  /** The parameters that shaped the list (e.g. signDomain, unified). */
  params: Record<string, string | boolean>;
  entries: AllowEntry[];
}

const TITLE_000 = documentTitle(SEED_000);
const TITLE_001 = documentTitle(SEED_001);
const TITLE_002 = documentTitle(SEED_002);
const TITLE_003 = documentTitle(SEED_003);

// The media port range all three Vonage/TokBox documents give: seed 000 row 4 "UDP 1025–65535",
// seed 001 "UDP ports 1025 - 65535", seed 002 "UDP ports 1025–65535". The profiles list sampled
// ports of it (opentok-2013 `udp: [1025, 50000, 65535]`).
const UDP_MEDIA_RANGE = { from: 1025, to: 65535 };

const MEDIA_SERVERS = 'Vonage media servers';
// seed 000 row 3 note: "Customers who need IP-based allowlisting instead of domains must request the
// Enterprise Environment "Allowed IPs" add-on from Vonage".
const MEDIA_UNLISTED =
  'Vonage publishes no names or IP ranges for its media servers: allow the ports to any destination, or request ' +
  'the Enterprise Environment "Allowed IPs" add-on from Vonage for an IP allowlist';

interface MediaRow {
  protocol: 'tcp' | 'udp';
  note: string;
  port: string;
  service: string;
  required: Requirement;
  reason: string;
  document: string;
}

/**
 * The media rows of a document whose media servers are not named (a profile with `media: true`):
 * seed 000 row 4 and section 2 ("Optimal: UDP 3478 + UDP 1025–65535 + TCP 443"; "fallback TURN over
 * TCP/TLS 443"), seed 001 ("opening UDP Port 3478 will give you a better experience", "we recommend
 * opening UDP ports 1025 - 65535"). Seed 002 names its media servers and ranges: its hosts carry them.
 */
const MEDIA_ROWS: Record<string, MediaRow[]> = {
  [SEED_000]: [
    { protocol: 'udp', port: '3478', service: 'STUN/TURN', required: 'always', reason: 'Audio and video media: the recommended minimum', note: MEDIA_UNLISTED, document: TITLE_000 },
    { protocol: 'udp', port: '1025-65535', service: 'SRTP audio and video', required: 'always', reason: 'Audio and video media, preferred (the optimal tier)', note: MEDIA_UNLISTED, document: TITLE_000 },
    { protocol: 'tcp', port: '443', service: 'TURN over TCP/TLS', required: 'always', reason: 'Media fallback when UDP is blocked (the absolute minimum: slower setup, lower quality)', note: MEDIA_UNLISTED, document: TITLE_000 },
  ],
  [SEED_001]: [
    { protocol: 'udp', port: '3478', service: 'STUN/TURN', required: 'recommended', reason: 'Audio and video over UDP: "a better experience" than TCP 443 only', note: MEDIA_UNLISTED, document: TITLE_001 },
    { protocol: 'udp', port: '1025-65535', service: 'SRTP audio and video', required: 'recommended', reason: 'Audio and video media: "the best possible experience"', note: MEDIA_UNLISTED, document: TITLE_001 },
  ],
  [SEED_002]: [],
};

// What each port is for, seed 002_366555b85f8bab97.txt "OpenTok connectivity architecture":
// "TCP/80—HTTP for OpenTok RESTful API calls · TCP/443—HTTPS and TURN support for media · TCP/5560—
// Control channel for OpenTok iOS clients · TCP/3478—TURN ... · UDP/1025-65536—... media".
const PORT_USE_002: Record<string, string> = {
  'tcp:80': 'REST API (HTTP)',
  'tcp:443': 'HTTPS and TURN',
  'tcp:3478': 'TURN',
  'tcp:5560': 'iOS control channel',
  'udp:1025-65535': 'audio and video media',
};

/** What the destinations of a profile group are for, by document (the documents' own words). */
function purpose(profile: Profile, h: HostEntry): string {
  const src = profile.source;
  const wild = h.wildcard;
  if (h.role === 'sign')
    // seed 000 rows 1-2 and "WebSocket and streaming connections".
    return 'OneSpan Sign domain: signing ceremony UI and APIs; Virtual Room room state, joins and captions (Server-Sent Events); GraphQL subscriptions (WSS)';
  if (src === SEED_000 && wild === '*.vonage.com') return 'Vonage Video on the Unified environment (accounts on it also need *.vonage.com)';
  if (src === SEED_000 && h.role === 'video') return 'Vonage Video: session setup, in-call signalling, telemetry, media-over-WebSocket fallback';
  if (src === SEED_001 && h.role === 'video') return 'Vonage Video (TokBox): the minimum is TCP 443 to *.tokbox.com and *.opentok.com';
  if (h.role === 'cobrowse' && h.group === 'upscope') return 'Upscope co-browsing and shared document view';
  if (h.role === 'cobrowse') return 'Co-browsing viewer (iframe)';
  if (h.role === 'ocsp') return "Certificate status (OCSP/CRL) of TokBox's HTTPS certificate; without it, console warnings but the session works";
  if (src === SEED_002 && h.role === 'media') return 'OpenTok media routers and TURN servers (2013 list)';
  if (src === SEED_002) return 'OpenTok servers (2013 list)';
  return `Required by profile ${profile.id}`;
}

const portNum = (p: string) => Number(p.split('-', 1)[0]);
export const sortPorts = (ports: Iterable<string>) => [...new Set(ports)].sort((a, b) => portNum(a) - portNum(b) || a.localeCompare(b));

/** UDP ports a profile samples of the documents' media range are listed as the range itself. */
function udpPorts(udp: number[]): string[] {
  return udp.every((p) => p >= UDP_MEDIA_RANGE.from && p <= UDP_MEDIA_RANGE.to)
    ? [`${UDP_MEDIA_RANGE.from}-${UDP_MEDIA_RANGE.to}`]
    : sortPorts(udp.map(String));
}

function serviceText(profile: Profile, h: HostEntry, protocol: 'tcp' | 'udp', ports: string[]): string {
  if (profile.source === SEED_002) return ports.map((p) => `${protocol.toUpperCase()} ${p} ${PORT_USE_002[`${protocol}:${p}`] ?? ''}`.trim()).join(', ');
  if (protocol === 'udp') return 'audio and video media';
  const parts: string[] = [];
  // Joined with ", " (merged entries take the union of these parts).
  for (const p of ports) {
    // The document's own protocol column where the profile carries it.
    if (p === '443' && h.tls && h.services?.length) parts.push(...h.services);
    else if (p === '443' && h.tls) {
      parts.push('HTTPS');
      if (h.ws.length) parts.push('WSS');
      if (h.sse.length) parts.push('Server-Sent Events');
    } else if (p === '80' && h.http.length) parts.push('HTTP');
    else parts.push(`TCP ${p}`);
  }
  return parts.join(', ');
}

/** "/virtual-room/probe/existence" -> "/virtual-room/*": what a path-filtering proxy must allow. */
function pathPrefixes(h: HostEntry): string[] {
  const out = new Set<string>();
  for (const { path } of [...h.http, ...h.ws, ...h.sse]) {
    const segs = path.split('?', 1)[0]!.split('/').filter(Boolean);
    if (segs.length === 0) continue;
    out.add(segs.length === 1 ? `/${segs[0]}` : `/${segs[0]}/*`);
  }
  return [...out];
}

const underNoInspection = (dest: string) => NO_INSPECTION.some((w) => w === dest || covers(w, dest));

function folded(wildcard: string): { destination: string; includes?: string[] } {
  const doc = DOCUMENT_WILDCARDS.find((w) => covers(w, wildcard));
  return doc ? { destination: doc, includes: [wildcard] } : { destination: wildcard };
}

/** Parameters a host template takes its name from (not its `expand` variables). */
function templateParams(template: string, expand: Record<string, unknown> | undefined): string[] {
  return [...template.matchAll(/\{([A-Za-z][A-Za-z0-9]*)\}/g)].map((m) => m[1]!).filter((n) => !(n in (expand ?? {})));
}

const RANK: Record<Requirement, number> = { always: 0, recommended: 1, optional: 2 };

class Builder {
  private readonly byKey = new Map<string, AllowEntry>();
  readonly usedParams = new Set<string>();

  add(e: AllowEntry): void {
    // Unnamed servers: one row per port set (each is a tier of its own); named ones merge their ports.
    const key = [e.kind, e.destination, e.protocol, e.alternativeTo ?? '', e.kind === 'unlisted' ? e.ports.join() : ''].join('|');
    const prev = this.byKey.get(key);
    if (!prev) {
      this.byKey.set(key, { ...e, ports: sortPorts(e.ports), actions: [...e.actions], documents: [...e.documents], profiles: [...e.profiles] });
      return;
    }
    prev.ports = sortPorts([...prev.ports, ...e.ports]);
    for (const a of e.actions) if (!prev.actions.includes(a)) prev.actions.push(a);
    for (const d of e.documents) if (!prev.documents.includes(d)) prev.documents.push(d);
    for (const p of e.profiles) if (!prev.profiles.includes(p)) prev.profiles.push(p);
    if (RANK[e.required] < RANK[prev.required]) prev.required = e.required;
    if (!prev.reason.split('; ').includes(e.reason)) prev.reason += `; ${e.reason}`;
    prev.service = [...new Set([...prev.service.split(', '), ...e.service.split(', ')])].join(', ');
    if (e.paths) prev.paths = [...new Set([...(prev.paths ?? []), ...e.paths])];
    if (e.includes) prev.includes = [...new Set([...(prev.includes ?? []), ...e.includes])];
    if (e.note && !prev.note) prev.note = e.note;
  }

  entries(): AllowEntry[] {
    const order: Record<DestinationKind, number> = { name: 0, wildcard: 0, range: 2, unlisted: 3 };
    const list = [...this.byKey.values()];
    for (const e of list) e.actions.sort((a, b) => ACTION_ORDER.indexOf(a) - ACTION_ORDER.indexOf(b));
    // Stable: the profiles' own order, alternatives after their wildcard, ranges, then unlisted servers.
    const idx = new Map(list.map((e, i) => [e, i]));
    const anchor = (e: AllowEntry) => {
      if (!e.alternativeTo) return idx.get(e)!;
      const w = list.find((x) => x.destination === e.alternativeTo && x.protocol === e.protocol && !x.alternativeTo);
      return w ? idx.get(w)! + 0.5 : idx.get(e)!;
    };
    return list.sort((a, b) => order[a.kind] - order[b.kind] || anchor(a) - anchor(b) || idx.get(a)! - idx.get(b)!);
  }
}

export const ACTION_ORDER: AllowAction[] = ['allow', 'bypass-proxy', 'no-inspection', 'no-keyword-filter', 'no-buffering', 'long-idle'];

function hostEntries(b: Builder, profile: Profile, h: HostEntry, fromParams: string[]): void {
  const doc = documentTitle(profile.source);
  const base = { required: h.required, profiles: [profile.id] };
  const reason = purpose(profile, h);
  const longLived = h.ws.length > 0 || h.sse.length > 0 || h.idle;
  const tcpActions = (dest: string): AllowAction[] => {
    const a: AllowAction[] = ['allow'];
    const docs = [doc];
    // seed 000 section 2: no TLS inspection for *.opentok.com, *.tokbox.com, *.upscope.io (and
    // cobrowsingapi.com, checklist item 3).
    if (underNoInspection(dest)) {
      a.push('no-inspection');
      docs.push(TITLE_000);
    }
    // seed 000 row 5 note: "URL-keyword filters often block it because the hostname contains 'proxy'".
    if (/proxy/i.test(dest) && !dest.startsWith('*')) a.push('no-keyword-filter');
    // seed 000 "Proxy requirements": "Must not buffer streaming responses" (Server-Sent Events).
    if (h.sse.length) a.push('no-buffering');
    // seed 000: "Set a timeout of ≥ 4 hours — or no cap — for the domains in section 1"; and any
    // host a profile holds long-lived connections to.
    if (longLived || profile.source === SEED_000) a.push('long-idle');
    return a;
  };
  const docsFor = (actions: AllowAction[]) => (actions.includes('no-inspection') && doc !== TITLE_000 ? [doc, TITLE_000] : [doc]);
  // A wildcard's paths are those of the name netready tests it through: not the document's.
  const paths = h.wildcard ? [] : pathPrefixes(h);
  const rows = (destination: string, kind: DestinationKind, extra: Partial<AllowEntry>, why = reason) => {
    if (h.tcp.length) {
      const ports = sortPorts(h.tcp.map(String));
      const actions = kind === 'range' ? (['allow'] as AllowAction[]) : tcpActions(destination);
      b.add({ destination, kind, protocol: 'tcp', ports, service: serviceText(profile, h, 'tcp', ports), actions, reason: why, documents: docsFor(actions), ...base, ...(paths.length && kind !== 'range' ? { paths } : {}), ...extra });
    }
    if (h.udp?.length) {
      const ports = udpPorts(h.udp);
      b.add({ destination, kind, protocol: 'udp', ports, service: serviceText(profile, h, 'udp', ports), actions: ['allow'], reason: why, documents: [doc], ...base, ...extra });
    }
  };

  if (h.wildcard) {
    const { destination, includes } = folded(h.wildcard);
    rows(destination, 'wildcard', includes ? { includes } : {});
    // A literal name the profile copied from its document: the explicit alternative to the wildcard
    // (a zone apex stands for the wildcard itself, not for a host under it).
    if (fromParams.length === 0 && !h.zone)
      rows(h.host, 'name', { alternativeTo: destination }, `${reason} — this name for firewalls that cannot match ${destination}`);
  } else {
    for (const p of fromParams) b.usedParams.add(p);
    rows(h.host, 'name', {});
  }
  for (const range of h.ipRanges ?? [])
    rows(range, 'range', {}, `${reason}: published IP range`);
}

/** Build the allowlist of these profiles (ids or YAML files) with these parameters. */
export function buildAllowlist(refs: string[], params: Record<string, string | boolean>): Allowlist {
  // loadProfiles validates the parameters (unknown names are a usage error) and merges profiles.
  const set = loadProfiles(refs, params);
  const b = new Builder();
  for (const ref of refs) {
    const raw = readProfile(ref);
    const profile = set.profiles.find((p) => p.origin === raw.origin)!;
    raw.hosts.forEach((rh) => {
      // Instantiate one template at a time, to know which names come from a parameter.
      const fromParams = templateParams(rh.host, rh.expand);
      const hosts = instantiate({ ...raw, hosts: [rh] }, params).hosts;
      // a switch (unified=false) shapes the list either way; a name given for a wildcard adds nothing
      if (rh.when && typeof set.params[rh.when] === 'boolean') b.usedParams.add(rh.when);
      for (const h of hosts) hostEntries(b, profile, h, fromParams);
    });
    // Media servers no document names: the documents' ports to any destination.
    const mediaRows = MEDIA_ROWS[profile.source] ?? (profile.hosts.some((h) => h.udp?.length) ? [] : MEDIA_ROWS[SEED_000]!);
    if (profile.media)
      for (const m of mediaRows)
        b.add({ destination: MEDIA_SERVERS, kind: 'unlisted', protocol: m.protocol, ports: [m.port], service: m.service, actions: ['allow'], required: m.required, reason: m.reason, note: m.note, documents: [m.document], profiles: [profile.id] });
    if (profile.pcc) {
      // seed 003_606ee1d65ee49d3b.txt "Using an External Proxy": "requests to the PCC executable will
      // be redirected to the proxy, which will resolve localhost.esignlive.com into 127.0.0.1 ...
      // bypass the proxy server for the address localhost.esignlive.com"; the six ports.
      b.add({
        destination: profile.pcc.host,
        kind: 'name',
        protocol: 'tcp',
        ports: sortPorts(profile.pcc.ports.map(String)),
        service: 'WebSocket over TLS to the local agent',
        actions: ['bypass-proxy'],
        required: 'always',
        reason: `Personal Certificate Client: ${profile.pcc.host} resolves to 127.0.0.1 (this machine); through a proxy the agent is never reached — exclude it from every proxy (PAC, browser or OS bypass list)`,
        documents: [documentTitle(profile.source)],
        profiles: [profile.id],
      });
    }
  }
  const used: Record<string, string | boolean> = {};
  for (const [k, v] of Object.entries(set.params)) if (b.usedParams.has(k)) used[k] = v;
  return { schema: ALLOWLIST_SCHEMA, profiles: set.profiles.map((p) => p.id), params: used, entries: b.entries() };
}

/** The documents' titles in their order (for headers). */
export function documentsOf(list: Allowlist): string[] {
  const all = new Set(list.entries.flatMap((e) => e.documents));
  return [...DOCUMENTS.map((d) => d.title).filter((t) => all.has(t)), ...[...all].filter((t) => !DOCUMENTS.some((d) => d.title === t))];
}

export { TITLE_000, TITLE_001, TITLE_002, TITLE_003, NO_INSPECTION, covers, wildcardZone };
