// Windows: the user's WinINET settings (what Edge, Chrome and every WinINET program use) read with
// `reg query`, and the machine's WinHTTP proxy (`netsh winhttp show proxy`: services, and agents
// such as the Personal Certificate Client that run as one) reported beside it.
//
// Where WinINET keeps them:
// - HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings: ProxyEnable (DWORD),
//   ProxyServer ("host:port" or "http=a:1;https=b:2;socks=c:3"), ProxyOverride (";"-separated,
//   "<local>" = plain host names), AutoConfigURL (the PAC URL), sometimes AutoDetect (DWORD).
// - ...\Internet Settings\Connections, DefaultConnectionSettings (REG_BINARY): bytes 8-11 are the
//   INTERNET_PER_CONN_FLAGS (1 direct, 2 proxy, 4 auto-config URL, 8 auto-detect) — the only place the
//   "Automatically detect settings" box is kept once the settings UI has been opened.
// - The policy "Make proxy settings per-machine (rather than per-user)" —
//   HKLM\Software\Policies\Microsoft\Windows\CurrentVersion\Internet Settings, ProxySettingsPerUser=0 —
//   moves all of it to HKLM (Intune / GPO managed desktops do this), so HKCU is then ignored.

import { commandLine, describeFailure, type CommandRunner, type CommandResult } from './runner.js';
import { emptyReading, settle, type BypassList, type SourceReading } from './types.js';
import { parseServerList, splitList } from './proxy-text.js';

export const INTERNET_SETTINGS = 'Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';
export const POLICY_KEY = `HKLM\\Software\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings`;

export interface RegValue {
  type: string;
  /** As printed: REG_DWORD as "0x1", REG_BINARY as hex, REG_SZ as text. */
  data: string;
}

export interface RegKey {
  path: string;
  values: Map<string, RegValue>;
}

/**
 * `reg query` output: a key line (`HKEY_…`), then its values indented by four spaces as
 * `NAME    REG_TYPE    DATA` (names may hold single spaces), then sub-key lines. Value names are
 * kept case-insensitively (the registry is). Returns null when no key line is found.
 */
export function parseRegQuery(text: string): RegKey[] | null {
  const keys: RegKey[] = [];
  let cur: RegKey | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, '');
    if (!line.trim()) continue;
    if (/^HKEY_[A-Z_]+(\\|$)/.test(line)) {
      cur = { path: line, values: new Map() };
      keys.push(cur);
      continue;
    }
    const v = /^ {2,}(.*?) {2,}(REG_[A-Z0-9_]+)(?: {2,}(.*))?$/.exec(line) ?? /^ {2,}(.*?) {2,}(REG_[A-Z0-9_]+)$/.exec(line);
    if (v && cur) cur.values.set(v[1].trim().toLowerCase(), { type: v[2], data: (v[3] ?? '').trim() });
  }
  return keys.length ? keys : null;
}

function dword(v: RegValue | undefined): number | null {
  if (!v) return null;
  const n = v.type === 'REG_DWORD' || v.type === 'REG_QWORD' ? Number(v.data) : NaN;
  return Number.isFinite(n) ? n : null;
}

/** The INTERNET_PER_CONN_FLAGS word of a DefaultConnectionSettings blob (hex as `reg query` prints it). */
export function connectionFlags(hex: string): number | null {
  const h = hex.replace(/\s+/g, '');
  if (!/^[0-9a-f]*$/i.test(h) || h.length < 24) return null;
  const b = Buffer.from(h.slice(0, 24), 'hex');
  return b.readUInt32LE(8);
}

/** Whether `reg query` said the key or value does not exist (exit 1, "unable to find"). */
function absent(r: CommandResult): boolean {
  return r.kind === 'exit' && r.code === 1;
}

/** The bypass list of a WinINET ProxyOverride value. */
export function wininetBypass(value: string | undefined, from: string | null): BypassList {
  const entries = splitList(value ?? '');
  const local = entries.some((e) => e.toLowerCase() === '<local>');
  return { flavour: 'wininet', entries: entries.filter((e) => e.toLowerCase() !== '<local>'), simpleHostnames: local, reversed: false, from };
}

/** Interpret the Internet Settings key (and its Connections blob, when read). Pure. */
export function interpretWinInet(settings: RegKey, connections: RegKey | null, where: string[], extraNotes: string[] = []): SourceReading {
  const notes = [...extraNotes];
  const r = emptyReading('wininet', where, 'nothing-configured', notes);
  const root = settings.path.replace(/\\.*$/, '');
  const name = (v: string) => `${root === 'HKEY_LOCAL_MACHINE' ? 'HKLM' : 'HKCU'} ${v}`;
  const val = (n: string) => settings.values.get(n.toLowerCase());

  const blob = connections?.values.get('defaultconnectionsettings');
  const flags = blob ? connectionFlags(blob.data) : null;
  if (blob && flags === null) notes.push(`DefaultConnectionSettings is not a connection-settings blob ("${blob.data.slice(0, 24)}…"); ignored`);

  // Auto-detect: the blob's flag is what the settings UI writes; the AutoDetect DWORD is older / policy.
  const autoDword = dword(val('AutoDetect'));
  if (flags !== null) {
    if (flags & 8) r.autoDetect = { from: name('Connections\\DefaultConnectionSettings (auto-detect flag)') };
    if (autoDword !== null && Boolean(autoDword) !== Boolean(flags & 8))
      notes.push(`AutoDetect=${autoDword} disagrees with DefaultConnectionSettings (auto-detect ${flags & 8 ? 'on' : 'off'}); the latter is what Windows uses`);
  } else if (autoDword !== null) {
    if (autoDword) r.autoDetect = { from: name('AutoDetect') };
  } else {
    // Neither written: a profile whose proxy settings were never changed; Windows' default is on.
    r.autoDetect = { from: 'Windows default (no DefaultConnectionSettings, no AutoDetect value)' };
    notes.push('auto-detect is not recorded for this user; Windows defaults to "Automatically detect settings" on');
  }

  const acu = val('AutoConfigURL');
  if (acu && acu.data.trim()) r.pacUrl = { url: acu.data.trim(), from: name('AutoConfigURL') };

  const enable = dword(val('ProxyEnable'));
  const server = val('ProxyServer')?.data ?? '';
  const override = val('ProxyOverride');
  if (val('ProxyEnable') && enable === null) notes.push(`ProxyEnable is not a number ("${val('ProxyEnable')!.data}")`);
  if (enable) {
    if (!server.trim()) notes.push('ProxyEnable=1 but ProxyServer is empty: no proxy is used');
    else r.manual = parseServerList(server, name('ProxyServer'), wininetBypass(override?.data, override ? name('ProxyOverride') : null), notes);
  } else if (server.trim()) notes.push(`ProxyServer "${server.trim()}" is set but ProxyEnable is ${enable ?? 'absent'}: not used`);
  if (flags !== null && Boolean(enable) !== Boolean(flags & 2))
    notes.push(`ProxyEnable=${enable ?? 'absent'} disagrees with DefaultConnectionSettings (manual proxy ${flags & 2 ? 'on' : 'off'})`);
  return settle(r);
}

/** Read WinINET for the current user (or the machine when the per-machine policy is on). */
export async function readWinInet(run: CommandRunner, signal?: AbortSignal): Promise<SourceReading> {
  const where: string[] = [];
  const notes: string[] = [];
  const q = async (args: string[]) => {
    where.push(commandLine('reg', args));
    return run('reg', args, { signal });
  };
  const policy = await q(['query', POLICY_KEY, '/v', 'ProxySettingsPerUser']);
  if (policy.kind === 'missing') return emptyReading('wininet', where, 'not-available', ['reg is not available (not Windows)']);
  let hive = 'HKCU';
  if (policy.kind === 'ok') {
    const v = parseRegQuery(policy.stdout)?.[0]?.values.get('proxysettingsperuser');
    if (v && dword(v) === 0) {
      hive = 'HKLM';
      notes.push('the policy "Make proxy settings per-machine" is on (ProxySettingsPerUser=0): the machine\'s settings apply to every user');
    }
  }
  const main = await q(['query', `${hive}\\${INTERNET_SETTINGS}`]);
  if (main.kind !== 'ok') {
    if (absent(main)) return emptyReading('wininet', where, 'nothing-configured', [...notes, `${hive}\\${INTERNET_SETTINGS} does not exist`]);
    return emptyReading('wininet', where, main.kind === 'missing' ? 'not-available' : 'malformed', [...notes, `reg query ${hive}\\…\\Internet Settings: ${describeFailure(main)}`]);
  }
  const keys = parseRegQuery(main.stdout);
  if (!keys) return emptyReading('wininet', where, 'malformed', [...notes, `reg query ${hive}\\…\\Internet Settings: output not understood (${JSON.stringify(main.stdout.slice(0, 80))})`]);
  const conn = await q(['query', `${hive}\\${INTERNET_SETTINGS}\\Connections`, '/v', 'DefaultConnectionSettings']);
  let connKey: RegKey | null = null;
  if (conn.kind === 'ok') connKey = parseRegQuery(conn.stdout)?.[0] ?? null;
  else if (!absent(conn)) notes.push(`reg query …\\Connections: ${describeFailure(conn)}`);
  return interpretWinInet(keys[0], connKey, where, notes);
}

/**
 * `netsh winhttp show proxy`. Localised by Windows (French: "Paramètres de proxy WinHTTP actuels",
 * "Serveur(s) proxy", "Liste de contournement"), so read by shape: after the title, either one line
 * without " : " (direct access) or "label : value" lines — the first the proxy servers, the second
 * the bypass list ("(none)" / "(aucun)" when empty).
 */
export function parseNetshWinHttp(text: string, where: string[] = ['netsh winhttp show proxy']): SourceReading {
  const notes: string[] = [];
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const title = lines.findIndex((l) => /winhttp/i.test(l));
  if (title < 0) return emptyReading('winhttp', where, 'malformed', [`netsh winhttp show proxy: output not understood (${JSON.stringify(text.slice(0, 80))})`]);
  const body = lines.slice(title + 1);
  const pairs = body.map((l) => /^(.+?)\s+:\s+(.*)$/.exec(l) ?? /^(.+?)\s*:\s+(.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  if (pairs.length === 0) {
    if (body.length >= 1) return emptyReading('winhttp', where, 'nothing-configured', [`WinHTTP: ${body.join(' ')}`]);
    return emptyReading('winhttp', where, 'malformed', ['netsh winhttp show proxy: no settings line']);
  }
  const server = pairs[0][2].trim();
  const rawBypass = pairs[1]?.[2].trim() ?? '';
  const bypassText = /^\(.*\)$/.test(rawBypass) ? '' : rawBypass; // "(none)" in any language
  const r = emptyReading('winhttp', where);
  r.manual = parseServerList(server, 'WinHTTP Proxy Server(s)', wininetBypass(bypassText, pairs[1] ? 'WinHTTP Bypass List' : null), notes);
  r.notes = notes;
  if (!r.manual.http && !r.manual.https && !r.manual.socks) return { ...r, state: 'malformed', manual: null };
  return settle(r);
}

export async function readWinHttp(run: CommandRunner, signal?: AbortSignal): Promise<SourceReading> {
  const args = ['winhttp', 'show', 'proxy'];
  const where = [commandLine('netsh', args)];
  const res = await run('netsh', args, { signal });
  if (res.kind === 'missing') return emptyReading('winhttp', where, 'not-available', ['netsh is not available (not Windows)']);
  if (res.kind !== 'ok') return emptyReading('winhttp', where, 'malformed', [`netsh winhttp show proxy: ${describeFailure(res)}`]);
  return parseNetshWinHttp(res.stdout, where);
}
