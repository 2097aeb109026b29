// The verdict's view of a run: results joined to the profile hosts. Pure, no I/O.

import type { CheckResult } from '../shared/results.js';
import type { CheckId } from '../shared/check-ids.js';
import type { HostEntry, HostRole } from '../shared/profile-types.js';
import type { Cause, CauseId, RawRun } from '../report/types.js';

export interface VerdictInput {
  raw: RawRun;
  results: CheckResult[];
  /** Profile hosts by lower-case name. */
  hosts: Map<string, HostEntry>;
  /** The host a result is about (details.host, else parsed from the target); null for `proxy`, `pcc`. */
  hostOf(r: CheckResult): string | null;
  /** The profile entry for a result's host, if any. */
  entryOf(r: CheckResult): HostEntry | undefined;
  /** Results with this check id (optionally only those whose target starts with a prefix). */
  byId(id: CheckId, targetPrefix?: string): CheckResult[];
  /** Results about one host. */
  forHost(host: string): CheckResult[];
  proxy: RawRun['proxy'];
  media: boolean;
  /**
   * The probe could not be asked (a PROBE_* code: unreachable, timed out, refused, not a serve),
   * or it was not reached at all and this failure was against it (a dead probe and a wall look
   * alike): the result says nothing about the path it was meant to measure — the row it feeds is
   * unverified, not failed. Successes against an unreached probe still count (an answer is an answer).
   */
  probeFault(r: CheckResult): boolean;
  /** The result proves something either way: it ran, was not cut by the deadline, is no probe fault and no netready bug. */
  evidence(r: CheckResult): boolean;
}

export interface Rule {
  id: CauseId;
  /** The checks whose results it reads (test/verdict/rule-reads.test.ts holds it to what it does). */
  reads: readonly CheckId[];
  evaluate(input: VerdictInput): Cause | null;
}

/**
 * The host in a target. Shapes (docs/evidence.md): `HOST`, `HOST:PORT`, `https://HOST/PATH`,
 * `wss://HOST/PATH#idle`, `udp:HOST:PORT`, `tcp:HOST:PORT`, `turn:udp:HOST:3478`, `[v6]:PORT`.
 */
export function hostFromTarget(target: string): string | null {
  if (target === 'proxy' || target === 'pcc' || target === '') return null;
  let t = target;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(t);
  if (scheme) {
    t = t.slice(scheme[0].length);
    t = t.split(/[/?#]/, 1)[0] ?? '';
  } else {
    t = t.replace(/^turn:(udp|tcp|tls):/i, '').replace(/^(udp|tcp|tls):/i, '');
  }
  t = t.replace(/^[^@]*@/, '');
  if (t.startsWith('[')) {
    const end = t.indexOf(']');
    return end > 0 ? t.slice(1, end).toLowerCase() : null;
  }
  const colons = t.split(':').length - 1;
  if (colons === 1) t = t.slice(0, t.indexOf(':'));
  return t ? t.toLowerCase() : null;
}

export function portFromTarget(target: string): number | null {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target);
  if (scheme) {
    const authority = target.slice(scheme[0].length).split(/[/?#]/, 1)[0] ?? '';
    const m = /:(\d{1,5})$/.exec(authority);
    if (m) return Number(m[1]);
    const s = scheme[1]!.toLowerCase();
    return s === 'https' || s === 'wss' ? 443 : s === 'http' || s === 'ws' ? 80 : null;
  }
  const m = /:(\d{1,5})$/.exec(target);
  return m ? Number(m[1]) : null;
}

export function buildInput(raw: RawRun): VerdictInput {
  const hosts = new Map<string, HostEntry>();
  for (const h of raw.hosts ?? []) if (!hosts.has(h.host.toLowerCase())) hosts.set(h.host.toLowerCase(), h);
  const results = raw.results ?? [];
  const hostOf = (r: CheckResult): string | null => {
    const d = r.details?.host;
    if (typeof d === 'string' && d) return d.toLowerCase();
    return hostFromTarget(r.target);
  };
  const byHost = new Map<string, CheckResult[]>();
  for (const r of results) {
    const h = hostOf(r);
    if (!h) continue;
    const list = byHost.get(h) ?? [];
    list.push(r);
    byHost.set(h, list);
  }
  const input: VerdictInput = {
    raw,
    results,
    hosts,
    hostOf,
    entryOf: (r) => {
      const h = hostOf(r);
      return h ? hosts.get(h) : undefined;
    },
    byId: (id, prefix) => results.filter((r) => r.id === id && (!prefix || r.target.startsWith(prefix))),
    forHost: (h) => byHost.get(h.toLowerCase()) ?? [],
    proxy: raw.proxy ?? { explicit: null, pac: null, env: {} },
    media: !!raw.media,
    probeFault: (r) => /^PROBE_/.test(code(r) ?? '') || r.details?.probeFault === true || (probeDown && r.id !== 'probe.reach' && isBad(r) && aboutProbe(input, r)),
    evidence: (r) => r.status !== 'skipped' && r.status !== 'error' && !isDeadline(r) && !input.probeFault(r),
  };
  const probeDown = results.some((r) => r.id === 'probe.reach' && (r.status === 'failed' || r.status === 'timeout'));
  return input;
}

// ---- small shared helpers for rules ------------------------------------------------------------

/** The run's deadline, not the network, ended these: they prove nothing either way. */
export const DEADLINE_CODES = new Set(['DEADLINE_EXCEEDED', 'DEADLINE_NOT_STARTED']);
export const isDeadline = (r: CheckResult): boolean => DEADLINE_CODES.has(r.error?.code ?? '');
/** The network said no (failed or timeout), excluding results cut by the run deadline. */
export const isBad = (r: CheckResult): boolean => (r.status === 'failed' || r.status === 'timeout') && !isDeadline(r);
export const code = (r: CheckResult): string | null => r.error?.code ?? null;

/** Checks that only ever measure against the probe (its echo, its TURN credentials, its peer). */
export const PROBE_ONLY_CHECKS = new Set(['probe.reach', 'udp.range', 'turn.allocate', 'webrtc.ice', 'quality.throughput', 'quality.udp-train', 'quality.relay-train']);

/** A result measured against the probe or what it handed out (not a vendor host). */
export function aboutProbe(input: VerdictInput, r: CheckResult): boolean {
  if (PROBE_ONLY_CHECKS.has(r.id) || onProbe(input, r)) return true;
  // stun.binding: to the probe's responder, unless the host is a vendor media host of a profile
  return r.id === 'stun.binding' && !['media', 'video'].includes(input.entryOf(r)?.role ?? '');
}

/** A result about the probe (the cooperating far end), not a vendor host. */
export function onProbe(input: VerdictInput, r: CheckResult): boolean {
  if (r.details?.farEnd === 'probe' || r.id === 'probe.reach') return true;
  return input.entryOf(r)?.role === 'probe';
}

/**
 * A name netready picked itself (a seed's "*" expanded) or from a historical document that does
 * not exist: an authoritative NXDOMAIN for it is no DNS block (contract, "Two kinds of far end").
 */
export function nonexistentName(input: VerdictInput, r: CheckResult): boolean {
  if (r.id !== 'dns.resolve' || code(r) !== 'DNS_NXDOMAIN') return false;
  const e = input.entryOf(r);
  return !!e && (e.chosen === true || e.historical === true);
}

export function roleOf(input: VerdictInput, host: string): HostRole | undefined {
  return input.hosts.get(host)?.role;
}

/** Required unless the profile marks the host recommended/optional; unknown hosts count as required. */
export function isRequired(input: VerdictInput, host: string): boolean {
  const e = input.hosts.get(host);
  return !e || e.required === 'always';
}

export const uniq = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

/** "a, b and c" — every item (files carry full lists; a renderer abbreviates where it must). */
export function listText(items: string[], max = Infinity): string {
  const xs = uniq(items);
  if (xs.length <= 1) return xs[0] ?? '';
  if (xs.length > max) return `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`;
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** The wildcard rules an admin should write for these hosts (profile wildcard, else the host). */
export function allowNames(input: VerdictInput, hosts: string[]): string[] {
  return uniq(hosts.map((h) => input.hosts.get(h)?.wildcard ?? h));
}

export function seconds(ms: number): string {
  return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
}

export function proxyDisplay(r: CheckResult): string | null {
  const p = r.details?.proxy as { display?: unknown } | null | undefined;
  return p && typeof p.display === 'string' ? p.display : null;
}

export function cause(
  id: CauseId,
  severity: Cause['severity'],
  summary: string,
  evidence: string[],
  remedy: string,
  targets: string[],
  extra: Pick<Cause, 'title' | 'facts' | 'changes' | 'howto'> = {},
): Cause {
  const c: Cause = { id, severity, ...(extra.title ? { title: oneLine(extra.title) } : {}), summary, evidence: uniq(evidence), remedy, targets: uniq(targets) };
  if (extra.facts?.length) c.facts = extra.facts;
  if (extra.changes?.length) c.changes = extra.changes;
  if (extra.howto?.length) c.howto = extra.howto;
  return c;
}

/** A title fits one terminal line beside its cause id (72 characters). */
export function oneLine(s: string, max = 72): string {
  return s.length <= max ? s : `${s.slice(0, max - 1).trimEnd()}…`;
}
