// Evidence as facts: what a check saw, in words a network admin reads without the source
// ("wss://apps.esignlive.com/graphql → 101, then no pong within 3.0 s"). Pure.
import type { CheckResult } from '../shared/results.js';
import type { Fact } from '../report/types.js';
import { code, seconds } from './input.js';

type Name = { CN?: unknown; O?: unknown } | undefined;

export function nameText(n: Name): string | null {
  if (!n) return null;
  const parts: string[] = [];
  if (typeof n.CN === 'string' && n.CN) parts.push(`CN=${n.CN}`);
  if (typeof n.O === 'string' && n.O) parts.push(`O=${n.O}`);
  return parts.length ? parts.join(', ') : null;
}

const proxyOf = (r: CheckResult) => {
  const p = r.details?.proxy as { display?: unknown } | null | undefined;
  return typeof p?.display === 'string' ? p.display : null;
};

/** "within 3000 ms" in a message -> "within 3.0 s". */
function within(r: CheckResult): string {
  const m = /within (\d+) ?ms/.exec(r.error?.message ?? '');
  return m ? ` within ${seconds(Number(m[1]))}` : '';
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const pct = (v: number) => `${Number((v * 100).toFixed(1))} %`;

/** What one check result shows, without its target (the fact carries the targets). */
export function resultText(r: CheckResult): string {
  const c = code(r);
  const d = r.details ?? {};
  const proxy = proxyOf(r);
  const status = typeof d.status === 'number' ? d.status : null;
  if (r.status === 'ok') {
    if (r.id === 'tls.handshake' && d.intercepted === true) {
      const issuer = nameText(d.issuer as Name) ?? 'an unknown CA';
      return `certificate re-signed by ${issuer}${nameText(d.root as Name) ? ` (root ${nameText(d.root as Name)})` : ''}, trusted here only through a root that is not public`;
    }
    if (r.id === 'vpn.route') return d.viaTunnel === true ? `routed through the tunnel interface ${String(d.interface ?? '?')}` : `routed through ${String(d.interface ?? 'a local interface')} (no tunnel)`;
    if (r.id === 'conn.idle') return `held idle for ${seconds(num(r.metrics.heldMs) ?? 0)}`;
    if (r.id === 'http.path' && status !== null) return `the origin answered ${status}`;
    return 'ok';
  }
  if (r.status === 'skipped') return r.reason ? `not run: ${r.reason}` : 'not run';
  switch (c) {
    case 'DNS_NXDOMAIN':
      return 'the name does not exist (NXDOMAIN)';
    case 'DNS_SERVFAIL':
      return 'the resolver failed (SERVFAIL)';
    case 'DNS_REFUSED':
      return 'the resolver refused the query';
    case 'DNS_NO_ADDRESS':
      return 'the name has no address';
    case 'DNS_TIMEOUT':
      return `no DNS answer${within(r)}`;
    case 'TCP_TIMEOUT':
      return `no answer to the TCP handshake${within(r)} (dropped)`;
    case 'TCP_REFUSED':
      return 'connection refused';
    case 'TCP_RESET':
      return 'connection reset';
    case 'TCP_UNREACHABLE':
      return 'network unreachable';
    case 'PROXY_CONNECT_REFUSED':
      return `the proxy${proxy ? ` ${proxy}` : ''} answered CONNECT with ${typeof d.proxyStatus === 'number' ? d.proxyStatus : 'a refusal'}`;
    case 'PROXY_AUTH_REQUIRED':
      return `the proxy${proxy ? ` ${proxy}` : ''} answered 407 Proxy Authentication Required`;
    case 'PROXY_UNREACHABLE':
      return `the proxy${proxy ? ` ${proxy}` : ''} cannot be reached`;
    case 'TLS_CERT_UNTRUSTED': {
      const issuer = nameText(d.issuer as Name);
      const root = nameText(d.root as Name);
      if (d.intercepted === true || issuer || root) return `certificate re-signed by ${issuer ?? root ?? 'an unknown CA'}${root && root !== issuer ? ` (root ${root})` : ''}, not the vendor's public chain`;
      return 'the certificate chain ends at an untrusted root';
    }
    case 'TLS_CERT_EXPIRED':
      return `the certificate expired${typeof d.validTo === 'string' ? ` on ${d.validTo}` : ''}`;
    case 'TLS_NAME_MISMATCH':
      return `the certificate is for ${nameText(d.subject as Name) ?? 'another name'}`;
    case 'HTTP_BLOCKED_BY_PROXY':
      return `refused by the proxy${status !== null ? ` (${status}${typeof d.marker === 'string' ? `, ${d.marker}` : ''})` : ''}`;
    case 'HTTP_STATUS':
      return `the server answered ${status ?? 'an error status'}`;
    case 'WS_NO_UPGRADE':
      if (status === 101 && d.acceptOk === false) return '101, but with a wrong Sec-WebSocket-Accept: something on the path answered the handshake';
      return status !== null ? `${status} instead of 101 Switching Protocols` : 'no 101 Switching Protocols';
    case 'WS_NO_FRAMES':
      return d.farEnd === 'probe' ? `101, then the echo of a frame did not come back${within(r)}` : `101, then no pong${within(r)}`;
    case 'SSE_NO_STREAM':
      return `${status ?? 'an answer'}${typeof d.contentType === 'string' ? ` ${d.contentType}` : ''} instead of a text/event-stream`;
    case 'SSE_NO_EVENTS':
      return 'the stream opened, but no event arrived';
    case 'SSE_BUFFERED': {
      const parts: string[] = [];
      const late = num(r.metrics.firstEventDelayMs);
      const batched = num(r.metrics.batchedCount);
      if (late !== null) parts.push(`first event ${seconds(late)} late`);
      if (batched) parts.push(`${batched} events arrived in batches`);
      return parts.join(', ') || 'events held back';
    }
    case 'IDLE_CUT': {
      const cut = num(r.metrics.idleCutMs);
      const kind = d.kind === 'sse' ? 'event stream' : 'WebSocket';
      return d.silent === true ? `the idle ${kind} stopped carrying frames after ${cut !== null ? seconds(cut) : '?'}` : `the idle ${kind} was closed after ${cut !== null ? seconds(cut) : 'an unknown time'}`;
    }
    case 'STUN_NO_RESPONSE':
      return 'no STUN answer';
    case 'TURN_NO_RESPONSE':
      return `no TURN answer${within(r)}`;
    case 'TURN_NO_RELAY':
      return 'allocated, but no data came back through the relay';
    case 'TURN_FORBIDDEN':
      return 'the TURN server refused the allocation (403)';
    case 'UDP_RANGE_BLOCKED': {
      const ports = d.ports as Record<string, string> | undefined;
      if (ports) {
        const all = Object.keys(ports);
        const ok = all.filter((p) => ports[p] === 'ok');
        return `${ok.length} of ${all.length} sampled ports answered${ok.length ? ` (${ok.join(', ')})` : ''}`;
      }
      const ratio = num(r.metrics.passRatio);
      return ratio !== null ? `${pct(ratio)} of the sampled ports answered` : 'the sampled ports did not answer';
    }
    case 'UDP_NO_ECHO':
      return 'no echo came back';
    default:
      break;
  }
  if (r.status === 'timeout') return r.error ? `timed out: ${r.error.message} (${r.error.code})` : 'timed out';
  return r.error ? `${r.error.message} (${r.error.code})` : r.status;
}

/** Results grouped into facts: the same check with the same outcome on several targets is one fact. */
export function factsOf(results: CheckResult[], text: (r: CheckResult) => string = resultText): Fact[] {
  const out: Fact[] = [];
  const seen = new Set<CheckResult>();
  for (const r of results) {
    if (seen.has(r)) continue;
    seen.add(r);
    const result = text(r);
    const same = out.find((f) => f.check === r.id && f.result === result);
    if (same) {
      if (!same.targets.includes(r.target)) same.targets.push(r.target);
    } else out.push({ check: r.id, targets: [r.target], result });
  }
  return out;
}

/** A fact as one line: "ws.upgrade wss://… → 101, then no pong within 3.0 s". */
export function factLine(f: Fact, targets: string = f.targets.join(', ')): string {
  return `${f.check} ${targets} → ${f.result}`.replace(/  +/g, ' ');
}
