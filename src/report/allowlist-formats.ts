// Renders an allowlist (allowlist.ts) for the people and products that apply it: csv, json, md,
// a Squid snippet, an nftables snippet, a PAC file and a generic NGFW address/service CSV. Pure.

import { covers, NO_INSPECTION, type AllowAction, type AllowEntry, type Allowlist, documentsOf, TITLE_000, wildcardZone } from './allowlist.js';

export const ALLOWLIST_FORMATS = ['csv', 'json', 'md', 'squid', 'nft', 'pac', 'ngfw'] as const;
export type AllowlistFormat = (typeof ALLOWLIST_FORMATS)[number];

export interface AllowlistRenderOptions {
  /** The PAC's answer for the listed names: "PROXY host:port" / "HTTPS host:port" (default DIRECT). */
  pacAnswer?: string;
}

export const ACTION_TEXT: Record<AllowAction, string> = {
  allow: 'allow',
  'bypass-proxy': 'bypass the proxy',
  'no-inspection': 'no TLS inspection',
  'no-keyword-filter': 'exempt from URL-keyword filters',
  'no-buffering': 'no buffering of streaming responses',
  'long-idle': 'idle timeout ≥ 4 h',
};

const LONG_IDLE_S = 4 * 3600; // seed 000_637c892c7d775e13.txt: "Set a timeout of ≥ 4 hours — or no cap"

const portsText = (e: AllowEntry) => `${e.protocol.toUpperCase()} ${e.ports.join(', ')}`;
const isAlternative = (e: AllowEntry) => e.alternativeTo !== undefined;
/** Entries a firewall or proxy lets through by name (not the bypass-only local agent). */
const namedAllows = (l: Allowlist) => l.entries.filter((e) => (e.kind === 'name' || e.kind === 'wildcard') && e.actions.includes('allow'));

function header(l: Allowlist): string[] {
  const params = Object.entries(l.params).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  return [`Profiles: ${l.profiles.join(', ')}${params ? ` (${params})` : ''}`, `From: ${documentsOf(l).join('; ')}`];
}

// ---------------------------------------------------------------------------------------- csv
function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
export function csvRow(cells: string[]): string {
  return cells.map(csvCell).join(',');
}

function renderCsv(l: Allowlist): string {
  const rows = [csvRow(['destination', 'kind', 'protocol', 'ports', 'actions', 'required', 'service', 'reason', 'documents', 'profiles', 'paths', 'alternative_to', 'includes', 'note'])];
  for (const e of l.entries)
    rows.push(
      csvRow([e.destination, e.kind, e.protocol, e.ports.join(' '), e.actions.join(' '), e.required, e.service, e.reason, e.documents.join('; '), e.profiles.join(' '), (e.paths ?? []).join(' '), e.alternativeTo ?? '', (e.includes ?? []).join(' '), e.note ?? '']),
    );
  return rows.join('\n') + '\n';
}

// ----------------------------------------------------------------------------------------- md
/** A Markdown table cell: pipes escaped, names in code spans so `*` and `_` stay literal. */
function cell(s: string): string {
  return s
    .replace(/\r?\n/g, ' ')
    .replace(/\|/g, '\\|')
    .replace(/(^|[\s(])(\*\.[a-z0-9.-]*[a-z0-9])/gi, '$1`$2`');
}

function renderMd(l: Allowlist): string {
  const out = [`# Allowlist: ${l.profiles.join(', ')}`, ''];
  for (const h of header(l)) out.push(`- ${cell(h)}`);
  out.push('', '| destination | protocol / ports | service | what to do | required | why | document |', '| --- | --- | --- | --- | --- | --- | --- |');
  const notes: string[] = [];
  for (const e of l.entries.filter((x) => !isAlternative(x))) {
    if (e.note && !notes.includes(e.note)) notes.push(e.note);
    const mark = e.note ? ` [${notes.indexOf(e.note) + 1}]` : '';
    const dest = e.kind === 'unlisted' ? `${e.destination}${mark}` : `\`${e.destination}\`${mark}`;
    const incl = e.includes?.length ? ` (includes ${e.includes.map((w) => `\`${w}\``).join(', ')})` : '';
    out.push(`| ${dest}${incl} | ${portsText(e)} | ${cell(e.service)} | ${e.actions.map((a) => ACTION_TEXT[a]).join('; ')} | ${e.required} | ${cell(e.reason)} | ${cell(e.documents.join('; '))} |`);
  }
  if (notes.length) out.push('');
  notes.forEach((n, i) => out.push(`[${i + 1}] ${cell(n)}`));
  const alts = new Map<string, AllowEntry[]>();
  for (const e of l.entries.filter(isAlternative)) alts.set(e.alternativeTo!, [...(alts.get(e.alternativeTo!) ?? []), e]);
  for (const [w, list] of alts) {
    out.push('', `If your firewall cannot match \`${w}\`, allow these names (${portsText(list[0]!)}) instead:`, '');
    for (const e of list) out.push(`- \`${e.destination}\`${e.actions.includes('no-keyword-filter') ? ` — ${ACTION_TEXT['no-keyword-filter']}: its name contains "proxy"` : ''}`);
  }
  for (const e of l.entries.filter((x) => x.paths?.length))
    out.push('', `If a proxy filters URL paths on \`${e.destination}\`, include ${e.paths!.map((p) => `\`${p}\``).join(', ')}.`);
  return out.join('\n') + '\n';
}

// -------------------------------------------------------------------------------------- squid
const squidDomain = (d: string) => (d.startsWith('*.') ? wildcardZone(d) : d);

/** Drop names a wildcard of the same list already covers (Squid warns about such overlaps). */
function withoutCovered(dests: string[]): string[] {
  const uniq = [...new Set(dests)];
  return uniq.filter((d) => !uniq.some((w) => w !== d && covers(w, d)));
}

function wrapComment(prefix: string, items: string[], width = 100): string[] {
  const lines: string[] = [];
  let cur = prefix;
  for (const it of items) {
    const add = cur === prefix ? it : `, ${it}`;
    if (cur.length + add.length > width && cur !== prefix) {
      lines.push(`${cur},`);
      cur = `#   ${it}`;
    } else cur += add;
  }
  lines.push(cur);
  return lines;
}

function renderSquid(l: Allowlist): string {
  const out = ['# netready allowlist: squid.conf snippet', ...header(l).map((h) => `# ${h}`)];
  out.push(
    '# Include it before your own "http_access deny" lines and before your ssl_bump bump rule,',
    '# e.g. "include /etc/squid/conf.d/netready.conf". A leading dot matches the domain and every name below it.',
  );
  const named = namedAllows(l).filter((e) => e.protocol === 'tcp');
  const groups = new Map<string, AllowEntry[]>();
  for (const e of named) groups.set(e.ports.join('_'), [...(groups.get(e.ports.join('_')) ?? []), e]);
  for (const [key, list] of groups) {
    const services = [...new Set(list.flatMap((e) => e.service.split(', ')))].join(', ');
    out.push('', `# Allow: ${services} (TCP ${list[0]!.ports.join(', ')})`);
    out.push(`acl netready_dst_${key} dstdomain ${withoutCovered(list.map((e) => e.destination)).map(squidDomain).join(' ')}`);
    out.push(`acl netready_port_${key} port ${list[0]!.ports.join(' ')}`);
    out.push(`http_access allow netready_dst_${key} netready_port_${key}`);
  }
  // The documents' no-inspection list, as far as this allowlist reaches into it.
  const noInspect = NO_INSPECTION.filter((w) => l.entries.some((e) => e.actions.includes('no-inspection') && (e.destination === w || covers(w, e.destination))));
  if (noInspect.length) {
    out.push('', `# No TLS inspection: it breaks WebSocket upgrades and TURN over TLS (${TITLE_000})`);
    out.push(`acl netready_no_inspection ssl::server_name ${noInspect.map(squidDomain).join(' ')}`);
    out.push('ssl_bump splice netready_no_inspection');
  }
  for (const e of l.entries.filter((x) => x.actions.includes('no-buffering')))
    out.push('', `# ${e.destination}: streaming responses (Server-Sent Events) must pass unbuffered: splice it or`, '# keep it away from scanning (ICAP/eCAP) services.');
  const idle = withoutCovered(named.filter((e) => e.actions.includes('long-idle')).map((e) => e.destination));
  if (idle.length) {
    out.push('', '# Idle timeout ≥ 4 hours for long-lived connections (WebSocket, Server-Sent Events) to:');
    out.push(...wrapComment('#   ', idle));
    out.push('# Squid applies read_timeout and client_lifetime to every destination: e.g. read_timeout 4 hours.');
  }
  for (const e of l.entries.filter((x) => x.actions.includes('bypass-proxy')))
    out.push('', `# ${e.destination} (${portsText(e)}) must not reach this proxy at all: bypass it in the browser/OS`, '# (PAC: --format pac; Windows proxy bypass list).');
  const other = l.entries.filter((e) => e.kind === 'range' || e.kind === 'unlisted' || e.protocol === 'udp');
  if (other.length) {
    const byPorts = new Map<string, string[]>();
    for (const e of other) byPorts.set(portsText(e), [...new Set([...(byPorts.get(portsText(e)) ?? []), e.destination])]);
    out.push('', '# Not for Squid (firewall rules: --format nft or --format ngfw):');
    for (const [ports, dests] of byPorts) out.push(...wrapComment(`#   ${ports} to `, dests));
    if (other.some((e) => e.kind === 'unlisted' && e.protocol === 'tcp'))
      out.push('# Through this proxy, TURN over TLS 443 is a CONNECT to media servers whose names are not published.');
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------- nft
/** An nft comment string: at most 128 characters, no double quotes. */
const nftComment = (s: string) => {
  const t = s.replace(/"/g, "'");
  return t.length > 128 ? `${t.slice(0, 125)}...` : t;
};
/** IPv4 prefixes in address order (others after, as given). */
function sortRanges(ranges: string[]): string[] {
  const key = (r: string) => (/^\d+\.\d+\.\d+\.\d+/.test(r) ? r.split('/')[0]!.split('.').reduce((a, o) => a * 256 + Number(o), 0) : Infinity);
  return [...ranges].sort((a, b) => key(a) - key(b));
}
const nftPorts = (ports: string[]) => (ports.length === 1 ? ports[0]! : `{ ${ports.join(', ')} }`);

function renderNft(l: Allowlist): string {
  const out = ['# netready allowlist: nftables snippet (IP ranges and ports)', ...header(l).map((h) => `# ${h}`)];
  out.push(
    '# Load it with "nft -f FILE" and send outbound traffic through it from your own chain in the same',
    '# table: "jump netready_allowlist" (the table is Debian\'s default "inet filter"; rename it to yours).',
    '# Replies are return traffic of the same flows (ct state established).',
  );
  const names = withoutCovered(namedAllows(l).filter((e) => !isAlternative(e)).map((e) => e.destination));
  if (names.length) {
    out.push('# nftables cannot match names: allow these on your proxy or name-aware firewall (--format squid/ngfw):');
    out.push(...wrapComment('#   ', names));
  }
  const T = 'inet filter';
  out.push('add table inet filter', `add chain ${T} netready_allowlist`, `flush chain ${T} netready_allowlist`);
  const ranges = l.entries.filter((e) => e.kind === 'range');
  const rangeGroups = new Map<string, AllowEntry[]>();
  for (const e of ranges) {
    const key = `${e.destination.includes(':') ? 'ip6' : 'ip'} ${e.protocol} ${e.ports.join(',')}`;
    rangeGroups.set(key, [...(rangeGroups.get(key) ?? []), e]);
  }
  for (const [key, list] of rangeGroups) {
    const [fam, proto] = key.split(' ') as [string, string];
    const docs = [...new Set(list.flatMap((e) => e.documents))].join('; ');
    out.push(`# ${docs}`);
    out.push(
      `add rule ${T} netready_allowlist ${fam} daddr { ${sortRanges(list.map((e) => e.destination)).join(', ')} } ${proto} dport ${nftPorts(list[0]!.ports)} accept comment "${nftComment(list[0]!.reason.split('; ')[0]!)}"`,
    );
  }
  for (const e of l.entries.filter((x) => x.kind === 'unlisted')) {
    out.push(`# ${e.destination}, ${e.service} (${e.documents.join('; ')}): no published addresses, so any destination`);
    out.push(`add rule ${T} netready_allowlist ${e.protocol} dport ${nftPorts(e.ports)} accept comment "${nftComment(`${e.destination}: ${e.service}`)}"`);
  }
  for (const e of l.entries.filter((x) => x.actions.includes('bypass-proxy')))
    out.push(`# ${e.destination} (${portsText(e)}) is this machine (127.0.0.1): no firewall rule; bypass the proxy (--format pac)`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------- pac
const js = (s: string) => JSON.stringify(s);

function renderPac(l: Allowlist, o: AllowlistRenderOptions): string {
  const answer = o.pacAnswer ?? 'DIRECT';
  const bypass = [...new Set(l.entries.filter((e) => e.actions.includes('bypass-proxy')).map((e) => e.destination))];
  const listed = withoutCovered(namedAllows(l).filter((e) => !isAlternative(e) && e.protocol === 'tcp').map((e) => e.destination)).filter((d) => !bypass.includes(d));
  const names = listed.filter((d) => !d.startsWith('*.'));
  const zones = listed.filter((d) => d.startsWith('*.')).map(wildcardZone);
  const out = ['// netready allowlist: PAC file', ...header(l).map((h) => `// ${h}`)];
  out.push(
    `// The listed names go ${answer === 'DIRECT' ? 'DIRECT' : `through ${answer.replace(/^\S+\s+/, '')}`}; merge the rules into your own PAC file and keep your`,
    '// usual answer for everything else. Browsers read PAC files; the Vonage video SDKs do not, and WebRTC',
    '// media (UDP, TURN) is not decided here.',
    'function FindProxyForURL(url, host) {',
    '  host = host.toLowerCase();',
  );
  for (const b of bypass) out.push(`  // ${b}: this machine (127.0.0.1); it must bypass every proxy.`, `  if (host == ${js(b)}) return "DIRECT";`);
  if (names.length) {
    out.push(`  var names = [${names.map(js).join(', ')}];`);
    out.push(`  for (var i = 0; i < names.length; i++) if (host == names[i]) return ${js(answer)};`);
  }
  if (zones.length) {
    out.push(`  var zones = [${zones.map(js).join(', ')}];`);
    out.push(`  for (var j = 0; j < zones.length; j++) if (dnsDomainIs(host, zones[j])) return ${js(answer)};`);
  }
  out.push('  // Everything else: your usual answer.', '  return "DIRECT";', '}');
  return out.join('\n') + '\n';
}

// --------------------------------------------------------------------------------------- ngfw
const objName = (d: string) => `nr-${d.replace(/^\*\./, 'any.').replace(/\//g, '_').replace(/[^A-Za-z0-9_-]+/g, '-')}`;

function renderNgfw(l: Allowlist): string {
  const rows = [csvRow(['address_name', 'address_type', 'address', 'service_name', 'protocol', 'ports', 'action', 'decryption', 'session_idle_timeout_s', 'required', 'alternative_to', 'description', 'document'])];
  for (const e of l.entries.filter((x) => x.actions.includes('allow'))) {
    const type = e.kind === 'wildcard' ? 'wildcard-fqdn' : e.kind === 'name' ? 'fqdn' : e.kind === 'range' ? 'ip-netmask' : 'any';
    rows.push(
      csvRow([
        e.kind === 'unlisted' ? 'any' : objName(e.destination),
        type,
        e.kind === 'unlisted' ? 'any' : e.destination,
        `nr-${e.protocol}-${e.ports.join('-')}`,
        e.protocol,
        e.ports.join(' '),
        'allow',
        e.actions.includes('no-inspection') ? 'no-decrypt' : '',
        e.actions.includes('long-idle') ? String(LONG_IDLE_S) : '',
        e.required,
        e.alternativeTo ?? '',
        e.kind === 'unlisted' ? `${e.destination} (${e.service}): ${e.reason}` : `${e.service}: ${e.reason}`,
        e.documents.join('; '),
      ]),
    );
  }
  return rows.join('\n') + '\n';
}

/** JSON with one entry per line: reviewable, and a change to one destination is a one-line diff. */
function renderJson(l: Allowlist): string {
  const head = { schema: l.schema, profiles: l.profiles, params: l.params };
  const top = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const entries = l.entries.map((e) => `    ${JSON.stringify(e)}`).join(',\n');
  return `{\n${top.join(',\n')},\n  "entries": [${entries ? `\n${entries}\n  ` : ''}]\n}\n`;
}

export function renderAllowlist(l: Allowlist, format: AllowlistFormat, o: AllowlistRenderOptions = {}): string {
  switch (format) {
    case 'csv':
      return renderCsv(l);
    case 'json':
      return renderJson(l);
    case 'md':
      return renderMd(l);
    case 'squid':
      return renderSquid(l);
    case 'nft':
      return renderNft(l);
    case 'pac':
      return renderPac(l, o);
    case 'ngfw':
      return renderNgfw(l);
  }
}
