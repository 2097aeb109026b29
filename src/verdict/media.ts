// Media facts from the stun/turn/udp results (docs/evidence.md, "Media and quality: what the
// verdict reads") and the tier of seed 000_637c892c7d775e13.txt section 2:
//   Optimal: UDP 3478 + UDP 1025–65535 + TCP 443 · Recommended minimum: UDP 3478 + TCP 443 ·
//   Absolute minimum: TCP 443 only (WSS, HTTPS, TURN over TLS).
// Decision (brief): a media profile whose run has no media result at all has tier null and the
// note "media checks not run" — absence of evidence is not "none".
import type { CheckResult } from '../shared/results.js';
import type { Tier } from '../report/types.js';
import { isBad, type VerdictInput } from './input.js';

/** udp.range counts as open from this share of sampled ports answering. */
export const RANGE_OPEN_RATIO = 0.9;

export const MEDIA_CHECKS = ['stun.binding', 'turn.allocate', 'udp.range'] as const;

export interface MediaFacts {
  ran: boolean;
  udp: CheckResult[];
  /** UDP 3478 (STUN or TURN over UDP) answered; null when nothing over UDP was tried. */
  udp3478: boolean | null;
  range: CheckResult[];
  rangeOpen: boolean | null;
  turnTcp: CheckResult[];
  /** TURN over TCP/TLS 443 relayed data (directly or through the applicable proxy). */
  turnTlsOk: boolean | null;
  /** TCP 443 to the video hosts works the browser's way (else TURN over TCP/TLS stands for it). */
  tcp443: boolean | null;
}

export function rangeOpen(r: CheckResult): boolean {
  const p = r.metrics.passRatio;
  return typeof p === 'number' ? p >= RANGE_OPEN_RATIO && r.status !== 'error' : r.status === 'ok';
}

/**
 * The proxies that demand authentication of a client that brings none (proxy.config's CONNECT
 * without credentials, or any check refused with 407), by their display URL.
 */
export function authProxies(input: VerdictInput): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of input.byId('proxy.config')) {
    const rows = Array.isArray(r.details?.proxyAuth) ? (r.details!.proxyAuth as Record<string, unknown>[]) : [];
    for (const row of rows)
      if (row.demandsAuth === true && typeof row.proxy === 'string')
        out.set(row.proxy, Array.isArray(row.schemes) ? row.schemes.filter((x): x is string => typeof x === 'string') : []);
  }
  for (const r of input.results) {
    if (r.error?.code !== 'PROXY_AUTH_REQUIRED') continue;
    const p = (r.details?.proxy as { display?: unknown } | null | undefined)?.display;
    if (typeof p === 'string' && !out.has(p)) out.set(p, []);
  }
  return out;
}

/** Went through a proxy that demands authentication: WebRTC cannot answer its 407 (seed 001). */
export function viaAuthProxy(r: CheckResult, auth: Map<string, string[]>): boolean {
  const p = (r.details?.proxy as { display?: unknown } | null | undefined)?.display;
  return typeof p === 'string' && auth.has(p);
}

export function mediaFacts(input: VerdictInput): MediaFacts {
  const stunUdp = input.byId('stun.binding', 'udp:');
  const turnUdp = input.byId('turn.allocate', 'turn:udp:');
  // Results that could not be had from the probe (its HTTPS unreachable) prove nothing about media.
  const udp = [...stunUdp, ...turnUdp].filter(input.evidence);
  const range = input.byId('udp.range').filter(input.evidence);
  const turnTcp = [...input.byId('turn.allocate', 'turn:tls:'), ...input.byId('turn.allocate', 'turn:tcp:')].filter(input.evidence);
  const ran = MEDIA_CHECKS.some((id) => input.byId(id).some(input.evidence));
  const udp3478 = udp.length ? udp.some((r) => r.status === 'ok') : null;
  // Contract: through a proxy that demands authentication, TURN over TLS does not count toward a
  // tier — WebRTC cannot answer a 407, even where netready itself holds credentials (seed 001).
  const auth = authProxies(input);
  const turnTlsOk = turnTcp.length ? turnTcp.some((r) => r.status === 'ok' && !viaAuthProxy(r, auth)) : null;
  // TCP 443 to the Vonage hosts (signalling), the way the browser goes (direct or via the proxy);
  // without such results, TURN over TCP/TLS 443 stands for it. TURN over TLS itself is what the
  // absolute-minimum tier needs; on a network where UDP carries media its failure is a
  // degrading cause (turn-tls-blocked: no fallback), not a lower tier.
  const video443 = input
    .byId('tcp.connect')
    .filter((r) => /:443$/.test(r.target) && ['video', 'media'].includes(input.entryOf(r)?.role ?? '') && r.status !== 'skipped');
  const tcp443: boolean | null = video443.length
    ? !video443.some(isBad) && video443.some((r) => r.status === 'ok')
    : turnTlsOk;
  return {
    ran,
    udp,
    udp3478,
    range,
    rangeOpen: range.length ? range.some(rangeOpen) : null,
    turnTcp,
    turnTlsOk,
    tcp443,
  };
}

export function computeTier(input: VerdictInput): Tier | null {
  if (!input.media) return null;
  const m = mediaFacts(input);
  if (!m.ran) return null;
  if (m.udp3478 && m.rangeOpen && m.tcp443) return 'optimal';
  if (m.udp3478 && m.tcp443) return 'recommended-minimum';
  if (m.turnTlsOk) return 'absolute-minimum';
  return 'none';
}
