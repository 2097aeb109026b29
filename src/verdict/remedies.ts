// Remedies people paste: the destinations a cause needs changed, named in full (names, the
// documents' wildcards, ports and protocols), the change-list rows, and the same change on the
// products admins use — a config snippet where the product has a config language (Squid, nginx,
// nftables, Chrome/Edge policies, Windows), steps in words for GUI products (Zscaler, Palo Alto,
// Fortinet). Pure. The facts come from the requirement documents, cited where they are used:
// seed 000_637c892c7d775e13.txt (Virtual Room and RON Network Prerequisites), seed
// 001_853fb095b65f741b.txt (TokBox firewall requirements), seed 003_606ee1d65ee49d3b.txt
// (Personal Certificate Client: Communicating via WebSocket).
import type { Change, ChangeAction, CauseId, Howto } from '../report/types.js';
import { documentWildcard, wildcardZone } from '../shared/documents.js';
import { listText, uniq, type VerdictInput } from './input.js';

/**
 * Vonage's media servers have no published names or ranges (seed 000 row 4 names none; row 3 note:
 * IP allowlisting needs the Enterprise Environment "Allowed IPs" add-on from Vonage).
 */
export const MEDIA_ANY = 'any destination (Vonage media servers: no published names or IP ranges)';

/** The names a firewall rule should carry for these hosts: the document's wildcard, the profile's, else the name. */
export function ruleNames(input: VerdictInput, hosts: string[]): string[] {
  return uniq(
    hosts.map((h) => {
      const w = input.hosts.get(h)?.wildcard;
      return documentWildcard(w ?? h) ?? w ?? h;
    }),
  );
}

/** The OneSpan Sign domain of this run (seed 000 allowlist row 1). */
export function signDomain(input: VerdictInput): string | null {
  return [...input.hosts.values()].find((h) => h.role === 'sign')?.host ?? null;
}

/**
 * The domains of the allowlist of seed 000 ("the domains in section 1"), as this run's profiles
 * name them: the Sign domain, the Vonage wildcards, Upscope and the co-browsing viewer.
 */
export function allowlistDomains(input: VerdictInput): string[] {
  const hosts = [...input.hosts.values()].filter((h) => h.role === 'sign' || h.role === 'video' || h.role === 'cobrowse').map((h) => h.host.toLowerCase());
  return ruleNames(input, hosts);
}

/** Vonage's signalling wildcards for VPN split tunnels (seed 000: "Split tunneling for *.tokbox.com and *.opentok.com"). */
export const VONAGE_WILDCARDS = ['*.tokbox.com', '*.opentok.com'];

/** Hosts for a summary: all of them when few, else the count and the rule names that cover them (the facts list every one). */
export function hostsText(input: VerdictInput, hosts: string[]): string {
  const hs = uniq(hosts);
  if (hs.length <= 4) return listText(hs);
  return `${hs.length} hosts under ${listText(ruleNames(input, hs))}`;
}

export function changes(destinations: string[], ports: string, action: ChangeAction, why: CauseId, detail?: string): Change[] {
  return uniq(destinations).map((destination) => ({ destination, ports, action, ...(detail ? { detail } : {}), why: [why] }));
}

// ---- snippets --------------------------------------------------------------------------------

/** Squid's dstdomain / ssl::server_name form: "*.opentok.com" -> ".opentok.com". */
const squidNames = (names: string[]) => names.filter((n) => !n.startsWith('any ')).map((n) => (n.startsWith('*.') ? wildcardZone(n) : n)).join(' ');
const words = (names: string[]) => names.join(', ');

const squid = (text: string): Howto => ({ product: 'Squid (squid.conf)', kind: 'config', text });
const steps = (product: string, text: string): Howto => ({ product, kind: 'steps', text });

/** No TLS inspection (seed 000: "Add these domains to the inspection bypass list"). */
export function noInspectionHowto(names: string[], issuer: string | null): Howto[] {
  const by = issuer ? ` (the device whose certificates are issued by ${issuer})` : '';
  return [
    squid(`# before the ssl_bump line that bumps: pass these through untouched\nacl netready_no_bump ssl::server_name ${squidNames(names)}\nssl_bump splice netready_no_bump`),
    steps('Zscaler Internet Access', `Policy › SSL Inspection: add a rule with action Do Not Inspect for ${words(names)}, ordered above the rules that inspect${by}.`),
    steps('Palo Alto Networks (PAN-OS)', `Policies › Decryption: add a rule with action No Decrypt whose destination is a custom URL category listing ${words(names)}, above the rule that decrypts${by}.`),
    steps('Fortinet FortiGate', `Security Profiles › SSL/SSH Inspection: in the deep-inspection profile of the policy these clients use, add ${words(names)} (wildcard FQDN addresses) to Exempt from SSL Inspection${by}.`),
  ];
}

/** Allow TCP 443 (and CONNECT on the proxy) to these names. */
export function allowTcpHowto(names: string[], ports: number[]): Howto[] {
  const portList = ports.join(' ');
  return [
    squid(`acl netready_allow dstdomain ${squidNames(names)}\nacl netready_allow_ports port ${portList}\nhttp_access allow netready_allow netready_allow_ports`),
    steps('Palo Alto Networks (PAN-OS)', `Policies › Security: an allow rule from the clients' zone for service TCP ${ports.join(', ')} whose destination is a custom URL category (wildcards allowed) listing ${words(names)}.`),
    steps('Fortinet FortiGate', `Policy & Objects › Addresses: wildcard FQDN addresses for ${words(names)}; Firewall Policy: accept from the clients to them on TCP ${ports.join(', ')}.`),
    steps('netready allowlist', 'netready allowlist --format squid | nft | ngfw | pac writes every destination of the profile as rules for that product.'),
  ];
}

export function dnsHowto(names: string[]): Howto[] {
  return [
    steps('DNS filter (Zscaler, Palo Alto DNS Security, FortiGuard DNS Filter, Windows DNS policies)', `Allow ${words(names)}: remove them from block lists and sinkholes, and let the internal resolvers forward the queries.`),
  ];
}

/** The WebSocket upgrade through a proxy (seed 000: "Must support the Upgrade: websocket handshake"). */
export function websocketHowto(names: string[], inspected: boolean): Howto[] {
  const out: Howto[] = [
    squid(
      `# Squid passes WebSockets inside a CONNECT tunnel; on a bumped (decrypted) connection it strips\n# "Upgrade: websocket". Splice these instead of bumping them:\nacl netready_ws ssl::server_name ${squidNames(names)}\nssl_bump splice netready_ws`,
    ),
    {
      product: 'nginx (a reverse proxy in front of these hosts)',
      kind: 'config',
      text: 'location / {\n    proxy_http_version 1.1;\n    proxy_set_header Upgrade $http_upgrade;\n    proxy_set_header Connection "upgrade";\n    proxy_read_timeout 4h;\n}',
    },
  ];
  if (inspected) out.push(...noInspectionHowto(names, null).slice(1));
  return out;
}

/** Streaming responses unbuffered (seed 000: "Must not buffer streaming responses"). */
export function sseHowto(sign: string): Howto[] {
  return [
    { product: 'nginx (a reverse proxy in front of the Sign domain)', kind: 'config', text: 'location /virtual-room/ {\n    proxy_buffering off;\n    gzip off;\n    proxy_read_timeout 4h;\n}' },
    squid(`# an ICAP/eCAP scanner (antivirus, DLP) behind Squid holds responses: exclude the Sign domain\nacl netready_sse dstdomain ${sign}\nadaptation_access <your ICAP service or set> deny netready_sse`),
    steps('Fortinet FortiGate', `The policy for ${sign}: flow-based inspection, or no AntiVirus/DLP profile (proxy-based scanning holds a response until it ends; an event stream never ends).`),
    steps('Zscaler Internet Access', `Policy › SSL Inspection: Do Not Inspect for ${sign}, so the event stream is not held for malware or DLP scanning.`),
  ];
}

/** Idle timeout ≥ 4 hours (seed 000: "Set a timeout of ≥ 4 hours — or no cap — for the domains in section 1"). */
export function idleHowto(names: string[]): Howto[] {
  return [
    squid('# defaults cut idle tunnels after 15 minutes (read_timeout) and 2 minutes (client_idle_pconn_timeout)\nread_timeout 4 hours\nclient_idle_pconn_timeout 4 hours'),
    { product: 'nginx (a reverse proxy in front of these hosts)', kind: 'config', text: 'proxy_read_timeout 4h;\nproxy_send_timeout 4h;' },
    steps('Fortinet FortiGate', `The firewall policy for ${words(names)}: CLI "config firewall policy", "edit <id>", "set session-ttl 14400".`),
    steps('Palo Alto Networks (PAN-OS)', 'Objects › Services: a TCP 443 service with Override › TCP Timeout 14400 s, used in the rule for these destinations.'),
  ];
}

export function keywordHowto(names: string[]): Howto[] {
  return [
    squid(`# before the rule that matches words in host names (dstdom_regex, ssl::server_name_regex)\nacl netready_kw_exempt dstdomain ${squidNames(names)}\nhttp_access allow netready_kw_exempt`),
    steps('Zscaler Internet Access', `Policy › URL & Cloud App Control: a custom URL category with ${words(names)}, allowed by a rule above the one that blocks.`),
    steps('Palo Alto Networks (PAN-OS)', `Objects › Custom Objects › URL Category: a category with ${words(names)}, set to allow in the URL Filtering profile.`),
    steps('Fortinet FortiGate', `Security Profiles › Web Filter › URL Filter: add ${words(names)} (type Simple) with action Exempt.`),
  ];
}

export function pathHowto(sign: string): Howto[] {
  return [
    squid(`# before the rule that restricts URL paths (paths are seen on plain HTTP or bumped HTTPS only)\nacl netready_sign dstdomain ${sign}\nacl netready_vr_paths urlpath_regex ^/virtual-room/ ^/graphql ^/transaction/\nhttp_access allow netready_sign netready_vr_paths`),
    steps('URL filters (Zscaler, Palo Alto, Fortinet)', `Add ${sign}/virtual-room/*, ${sign}/graphql and ${sign}/transaction/* to the allowed URLs, or allow the whole domain.`),
  ];
}

export function proxyAuthHowto(names: string[], proxies: string[]): Howto[] {
  return [
    squid(`# before the http_access line that requires authentication (proxy_auth / REQUIRED)\nacl netready_noauth dstdomain ${squidNames(names)}\nhttp_access allow netready_noauth`),
    steps('Zscaler Internet Access', `Administration › Authentication Settings: add ${words(names)} to the authentication exemptions.`),
    steps('Palo Alto Networks (PAN-OS)', `Policies › Authentication: a rule for these destinations with no authentication enforcement, above the rule that authenticates${proxies.length ? ` on ${words(proxies)}` : ''}.`),
    steps('Fortinet FortiGate', 'Policy & Objects › Proxy Policy: a policy for these destinations without authentication, above the authenticating one.'),
  ];
}

/** Configure the proxy explicitly, not only through a PAC file (seed 000: "Vonage SDKs do not support PAC files"). */
export function explicitProxyHowto(proxy: string | null): Howto[] {
  const p = (proxy ?? 'proxy.example:8080').replace(/^https?:\/\//, '');
  return [
    { product: 'Chrome / Edge policy', kind: 'config', text: `ProxyMode = "fixed_servers"\nProxyServer = "${p}"\nProxyBypassList = "<local>"` },
    steps('Windows', `Settings › Network & Internet › Proxy › Manual proxy setup: Use a proxy server, address ${p} (by group policy: User Configuration › Preferences › Control Panel Settings › Internet Settings).`),
  ];
}

/** Bypass the proxy for the local agent (seed 003: "bypass the proxy server for the address localhost.esignlive.com"). */
export function proxyBypassHowto(host: string): Howto[] {
  return [
    { product: 'Windows proxy bypass list', kind: 'config', text: `Internet Options › Connections › LAN settings › Advanced › Exceptions:\n${host};<local>\n(by policy: HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\ProxyOverride)` },
    { product: 'Chrome / Edge policy', kind: 'config', text: `ProxyBypassList = "${host};<local>"` },
    { product: 'PAC file', kind: 'config', text: `if (dnsDomainIs(host, "${host}")) return "DIRECT";` },
    { product: 'Environment (NO_PROXY)', kind: 'config', text: `NO_PROXY=${host}` },
  ];
}

/** UDP to the media servers (seed 000 section 2; seed 001 "we recommend opening UDP ports 1025 - 65535"). */
export function udpHowto(ports: string[]): Howto[] {
  const set = ports.join(', ');
  return [
    { product: 'nftables (the firewall in front of the clients)', kind: 'config', text: `# replies are return traffic of the same flow (ct state established)\nnft add rule inet filter forward udp dport { ${set} } accept` },
    steps('Palo Alto Networks (PAN-OS)', `Policies › Security: allow from the clients' zone to any destination on service UDP ${ports.join(' and UDP ')} (Vonage publishes no media server ranges).`),
    steps('Fortinet FortiGate', `Firewall Policy: accept from the clients to all on custom services UDP ${ports.join(' and UDP ')}.`),
    steps('Zscaler Internet Access', `Policy › Firewall Control: allow network services UDP ${ports.join(' and UDP ')} to any destination.`),
    { product: 'Chrome / Edge policy', kind: 'config', text: '# WebRtcUdpPortRange limits the local UDP ports WebRTC uses; "0-0" silently breaks video.\n# Leave it unset, or set a range the firewall lets out, e.g.:\nWebRtcUdpPortRange = "10000-20000"' },
  ];
}

/** TURN over TLS on 443 (seed 000: the absolute minimum, "TURN over TLS"). */
export function turnTlsHowto(): Howto[] {
  return [
    steps('Firewalls and proxies', 'Let TCP 443 out to any destination (Vonage\'s TURN servers have no published names), through the proxy as a CONNECT tunnel where there is one, without TLS inspection of those tunnels.'),
  ];
}

/** Quality of service for UDP media (DSCP EF 46 for real-time traffic, RFC 4594). */
export function qosHowto(): Howto[] {
  return [
    { product: 'Windows (PowerShell, or the same as a Group Policy QoS policy)', kind: 'config', text: 'New-NetQosPolicy -Name "Virtual Room media" -AppPathNameMatchCondition "chrome.exe" -IPProtocolMatchCondition UDP -DSCPAction 46\nNew-NetQosPolicy -Name "Virtual Room media (Edge)" -AppPathNameMatchCondition "msedge.exe" -IPProtocolMatchCondition UDP -DSCPAction 46' },
    steps('Switches, Wi-Fi and WAN', 'Trust and queue DSCP 46 (EF) as real-time traffic on the path to the Internet.'),
  ];
}

/** Split tunnelling (seed 000: "Split tunneling for *.tokbox.com and *.opentok.com is strongly recommended"). */
export function splitTunnelHowto(): Howto[] {
  return [
    steps('Palo Alto GlobalProtect', `Network › GlobalProtect › Gateways › Agent › Client Settings › Split Tunnel › Domain and Application: exclude ${words(VONAGE_WILDCARDS)}.`),
    steps('Fortinet FortiClient (SSL VPN)', `VPN › SSL-VPN Portals: enable split tunnelling and keep ${words(VONAGE_WILDCARDS)} and the media UDP out of the tunnel.`),
  ];
}

/** One change list for the whole report: the causes' changes merged by destination, ports, action and detail (why: every cause that asks). */
export function mergeChanges(causes: { changes?: Change[] }[]): Change[] {
  const out: Change[] = [];
  for (const c of causes)
    for (const x of c.changes ?? []) {
      const same = out.find((o) => o.destination === x.destination && o.ports === x.ports && o.action === x.action && (o.detail ?? '') === (x.detail ?? ''));
      if (!same) out.push({ ...x, why: [...x.why] });
      else for (const w of x.why) if (!same.why.includes(w)) same.why.push(w);
    }
  return out;
}
