// vpn.route HOST: does the kernel send this video/media host's traffic into a VPN tunnel?
// seed 000_637c892c7d775e13.txt, VPN: "Full-tunnel VPNs add latency and often push media onto the
// slower TCP fallback path. Split tunneling for *.tokbox.com and *.opentok.com is strongly
// recommended"; checklist "VPN passes WebSocket traffic on port 443; split tunneling configured
// for *.tokbox.com and *.opentok.com where possible".
//
// For each video/media host: the address a connection would use (its dns.resolve answer, or the
// --resolve / --connect-to address; the proxy's address when a proxy applies, since the traffic
// then goes to the proxy), the outgoing interface the kernel picks for it (`ip -j route get ADDR`,
// which follows policy routing as WireGuard/Tailscale set it up; without `ip`: a UDP connect()
// that sends nothing, mapped to an interface by its source address), and whether that interface
// is a tunnel (ARPHRD type, tun_flags, DEVTYPE, name). Linux only; elsewhere skipped.
//
// Evidence (docs/evidence.md, read by src/verdict/rules/vpn-full-tunnel.ts): status ok when the route
// was determined; details { host, address, interface, viaTunnel, kind, viaProxy, routes }.

import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { readFile, access } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { NetError } from '../cli/errors.js';
import { mapEndpoint } from '../net/endpoint.js';
import { abortError, resolveEndpoint, resolveHost } from '../net/dial.js';
import { proxyMayApply, proxySummary } from '../net/proxy.js';
import { decisionUrl, webPort } from '../net/web.js';
import type { CheckContext, CheckDef, CheckOutcome, CheckTask } from './types.js';
import { taskKey } from './types.js';

/** Time one route lookup (`ip route get`) may take. */
export const ROUTE_LOOKUP_TIMEOUT_MS = 2000;
/** Addresses of one host that are routed (the first is the one a connection tries first). */
export const ROUTE_MAX_ADDRESSES = 4;

export interface RouteInfo {
  address: string;
  interface: string | null;
  gateway: string | null;
  source: string | null;
  /** How the route was found. */
  method: 'ip-route' | 'udp-connect';
}

export interface TunnelClass {
  tunnel: boolean;
  /** tun, tap, wireguard, ipip, gre, sit, ip6ip6, ip6gre, ppp, ipsec, name (matched by name only), or the plain type (ether, loopback, ...). */
  kind: string;
  arphrd: number | null;
}

// ARPHRD_* (linux/if_arp.h)
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

/** Interface names VPN clients use (OpenVPN, WireGuard, PPTP/L2TP, macOS utun, strongSwan, GlobalProtect, Cisco AnyConnect, NordVPN, Tailscale, ZeroTier). */
export const TUNNEL_NAME = /^(tun|tap|wg|ppp|utun|ipsec|vti|gpd|cscotun|nordlynx|tailscale|zt)/i;

async function readText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return null;
  }
}

/** Classify a Linux interface from /sys/class/net (sysRoot injectable for tests). */
export async function classifyInterface(name: string, sysRoot = '/sys/class/net'): Promise<TunnelClass> {
  if (!/^[\w.:@-]{1,32}$/.test(name)) return { tunnel: TUNNEL_NAME.test(name), kind: 'name', arphrd: null };
  const dir = `${sysRoot}/${name}`;
  const typeText = await readText(`${dir}/type`);
  const arphrd = typeText !== null && /^\d+$/.test(typeText) ? Number(typeText) : null;
  const hasTunFlags = await access(`${dir}/tun_flags`).then(
    () => true,
    () => false,
  );
  const devtype = /^DEVTYPE=(\S+)$/m.exec((await readText(`${dir}/uevent`)) ?? '')?.[1] ?? null;
  if (hasTunFlags) return { tunnel: true, kind: arphrd === 1 ? 'tap' : 'tun', arphrd };
  if (devtype === 'wireguard') return { tunnel: true, kind: 'wireguard', arphrd };
  const byType = arphrd !== null ? ARPHRD[arphrd] : undefined;
  if (byType?.tunnel) return { tunnel: true, kind: byType.kind === 'none' ? (TUNNEL_NAME.test(name) ? name.replace(/\d+$/, '').toLowerCase() : 'tunnel') : byType.kind, arphrd };
  if (TUNNEL_NAME.test(name) && byType?.kind !== 'loopback') return { tunnel: true, kind: 'name', arphrd };
  return { tunnel: false, kind: byType?.kind ?? devtype ?? (arphrd === null ? 'unknown' : `arphrd-${arphrd}`), arphrd };
}

/** Parse `ip -j route get` output. */
export function parseIpRouteGet(stdout: string, address: string): RouteInfo | null {
  let j: unknown;
  try {
    j = JSON.parse(stdout);
  } catch {
    return null;
  }
  const r = Array.isArray(j) ? (j[0] as Record<string, unknown> | undefined) : undefined;
  if (!r || typeof r.dev !== 'string') return null;
  return {
    address,
    interface: r.dev,
    gateway: typeof r.gateway === 'string' ? r.gateway : null,
    source: typeof r.prefsrc === 'string' ? r.prefsrc : null,
    method: 'ip-route',
  };
}

function ipRouteGet(address: string, signal: AbortSignal): Promise<RouteInfo> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    execFile('ip', ['-j', 'route', 'get', address], { timeout: ROUTE_LOOKUP_TIMEOUT_MS, signal, maxBuffer: 64 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (signal.aborted) return reject(abortError(signal));
      if (err) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return reject(e); // no iproute2: the caller falls back
        if (e.killed) return reject(new NetError('ROUTE_TIMEOUT', `ip route get ${address} did not answer within ${ROUTE_LOOKUP_TIMEOUT_MS} ms`, 'timeout'));
        const why = String(stderr || e.message).trim().split('\n')[0].replace(/^RTNETLINK answers:\s*/, '');
        return reject(new NetError('NO_ROUTE', `no route to ${address}: ${why}`, 'failed', { address }));
      }
      const r = parseIpRouteGet(stdout, address);
      if (!r) return reject(new NetError('NO_ROUTE', `ip route get ${address} gave no interface`, 'failed', { address }));
      resolve(r);
    });
  });
}

/** Without iproute2: connect() a UDP socket (no packet is sent) and map its source address to an interface. */
function udpConnectRoute(address: string, signal: AbortSignal): Promise<RouteInfo> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const sock = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => done(new NetError('ROUTE_TIMEOUT', `no route answer for ${address}`, 'timeout')), ROUTE_LOOKUP_TIMEOUT_MS);
    const done = (e: unknown, r?: RouteInfo) => {
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        /* already closed */
      }
      if (e) reject(e);
      else resolve(r!);
    };
    sock.once('error', (e: NodeJS.ErrnoException) => done(new NetError('NO_ROUTE', `no route to ${address}: ${e.code ?? e.message}`, 'failed', { address })));
    sock.connect(9, address, () => {
      const src = sock.address().address;
      let iface: string | null = null;
      for (const [name, list] of Object.entries(os.networkInterfaces())) if (list?.some((a) => a.address === src)) iface ??= name;
      done(null, { address, interface: iface, gateway: null, source: src, method: 'udp-connect' });
    });
  });
}

// One lookup per distinct address per run (the engine's signal is shared by every task of a run).
const cache = new WeakMap<AbortSignal, Map<string, Promise<RouteInfo>>>();

export function routeOf(address: string, signal: AbortSignal): Promise<RouteInfo> {
  let m = cache.get(signal);
  if (!m) cache.set(signal, (m = new Map()));
  let p = m.get(address);
  if (!p) {
    p = ipRouteGet(address, signal).catch((e: NodeJS.ErrnoException) => {
      if (e?.code === 'ENOENT') return udpConnectRoute(address, signal);
      throw e;
    });
    m.set(address, p);
  }
  return p;
}

const isRouted = (role: string) => role === 'video' || role === 'media';

export const vpnRoute: CheckDef = {
  id: 'vpn.route',
  title: 'Video and media hosts are not routed through a VPN tunnel',
  plan(profiles, config): CheckTask[] {
    if (!profiles.media) return [];
    return profiles.hosts
      .filter((h) => isRouted(h.role) && !h.zone)
      .map((h) => {
        const port = webPort(h);
        const direct = !proxyMayApply(decisionUrl(h.host, port, h.tls), config);
        return { key: taskKey('vpn.route', h.host), id: 'vpn.route', target: h.host, dependsOn: direct ? [taskKey('dns.resolve', h.host)] : [], host: h, params: { port } };
      });
  },
  async run(task, ctx) {
    return runVpnRoute(task, ctx);
  },
};

export async function runVpnRoute(task: CheckTask, ctx: CheckContext, platform: NodeJS.Platform = process.platform, sysRoot?: string): Promise<CheckOutcome> {
  const host = task.target.toLowerCase();
  const port = Number(task.params.port ?? 443);
  const tlsOn = task.host?.tls ?? true;
  if (platform !== 'linux') return { status: 'skipped', reason: `route lookup is implemented for Linux only (this is ${platform})`, details: { host } };

  // Which address the traffic goes to first: the proxy's when one applies.
  const choice = await ctx.proxy.forUrl(decisionUrl(host, port, tlsOn), ctx.signal);
  const viaProxy = proxySummary(choice);
  let addresses: string[];
  let via: string;
  if (choice.kind === 'http') {
    const r = await resolveHost(choice.host, ctx).catch((e) => {
      throw e instanceof NetError && e.code !== 'DEADLINE_EXCEEDED'
        ? new NetError('PROXY_UNREACHABLE', `the proxy host ${choice.host} does not resolve (${e.code})`, 'failed', { host, proxy: viaProxy })
        : e;
    });
    addresses = r.addresses;
    via = 'proxy';
  } else {
    const ep = mapEndpoint(ctx.config, host, port);
    const dnsRes = ctx.result(taskKey('dns.resolve', host));
    const known = dnsRes?.status === 'ok' && Array.isArray(dnsRes.details?.addresses) ? (dnsRes.details!.addresses as string[]) : null;
    if (known && !ep.overridden) {
      addresses = known;
      via = 'system';
    } else {
      try {
        const r = await resolveEndpoint(host, port, ctx);
        addresses = r.addresses;
        via = r.via;
      } catch (e) {
        if (e instanceof NetError && e.details.phase === 'dns') return { status: 'skipped', reason: `dns.resolve ${host} ${e.kind} (${e.code})`, details: { host, cause: e.code } };
        throw e;
      }
    }
  }
  const distinct = [...new Set(addresses)].slice(0, ROUTE_MAX_ADDRESSES);
  if (distinct.length === 0) return { status: 'skipped', reason: `no address for ${host}`, details: { host } };

  const settled = await Promise.allSettled(distinct.map((a) => routeOf(a, ctx.signal)));
  const routes: Record<string, unknown>[] = [];
  let first: { route: RouteInfo; cls: TunnelClass } | null = null;
  for (let i = 0; i < settled.length; i++) {
    const s = settled[i];
    if (s.status === 'rejected') {
      routes.push({ address: distinct[i], error: s.reason instanceof NetError ? s.reason.code : String(s.reason?.message ?? s.reason) });
      continue;
    }
    const cls = s.value.interface ? await classifyInterface(s.value.interface, sysRoot) : { tunnel: false, kind: 'unknown', arphrd: null };
    routes.push({ address: s.value.address, interface: s.value.interface, gateway: s.value.gateway, source: s.value.source, viaTunnel: cls.tunnel, kind: cls.kind });
    first ??= { route: s.value, cls };
  }
  if (!first) {
    const r0 = settled[0] as PromiseRejectedResult;
    if (r0.reason instanceof NetError) throw new NetError(r0.reason.code, r0.reason.message, r0.reason.kind, { host, address: distinct[0], routes, viaProxy, via });
    throw r0.reason;
  }
  const { route, cls } = first;
  return {
    status: 'ok',
    reason: cls.tunnel ? `${host} (${route.address}${viaProxy ? `, the proxy ${viaProxy.display}` : ''}) goes out through the tunnel interface ${route.interface} (${cls.kind})` : undefined,
    details: {
      host,
      address: route.address,
      interface: route.interface,
      viaTunnel: cls.tunnel,
      kind: cls.kind,
      gateway: route.gateway,
      via,
      viaProxy,
      method: route.method,
      routes,
    },
  };
}
