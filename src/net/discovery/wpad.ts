// WPAD over DNS: the candidate URLs a browser tries, the search domains they come from, and the
// bounded lookup (the PAC found is then compiled like --pac, src/net/pac.ts).
//
// Candidates: for each DNS search domain, http://wpad.<domain>/wpad.dat walking up one label at a
// time and stopping at the registrable domain (never wpad.<public suffix>: wpad.co.uk was a real
// attack, US-CERT TA16-144A), then http://wpad/wpad.dat (the resolver appends its own search list,
// which is what Chrome and Firefox ask for). The registrable domain comes from the Public Suffix
// List through `tldts` (maintained, ships the list, no network): a bounded rule such as "keep two
// labels" is wrong for co.uk, com.au, kawasaki.jp and thousands of others, and the wrong answer here
// is a query for a name anyone can register. Private-section suffixes (github.io, …) count too, so
// the walk stops earlier, never later. A search domain that is itself a public suffix gets no
// candidate of its own.
//
// Search domains: Linux /etc/resolv.conf (`search`/`domain`, the last one wins as in glibc);
// macOS `scutil --dns` (the default resolver's "search domain[n]"); Windows `ipconfig /all`
// ("DNS Suffix Search List", else "Primary Dns Suffix" and each adapter's "Connection-specific DNS
// Suffix"; English labels — Windows prints ipconfig in its display language, so another language
// gives a note and no domains).

import { getDomain, parse } from 'tldts';
import type { LookupFunction } from 'node:net';
import { fetchPacText } from '../pac.js';
import { commandLine, describeFailure, type CommandRunner, type FileReader } from './runner.js';

/** At most this many DNS candidates (a deep search domain stops here). */
export const WPAD_MAX_CANDIDATES = 12;
/** Each candidate fetch (DNS + connect + body). */
export const WPAD_FETCH_TIMEOUT_MS = 3000;
/** The whole lookup. */
export const WPAD_DEADLINE_MS = 10_000;

export interface SearchDomains {
  domains: string[];
  where: string[];
  notes: string[];
}

const clean = (d: string) => d.trim().toLowerCase().replace(/\.$/, '');
const isName = (d: string) => /^[a-z0-9_]([a-z0-9_-]{0,62})?(\.[a-z0-9_]([a-z0-9_-]{0,62})?)*$/.test(d);

/** /etc/resolv.conf: the last `search` or `domain` line (glibc: they override each other). */
export function parseResolvConf(text: string): string[] {
  let domains: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const m = /^(search|domain)\s+(.+)$/.exec(line);
    if (m) domains = m[2].split(/\s+/).map(clean).filter(isName);
  }
  return domains;
}

/** `scutil --dns`: the search domains of the first resolver of the (unscoped) "DNS configuration". */
export function parseScutilDns(text: string): string[] | null {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^DNS configuration\s*$/.test(l.trim()));
  if (start < 0) return null;
  const out: string[] = [];
  let inFirst = false;
  for (const raw of lines.slice(start + 1)) {
    const line = raw.trim();
    if (/^DNS configuration/.test(line)) break; // the scoped section follows
    if (/^resolver #\d+/.test(line)) {
      if (inFirst) break;
      inFirst = true;
      continue;
    }
    const m = /^search domain\[\d+\]\s*:\s*(\S+)/.exec(line);
    if (inFirst && m && isName(clean(m[1]))) out.push(clean(m[1]));
  }
  return out;
}

/** `ipconfig /all` (English): the DNS Suffix Search List, else the primary and connection-specific suffixes. */
export function parseIpconfigAll(text: string): string[] | null {
  if (!/Windows IP Configuration/i.test(text)) return null;
  const lines = text.split(/\r?\n/);
  const list: string[] = [];
  const other: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*([A-Za-z][A-Za-z -]*?)[ .]*:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    const label = m[1].trim().toLowerCase();
    const value = clean(m[2]);
    if (label === 'dns suffix search list') {
      if (isName(value)) list.push(value);
      // Continuation lines: deeply indented, no label.
      for (let j = i + 1; j < lines.length && /^\s{20,}\S+\s*$/.test(lines[j]); j++) if (isName(clean(lines[j]))) list.push(clean(lines[j]));
    } else if ((label === 'primary dns suffix' || label === 'connection-specific dns suffix') && value && isName(value)) other.push(value);
  }
  return [...new Set(list.length ? list : other)];
}

/** Read the search domains for a platform (through the injected runner / file reader). */
export async function readSearchDomains(platform: NodeJS.Platform, run: CommandRunner, files: FileReader, signal?: AbortSignal): Promise<SearchDomains> {
  if (platform === 'win32') {
    const where = [commandLine('ipconfig', ['/all'])];
    const r = await run('ipconfig', ['/all'], { signal });
    if (r.kind !== 'ok') return { domains: [], where, notes: [`ipconfig /all: ${describeFailure(r)}`] };
    const d = parseIpconfigAll(r.stdout);
    if (!d) return { domains: [], where, notes: ['ipconfig /all: output not understood (not English?)'] };
    return { domains: d, where, notes: d.length ? [] : ['ipconfig /all: no DNS suffix'] };
  }
  if (platform === 'darwin') {
    const where = [commandLine('scutil', ['--dns'])];
    const r = await run('scutil', ['--dns'], { signal });
    if (r.kind !== 'ok') return { domains: [], where, notes: [`scutil --dns: ${describeFailure(r)}`] };
    const d = parseScutilDns(r.stdout);
    if (!d) return { domains: [], where, notes: ['scutil --dns: output not understood'] };
    return { domains: d, where, notes: d.length ? [] : ['scutil --dns: no search domain'] };
  }
  const where = ['/etc/resolv.conf'];
  const text = await files('/etc/resolv.conf');
  if (text === null) return { domains: [], where, notes: ['/etc/resolv.conf cannot be read'] };
  const d = parseResolvConf(text);
  return { domains: d, where, notes: d.length ? [] : ['/etc/resolv.conf has no search domain'] };
}

/** The WPAD URLs to try, in order (see the file comment). Notes say what was left out and why. */
export function wpadCandidates(searchDomains: string[], notes: string[] = []): string[] {
  const out: string[] = [];
  for (const raw of searchDomains) {
    const d = clean(raw);
    if (!isName(d)) continue;
    const registrable = getDomain(d, { allowPrivateDomains: true });
    if (!registrable) {
      const p = parse(d, { allowPrivateDomains: true });
      notes.push(`search domain ${d}: ${p.isIcann || p.isPrivate ? 'a public suffix' : 'a single label'}, no wpad.${d} (only http://wpad/wpad.dat)`);
      continue;
    }
    const labels = d.split('.');
    const stop = registrable.split('.').length;
    for (let n = labels.length; n >= stop; n--) {
      const url = `http://wpad.${labels.slice(labels.length - n).join('.')}/wpad.dat`;
      if (!out.includes(url)) out.push(url);
    }
  }
  if (out.length > WPAD_MAX_CANDIDATES) {
    notes.push(`${out.length - WPAD_MAX_CANDIDATES} more WPAD names not tried (at most ${WPAD_MAX_CANDIDATES})`);
    out.length = WPAD_MAX_CANDIDATES;
  }
  out.push('http://wpad/wpad.dat');
  return out;
}

export interface WpadLookup {
  searchDomains: SearchDomains;
  candidates: string[];
  /** Every candidate tried before one answered (or all of them), with why it gave nothing. */
  tried: { url: string; why: string }[];
  /** The first candidate that served a PAC (its text is compiled like --pac). */
  found: { url: string; text: string } | null;
  notes: string[];
}

export interface WpadOptions {
  signal?: AbortSignal;
  /** Name resolution for the fetches (tests map wpad.<domain> to loopback). */
  lookup?: LookupFunction;
  perCandidateMs?: number;
  deadlineMs?: number;
  /** The port the candidate URLs are fetched on (WPAD is port 80; tests use a loopback server's). */
  port?: number;
}

/** Try the candidates in order; the first 2xx answer is the PAC. Bounded per candidate and in total. */
export async function lookupWpad(searchDomains: SearchDomains, o: WpadOptions = {}): Promise<WpadLookup> {
  const notes = [...searchDomains.notes];
  const candidates = wpadCandidates(searchDomains.domains, notes);
  const tried: WpadLookup['tried'] = [];
  const deadline = performance.now() + (o.deadlineMs ?? WPAD_DEADLINE_MS);
  for (const url of candidates) {
    const left = deadline - performance.now();
    if (left <= 0 || o.signal?.aborted) {
      tried.push({ url, why: 'not tried: the WPAD lookup reached its time bound' });
      continue;
    }
    const target = o.port ? url.replace(/^(http:\/\/[^/]+)\//, `$1:${o.port}/`) : url;
    const r = await fetchPacText(target, { signal: o.signal, lookup: o.lookup, timeoutMs: Math.max(1, Math.floor(Math.min(o.perCandidateMs ?? WPAD_FETCH_TIMEOUT_MS, left))) });
    if (r.ok) return { searchDomains, candidates, tried, found: { url, text: r.text }, notes };
    tried.push({ url, why: r.failure.message.replace(/^cannot fetch the PAC file \S+: /, '') });
  }
  return { searchDomains, candidates, tried, found: null, notes };
}
