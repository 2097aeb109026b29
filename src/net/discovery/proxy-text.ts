// Small parsers shared by the discovery readers: a proxy written as text ("host:port",
// "http://host:port", "[::1]:3128") and the WinINET-style server list ("http=a:1;https=b:2;socks=c:3"),
// which Windows, `netsh winhttp` and Chromium's --proxy-server all use.

import { isIP } from 'node:net';
import type { ManualProxy, ProxyServerSetting, BypassList } from './types.js';

const DEFAULT_PORT: Record<ProxyServerSetting['scheme'], number> = { http: 80, https: 443, socks: 1080, socks4: 1080, socks5: 1080 };

/**
 * One proxy as text: `host`, `host:port`, `scheme://host:port` (userinfo dropped), `[v6]:port`.
 * `fallbackScheme` applies when none is written (WinINET `socks=` means SOCKS v4, as Chromium reads it).
 * Returns null when it is not a host (the caller notes it).
 */
export function parseProxyServer(text: string, fallbackScheme: ProxyServerSetting['scheme'], from: string, defaultPort?: number): ProxyServerSetting | null {
  let t = text.trim();
  if (!t) return null;
  let scheme = fallbackScheme;
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(t);
  if (m) {
    const s = m[1].toLowerCase();
    if (s === 'http' || s === 'https' || s === 'socks' || s === 'socks4' || s === 'socks5') scheme = s;
    else if (s === 'socks5h' || s === 'socks4a') scheme = s === 'socks5h' ? 'socks5' : 'socks4';
    else return null;
    t = m[2];
  }
  t = t.replace(/\/.*$/, '').replace(/^[^@]*@/, '');
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d*))?$/i.exec(t);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else if (isIP(t) === 6) {
    host = t;
  } else {
    const hp = /^([^:\s]+)(?::(\d*))?$/.exec(t);
    if (!hp) return null;
    host = hp[1];
    portText = hp[2];
  }
  if (!isIP(host) && !/^[a-z0-9_]([a-z0-9_-]{0,62})?(\.[a-z0-9_]([a-z0-9_-]{0,62})?)*\.?$/i.test(host)) return null;
  let port = defaultPort ?? DEFAULT_PORT[scheme];
  if (portText) {
    const n = Number(portText);
    if (!Number.isInteger(n) || n < 1 || n > 65535) return null;
    port = n;
  }
  return { scheme, host: host.toLowerCase().replace(/\.$/, ''), port, from };
}

/**
 * The WinINET / Chromium server list: either one proxy for every scheme (`proxy:8080`) or
 * `scheme=proxy` pairs separated by `;` (and whitespace). `socks=` is SOCKS v4 and, like in
 * Chromium, the fallback for schemes without a proxy of their own. Unknown schemes (ftp=) are kept
 * out; a pair that does not parse becomes a note.
 */
export function parseServerList(value: string, from: string, bypass: BypassList, notes: string[]): ManualProxy {
  const out: ManualProxy = { https: null, http: null, socks: null, bypass };
  const v = value.trim();
  if (!v) return out;
  if (!v.includes('=')) {
    const p = parseProxyServer(v.split(/[;\s]+/)[0], 'http', from);
    if (!p) notes.push(`${from}: "${v}" is not a proxy address`);
    else if (p.scheme.startsWith('socks')) out.socks = p;
    else {
      out.https = p;
      out.http = p;
    }
    return out;
  }
  for (const part of v.split(/[;\s]+/).filter(Boolean)) {
    const kv = /^([a-z0-9]+)=(.*)$/i.exec(part);
    if (!kv) {
      notes.push(`${from}: "${part}" is not scheme=host:port`);
      continue;
    }
    const key = kv[1].toLowerCase();
    const where = `${from} (${key}=)`;
    if (key === 'https' || key === 'http') {
      const p = parseProxyServer(kv[2], 'http', where);
      if (!p) notes.push(`${where}: "${kv[2]}" is not a proxy address`);
      else out[key] = p;
    } else if (key === 'socks') {
      const p = parseProxyServer(kv[2], 'socks4', where);
      if (!p) notes.push(`${where}: "${kv[2]}" is not a proxy address`);
      else out.socks = p;
    } else if (key !== 'ftp' && key !== 'gopher') notes.push(`${where}: unknown scheme "${key}" ignored`);
  }
  return out;
}

/** Split a bypass list written with `;`, `,` or whitespace. */
export function splitList(value: string): string[] {
  return value
    .split(/[;,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
