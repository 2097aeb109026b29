// Which interface the OS sends traffic for an address through, and whether that interface is a VPN
// tunnel, with its MTU — pure parsers over the route commands' text (src/net/routes/read.ts runs
// them through an injected runner).
//
// Linux: `ip -j route get ADDR` (follows policy routing as WireGuard/Tailscale set it up) and
//   `ip -d -j link show dev IFACE` (link_type, linkinfo.info_kind, mtu).
// macOS: `route -n get ADDR` (interface, gateway, and the mtu column) and `ifconfig IFACE` (flags,
//   mtu, whether it has a MAC address).
// Windows: PowerShell `Find-NetRoute -RemoteIPAddress ADDR | Format-List` (the route Windows itself
//   picks, metrics and all — parsing `route print` would mean redoing that choice) and
//   `Get-NetIPInterface | Format-List …` + `Get-NetAdapter -IncludeHidden | Format-List …` for the
//   MTU (NlMtu), the adapter's description (how vendor VPN adapters are recognised) and its IANA
//   interface type (23 PPP, 131 tunnel). Format-List prints property names, which are not
//   localised; `route print` and `netsh` tables are.

/** How a route was found. */
export type RouteMethod = 'ip-route' | 'udp-connect' | 'route-get' | 'find-netroute';

export interface RouteInfo {
  address: string;
  interface: string | null;
  gateway: string | null;
  source: string | null;
  method: RouteMethod;
}

export interface InterfaceInfo {
  name: string;
  /** Windows' adapter description, e.g. "PANGP Virtual Ethernet Adapter". */
  description: string | null;
  mtu: number | null;
  tunnel: boolean;
  /** tun, tap, wireguard, ppp, ipsec, utun, gre, ipip, point-to-point, vpn-adapter, … or ether, loopback, … */
  kind: string;
  /** The VPN product when the name or description tells it. */
  vendor: string | null;
}

/** Interface names VPN clients use (OpenVPN, WireGuard, PPTP/L2TP, macOS utun/ipsec, strongSwan, GlobalProtect, Cisco AnyConnect, NordVPN, Tailscale, ZeroTier). */
export const TUNNEL_NAME = /^(tun|tap|wg|ppp|utun|ipsec|vti|gpd|cscotun|nordlynx|tailscale|zt)/i;

/** VPN products by adapter description (Windows) or interface name (Linux, macOS). */
const VENDORS: { vendor: string; description?: RegExp; name?: RegExp }[] = [
  { vendor: 'Cisco AnyConnect / Secure Client', description: /Cisco (AnyConnect|Secure Client)|Cisco Systems VPN Adapter/i, name: /^cscotun/i },
  { vendor: 'Palo Alto GlobalProtect', description: /PANGP|GlobalProtect/i, name: /^gpd\d/i },
  { vendor: 'Fortinet FortiClient', description: /Fortinet|FortiClient|FortiSSL/i, name: /^fctvpn/i },
  { vendor: 'Zscaler', description: /Zscaler/i, name: /^zcctun/i },
  { vendor: 'Pulse Secure / Ivanti', description: /Juniper Networks Virtual Adapter|Pulse Secure|Ivanti/i },
  { vendor: 'Check Point', description: /Check Point Virtual Network Adapter/i },
  { vendor: 'SonicWall', description: /SonicWall|SonicWALL NetExtender/i },
  { vendor: 'OpenVPN (TAP-Windows)', description: /TAP-Windows|TAP-Win32|OpenVPN/i },
  { vendor: 'WireGuard', description: /WireGuard|Wintun/i, name: /^wg\d/i },
  { vendor: 'Windows VPN (RAS)', description: /WAN Miniport \((IKEv2|L2TP|PPTP|SSTP)\)|RAS Async Adapter/i },
  { vendor: 'Tailscale', description: /Tailscale/i, name: /^tailscale/i },
  { vendor: 'NordVPN', description: /NordLynx|NordVPN/i, name: /^nordlynx/i },
  { vendor: 'ZeroTier', description: /ZeroTier/i, name: /^zt/i },
];

export function vendorOf(name: string, description: string | null): string | null {
  for (const v of VENDORS) if ((description && v.description?.test(description)) || v.name?.test(name)) return v.vendor;
  return null;
}

const kindFromName = (name: string) => (TUNNEL_NAME.exec(name)?.[1] ?? 'tunnel').toLowerCase();

// ---------------------------------------------------------------- Linux

/** The first object of iproute2's `-j` output (a JSON array), or null. */
function firstJsonObject(stdout: string): Record<string, unknown> | null {
  try {
    const j: unknown = JSON.parse(stdout);
    return Array.isArray(j) && j[0] && typeof j[0] === 'object' ? (j[0] as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** `ip -j route get ADDR`. Null when it is not that JSON. */
export function parseIpRouteGet(stdout: string, address: string): RouteInfo | null {
  const r = firstJsonObject(stdout);
  if (!r || typeof r.dev !== 'string') return null;
  return {
    address,
    interface: r.dev,
    gateway: typeof r.gateway === 'string' ? r.gateway : null,
    source: typeof r.prefsrc === 'string' ? r.prefsrc : null,
    method: 'ip-route',
  };
}

const LINUX_TUNNEL_KINDS = new Set(['tun', 'tap', 'wireguard', 'ipip', 'gre', 'gretap', 'ip6gre', 'ip6gretap', 'sit', 'ip6tnl', 'vti', 'vti6', 'xfrm', 'ppp', 'l2tp']);
const LINUX_TUNNEL_LINK_TYPES: Record<string, string> = { none: 'tunnel', ppp: 'ppp', ipip: 'ipip', gre: 'gre', sit: 'sit', tunnel6: 'ip6ip6', gre6: 'ip6gre' };

/** `ip -d -j link show dev IFACE`. Null when it is not that JSON. */
export function parseIpLink(stdout: string): InterfaceInfo | null {
  const l = firstJsonObject(stdout);
  if (!l || typeof l.ifname !== 'string') return null;
  const name = l.ifname;
  const mtu = typeof l.mtu === 'number' ? l.mtu : null;
  const info = (l.linkinfo ?? {}) as { info_kind?: string; info_data?: { type?: string } };
  const linkType = typeof l.link_type === 'string' ? l.link_type : 'unknown';
  const vendor = vendorOf(name, null);
  const base = { name, description: null, mtu, vendor };
  if (info.info_kind === 'tun') return { ...base, tunnel: true, kind: info.info_data?.type === 'tap' ? 'tap' : 'tun' };
  if (info.info_kind && LINUX_TUNNEL_KINDS.has(info.info_kind)) return { ...base, tunnel: true, kind: info.info_kind };
  if (linkType in LINUX_TUNNEL_LINK_TYPES) {
    const k = LINUX_TUNNEL_LINK_TYPES[linkType];
    return { ...base, tunnel: true, kind: k === 'tunnel' && TUNNEL_NAME.test(name) ? kindFromName(name) : k };
  }
  if (linkType !== 'loopback' && TUNNEL_NAME.test(name)) return { ...base, tunnel: true, kind: 'name' };
  return { ...base, tunnel: false, kind: linkType };
}

// ARPHRD_* (linux/if_arp.h), for /sys/class/net/IFACE/type
const ARPHRD: Record<number, { kind: string; tunnel: boolean }> = {
  1: { kind: 'ether', tunnel: false },
  512: { kind: 'ppp', tunnel: true },
  768: { kind: 'ipip', tunnel: true },
  769: { kind: 'ip6ip6', tunnel: true },
  772: { kind: 'loopback', tunnel: false },
  776: { kind: 'sit', tunnel: true },
  778: { kind: 'gre', tunnel: true },
  823: { kind: 'ip6gre', tunnel: true },
  65534: { kind: 'none', tunnel: true }, // ARPHRD_NONE: tun, wireguard, vti6, xfrm ...
};

export interface TunnelClass {
  tunnel: boolean;
  /** tun, tap, wireguard, ipip, gre, sit, ip6ip6, ip6gre, ppp, ipsec, name (matched by name only), or the plain type (ether, loopback, ...). */
  kind: string;
  arphrd: number | null;
}

/** Classify a Linux interface from what /sys/class/net/IFACE holds (without iproute2). Pure. */
export function classifySysfs(name: string, sys: { type: string | null; hasTunFlags: boolean; uevent: string | null }): TunnelClass {
  const arphrd = sys.type !== null && /^\d+$/.test(sys.type.trim()) ? Number(sys.type.trim()) : null;
  const devtype = /^DEVTYPE=(\S+)$/m.exec(sys.uevent ?? '')?.[1] ?? null;
  if (sys.hasTunFlags) return { tunnel: true, kind: arphrd === 1 ? 'tap' : 'tun', arphrd };
  if (devtype === 'wireguard') return { tunnel: true, kind: 'wireguard', arphrd };
  const byType = arphrd !== null ? ARPHRD[arphrd] : undefined;
  if (byType?.tunnel) return { tunnel: true, kind: byType.kind === 'none' ? (TUNNEL_NAME.test(name) ? name.replace(/\d+$/, '').toLowerCase() : 'tunnel') : byType.kind, arphrd };
  if (TUNNEL_NAME.test(name) && byType?.kind !== 'loopback') return { tunnel: true, kind: 'name', arphrd };
  return { tunnel: false, kind: byType?.kind ?? devtype ?? (arphrd === null ? 'unknown' : `arphrd-${arphrd}`), arphrd };
}

// ---------------------------------------------------------------- macOS

/** `route -n get ADDR`: "interface: utun3", "gateway: …", and the metrics table's mtu column. */
export function parseRouteGet(stdout: string, address: string): (RouteInfo & { mtu: number | null }) | null {
  const field = (k: string) => new RegExp(`^\\s*${k}:\\s*(\\S+)`, 'm').exec(stdout)?.[1] ?? null;
  const iface = field('interface');
  if (!iface) return null;
  let mtu: number | null = null;
  const lines = stdout.split(/\r?\n/);
  const h = lines.findIndex((l) => /\bmtu\b/.test(l) && /\brecvpipe\b/.test(l));
  if (h >= 0 && lines[h + 1]) {
    const col = lines[h].trim().split(/\s+/).indexOf('mtu');
    const v = lines[h + 1].trim().split(/\s+/)[col];
    if (v && /^\d+$/.test(v)) mtu = Number(v);
  }
  const gw = field('gateway');
  return { address, interface: iface, gateway: gw, source: null, method: 'route-get', mtu };
}

/** `ifconfig IFACE` (macOS): flags, mtu, and whether it has a link-layer (ether) address. */
export function parseIfconfig(stdout: string, name: string): InterfaceInfo | null {
  const head = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: flags=[0-9a-f]+<([^>]*)>(?:.*?\\bmtu (\\d+))?`, 'm').exec(stdout);
  if (!head) return null;
  const flags = head[1].split(',');
  const mtu = head[2] ? Number(head[2]) : null;
  const ether = /^\s+ether\s/m.test(stdout);
  const vendor = vendorOf(name, null);
  const base = { name, description: null, mtu, vendor };
  if (flags.includes('LOOPBACK')) return { ...base, tunnel: false, kind: 'loopback' };
  if (TUNNEL_NAME.test(name)) return { ...base, tunnel: true, kind: kindFromName(name) };
  if (flags.includes('POINTOPOINT') && !ether) return { ...base, tunnel: true, kind: 'point-to-point' };
  return { ...base, tunnel: false, kind: ether ? 'ether' : 'unknown' };
}

// ---------------------------------------------------------------- Windows

/** PowerShell `Format-List` text as records of property → value (long values wrap onto indented lines). */
export function parseFormatList(stdout: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> | null = null;
  let last: string | null = null;
  for (const raw of stdout.split(/\r?\n/)) {
    if (!raw.trim()) {
      cur = null;
      last = null;
      continue;
    }
    const m = /^([A-Za-z_][\w.]*)\s*: ?(.*)$/.exec(raw);
    if (m) {
      if (!cur) out.push((cur = {}));
      cur[m[1]] = m[2].trim();
      last = m[1];
    } else if (cur && last && /^\s+\S/.test(raw)) cur[last] += ` ${raw.trim()}`;
  }
  return out;
}

/** Find-NetRoute's two objects: the NetIPAddress (IPAddress) and the NetRoute (DestinationPrefix, NextHop). */
export function parseFindNetRoute(stdout: string, address: string): (RouteInfo & { ifIndex: number | null }) | null {
  const recs = parseFormatList(stdout);
  const route = recs.find((r) => 'DestinationPrefix' in r && 'NextHop' in r && 'InterfaceAlias' in r);
  if (!route) return null;
  const addr = recs.find((r) => 'IPAddress' in r && 'PrefixOrigin' in r);
  const hop = route.NextHop;
  return {
    address,
    interface: route.InterfaceAlias || null,
    gateway: hop && hop !== '0.0.0.0' && hop !== '::' ? hop : null,
    source: addr?.IPAddress || null,
    method: 'find-netroute',
    ifIndex: /^\d+$/.test(route.InterfaceIndex ?? '') ? Number(route.InterfaceIndex) : null,
  };
}

/** Classify a Windows interface from Get-NetIPInterface / Get-NetAdapter records (Format-List). */
export function windowsInterface(stdout: string, ifIndex: number | null, alias: string): InterfaceInfo {
  const recs = parseFormatList(stdout);
  const byIndex = (r: Record<string, string>) => (ifIndex !== null ? r.ifIndex === String(ifIndex) : false) || r.InterfaceAlias === alias || r.Name === alias;
  const ipIf = recs.find((r) => 'NlMtu' in r && byIndex(r) && (r.AddressFamily ?? 'IPv4') === 'IPv4') ?? recs.find((r) => 'NlMtu' in r && byIndex(r));
  const adapter = recs.find((r) => 'InterfaceDescription' in r && byIndex(r));
  const description = adapter?.InterfaceDescription || null;
  const mtuText = ipIf?.NlMtu ?? adapter?.MtuSize;
  const mtu = mtuText && /^\d+$/.test(mtuText) ? Number(mtuText) : null;
  const ifType = adapter?.InterfaceType && /^\d+$/.test(adapter.InterfaceType) ? Number(adapter.InterfaceType) : null;
  const vendor = vendorOf(alias, description);
  const base = { name: alias, description, mtu, vendor };
  if (/loopback/i.test(description ?? alias) || ifType === 24) return { ...base, tunnel: false, kind: 'loopback' };
  if (ifType === 23) return { ...base, tunnel: true, kind: 'ppp' };
  if (ifType === 131) return { ...base, tunnel: true, kind: 'tunnel' };
  if (vendor && vendor !== 'ZeroTier' && vendor !== 'Tailscale') return { ...base, tunnel: true, kind: 'vpn-adapter' };
  if (vendor) return { ...base, tunnel: true, kind: 'overlay' };
  if (!adapter && ipIf) return { ...base, tunnel: false, kind: 'unknown' };
  return { ...base, tunnel: false, kind: ifType === 6 ? 'ether' : ifType === 71 ? 'wifi' : ifType === 53 ? 'virtual' : 'unknown' };
}
