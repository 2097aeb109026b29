// Media facts from the stun/turn/udp results (docs/evidence.md, "Media and quality: what the
// verdict reads") and the tier of seed 000_637c892c7d775e13.txt section 2:
//   Optimal: UDP 3478 + UDP 1025–65535 + TCP 443 · Recommended minimum: UDP 3478 + TCP 443 ·
//   Absolute minimum: TCP 443 only (WSS, HTTPS, TURN over TLS).
// Decision (brief): a media profile whose run has no media result at all has tier null and the
// note "media checks not run" — absence of evidence is not "none".
import type { CheckResult } from '../checks/types.js';
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

export function mediaFacts(input: VerdictInput): MediaFacts {
  const stunUdp = input.byId('stun.binding', 'udp:');
  const turnUdp = input.byId('turn.allocate', 'turn:udp:');
  const udp = [...stunUdp, ...turnUdp].filter((r) => r.status !== 'skipped' && r.status !== 'error');
  const range = input.byId('udp.range').filter((r) => r.status !== 'skipped' && r.status !== 'error');
  const turnTcp = [...input.byId('turn.allocate', 'turn:tls:'), ...input.byId('turn.allocate', 'turn:tcp:')].filter(
    (r) => r.status !== 'skipped' && r.status !== 'error',
  );
  const ran = MEDIA_CHECKS.some((id) => input.byId(id).some((r) => r.status !== 'skipped'));
  const udp3478 = udp.length ? udp.some((r) => r.status === 'ok') : null;
  const turnTlsOk = turnTcp.length ? turnTcp.some((r) => r.status === 'ok') : null;
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
