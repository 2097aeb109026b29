// Read the route to one address the way this OS decides it, through an injected command runner
// (parsers in parse.ts). Every outcome is a value: the route and its interface, no route, the
// command not there, its output not understood, or no answer in time.

import { isIP } from 'node:net';
import { commandLine, describeFailure, type CommandResult, type CommandRunner } from '../discovery/runner.js';
import { parseFindNetRoute, parseIfconfig, parseIpLink, parseIpRouteGet, parseRouteGet, windowsInterface, type InterfaceInfo, type RouteInfo } from './parse.js';

export type RouteReading =
  | { state: 'ok'; route: RouteInfo; iface: InterfaceInfo; where: string[]; notes: string[] }
  | { state: 'no-route' | 'not-available' | 'malformed' | 'timeout'; address: string; message: string; where: string[]; notes: string[] };

/** Platforms whose route can be read. */
export const ROUTE_PLATFORMS: NodeJS.Platform[] = ['linux', 'darwin', 'win32'];

const PS = ['-NoProfile', '-NonInteractive', '-Command'];
/** One PowerShell run lists every interface's MTU, adapter description and interface type (cache it per run). */
export const WINDOWS_INTERFACES_SCRIPT =
  'Get-NetIPInterface | Format-List ifIndex,InterfaceAlias,AddressFamily,NlMtu; Get-NetAdapter -IncludeHidden | Format-List ifIndex,Name,InterfaceDescription,InterfaceType,MtuSize,Status';

function failed(address: string, r: Exclude<CommandResult, { kind: 'ok' }>, what: string, where: string[], notes: string[]): RouteReading {
  if (r.kind === 'missing') return { state: 'not-available', address, message: `${what} is not available`, where, notes };
  if (r.kind === 'timeout') return { state: 'timeout', address, message: `${what} did not answer within ${r.afterMs} ms`, where, notes };
  if (r.kind === 'exit' && /is not recognized as the name of a cmdlet/i.test(r.stderr)) return { state: 'not-available', address, message: `${what} is not available on this Windows`, where, notes };
  if (r.kind === 'exit') {
    const why = (r.stderr || r.stdout).trim().split(/\r?\n/)[0]?.replace(/^RTNETLINK answers:\s*/, '').replace(/^route: /, '') || `exit ${r.code}`;
    return { state: 'no-route', address, message: `no route to ${address}: ${why}`, where, notes };
  }
  return { state: 'malformed', address, message: `${what}: ${describeFailure(r)}`, where, notes };
}

export interface ReadRouteOptions {
  platform: NodeJS.Platform;
  runner: CommandRunner;
  signal?: AbortSignal;
  /** Windows: the interface listing already read this run (WINDOWS_INTERFACES_SCRIPT's output). */
  windowsInterfaces?: () => Promise<CommandResult>;
}

export async function readRoute(address: string, o: ReadRouteOptions): Promise<RouteReading> {
  const where: string[] = [];
  const notes: string[] = [];
  const run = (file: string, args: string[]) => {
    where.push(commandLine(file, args));
    return o.runner(file, args, { signal: o.signal });
  };
  if (!isIP(address)) return { state: 'malformed', address, message: `"${address}" is not an IP address`, where, notes };

  if (o.platform === 'linux') {
    const r = await run('ip', ['-j', 'route', 'get', address]);
    if (r.kind !== 'ok') return failed(address, r, 'ip route get', where, notes);
    const route = parseIpRouteGet(r.stdout, address);
    if (!route?.interface) return { state: 'malformed', address, message: `ip route get ${address} gave no interface`, where, notes };
    const l = await run('ip', ['-d', '-j', 'link', 'show', 'dev', route.interface]);
    const iface = l.kind === 'ok' ? parseIpLink(l.stdout) : null;
    if (!iface) notes.push(`ip link show ${route.interface}: ${l.kind === 'ok' ? 'output not understood' : describeFailure(l)}`);
    return { state: 'ok', route, iface: iface ?? { name: route.interface, description: null, mtu: null, tunnel: false, kind: 'unknown', vendor: null }, where, notes };
  }

  if (o.platform === 'darwin') {
    const r = await run('route', ['-n', 'get', address]);
    if (r.kind !== 'ok') return failed(address, r, 'route -n get', where, notes);
    const route = parseRouteGet(r.stdout, address);
    if (!route?.interface) return { state: 'malformed', address, message: `route -n get ${address}: output not understood`, where, notes };
    const { mtu, ...info } = route;
    const l = await run('ifconfig', [route.interface!]);
    let iface = l.kind === 'ok' ? parseIfconfig(l.stdout, route.interface!) : null;
    if (!iface) {
      notes.push(`ifconfig ${route.interface}: ${l.kind === 'ok' ? 'output not understood' : describeFailure(l)}`);
      iface = { name: route.interface!, description: null, mtu, tunnel: false, kind: 'unknown', vendor: null };
    }
    return { state: 'ok', route: info, iface: { ...iface, mtu: mtu ?? iface.mtu }, where, notes };
  }

  if (o.platform === 'win32') {
    // The address is an IP literal (checked above), so it is safe inside the script.
    const r = await run('powershell', [...PS, `Find-NetRoute -RemoteIPAddress '${address}' | Format-List`]);
    if (r.kind !== 'ok') return failed(address, r, 'Find-NetRoute', where, notes);
    const route = parseFindNetRoute(r.stdout, address);
    if (!route?.interface) return { state: 'malformed', address, message: `Find-NetRoute ${address}: output not understood`, where, notes };
    const { ifIndex, ...info } = route;
    const list = o.windowsInterfaces ? await o.windowsInterfaces() : await run('powershell', [...PS, WINDOWS_INTERFACES_SCRIPT]);
    if (o.windowsInterfaces) where.push(commandLine('powershell', [...PS, WINDOWS_INTERFACES_SCRIPT]));
    if (list.kind !== 'ok') notes.push(`interface list: ${describeFailure(list)}`);
    return { state: 'ok', route: info, iface: windowsInterface(list.kind === 'ok' ? list.stdout : '', ifIndex, route.interface!), where, notes };
  }

  return { state: 'not-available', address, message: `route lookup is implemented for Linux, macOS and Windows (this is ${o.platform})`, where, notes };
}
