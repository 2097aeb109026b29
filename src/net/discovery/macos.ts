// macOS: `scutil --proxy` prints the system proxy dictionary (SCDynamicStoreCopyProxies) that
// Safari, Chrome and CFNetwork use, in scutil's text form:
//   <dictionary> {
//     ExceptionsList : <array> {
//       0 : *.local
//     }
//     HTTPSEnable : 1
//     HTTPSPort : 3128
//     HTTPSProxy : proxy.corp.example
//   }
// Keys as Chromium's proxy_config_service_mac reads them: ProxyAutoDiscoveryEnable (WPAD),
// ProxyAutoConfigEnable + ProxyAutoConfigURLString (PAC), HTTPS/HTTP/SOCKS Enable+Proxy+Port
// (SOCKS is SOCKS v5), ExceptionsList, ExcludeSimpleHostnames.

import { commandLine, describeFailure, type CommandRunner } from './runner.js';
import { emptyReading, settle, type ProxyServerSetting, type SourceReading } from './types.js';
import { parseProxyServer } from './proxy-text.js';

export type ScutilValue = string | ScutilDict | ScutilValue[];
export interface ScutilDict {
  [key: string]: ScutilValue;
}

/**
 * scutil's `<dictionary> { … }` / `<array> { … }` text as nested objects and arrays of strings.
 * Returns null when the text is not such a dictionary (or its braces do not balance).
 */
export function parseScutilDict(text: string): ScutilDict | null {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const start = lines.findIndex((l) => l === '<dictionary> {');
  if (start < 0) return null;
  type Frame = { kind: 'dict'; value: ScutilDict } | { kind: 'array'; value: ScutilValue[] };
  const root: ScutilDict = {};
  const stack: Frame[] = [{ kind: 'dict', value: root }];
  for (const line of lines.slice(start + 1)) {
    const top = stack[stack.length - 1];
    if (!top) return null; // text after the closing brace of the root
    if (line === '}') {
      stack.pop();
      if (stack.length === 0) return root;
      continue;
    }
    const m = /^(.+?) : (.*)$/.exec(line) ?? /^(.+?) :$/.exec(line);
    if (!m) return null;
    const key = m[1];
    const rest = (m[2] ?? '').trim();
    let value: ScutilValue;
    if (rest === '<dictionary> {') {
      const d: ScutilDict = {};
      value = d;
      stack.push({ kind: 'dict', value: d });
    } else if (rest === '<array> {') {
      const a: ScutilValue[] = [];
      value = a;
      stack.push({ kind: 'array', value: a });
    } else value = rest;
    if (top.kind === 'dict') top.value[key] = value;
    else top.value.push(value);
  }
  return null; // unbalanced: the root never closed
}

const str = (v: ScutilValue | undefined): string | null => (typeof v === 'string' ? v : null);
const on = (v: ScutilValue | undefined): boolean => str(v) === '1';

/** Interpret a `scutil --proxy` dictionary (pure). */
export function interpretScutilProxy(d: ScutilDict, where: string[] = ['scutil --proxy']): SourceReading {
  const notes: string[] = [];
  const r = emptyReading('scutil', where, 'nothing-configured', notes);
  if (on(d.ProxyAutoDiscoveryEnable)) r.autoDetect = { from: 'ProxyAutoDiscoveryEnable' };
  if (on(d.ProxyAutoConfigEnable)) {
    const url = str(d.ProxyAutoConfigURLString)?.trim();
    if (url) r.pacUrl = { url, from: 'ProxyAutoConfigURLString' };
    else notes.push('ProxyAutoConfigEnable is 1 but ProxyAutoConfigURLString is empty');
  }
  const server = (kind: 'HTTPS' | 'HTTP' | 'SOCKS', scheme: ProxyServerSetting['scheme']): ProxyServerSetting | null => {
    if (!on(d[`${kind}Enable`])) return null;
    const host = str(d[`${kind}Proxy`])?.trim();
    const portText = str(d[`${kind}Port`]);
    const from = `${kind}Proxy + ${kind}Port`;
    if (!host) {
      notes.push(`${kind}Enable is 1 but ${kind}Proxy is empty`);
      return null;
    }
    const p = parseProxyServer(portText ? `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${portText}` : host, scheme, from, scheme.startsWith('socks') ? 1080 : 80);
    if (!p) notes.push(`${from}: "${host}${portText ? `:${portText}` : ''}" is not a proxy address`);
    return p;
  };
  const https = server('HTTPS', 'http');
  const http = server('HTTP', 'http');
  const socks = server('SOCKS', 'socks5');
  const exceptions = Array.isArray(d.ExceptionsList) ? d.ExceptionsList.map(str).filter((s): s is string => !!s) : [];
  if (d.ExceptionsList !== undefined && !Array.isArray(d.ExceptionsList)) notes.push('ExceptionsList is not an array; ignored');
  if (https || http || socks)
    r.manual = {
      https,
      http,
      socks,
      bypass: { flavour: 'macos', entries: exceptions, simpleHostnames: on(d.ExcludeSimpleHostnames), reversed: false, from: exceptions.length || on(d.ExcludeSimpleHostnames) ? 'ExceptionsList / ExcludeSimpleHostnames' : null },
    };
  if (d.__SCOPED__ !== undefined) notes.push('per-interface (__SCOPED__) proxy settings exist; the global ones above are what browsers use');
  return settle(r);
}

export function parseScutilProxy(text: string, where: string[] = ['scutil --proxy']): SourceReading {
  const d = parseScutilDict(text);
  if (!d) return emptyReading('scutil', where, 'malformed', [`scutil --proxy: output not understood (${JSON.stringify(text.slice(0, 80))})`]);
  return interpretScutilProxy(d, where);
}

export async function readScutilProxy(run: CommandRunner, signal?: AbortSignal): Promise<SourceReading> {
  const where = [commandLine('scutil', ['--proxy'])];
  const res = await run('scutil', ['--proxy'], { signal });
  if (res.kind === 'missing') return emptyReading('scutil', where, 'not-available', ['scutil is not available (not macOS)']);
  if (res.kind !== 'ok') return emptyReading('scutil', where, 'malformed', [`scutil --proxy: ${describeFailure(res)}`]);
  return parseScutilProxy(res.stdout, where);
}
