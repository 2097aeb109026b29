// Facts several rules need, so one failure is explained by one cause (dedupe across rules).
import type { CheckResult } from '../../shared/results.js';
import type { CauseId, Change, Howto } from '../../report/types.js';
import { code, isBad, type VerdictInput } from '../input.js';
import { changes, MEDIA_ANY, qosHowto, udpHowto } from '../remedies.js';
import type { MediaPath } from '../thresholds.js';

/**
 * Words that URL-category / keyword filters commonly match in host names.
 * seed 000_637c892c7d775e13.txt, allowlist note on row 5: "Start with assets-proxy.upscope.io if
 * co-browsing loads partially — URL-keyword filters often block it because the hostname contains
 * 'proxy'". The other words are the usual anonymiser/VPN/CDN filter categories (not from a seed).
 */
export const FILTER_WORDS = ['proxy', 'vpn', 'tunnel', 'anonym', 'bypass', 'unblock', 'relay', 'cdn'] as const;

export function filterWordIn(host: string): string | null {
  const h = host.toLowerCase();
  return FILTER_WORDS.find((w) => h.includes(w)) ?? null;
}

/** A result that says "something on the path refused this host" (not a proxy-auth or netready issue). */
export function isRefusal(r: CheckResult): boolean {
  if (!isBad(r)) return false;
  const c = code(r);
  if (c === 'HTTP_BLOCKED_BY_PROXY' || c === 'PROXY_CONNECT_REFUSED') return true;
  if (r.id === 'dns.resolve') return true;
  if (r.id === 'tcp.connect') return c !== 'PROXY_AUTH_REQUIRED' && c !== 'PROXY_UNREACHABLE';
  return false;
}

/** A host passes when it has at least one ok result and no failed/timeout result. */
export function hostPasses(input: VerdictInput, host: string): boolean {
  const rs = input.forHost(host);
  return rs.some((r) => r.status === 'ok') && !rs.some(isBad);
}

/** Nothing refused the host (it may still be inspected or fail later): a sibling that got through. */
export function hostReachable(input: VerdictInput, host: string): boolean {
  const rs = input.forHost(host);
  return rs.some((r) => r.status === 'ok') && !rs.some(isRefusal);
}

/** Hosts refused while a sibling of their group passes and whose name carries a filter word. */
export function keywordFiltered(input: VerdictInput): Map<string, { word: string; sibling: string; results: CheckResult[] }> {
  const out = new Map<string, { word: string; sibling: string; results: CheckResult[] }>();
  for (const [host, entry] of input.hosts) {
    const refused = input.forHost(host).filter(isRefusal);
    if (refused.length === 0) continue;
    const word = filterWordIn(host);
    if (!word) continue;
    const sibling = [...input.hosts.values()].find(
      (e) => e.group === entry.group && e.host.toLowerCase() !== host && hostReachable(input, e.host.toLowerCase()),
    );
    if (!sibling) continue;
    out.set(host, { word, sibling: sibling.host, results: refused });
  }
  return out;
}

/** seed 000: "If row 1 is restricted to specific URL paths, include /virtual-room/*, /graphql, and /transaction/*". */
export const FILTERED_PATHS = [/^\/virtual-room(\/|$)/, /^\/graphql(\/|$|\?)/, /^\/transaction(\/|$)/];

const REQUEST_CHECKS = new Set(['http.path', 'ws.upgrade', 'sse.stream', 'conn.idle']);

export function pathOf(r: CheckResult): string | null {
  if (typeof r.details?.path === 'string') return r.details.path;
  const m = /^[a-z]+:\/\/[^/?#]+([^#]*)/i.exec(r.target);
  return m ? m[1] || '/' : null;
}

/** Proxy refusals of the Virtual Room paths on a host whose other requests pass. */
const firstSegment = (path: string) => path.split('/')[1] ?? '';

export function pathFiltered(input: VerdictInput): CheckResult[] {
  const kw = keywordFiltered(input);
  return input.results.filter((r) => {
    if (!REQUEST_CHECKS.has(r.id) || code(r) !== 'HTTP_BLOCKED_BY_PROXY') return false;
    const host = input.hostOf(r);
    if (!host || kw.has(host)) return false;
    const path = pathOf(r);
    if (!path || !FILTERED_PATHS.some((re) => re.test(path))) return false;
    // A refused stream or upgrade is a path filter only when plain requests under the same first
    // path segment are refused too; when they pass, the proxy refuses the stream itself
    // (e.g. by content type), which the sse-/websocket-blocked rules report.
    if (r.id !== 'http.path') {
      const top = firstSegment(path);
      const plain = input.forHost(host).filter((o) => o.id === 'http.path' && firstSegment(pathOf(o) ?? '') === top);
      if (plain.length > 0 && !plain.some((o) => code(o) === 'HTTP_BLOCKED_BY_PROXY')) return false;
    }
    return input.forHost(host).some((o) => o !== r && REQUEST_CHECKS.has(o.id) && o.status === 'ok');
  });
}

/** Results already explained by keyword- or path-filtering. */
export function explained(input: VerdictInput): Set<CheckResult> {
  const s = new Set<CheckResult>(pathFiltered(input));
  for (const k of keywordFiltered(input).values()) for (const r of k.results) s.add(r);
  for (const [host] of keywordFiltered(input)) for (const r of input.forHost(host)) if (isBad(r)) s.add(r);
  return s;
}


/**
 * How a cause measured on the probe says so: "measured on the path to the probe https://… (through
 * http://proxy:3128)", and whether the vendor hosts go another way (PAC / NO_PROXY).
 */
export function probePathText(input: VerdictInput, rs: CheckResult[]): string {
  const r = rs[0];
  const url = input.raw.probe?.url ?? input.raw.options?.probe ?? input.hostOf(r) ?? 'the probe';
  const proxyOf = (x: CheckResult) => (x.details?.proxy as { display?: unknown } | null | undefined)?.display;
  const via = proxyOf(r);
  const vendorWays = new Set(
    input.results.filter((x) => ['tcp.connect', 'http.path', 'ws.upgrade'].includes(x.id) && x.details && input.entryOf(x)?.role !== 'probe').map((x) => String(proxyOf(x) ?? 'direct')),
  );
  const own = String(via ?? 'direct');
  const differs = vendorWays.size > 0 && ![...vendorWays].every((w) => w === own);
  return (
    `measured on the path to the probe ${url}${typeof via === 'string' ? ` (through ${via})` : ' (direct)'}` +
    (differs ? `; the vendor hosts go ${[...vendorWays].map((w) => (w === 'direct' ? 'direct' : `through ${w}`)).join(' or ')}, so their path may differ` : '')
  );
}

/**
 * The remedy of a quality cause for the path it was measured on (seed 000_637c892c7d775e13.txt:
 * "TCP retransmission degrades real-time media, and quality drops on any network with packet
 * loss"): on UDP (direct or TURN over UDP) prioritise UDP media; over TURN/TLS 443 (TCP) QoS for
 * UDP does not apply — the fix is to let media use UDP.
 */
export function qualityCauseParts(id: CauseId, path: MediaPath): { remedy: (udpText: string) => string; changes: Change[]; howto: Howto[] } {
  if (path === 'turn-tls')
    return {
      remedy: () =>
        'Measured over TURN over TLS 443 (TCP), where every lost or late packet waits for a retransmission: QoS for UDP media does not apply here. ' +
        'Open outbound UDP 3478 (and 1025-65535) to any destination so media runs over UDP (Virtual Room and RON Network Prerequisites: ' +
        '"TCP retransmission degrades real-time media").',
      changes: changes([MEDIA_ANY], 'UDP 3478', 'allow', id, 'so media leaves TCP'),
      howto: udpHowto(['3478', '1025-65535']),
    };
  const ports = path === 'turn-udp' ? 'UDP 3478' : 'UDP 1025-65535, UDP 3478';
  return {
    remedy: (udpText) => udpText,
    changes: changes([MEDIA_ANY], ports, 'prioritise', id, 'DSCP 46 (EF) for the browser\'s UDP media'),
    howto: qosHowto(),
  };
}
