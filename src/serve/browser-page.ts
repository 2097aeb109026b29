// The browser page of `netready serve` (GET / from a browser, and /.netready/page): what only a
// browser can see — its own support, camera and microphone permission (OS, policy, prompt), its
// WebRTC policy (which ICE candidates it is allowed to gather), and WebSocket/EventSource through
// its own proxy. The page computes its own report (schema `netready/browser@1`), offers Save and
// Load (seed 002_*.txt: "Click the Save button to save the results to a file. Click the Load
// button to load previously saved results."), and POSTs it here so a support engineer can fetch it.
//
// Routes (all answered by this module; every other request falls through to the serve):
//   GET  /                                   the page, only when the client accepts text/html
//                                            (browsers); curl and the checks keep the JSON answer
//   GET  /.netready/page                     the page
//   GET  /.netready/page.js, /.netready/page.css   its script and style (no CDN; built from
//                                            src/serve/page/ into strings by scripts/build-page.ts)
//   POST /.netready/browser-results          application/json, up to maxBodyBytes; 201 {ok,id}
//   GET  /.netready/browser-results          [{id, receivedAt, userAgent, startedAt, causes}]  (admin)
//   GET  /.netready/browser-results/latest   the last document as posted (404 before the first) (admin)
//   GET  /.netready/browser-results/<id>     one document as posted (admin)
// Admin views need the serve's admin token (Authorization: Bearer TOKEN or ?token=TOKEN): the
// results name the customer's browser and network. Bounds: bodies over maxBodyBytes get 413 (read
// no further, the connection closes), at most maxResults documents are kept in memory (oldest
// dropped), at most postsPerMinute posts per client address (429 + Retry-After), only
// application/json is accepted (a cross-site form cannot post here without a CORS preflight, which
// this module does not answer).

import type http from 'node:http';
import type { ServeModule } from './server.js';
import { readRequestBody } from './body.js';
import { CHECK_STATUSES, CHECKLIST_IDS, CHECKLIST_STATUSES } from '../shared/vocabulary.js';
import { BROWSER_CAUSES, BROWSER_SCHEMA, PAGE_SHARED, type BrowserResults } from '../shared/browser.js';
import { PAGE_CSS, PAGE_HTML, PAGE_SCRIPT } from './page/assets.gen.js';

// The page's document and the ids it shares with the verdict live in src/shared/browser.ts.
export { BROWSER_CAUSES, BROWSER_SCHEMA };
export type { BrowserCause, BrowserCheck, BrowserChecklistItem, BrowserResults } from '../shared/browser.js';
import { adminRefused, answerAndClose, isAdmin, SERVE_HEADERS } from './http-answer.js';
import { addressKey } from './admission.js';
import { RateLimiter } from './rate-limit.js';

export const BROWSER_PAGE_PATH = '/.netready/page';
export const BROWSER_RESULTS_PATH = '/.netready/browser-results';

export const BROWSER_PAGE_DEFAULTS = {
  maxResults: 50,
  maxBodyBytes: 64 * 1024, // a run's document is ~6 KB
  postsPerMinute: 10,
} as const;

/**
 * The page's script as served: src/serve/page/page.ts (transpiled into assets.gen.ts) given the
 * values it shares with the verdict — the schema, the SSE threshold, the checklist wording.
 */
export const PAGE_JS = `(function (NETREADY) {\n${PAGE_SCRIPT}\n})(${JSON.stringify(PAGE_SHARED)});\n`;

const CHECK_STATUS_LIST: readonly string[] = CHECK_STATUSES;
const CHECKLIST_STATUS_LIST: readonly string[] = CHECKLIST_STATUSES;
const CHECKLIST_ID_LIST: readonly string[] = CHECKLIST_IDS;
const BROWSER_CAUSE_LIST: readonly string[] = BROWSER_CAUSES;

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const isStrArr = (v: unknown, maxLen: number, maxStr: number) => Array.isArray(v) && v.length <= maxLen && v.every((s) => isStr(s, maxStr));

/** Checks the shape of a `netready/browser@1` document; returns the first problem, or null. */
export function browserResultsProblem(v: unknown): string | null {
  if (!isObj(v)) return 'not a JSON object';
  if (v.schema !== BROWSER_SCHEMA) return `schema is not "${BROWSER_SCHEMA}"`;
  if (!isStr(v.userAgent, 1024)) return 'userAgent: expected a string (up to 1024 characters)';
  if (!isStr(v.startedAt, 64) || Number.isNaN(Date.parse(v.startedAt))) return 'startedAt: expected an ISO date';
  if (!Array.isArray(v.checks) || v.checks.length > 64) return 'checks: expected an array (up to 64)';
  for (const [i, c] of v.checks.entries()) {
    if (!isObj(c) || !isStr(c.id, 100) || !isStr(c.target, 500)) return `checks[${i}]: expected {id, target, status, ...}`;
    if (!CHECK_STATUS_LIST.includes(c.status as string)) return `checks[${i}].status: expected one of ${CHECK_STATUS_LIST.join(', ')}`;
    if (typeof c.durationMs !== 'number' || !isObj(c.metrics)) return `checks[${i}]: expected durationMs and metrics`;
    if (!Object.values(c.metrics).every((n) => typeof n === 'number')) return `checks[${i}].metrics: numbers only`;
    if (c.error !== null && !(isObj(c.error) && isStr(c.error.code, 100) && isStr(c.error.message, 2000))) return `checks[${i}].error: expected null or {code, message}`;
  }
  if (!Array.isArray(v.causes) || v.causes.length > 32) return 'causes: expected an array (up to 32)';
  for (const [i, c] of v.causes.entries()) {
    if (!isObj(c) || !BROWSER_CAUSE_LIST.includes(c.id as string)) return `causes[${i}].id: expected one of ${BROWSER_CAUSES.join(', ')}`;
    if (c.severity !== 'blocking' && c.severity !== 'degrading') return `causes[${i}].severity: expected blocking or degrading`;
    if (!isStr(c.summary, 2000) || !isStr(c.remedy, 2000) || !isStrArr(c.evidence, 32, 100)) return `causes[${i}]: expected summary, remedy and evidence`;
  }
  if (!Array.isArray(v.checklist) || v.checklist.length > CHECKLIST_ID_LIST.length) return 'checklist: expected an array';
  for (const [i, c] of v.checklist.entries()) {
    if (!isObj(c) || !CHECKLIST_ID_LIST.includes(c.id as string)) return `checklist[${i}].id: not a checklist id`;
    if (!CHECKLIST_STATUS_LIST.includes(c.status as string)) return `checklist[${i}].status: expected one of ${CHECKLIST_STATUS_LIST.join(', ')}`;
    if (!isStrArr(c.evidence, 32, 100)) return `checklist[${i}].evidence: expected an array of check ids`;
  }
  return null;
}

export interface StoredBrowserResults {
  id: number;
  receivedAt: string;
  doc: BrowserResults;
}

export interface BrowserPageOptions {
  maxResults?: number;
  maxBodyBytes?: number;
  postsPerMinute?: number;
  /** The token of the admin views (reading the posted results); none = they answer 401. */
  adminToken?: string;
  /** With `serve --store`: each posted result also goes into the results store (source: browser). */
  store?: (doc: BrowserResults, req: http.IncomingMessage) => Promise<{ id: number; url: string | null }>;
}

/** The module plus read access to what was posted (tests, a future `serve` status line). */
export interface BrowserPageModule extends ServeModule {
  results(): StoredBrowserResults[];
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  ...SERVE_HEADERS,
} as const;

// A Host header goes into the CSP's connect-src (ws:/wss: of the same host, for browsers whose
// 'self' does not cover WebSocket yet); anything odd is left out.
const HOST_HEADER_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/;

function csp(req: http.IncomingMessage): string {
  const host = String(req.headers.host ?? '');
  const ws = HOST_HEADER_RE.test(host) ? ` wss://${host} ws://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self'${ws}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function send(res: http.ServerResponse, status: number, type: string, body: string, method: string | undefined, extra: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...SECURITY_HEADERS, ...extra });
  res.end(method === 'HEAD' ? undefined : body);
}

const sendJson = (res: http.ServerResponse, status: number, body: unknown, method?: string) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), method);

const acceptsHtml = (req: http.IncomingMessage) => /\btext\/html\b/i.test(String(req.headers.accept ?? ''));

/**
 * A posted `netready/browser@1` document, read under the bounds (the page's POST, an invite's
 * result): only application/json (415), `perMinute` per client address (429), at most
 * `maxBodyBytes` (413), JSON (400) of the schema (`invalidStatus`). Null when it was answered.
 */
export async function receiveBrowserResults(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  o: { limiter: RateLimiter; perMinute: number; maxBodyBytes: number; invalidStatus: 400 | 422 },
): Promise<BrowserResults | null> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') return (answerAndClose(req, res, 415, { ok: false, error: 'expected Content-Type: application/json' }), null);
  if (!o.limiter.allow(addressKey(req.socket.remoteAddress), Date.now()))
    return (answerAndClose(req, res, 429, { ok: false, error: `at most ${o.perMinute} results a minute from one address` }, { headers: { 'Retry-After': '60' } }), null);
  const body = await readRequestBody(req, o.maxBodyBytes);
  if (!body) return (answerAndClose(req, res, 413, { ok: false, error: `results larger than ${o.maxBodyBytes} bytes` }), null);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return (sendJson(res, 400, { ok: false, error: 'body is not JSON' }), null);
  }
  const problem = browserResultsProblem(doc);
  if (problem) return (sendJson(res, o.invalidStatus, { ok: false, error: `not a ${BROWSER_SCHEMA} document: ${problem}` }), null);
  return doc as BrowserResults;
}

export function browserPageModule(opts: BrowserPageOptions = {}): BrowserPageModule {
  const maxResults = opts.maxResults ?? BROWSER_PAGE_DEFAULTS.maxResults;
  const maxBodyBytes = opts.maxBodyBytes ?? BROWSER_PAGE_DEFAULTS.maxBodyBytes;
  if (!(Number.isInteger(maxResults) && maxResults >= 1)) throw new Error('browser page: maxResults must be a whole number >= 1');
  const postsPerMinute = opts.postsPerMinute ?? BROWSER_PAGE_DEFAULTS.postsPerMinute;
  const posts = new RateLimiter({ ratePerSec: postsPerMinute / 60, burst: postsPerMinute, maxSources: 4096, globalPerSec: Math.max(1, postsPerMinute) });
  const stored: StoredBrowserResults[] = [];
  let nextId = 1;

  const postResults = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const doc = await receiveBrowserResults(req, res, { limiter: posts, perMinute: postsPerMinute, maxBodyBytes, invalidStatus: 422 });
    if (!doc) return;
    const entry: StoredBrowserResults = { id: nextId++, receivedAt: new Date().toISOString(), doc };
    stored.push(entry);
    while (stored.length > maxResults) stored.shift();
    let kept: { reportId: number; url: string | null } | { storeError: string } | null = null;
    if (opts.store) {
      try {
        const r = await opts.store(entry.doc, req);
        kept = { reportId: r.id, url: r.url };
      } catch (e) {
        // Still held in memory (the admin views above); the store's own answer says why not there.
        kept = { storeError: (e as Error).message };
      }
    }
    sendJson(res, 201, { ok: true, id: entry.id, path: `${BROWSER_RESULTS_PATH}/${entry.id}`, ...kept });
  };
  const notGet = (req: http.IncomingMessage, res: http.ServerResponse, allowed = 'GET only') => (answerAndClose(req, res, 405, { ok: false, error: allowed }), true);

  return {
    name: 'browser-page',
    results: () => stored.slice(),
    async handle(req, res, url) {
      const p = url.pathname;
      const m = req.method ?? 'GET';
      const get = m === 'GET' || m === 'HEAD';
      if (p === BROWSER_PAGE_PATH || (p === '/' && get && acceptsHtml(req))) {
        if (!get) return notGet(req, res);
        send(res, 200, 'text/html; charset=utf-8', PAGE_HTML, m, {
          'Content-Security-Policy': csp(req),
          'Permissions-Policy': 'camera=(self), microphone=(self)',
          'X-Frame-Options': 'DENY',
        });
        return true;
      }
      if (p === `${BROWSER_PAGE_PATH}.js` || p === `${BROWSER_PAGE_PATH}.css`) {
        if (!get) return notGet(req, res);
        const js = p.endsWith('.js');
        send(res, 200, js ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8', js ? PAGE_JS : PAGE_CSS, m);
        return true;
      }
      if (p === BROWSER_RESULTS_PATH && m === 'POST') {
        await postResults(req, res);
        return true;
      }
      if (p === BROWSER_RESULTS_PATH || p.startsWith(`${BROWSER_RESULTS_PATH}/`)) {
        if (!get) return notGet(req, res, 'GET or POST');
        if (!isAdmin(req, url, opts.adminToken)) return (adminRefused(res, m), true);
        if (p === BROWSER_RESULTS_PATH) {
          const list = stored.map((s) => ({ id: s.id, receivedAt: s.receivedAt, userAgent: s.doc.userAgent, startedAt: s.doc.startedAt, causes: s.doc.causes.map((c) => c.id) }));
          sendJson(res, 200, list, m);
          return true;
        }
        const which = p.slice(BROWSER_RESULTS_PATH.length + 1);
        const hit = which === 'latest' ? stored.at(-1) : stored.find((s) => String(s.id) === which);
        if (!hit) sendJson(res, 404, { ok: false, error: which === 'latest' ? 'no browser results yet: open the page and click Run' : `no result ${which.slice(0, 20)} (kept: the last ${maxResults})` }, m);
        else sendJson(res, 200, hit.doc, m);
        return true;
      }
      return false;
    },
  };
}
