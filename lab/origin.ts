// What the lab's real-like vendor origin answers (lab/helpers/vendor-origin.ts serves it): a pure
// route table, so the selftest and the README state the same behaviour the helper runs.
//
// The vendors' real servers (the Sign domain, *.opentok.com, *.tokbox.com, *.upscope.io,
// cobrowsingapi.com, the OCSP/CRL hosts) do not cooperate with netready: no echo, no timed event
// streams, logins everywhere (contract.md, "Two kinds of far end"; issue 10, "Why" item 1). This
// stand-in answers like a SaaS origin does to an unauthenticated client:
//   Sign domain (seed 000 rows 1-2, path note): /virtual-room/probe/existence 404 JSON; the room's
//   event stream /virtual-room/{id}/event 401 JSON (also to Accept: text/event-stream); GET /graphql
//   400 JSON (a GraphQL server without a query); /transaction/* 302 to a login page.
//   Every host: / answers 200 text/html or 301 to /home (varies by host, like real sites); unknown
//   paths 404; a WebSocket upgrade completes (101) only on the paths the profiles open WebSockets
//   on, where a ping gets a pong and data frames are ignored; plain HTTP :80 answers like an OCSP
//   responder / CRL server on the OCSP/CRL hosts (seed 001) and redirects to https elsewhere.

import { createHash } from 'node:crypto';

export interface OriginHost {
  name: string;
  /** the vendor address it listens on (443 and 80) */
  addr: string;
  /** the OneSpan Sign domain (profile role "sign"): the app paths of seed 000 */
  sign: boolean;
  /** the paths a profile opens WebSockets on (`ws:`): the upgrade completes there */
  wsPaths: string[];
  /** the origin refuses every WebSocket upgrade on this host with this status (401/403), or null */
  refuseUpgrade: number | null;
  /** plain HTTP :80: an OCSP responder, a CRL server, or a redirect to https (every other host) */
  plain: 'ocsp' | 'crl' | 'redirect';
}

export interface OriginConfig {
  hosts: OriginHost[];
  cert: string;
  key: string;
  /** an unauthenticated WebSocket is closed by the server (Close 1008) this long after it opened */
  wsCloseAfterS: number;
  /** pathname -> status on every HTTPS host (e.g. a POST-only GraphQL route: { "/graphql": 404 }) */
  pathStatus: Record<string, number>;
  /** ports (default 443 and 80; 0 = any free port, printed: for the tests on loopback) */
  httpsPort?: number;
  httpPort?: number;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** Default seconds before the origin closes an idle unauthenticated WebSocket (real servers: 30-60 s). */
export const WS_CLOSE_AFTER_S = 45;

const SERVERS = ['envoy', 'Apache', 'Kestrel', 'gunicorn'];
const hashByte = (name: string, i: number) => createHash('sha256').update(name).digest()[i];

/** The `Server:` header of a host: a real origin's, stable per host (never a middlebox's marker). */
export function serverHeader(name: string): string {
  return SERVERS[hashByte(name, 1) % SERVERS.length];
}

/** What `/` answers on a host: a small page (200) or a 301 to /home — varies by host, like real sites. */
export function rootStatus(name: string): 200 | 301 {
  return hashByte(name, 0) % 2 === 0 ? 200 : 301;
}

const json = (status: number, obj: unknown, extra: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra },
  body: JSON.stringify(obj),
});
const html = (status: number, title: string, extra: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8', ...extra },
  body: `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1></body></html>\n`,
});

const REASON: Record<number, string> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 500: 'internal_error', 503: 'unavailable' };

/** The HTTPS answer of a host to METHOD PATH (query ignored), without the common headers. */
export function httpsAnswer(h: OriginHost, method: string, rawPath: string, pathStatus: Record<string, number> = {}): Answer {
  const path = rawPath.split('?')[0] || '/';
  const forced = pathStatus[path];
  if (forced) return json(forced, { error: REASON[forced] ?? 'error', status: forced });
  if (h.sign) {
    if (path === '/virtual-room/probe/existence') return json(404, { error: 'not_found', message: 'Virtual room not found' });
    // the room's event stream: a session token is required, whatever the Accept header asks for
    if (/^\/virtual-room\/[^/]+\/event$/.test(path)) return json(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer realm="virtual-room"' });
    if (path.startsWith('/virtual-room/')) return json(404, { error: 'not_found', message: 'Not found' });
    if (path === '/graphql') {
      if (method === 'GET' || method === 'HEAD') return json(400, { errors: [{ message: 'GET query missing.' }] });
      if (method === 'POST') return json(401, { errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }] });
      return json(405, { error: 'method_not_allowed' }, { allow: 'GET, POST' });
    }
    if (path === '/transaction' || path.startsWith('/transaction/'))
      return html(302, 'Found', { location: `/login?returnUrl=${encodeURIComponent(path)}` });
    if (path === '/login') return html(200, 'Sign in');
  }
  if (path === '/') return rootStatus(h.name) === 200 ? html(200, h.name) : html(301, 'Moved Permanently', { location: '/home' });
  if (path === '/home' && rootStatus(h.name) === 301) return html(200, h.name);
  return html(404, '404 Not Found');
}

// An OCSPResponse with responseStatus malformedRequest(1) (RFC 6960 4.2.1): what a responder
// answers to a GET without a request.
const OCSP_MALFORMED = Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x01]);

/** The plain HTTP (:80) answer of a host. */
export function plainAnswer(h: OriginHost, method: string, rawPath: string): Answer {
  if (h.plain === 'ocsp') {
    if (method === 'GET' || method === 'POST' || method === 'HEAD')
      return { status: 200, headers: { 'content-type': 'application/ocsp-response', 'cache-control': 'max-age=0, no-cache' }, body: OCSP_MALFORMED };
    return html(405, 'Method Not Allowed', { allow: 'GET, POST' });
  }
  if (h.plain === 'crl') return html(404, '404 Not Found');
  return html(301, 'Moved Permanently', { location: `https://${h.name}${rawPath.startsWith('/') ? rawPath : '/'}` });
}

/** The origin's refusal of a WebSocket upgrade (its own answer, with its own certificate). */
export function refusalAnswer(status: number): Answer {
  return json(status, { error: REASON[status] ?? 'unauthorized', message: 'authentication required' }, status === 401 ? { 'www-authenticate': 'Bearer' } : {});
}

/** Headers every answer of a host carries (a real origin's; no X-Netready-Serve, no Via). */
export function commonHeaders(h: OriginHost, tls: boolean): Record<string, string> {
  return { server: serverHeader(h.name), 'x-content-type-options': 'nosniff', ...(tls ? { 'strict-transport-security': 'max-age=31536000' } : {}) };
}
