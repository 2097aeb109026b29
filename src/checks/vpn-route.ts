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
// is a tunnel (ARPHRD type, tun_flags, DEVTYPE, name). On macOS `route -n get` + `ifconfig`, on
// Windows `Find-NetRoute` + the interface list (src/net/routes/: the parsers, pure, with fixtures);
// each names the interface, whether it is a tunnel (vendor VPN adapters included) and its MTU.
//
// Evidence (docs/evidence.md, read by src/verdict/rules/vpn-full-tunnel.ts): status ok when the route
// was determined; details { host, address, interface, viaTunnel, kind, mtu, vendor, viaProxy, routes }.

import dgram from 'node:dgram';
import { readFile, access } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { abortError, NetError } from '../shared/errors.js';
import { mapEndpoint } from '../net/endpoint.js';
import { resolveEndpoint, resolveHost } from '../net/dial.js';
import { proxyMayApply, proxySummary } from '../net/proxy.js';
import { decisionUrl, webPort } from './web.js';
import { createSystemRunner, type CommandResult, type CommandRunner } from '../net/discovery/runner.js';
import { classifySysfs, type InterfaceInfo, type RouteInfo, type TunnelClass } from '../net/routes/parse.js';
import { readRoute, ROUTE_PLATFORMS, WINDOWS_INTERFACES_SCRIPT } from '../net/routes/read.js';
import type { CheckContext, CheckDef, CheckOutcome, CheckTask } from './types.js';
import { taskKey } from './types.js';
import type { VpnRouteDetails } from '../shared/evidence.js';

export { parseIpRouteGet, TUNNEL_NAME, type RouteInfo, type TunnelClass } from '../net/routes/parse.js';

/** Time one route lookup (`ip route get`, `route -n get`) may take. */
export const ROUTE_LOOKUP_TIMEOUT_MS = 2000;
/** PowerShell needs a second or two to start. */
export const ROUTE_LOOKUP_TIMEOUT_WINDOWS_MS = 8000;
/** Addresses of one host that are routed (the first is the one a connection tries first). */
export const ROUTE_MAX_ADDRESSES = 4;

async function readText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return null;
  }
}

/** Classify a Linux interface from /sys/class/net (sysRoot injectable for tests); used where iproute2 is missing. */
export async function classifyInterface(name: string, sysRoot = '/sys/class/net'): Promise<TunnelClass> {
  if (!/^[\w.:@-]{1,32}$/.test(name)) return classifySysfs(name, { type: null, hasTunFlags: false, uevent: null });
  const dir = `${sysRoot}/${name}`;
  const hasTunFlags = await access(`${dir}/tun_flags`).then(
    () => true,
    () => false,
  );
  return classifySysfs(name, { type: await readText(`${dir}/type`), hasTunFlags, uevent: await readText(`${dir}/uevent`) });
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

export interface RoutedAddress {
  route: RouteInfo;
  iface: Pick<InterfaceInfo, 'tunnel' | 'kind' | 'mtu' | 'vendor' | 'description'>;
}

export interface RouteEnv {
  platform: NodeJS.Platform;
  runner: CommandRunner;
  sysRoot?: string;
}

// One lookup per distinct address per run (the engine's signal is shared by every task of a run).
const cache = new WeakMap<AbortSignal, { routes: Map<string, Promise<RoutedAddress>>; winIfaces?: Promise<CommandResult> }>();

async function lookup(address: string, signal: AbortSignal, env: RouteEnv, perRun: { winIfaces?: Promise<CommandResult> }): Promise<RoutedAddress> {
  const r = await readRoute(address, {
    platform: env.platform,
    runner: env.runner,
    signal,
    windowsInterfaces: () => (perRun.winIfaces ??= env.runner('powershell', ['-NoProfile', '-NonInteractive', '-Command', WINDOWS_INTERFACES_SCRIPT], { signal })),
  });
  if (signal.aborted) throw abortError(signal);
  if (r.state === 'ok') {
    if (env.platform === 'linux' && r.iface.kind === 'unknown' && r.route.interface) {
      // `ip link` gave nothing usable: fall back to sysfs.
      const c = await classifyInterface(r.route.interface, env.sysRoot);
      return { route: r.route, iface: { tunnel: c.tunnel, kind: c.kind, mtu: null, vendor: null, description: null } };
    }
    return { route: r.route, iface: r.iface };
  }
  if (r.state === 'not-available' && env.platform === 'linux') {
    // No iproute2: the kernel's choice through a UDP connect(), classified from sysfs.
    const route = await udpConnectRoute(address, signal);
    const c = route.interface ? await classifyInterface(route.interface, env.sysRoot) : { tunnel: false, kind: 'unknown', arphrd: null };
    return { route, iface: { tunnel: c.tunnel, kind: c.kind, mtu: null, vendor: null, description: null } };
  }
  if (r.state === 'timeout') throw new NetError('ROUTE_TIMEOUT', r.message, 'timeout');
  if (r.state === 'no-route') throw new NetError('NO_ROUTE', r.message, 'failed', { address });
  throw new NetError(r.state === 'not-available' ? 'ROUTE_UNAVAILABLE' : 'ROUTE_UNREADABLE', r.message, 'failed', { address, notes: r.notes });
}

export function routeOf(address: string, signal: AbortSignal, env: RouteEnv = defaultRouteEnv(process.platform)): Promise<RoutedAddress> {
  let m = cache.get(signal);
  if (!m) cache.set(signal, (m = { routes: new Map() }));
  let p = m.routes.get(address);
  if (!p) {
    p = lookup(address, signal, env, m);
    m.routes.set(address, p);
  }
  return p;
}

export function defaultRouteEnv(platform: NodeJS.Platform, sysRoot?: string): RouteEnv {
  return { platform, runner: createSystemRunner(platform === 'win32' ? ROUTE_LOOKUP_TIMEOUT_WINDOWS_MS : ROUTE_LOOKUP_TIMEOUT_MS), sysRoot };
}

const isRouted = (role: string) => role === 'video' || role === 'media';

export const vpnRoute: CheckDef<VpnRouteDetails> = {
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

export async function runVpnRoute(task: CheckTask, ctx: CheckContext, platform: NodeJS.Platform = process.platform, sysRoot?: string, runner?: CommandRunner): Promise<CheckOutcome<VpnRouteDetails>> {
  const host = task.target.toLowerCase();
  const port = Number(task.params.port ?? 443);
  const tlsOn = task.host?.tls ?? true;
  if (!ROUTE_PLATFORMS.includes(platform)) return { status: 'skipped', reason: `route lookup is implemented for Linux, macOS and Windows (this is ${platform})`, details: { host } };
  const env = runner ? { platform, runner, sysRoot } : defaultRouteEnv(platform, sysRoot);

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

  const settled = await Promise.allSettled(distinct.map((a) => routeOf(a, ctx.signal, env)));
  const routes: Record<string, unknown>[] = [];
  let first: { route: RouteInfo; cls: RoutedAddress['iface'] } | null = null;
  for (let i = 0; i < settled.length; i++) {
    const s = settled[i];
    if (s.status === 'rejected') {
      routes.push({ address: distinct[i], error: s.reason instanceof NetError ? s.reason.code : String(s.reason?.message ?? s.reason) });
      continue;
    }
    const { route: r, iface: cls } = s.value;
    routes.push({ address: r.address, interface: r.interface, gateway: r.gateway, source: r.source, viaTunnel: cls.tunnel, kind: cls.kind, mtu: cls.mtu, vendor: cls.vendor });
    first ??= { route: r, cls };
  }
  if (!first) {
    const r0 = settled[0] as PromiseRejectedResult;
    if (r0.reason instanceof NetError) throw new NetError(r0.reason.code, r0.reason.message, r0.reason.kind, { host, address: distinct[0], routes, viaProxy, via });
    throw r0.reason;
  }
  const { route, cls } = first;
  return {
    status: 'ok',
    reason: cls.tunnel
      ? `${host} (${route.address}${viaProxy ? `, the proxy ${viaProxy.display}` : ''}) goes out through the tunnel interface ${route.interface} (${cls.vendor ?? cls.kind}${cls.mtu ? `, MTU ${cls.mtu}` : ''})`
      : undefined,
    details: {
      host,
      address: route.address,
      interface: route.interface,
      viaTunnel: cls.tunnel,
      kind: cls.kind,
      mtu: cls.mtu,
      vendor: cls.vendor,
      ...(cls.description ? { description: cls.description } : {}),
      gateway: route.gateway,
      via,
      viaProxy,
      method: route.method,
      routes,
    },
  };
}
