// TURN REST credentials for a coturn running with `use-auth-secret` + `static-auth-secret`
// (draft-uberti-behave-turn-rest): username "<expiry-unix>:<user>", password
// base64(HMAC-SHA1(secret, username)). Plus the HTTP API of the media far end that the lead mounts
// into `netready serve` (ServeModule.handle):
//   GET /.netready/turn      -> {username, credential, ttl, urls}          (404 without TURN)
//     The user names the requesting address (netready.<keyed hash of it>): coturn's per-user quota
//     then counts per requester, and its log says whose allocation it is. coturn cannot check the
//     address itself (a proxied client's TURN over TLS comes from its proxy), so the credential is
//     also short-lived (TURN_TTL_SEC) and handed out at most TURN_REQUESTS_PER_MIN a minute per
//     address (429 + Retry-After beyond); with `--turn managed` the relay reaches only the serve's
//     own addresses, so a credential that leaks relays nowhere else.
//   GET /.netready/udp-token -> {token, boundToken, boundRatePerSec, ports, host, ttl} (404 without --udp-echo)
//     boundToken: bound to the address the request came from (echoed from there at once); token:
//     echoed from any address that passes the echo's return-routability check (a cookie)
//   GET /.netready/udp-token?relay=ADDR -> the same plus relayToken, bound to ADDR, when ADDR is a
//     relay address of this serve's TURN servers (their hosts, resolved, and --turn-relay-ip):
//     quality.relay-train's packets reach the echo from the relay, not from the client. 403 else.
//   GET /.netready/media     -> {stun: {host, port} | null, udpEcho: {host, ports} | null, turn: {urls} | null,
//                               probe: {names, address, port, host, version}}

import { createHmac, randomBytes } from 'node:crypto';
import type http from 'node:http';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { UsageError } from '../shared/errors.js';
import { issue as issueEchoToken } from '../protocol/echo-token.js';
import { parseTurnUrl } from '../protocol/turn-url.js';
import type { ServeModule } from './server.js';
import { startStunServer, type StunServer } from './stun.js';
import { BOUND_ECHO_RATE_PER_SEC, startUdpEcho, type UdpEcho } from './udp-echo.js';
import { answerAndClose, sendJson } from './http-answer.js';
import { addressKey } from './admission.js';
import { RateLimiter } from './rate-limit.js';
import type { ProbeIdentity } from './server.js';

export const TURN_USER = 'netready';
/** Long enough for a check's TURN session (Allocate .. ChannelBind); coturn refuses it after. */
export const TURN_TTL_SEC = 120;
export const ECHO_TOKEN_TTL_MS = 60_000;
/** Credentials (and echo tokens) a minute per requesting address; a check run takes nine (and seven). */
export const TURN_REQUESTS_PER_MIN = 60;

/** The TURN user for a requesting address: `netready.<12 characters of a keyed hash of it>`. */
export function turnUserFor(secret: string, remote: string | undefined): string {
  return `${TURN_USER}.${createHmac('sha256', secret).update(`requester|${addressKey(remote)}`).digest('base64url').slice(0, 12)}`;
}

export interface TurnCredentials {
  username: string;
  credential: string;
  ttl: number;
}

export function turnCredentials(secret: string, opts: { ttlSec?: number; nowMs?: number; user?: string } = {}): TurnCredentials {
  const ttl = Math.max(1, Math.floor(opts.ttlSec ?? TURN_TTL_SEC));
  const expiry = Math.floor((opts.nowMs ?? Date.now()) / 1000) + ttl;
  const username = `${expiry}:${opts.user ?? TURN_USER}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, ttl };
}


export interface MediaHttpOptions {
  turn?: { secret: string; urls: string[]; ttlSec?: number; relayIps?: string[] };
  echo?: { secret: string | Buffer; host: string; ports: number[]; ttlMs?: number };
  stun?: { host: string; port: number };
  now?: () => number;
  /** Requests a minute per address for /turn and /udp-token (default TURN_REQUESTS_PER_MIN). */
  requestsPerMin?: number;
  /** The probe's identity, added to /.netready/media. */
  identity?: (req: http.IncomingMessage) => ProbeIdentity;
}

function hostOfRequest(req: http.IncomingMessage): string {
  const h = String(req.headers.host ?? '');
  const m = /^\[([^\]]+)\]|^([^:]+)/.exec(h);
  return (m?.[1] ?? m?.[2] ?? '').toLowerCase();
}

/** An unspecified bind address is announced as the name the client used to reach us. */
function announced(host: string, req: http.IncomingMessage): string {
  return host === '0.0.0.0' || host === '::' ? hostOfRequest(req) || host : host;
}

const RELAY_ADDRS_TTL_MS = 60_000;
const RELAY_LOOKUP_MS = 2_000;

/**
 * The addresses a relayed packet of this serve's TURN servers comes from: the URL hosts (IP
 * literals, or names resolved — a coturn relays from its listening address unless told otherwise)
 * and the --turn-relay-ip addresses. Cached for a minute; a name that does not resolve in 2 s adds
 * nothing.
 */
export function relayAddressSource(turn: { urls: string[]; relayIps?: string[] }, now: () => number = Date.now): () => Promise<Set<string>> {
  let cached: { at: number; addrs: Set<string> } | null = null;
  return async () => {
    if (cached && now() - cached.at < RELAY_ADDRS_TTL_MS) return cached.addrs;
    const addrs = new Set<string>((turn.relayIps ?? []).map((a) => a.toLowerCase()));
    await Promise.all(
      turn.urls.map(async (u) => {
        const host = parseTurnUrl(u).host;
        if (isIP(host)) return void addrs.add(host.toLowerCase());
        let timer: NodeJS.Timeout | undefined;
        const found = await Promise.race([
          lookup(host, { all: true }).catch(() => []),
          new Promise<[]>((r) => (timer = setTimeout(() => r([]), RELAY_LOOKUP_MS))),
        ]);
        clearTimeout(timer);
        for (const a of found) addrs.add(a.address.toLowerCase());
      }),
    );
    cached = { at: now(), addrs };
    return addrs;
  };
}

/** Answers the media API paths; returns false for every other request. */
export function createMediaHandler(opts: MediaHttpOptions): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const now = opts.now ?? Date.now;
  const relayAddrs = opts.turn ? relayAddressSource(opts.turn) : null;
  const perMin = opts.requestsPerMin ?? TURN_REQUESTS_PER_MIN;
  const limits = { turn: new RateLimiter({ ratePerSec: perMin / 60, burst: perMin, maxSources: 4096, globalPerSec: perMin * 10 }), echo: new RateLimiter({ ratePerSec: perMin / 60, burst: perMin, maxSources: 4096, globalPerSec: perMin * 10 }) };
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/.netready/turn' && path !== '/.netready/udp-token' && path !== '/.netready/media') return false;
    if (req.method !== 'GET') {
      answerAndClose(req, res, 405, { error: 'GET only' });
      return true;
    }
    const limit = path === '/.netready/turn' ? limits.turn : path === '/.netready/udp-token' ? limits.echo : null;
    if (limit && !limit.allow(addressKey(req.socket.remoteAddress), now())) {
      sendJson(res, 429, { error: `at most ${perMin} a minute from one address` }, { headers: { 'Retry-After': String(Math.ceil(60 / perMin)) } });
      return true;
    }
    if (path === '/.netready/turn') {
      if (!opts.turn) sendJson(res, 404, { error: 'no TURN server configured (--turn managed, or --turn-url with --turn-secret)' });
      else {
        const c = turnCredentials(opts.turn.secret, { ttlSec: opts.turn.ttlSec, nowMs: now(), user: turnUserFor(opts.turn.secret, req.socket.remoteAddress) });
        sendJson(res, 200, { username: c.username, credential: c.credential, ttl: c.ttl, urls: opts.turn.urls });
      }
      return true;
    }
    if (path === '/.netready/udp-token') {
      if (!opts.echo) sendJson(res, 404, { error: 'no UDP echo configured (--udp-echo)' });
      else {
        const ttl = opts.echo.ttlMs ?? ECHO_TOKEN_TTL_MS;
        // Not bound to the client address: the HTTP request may come through a proxy whose
        // address differs from the client's UDP source.
        const token = issueEchoToken(opts.echo.secret, { ttlMs: ttl, now: now() });
        const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
        const boundToken = from ? issueEchoToken(opts.echo.secret, { ttlMs: ttl, now: now(), clientAddr: from }) : null;
        const body = { token, boundToken, boundRatePerSec: BOUND_ECHO_RATE_PER_SEC, ports: opts.echo.ports, host: announced(opts.echo.host, req), ttl: Math.floor(ttl / 1000) };
        const relay = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('relay');
        if (relay === null) sendJson(res, 200, body);
        else {
          const addr = relay.trim().replace(/^\[(.*)\]$/, '$1').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').toLowerCase();
          // A token bound to an address lets packets from that address have the echo's higher rate:
          // only for the TURN servers' own relay addresses, which forward nothing unasked.
          if (!isIP(addr)) sendJson(res, 400, { error: `relay=${relay}: not an IP address` });
          else if (!relayAddrs) sendJson(res, 403, { error: 'no TURN server configured (--turn-url)' });
          else
            void relayAddrs().then((allowed) => {
              if (!allowed.has(addr)) sendJson(res, 403, { error: `${addr} is not a relay address of this serve's TURN servers` });
              else sendJson(res, 200, { ...body, relayToken: issueEchoToken(opts.echo!.secret, { ttlMs: ttl, now: now(), clientAddr: addr }) });
            });
        }
      }
      return true;
    }
    sendJson(res, 200, {
      stun: opts.stun ? { host: announced(opts.stun.host, req), port: opts.stun.port } : null,
      udpEcho: opts.echo ? { host: announced(opts.echo.host, req), ports: opts.echo.ports } : null,
      turn: opts.turn ? { urls: opts.turn.urls } : null,
      ...(opts.identity ? { probe: opts.identity(req) } : {}),
    });
    return true;
  };
}

export interface MediaServeOptions {
  stun?: { host: string; port: number };
  /** A STUN server that runs elsewhere (a managed coturn), announced in /.netready/media. */
  announceStun?: { host: string; port: number };
  echo?: { host: string; ports: number[]; secret?: string | Buffer };
  turn?: { secret: string; urls: string[]; ttlSec?: number; relayIps?: string[] };
}

/**
 * The whole media far end as one ServeModule for `netready serve`: starts the STUN responder and
 * the UDP echo, and answers the media API. The echo secret is random per process unless given.
 */
export function mediaServeModule(opts: MediaServeOptions): ServeModule {
  for (const u of opts.turn?.urls ?? []) parseTurnUrl(u);
  const echoSecret = opts.echo?.secret ?? randomBytes(32);
  const live: MediaHttpOptions = { turn: opts.turn, ...(opts.announceStun ? { stun: opts.announceStun } : {}) };
  let handler = createMediaHandler(live);
  let stun: StunServer | undefined;
  let echo: UdpEcho | undefined;
  return {
    name: 'media',
    async start(ctx) {
      const lines: string[] = [];
      live.identity = ctx.identity;
      try {
        if (opts.stun) {
          stun = await startStunServer({ host: opts.stun.host, port: opts.stun.port });
          live.stun = { host: stun.host, port: stun.port };
          lines.push(`stun      udp+tcp ${fmt(stun.host, stun.port)}`);
        }
        if (opts.echo) {
          echo = await startUdpEcho({ host: opts.echo.host, ports: opts.echo.ports, secret: echoSecret });
          live.echo = { secret: echoSecret, host: echo.host, ports: echo.ports };
          lines.push(`udp-echo  ${echo.host} ports ${echo.ports.length}${echo.failed.length ? ` (${echo.failed.length} could not be bound: ${echo.failed.map((f) => f.port).join(',')})` : ''}`);
        }
      } catch (e) {
        await stun?.close();
        await echo?.close();
        throw e;
      }
      if (opts.announceStun) lines.push(`stun      ${fmt(opts.announceStun.host, opts.announceStun.port)} (coturn)`);
      if (opts.turn) lines.push(`turn      credentials for ${opts.turn.urls.join(' ')}`);
      handler = createMediaHandler(live);
      return {
        lines,
        async close() {
          await Promise.all([stun?.close(), echo?.close()]);
        },
      };
    },
    handle(req, res) {
      return handler(req, res);
    },
    status() {
      return { stun: stun ? { ...stun.stats } : null, udpEcho: echo ? { ...echo.stats } : null };
    },
  };
}

function fmt(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
