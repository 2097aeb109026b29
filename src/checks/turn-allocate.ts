// turn.allocate — TURN (RFC 8656) over UDP 3478, TCP 3478/443 and TLS 443, proving that media
// really goes through the relay: Allocate with long-term credentials (401 -> realm/nonce -> retry),
// CreatePermission for a peer that echoes (the probe's tokened UDP echo), a Send indication whose
// Data indication must come back, then ChannelBind + ChannelData the same way.
// Ports: seed 000_637c892c7d775e13.txt ("UDP 3478 (STUN/TURN) ... fallback TURN over TCP/TLS 443";
// "TCP 443 only (WSS, HTTPS, TURN over TLS)"); seed 002_366555b85f8bab97.txt ("TCP/443—HTTPS and
// TURN", "TCP/3478—TURN"). Through an applicable proxy TCP/TLS go through CONNECT, as browsers do
// (seed 000: TLS inspection "breaks ... TURN-over-TLS").
// Records exactly what docs/evidence.md ("Media and quality: what the verdict reads") lists.
// Targets: turn:udp:HOST:3478, turn:tcp:HOST:3478, turn:tcp:HOST:443, turn:tls:HOST:443.

import net from 'node:net';
import { NetError } from '../shared/errors.js';
import type { RunConfig } from '../shared/config.js';
import type { ProfileSet } from '../shared/profile-types.js';
import { dial } from '../net/dial.js';
import { proxySummary } from '../net/proxy.js';
import { decodeToken } from '../protocol/echo-token.js';
import type { TransportAddress } from '../protocol/stun.js';
import { StunTransport, fetchTurnCreds, formatHostPort, parseMediaTarget, probeHostName, probeJson, resolveFirst, targetHost, type MediaTransportKind, type TurnCreds } from './media-net.js';
import { turnSession } from './turn-session.js';
import { taskKey, type CheckContext, type CheckDef, type CheckOutcome, type CheckTask } from './types.js';
import type { TurnAllocateDetails, TurnTransportDetails } from '../shared/evidence.js';

export const TURN_TARGETS: { kind: MediaTransportKind; port: number }[] = [
  { kind: 'udp', port: 3478 }, // seed 000: UDP 3478 (STUN/TURN)
  { kind: 'tcp', port: 3478 }, // seed 002: TCP/3478 TURN
  { kind: 'tcp', port: 443 }, // seed 000/002: TURN over TCP 443
  { kind: 'tls', port: 443 }, // seed 000: TURN over TLS 443, the absolute minimum
];
// The TURN conversation itself (src/protocol/turn-client.ts driven by ./turn-session.ts).
export { turnSession, type TurnChannel, type TurnSessionOptions, type TurnSessionResult } from './turn-session.js';

/** The turn.allocate targets of the probe's TURN URLs (turns: = TLS), in URL order, deduplicated. */
export function turnTargetsFromUrls(urls: string[]): { kind: MediaTransportKind; host: string; port: number }[] {
  const out: { kind: MediaTransportKind; host: string; port: number }[] = [];
  const seen = new Set<string>();
  for (const u of urls) {
    const m = /^(turns?):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/.exec(u.trim());
    if (!m) continue;
    const tlsOn = m[1] === 'turns';
    const port = m[3] ? Number(m[3]) : tlsOn ? 443 : 3478; // RFC 7065 defaults (seed 000: UDP 3478, TLS 443)
    if (port < 1 || port > 65535) continue;
    const kind: MediaTransportKind = tlsOn ? 'tls' : ((m[4] as 'udp' | 'tcp' | undefined) ?? 'udp');
    if (tlsOn && m[4] === 'udp') continue; // DTLS: not supported
    const host = m[2].replace(/^\[|\]$/g, '').toLowerCase();
    const key = `${kind}:${host}:${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ kind, host, port });
  }
  return out;
}

export function planTurn(profiles: ProfileSet, config: RunConfig): CheckTask[] {
  if (!profiles.media) return [];
  const host = probeHostName(config);
  const task = (target: string, params: Record<string, unknown>): CheckTask => ({ key: taskKey('turn.allocate', target), id: 'turn.allocate', target, dependsOn: [], params });
  // The probe's own TURN URLs (GET /.netready/media, fetched before planning).
  const fromProbe = turnTargetsFromUrls(config.probeInfo?.turn?.urls ?? []);
  if (host && fromProbe.length) return fromProbe.map((t) => task(`turn:${t.kind}:${targetHost(t.host)}:${t.port}`, {}));
  // Fallback: the probe's host name with the standard ports.
  return TURN_TARGETS.map(({ kind, port }) =>
    task(
      `turn:${kind}:${host ? targetHost(host) : 'probe'}:${port}`,
      host ? {} : { skip: 'no --probe: TURN needs credentials from a netready serve; against the vendor media hosts only a STUN binding is made' },
    ),
  );
}

export function urlMatches(url: string, kind: MediaTransportKind): boolean {
  const m = /^(turns?):[^?]+(?:\?transport=(udp|tcp))?$/.exec(url);
  if (!m) return false;
  const transport = m[2] ?? (m[1] === 'turns' ? 'tcp' : 'udp');
  if (kind === 'tls') return m[1] === 'turns';
  return m[1] === 'turn' && transport === kind;
}

const fmtAddr = (a: TransportAddress) => formatHostPort(a.address, a.port);

/**
 * What a relay session needs from the probe: TURN credentials offering this transport, and its UDP
 * echo (token, host, ports) as the peer to relay to; or why not (`purpose`: what the relay was to be).
 */
export async function turnPeerSetup(
  kind: MediaTransportKind,
  ctx: CheckContext,
  purpose: string,
): Promise<{ skip: string } | { creds: TurnCreds; echo: { token: string; host: string }; ports: number[] }> {
  const creds = await fetchTurnCreds(ctx);
  if ('skip' in creds) return creds;
  if (creds.urls.length && !creds.urls.some((u) => urlMatches(u, kind)))
    return { skip: `the probe's TURN server offers no TURN over ${kind.toUpperCase()} (${creds.urls.join(' ')})` };
  const res = await probeJson(ctx.config, '/.netready/udp-token', ctx.timeouts.firstByteMs, ctx.signal, ctx.proxy);
  const e = res.body ?? {};
  const ports = Array.isArray(e.ports) ? e.ports.filter((p): p is number => Number.isInteger(p) && p >= 1 && p <= 65535) : [];
  if (res.status !== 200 || typeof e.token !== 'string' || !decodeToken(e.token) || !ports.length || typeof e.host !== 'string')
    return { skip: `the probe has no UDP echo to relay to (serve without --udp-echo), so the relay cannot be ${purpose}` };
  return { creds, echo: { token: e.token, host: e.host.replace(/^\[|\]$/g, '') }, ports };
}

/**
 * The transport to a TURN server the way a browser reaches it: UDP directly; TCP/TLS through the
 * proxy that applies to https://HOST:PORT/ (CONNECT). Records address, proxy, interception and the
 * connect/TLS times into `details` and `metrics`.
 */
export async function openTurnTransport(
  t: { kind: MediaTransportKind; host: string; port: number },
  ctx: CheckContext,
  details: Partial<TurnTransportDetails>,
  metrics: Record<string, number>,
): Promise<StunTransport> {
  if (t.kind === 'udp') {
    const ep = await resolveFirst(t.host, t.port, ctx);
    details.address = ep.address;
    return StunTransport.udp(ep.address, ep.port, ctx.signal);
  }
  // Browsers send TURN over TCP/TLS through the proxy that applies to https://HOST:PORT/.
  const proxy = await ctx.proxy.forUrl(`https://${formatHostPort(t.host, t.port)}/`, ctx.signal);
  details.proxy = proxySummary(proxy);
  const d = await dial({ host: t.host, port: t.port, tls: t.kind === 'tls', alpn: [], allowUntrusted: true, proxy }, ctx);
  if (d.route) {
    details.proxy = d.proxy;
    details.route = d.route;
  }
  details.address = d.address;
  details.inspected = d.inspected;
  metrics.connectMs = d.timings.connectMs;
  if (d.timings.tlsMs !== undefined) metrics.tlsMs = d.timings.tlsMs;
  if (d.inspected && d.peer) {
    details.intercepted = true;
    details.root = d.peer.root;
  }
  return StunTransport.stream(d.socket as net.Socket, t.kind, ctx.signal);
}

export async function runTurn(task: CheckTask, ctx: CheckContext): Promise<CheckOutcome<TurnAllocateDetails>> {
  if (typeof task.params.skip === 'string') return { status: 'skipped', reason: task.params.skip };
  const t = parseMediaTarget(task.target);
  if (!t) return { status: 'skipped', reason: `not a turn.allocate target: ${task.target}` };
  const ms = ctx.timeouts.firstByteMs;
  const setup = await turnPeerSetup(t.kind, ctx, 'proven');
  if ('skip' in setup) return { status: 'skipped', reason: setup.skip };
  const { creds, echo: e, ports } = setup;
  const peerEp = await resolveFirst(e.host, ports[0], ctx);
  const peer: TransportAddress = { family: net.isIPv6(peerEp.address) ? 6 : 4, address: peerEp.address, port: peerEp.port };

  const details: TurnAllocateDetails = { host: t.host, port: t.port, transport: t.kind, proxy: null, inspected: false, peer: fmtAddr(peer) };
  const metrics: Record<string, number> = {};
  const tr = await openTurnTransport(t, ctx, details, metrics);
  try {
    const r = await turnSession({ transport: tr, creds, peer, token: e.token, ctx, timeoutMs: ms });
    Object.assign(details, { relayed: r.relayed, mapped: r.mapped, realm: r.realm, relayedBytes: r.relayedBytes, software: r.software, channelData: r.channelRttMs !== null });
    return {
      status: 'ok',
      metrics: { ...metrics, allocateMs: r.allocateMs, relayRttMs: r.relayRttMs, relayedBytes: r.relayedBytes, ...(r.channelRttMs !== null ? { channelRttMs: r.channelRttMs } : {}) },
      details,
    };
  } catch (err) {
    if (!(err instanceof NetError)) throw err;
    Object.assign(details, err.details);
    if (details.intercepted && err.code !== 'DEADLINE_EXCEEDED')
      return {
        status: 'failed',
        metrics,
        error: { code: 'TLS_CERT_UNTRUSTED', message: `TURN over TLS is intercepted (certificate re-signed by "${(details.root as { CN?: string })?.CN ?? '?'}") and fails: ${err.message}` },
        details,
      };
    if (['CONN_CLOSED', 'CONN_RESET', 'CONN_ERROR', 'TURN_PROTOCOL'].includes(err.code))
      return { status: 'failed', metrics, error: { code: 'TURN_NO_RESPONSE', message: `the connection to ${t.host}:${t.port} ended before TURN answered (${err.message})` }, details };
    return { status: err.kind, metrics, error: { code: err.code, message: err.message }, details };
  } finally {
    tr.close();
  }
}

export const turnAllocate: CheckDef<TurnAllocateDetails> = {
  id: 'turn.allocate',
  title: 'TURN over UDP 3478, TCP 3478/443 and TLS 443 relays data to a peer and back',
  plan: planTurn,
  run: runTurn,
};
