// Does a bypass list send this host direct? Each system writes its list in its own syntax; the
// browser (Chromium's ProxyBypassRules) reads WinINET, macOS and GNOME lists the same way and KDE's
// with suffix matching; the environment's NO_PROXY is read as curl reads it (noProxyMatches, below).
//
// Chromium's rules (proxy_bypass_rules.cc): `<local>` = a host name without a dot; `<-loopback>`
// removes the implicit bypass of localhost, *.localhost, 127.0.0.0/8, ::1 and link-local addresses;
// an optional `scheme://` prefix and `:port` suffix narrow a rule; `a.b.c.d/n` (and macOS's
// abbreviated `169.254/16`) is an address range; anything else is a host pattern with `*` wildcards,
// a leading `.` meaning `*.` (and, for KDE, every pattern matching as a suffix).

import { isIP } from 'node:net';
import type { BypassList } from './types.js';

/**
 * curl's NO_PROXY: comma (or space) separated; `*` matches everything; a name matches itself and
 * its subdomains (a leading dot is ignored); `name:port` only for that port; IPs match exactly;
 * `a.b.c.d/n` is a CIDR range (curl ≥ 7.86).
 */
export function noProxyMatches(host: string, port: number, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  for (let entry of noProxy.split(/[,\s]+/)) {
    entry = entry.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: number | null = null;
    const portMatch = /^(.*[^:]):(\d+)$/.exec(entry);
    if (portMatch && !entry.startsWith('[') && isIP(entry) !== 6) {
      entry = portMatch[1];
      entryPort = Number(portMatch[2]);
    } else {
      const v6 = /^\[(.+)\](?::(\d+))?$/.exec(entry);
      if (v6) {
        entry = v6[1];
        if (v6[2]) entryPort = Number(v6[2]);
      }
    }
    if (entryPort !== null && entryPort !== port) continue;
    const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(entry);
    if (cidr) {
      if (isIP(h) !== 4) continue;
      const bits = Number(cidr[2]);
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      if ((ipv4Int(h) & mask) === (ipv4Int(cidr[1]) & mask)) return true;
      continue;
    }
    if (isIP(entry) || isIP(h)) {
      if (entry === h) return true;
      continue;
    }
    const name = entry.replace(/^\*?\./, '').replace(/\.$/, '');
    if (h === name || h.endsWith(`.${name}`)) return true;
  }
  return false;
}

function ipv4Int(ip: string): number {
  return ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
}

function ipv6Bits(ip: string): bigint | null {
  const parts = ip.toLowerCase().split('::');
  if (parts.length > 2) return null;
  const head = parts[0] ? parts[0].split(':') : [];
  const tail = parts.length === 2 && parts[1] ? parts[1].split(':') : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (parts.length === 1 && fill !== 0)) return null;
  const groups = [...head, ...Array(fill).fill('0'), ...tail];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

/** `a.b.c.d/n`, `a.b/n` (macOS), `[v6]/n` or `v6/n`; null when the rule is not a range. */
function inRange(host: string, rule: string): boolean | null {
  const m = /^\[?([0-9a-f:.]+)\]?\/(\d{1,3})$/i.exec(rule);
  if (!m) return null;
  let net = m[1];
  const bits = Number(m[2]);
  if (/^\d{1,3}(\.\d{1,3}){0,3}$/.test(net)) {
    const octets = net.split('.');
    while (octets.length < 4) octets.push('0');
    net = octets.join('.');
    if (isIP(net) !== 4 || bits > 32) return null;
    if (isIP(host) !== 4) return false;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (ipv4Int(host) & mask) === (ipv4Int(net) & mask);
  }
  if (isIP(net) !== 6 || bits > 128) return null;
  if (isIP(host) !== 6) return false;
  const a = ipv6Bits(host);
  const b = ipv6Bits(net);
  if (a === null || b === null) return false;
  const shift = BigInt(128 - bits);
  return a >> shift === b >> shift;
}

function wildcard(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(text);
}

/** Chromium's implicit bypass (unless `<-loopback>`): localhost, *.localhost, loopback and link-local addresses. */
export function isImplicitlyBypassed(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return inRange(h, '127.0.0.0/8') || inRange(h, '169.254.0.0/16') || false;
  if (isIP(h) === 6) return h === '::1' || inRange(h, 'fe80::/10') || false;
  return false;
}

/** Whether one Chromium-style rule matches. */
function ruleMatches(rawRule: string, host: string, port: number, scheme: string, suffix: boolean): boolean {
  let rule = rawRule.trim();
  const sm = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(rule);
  if (sm) {
    if (sm[1].toLowerCase() !== scheme) return false;
    rule = sm[2];
  }
  const range = inRange(host, rule);
  if (range !== null) return range;
  let rulePort: number | null = null;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rule);
  if (v6) {
    rule = v6[1];
    if (v6[2]) rulePort = Number(v6[2]);
  } else {
    const pm = /^(.*):(\d+)$/.exec(rule);
    if (pm && isIP(rule) !== 6) {
      rule = pm[1];
      rulePort = Number(pm[2]);
    }
  }
  if (rulePort !== null && rulePort !== port) return false;
  if (rule.startsWith('.')) rule = `*${rule}`;
  else if (suffix && !rule.startsWith('*') && !isIP(rule)) rule = `*${rule}`;
  return wildcard(rule, host);
}

/**
 * Whether `url` goes direct under this bypass list (for KDE's reversed lists: whether it is NOT one
 * of the listed hosts). The environment's list is matched as curl matches NO_PROXY.
 */
export function bypassMatches(url: string, list: BypassList): boolean {
  const u = new URL(url);
  const scheme = u.protocol.replace(/:$/, '').toLowerCase();
  const secure = scheme === 'https' || scheme === 'wss';
  const port = u.port ? Number(u.port) : secure ? 443 : 80;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (list.flavour === 'curl') return noProxyMatches(host, port, list.entries.join(','));
  const rules = list.entries.filter((e) => e.toLowerCase() !== '<-loopback>');
  const keepLoopback = rules.length !== list.entries.length;
  let hit = list.simpleHostnames && !host.includes('.') && !isIP(host);
  if (!hit) hit = rules.some((r) => ruleMatches(r, host, port, scheme === 'wss' ? 'https' : scheme === 'ws' ? 'http' : scheme, list.flavour === 'kde'));
  if (list.reversed) hit = !hit;
  // The implicit loopback rule holds even for reversed lists (Chromium applies it first).
  return hit || (!keepLoopback && isImplicitlyBypassed(host));
}
