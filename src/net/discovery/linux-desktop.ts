// Linux desktops: GNOME's proxy settings (`gsettings list-recursively org.gnome.system.proxy`) and
// KDE's (`kioslaverc`, section [Proxy Settings]), read the way Chromium's
// proxy_config_service_linux reads them:
// - GNOME mode 'none' | 'manual' | 'auto'; auto with an empty autoconfig-url means WPAD; manual uses
//   http/https/socks host+port (port 0 = the scheme's default; SOCKS is v5; a SOCKS proxy alone is
//   used for every scheme); ignore-hosts is the bypass list. `http.enabled` and `use-same-proxy` are
//   ignored, as Chromium ignores them (GNOME's own settings panel never sets them).
// - KDE ProxyType 0 none, 1 manual, 2 PAC ("Proxy Config Script"), 3 WPAD, 4 the proxies named by
//   environment variables (httpsProxy=HTTPS_PROXY means "read $HTTPS_PROXY"); "host port" is
//   "host:port"; NoProxyFor is split at commas and spaces and matched by suffix; ReversedException
//   turns it into the list of the only hosts that use the proxy.

import { commandLine, describeFailure, type CommandRunner, type FileReader } from './runner.js';
import { emptyReading, settle, type ManualProxy, type ProxyServerSetting, type SourceReading } from './types.js';
import { parseProxyServer } from './proxy-text.js';

export const GNOME_SCHEMA = 'org.gnome.system.proxy';

/** A GVariant value as gsettings prints it: 'string', "string", 42, true, ['a', 'b'], @as []. */
export type GValue = string | number | boolean | string[];

/** Parse one GVariant text value (the subset gsettings prints for this schema). Null if not understood. */
export function parseGVariant(text: string): GValue | null {
  let t = text.trim();
  if (/^@as\s+\[\s*\]$/.test(t)) return [];
  t = t.replace(/^@[a-z]+\s+/, '');
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^(?:uint32|int32|uint16|int64|uint64)\s+-?\d+$/.test(t)) return Number(t.split(/\s+/)[1]);
  if (t.startsWith("'") || t.startsWith('"')) {
    const r = readString(t, 0);
    return r && r.end === t.length ? r.value : null;
  }
  if (t.startsWith('[') && t.endsWith(']')) {
    const out: string[] = [];
    let i = 1;
    const skip = () => {
      while (i < t.length && /\s/.test(t[i])) i++;
    };
    skip();
    if (t[i] === ']') return i === t.length - 1 ? out : null;
    for (;;) {
      skip();
      const r = readString(t, i);
      if (!r) return null;
      out.push(r.value);
      i = r.end;
      skip();
      if (t[i] === ',') {
        i++;
        continue;
      }
      if (t[i] === ']' && i === t.length - 1) return out;
      return null;
    }
  }
  return null;
}

function readString(t: string, start: number): { value: string; end: number } | null {
  const q = t[start];
  if (q !== "'" && q !== '"') return null;
  let out = '';
  for (let i = start + 1; i < t.length; i++) {
    const c = t[i];
    if (c === '\\' && i + 1 < t.length) {
      const n = t[++i];
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
    } else if (c === q) return { value: out, end: i + 1 };
    else out += c;
  }
  return null;
}

/** `gsettings list-recursively SCHEMA` lines: "SCHEMA[.CHILD] KEY VALUE" → "CHILD.KEY" (or "KEY") → value. */
export function parseGsettingsList(text: string, notes: string[]): Map<string, GValue> | null {
  const out = new Map<string, GValue>();
  let seen = 0;
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    seen++;
    const m = /^(org\.gnome\.system\.proxy(?:\.([a-z]+))?)\s+([a-z-]+)\s+(.*)$/.exec(line.trim());
    if (!m) {
      notes.push(`gsettings: line not understood: ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    const v = parseGVariant(m[4]);
    if (v === null) {
      notes.push(`gsettings: ${m[1]} ${m[3]}: value not understood: ${JSON.stringify(m[4].slice(0, 80))}`);
      continue;
    }
    out.set(m[2] ? `${m[2]}.${m[3]}` : m[3], v);
  }
  return seen && out.size ? out : null;
}

/** Interpret GNOME's settings (pure). */
export function interpretGnome(s: Map<string, GValue>, where: string[]): SourceReading {
  const notes: string[] = [];
  const r = emptyReading('gnome', where, 'nothing-configured', notes);
  const mode = s.get('mode');
  if (typeof mode !== 'string') return emptyReading('gnome', where, 'malformed', ['gsettings: no mode in org.gnome.system.proxy']);
  if (mode === 'none') return r;
  if (mode === 'auto') {
    const url = s.get('autoconfig-url');
    if (typeof url === 'string' && url.trim()) r.pacUrl = { url: url.trim().startsWith('/') ? `file://${url.trim()}` : url.trim(), from: `${GNOME_SCHEMA} autoconfig-url` };
    else r.autoDetect = { from: `${GNOME_SCHEMA} mode 'auto' with an empty autoconfig-url` };
    return settle(r);
  }
  if (mode !== 'manual') return emptyReading('gnome', where, 'malformed', [`gsettings: unknown mode '${mode}'`]);
  const proxy = (child: 'https' | 'http' | 'socks'): ProxyServerSetting | null => {
    const host = s.get(`${child}.host`);
    const port = s.get(`${child}.port`);
    if (typeof host !== 'string' || !host.trim()) return null;
    const from = `${GNOME_SCHEMA}.${child} host + port`;
    const scheme = child === 'socks' ? 'socks5' : 'http';
    const p = parseProxyServer(typeof port === 'number' && port !== 0 ? `${host.trim()}:${port}` : host.trim(), scheme, from);
    if (!p) notes.push(`${from}: "${host}" is not a proxy address`);
    return p;
  };
  const ignore = s.get('ignore-hosts');
  const manual: ManualProxy = {
    https: proxy('https'),
    http: proxy('http'),
    socks: proxy('socks'),
    bypass: { flavour: 'gnome', entries: Array.isArray(ignore) ? ignore : [], simpleHostnames: false, reversed: false, from: `${GNOME_SCHEMA} ignore-hosts` },
  };
  if (s.get('http.enabled') === false && manual.http) notes.push('http.enabled is false; ignored, as Chromium ignores it');
  if (!manual.https && !manual.http && !manual.socks) {
    notes.push("mode 'manual' but no proxy host is set: no proxy is used");
    return r;
  }
  r.manual = manual;
  return settle(r);
}

export async function readGnome(run: CommandRunner, signal?: AbortSignal): Promise<SourceReading> {
  const args = ['list-recursively', GNOME_SCHEMA];
  const where = [commandLine('gsettings', args)];
  const res = await run('gsettings', args, { signal });
  if (res.kind === 'missing') return emptyReading('gnome', where, 'not-available', ['gsettings is not installed (no GNOME settings; Debian package libglib2.0-bin)']);
  if (res.kind === 'exit' && /no such schema/i.test(res.stderr)) return emptyReading('gnome', where, 'not-available', [`the schema ${GNOME_SCHEMA} is not installed (Debian package gsettings-desktop-schemas)`]);
  if (res.kind !== 'ok') return emptyReading('gnome', where, 'malformed', [`gsettings: ${describeFailure(res)}`]);
  const notes: string[] = [];
  const s = parseGsettingsList(res.stdout, notes);
  if (!s) return emptyReading('gnome', where, 'malformed', notes.length ? notes : ['gsettings: empty output']);
  const r = interpretGnome(s, where);
  return { ...r, notes: [...notes, ...r.notes] };
}

/** The [Proxy Settings] section of a kioslaverc as key → value (later keys win; `key[$e]` localisation marks dropped). */
export function parseKioslaverc(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let inProxy = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      inProxy = line.startsWith('[Proxy Settings]');
      continue;
    }
    if (!inProxy) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim().replace(/\s*\[[^\]]*\]$/, '');
    if (key) out.set(key, line.slice(eq + 1).trim());
  }
  return out;
}

/** Interpret kioslaverc (pure); `env` resolves ProxyType=4's variable names. */
export function interpretKde(k: Map<string, string>, where: string[], env: Record<string, string | undefined>): SourceReading {
  const notes: string[] = [];
  const r = emptyReading('kde', where, 'nothing-configured', notes);
  const typeText = k.get('ProxyType');
  if (typeText === undefined) return k.size ? { ...r, notes: ['kioslaverc has no ProxyType: no proxy'] } : r;
  const type = /^\d+$/.test(typeText) ? Number(typeText) : NaN;
  if (!Number.isInteger(type) || type < 0 || type > 4) return emptyReading('kde', where, 'malformed', [`kioslaverc: ProxyType=${typeText} is not 0-4`]);
  if (type === 0) return r;
  if (type === 2) {
    const url = k.get('Proxy Config Script')?.trim();
    if (url) r.pacUrl = { url: url.startsWith('/') ? `file://${url}` : url, from: 'kioslaverc Proxy Config Script' };
    else r.autoDetect = { from: 'kioslaverc ProxyType=2 with an empty Proxy Config Script' };
    return settle(r);
  }
  if (type === 3) {
    r.autoDetect = { from: 'kioslaverc ProxyType=3 (WPAD)' };
    return settle(r);
  }
  const indirect = type === 4;
  const value = (key: string): { text: string; from: string } | null => {
    let v = k.get(key)?.trim() ?? '';
    let from = `kioslaverc ${key}`;
    if (indirect && v) {
      from = `kioslaverc ${key}=${v} (ProxyType=4: the environment variable)`;
      v = env[v]?.trim() ?? '';
    }
    if (!v || v.startsWith('//:')) return null;
    return { text: v.replace(/^(\S+) (\d+)$/, '$1:$2'), from };
  };
  const proxy = (key: string, scheme: ProxyServerSetting['scheme']): ProxyServerSetting | null => {
    const v = value(key);
    if (!v) return null;
    const p = parseProxyServer(v.text, scheme, v.from);
    if (!p) notes.push(`${v.from}: "${v.text}" is not a proxy address`);
    return p;
  };
  const noProxy = value('NoProxyFor');
  const reversedText = k.get('ReversedException') ?? 'false';
  const manual: ManualProxy = {
    https: proxy('httpsProxy', 'http'),
    http: proxy('httpProxy', 'http'),
    socks: proxy('socksProxy', 'socks5'),
    bypass: {
      flavour: 'kde',
      entries: noProxy ? noProxy.text.split(/[,\s]+/).filter(Boolean) : [],
      simpleHostnames: false,
      reversed: reversedText === 'true' || (/^\d+$/.test(reversedText) && Number(reversedText) !== 0),
      from: noProxy?.from ?? null,
    },
  };
  if (manual.bypass.entries.some((e) => e.toLowerCase() === '<local>')) {
    manual.bypass.entries = manual.bypass.entries.filter((e) => e.toLowerCase() !== '<local>');
    manual.bypass.simpleHostnames = true;
  }
  if (!manual.https && !manual.http && !manual.socks) {
    notes.push(`ProxyType=${type} but no proxy is set: no proxy is used`);
    return r;
  }
  r.manual = manual;
  return settle(r);
}

/** Where KDE keeps kioslaverc: ~/.config (KDE 5+), else ~/.kde4 or ~/.kde share/config (older). */
export function kioslavercPaths(env: Record<string, string | undefined>): string[] {
  const home = env.HOME ?? '';
  const cfg = env.XDG_CONFIG_HOME || (home ? `${home}/.config` : '');
  return [cfg && `${cfg}/kioslaverc`, env.KDEHOME && `${env.KDEHOME}/share/config/kioslaverc`, home && `${home}/.kde4/share/config/kioslaverc`, home && `${home}/.kde/share/config/kioslaverc`].filter(
    (p): p is string => Boolean(p),
  );
}

export async function readKde(files: FileReader, env: Record<string, string | undefined>): Promise<SourceReading> {
  const paths = kioslavercPaths(env);
  for (const p of paths) {
    const text = await files(p);
    if (text === null) continue;
    const k = parseKioslaverc(text);
    if (k.size === 0 && /\S/.test(text) && !text.includes('[')) return emptyReading('kde', [p], 'malformed', [`${p}: not an INI file`]);
    return interpretKde(k, [p], env);
  }
  return emptyReading('kde', paths, 'not-available', ['no kioslaverc (not a KDE desktop)']);
}
