// Results that travel (issue 15): the HTTP side of `netready serve --store …`.
//
//   POST   /.netready/reports?site=S&label=L   upload a report (Authorization: Bearer UPLOAD_TOKEN,
//                                              Content-Type: application/json, at most maxUploadBytes):
//                                              201 {ok,id,url,expiresAt,...}; 401 token, 415 type,
//                                              413 size, 400 JSON/schema, 503 + Retry-After store away
//   GET    /r/<token>                          the stored report's HTML (410 expired/revoked, 404 unknown)
//   DELETE /r/<token>                          revoke the link (admin token)
//   GET    /results[?site=&outcome=&after=]    the admin view (admin Bearer token or the sign-in cookie)
//   GET    /results.csv[?site=&outcome=]       the CSV export (admin)
//   GET    /results/report/<id>                one stored report's HTML (admin)
//   POST   /results/report/<id>/revoke         revoke its share links (admin page button)
//   POST   /results/invites, /results/invite/<id>/revoke   create / revoke an invite from the admin page
//   GET|POST /results/signin                   the sign-in form (sets an HttpOnly SameSite=Strict cookie)
//   POST   /.netready/invites                  create an invite (admin Bearer; JSON {label, site?, days?}):
//                                              201 {ok,id,url,expiresAt}
// The signer's invite page (/i/<token>) is signer.ts. Every answer is bounded; store faults map to
// one-line JSON (API) or plain pages (HTML); nothing here blocks on a webhook.

import { createHmac, randomBytes } from 'node:crypto';
import type http from 'node:http';
import type tls from 'node:tls';
import { renderHtml } from '../../report/html.js';
import { REPORT_SCHEMA, type Report } from '../../report/types.js';
import type { BrowserResults } from '../../shared/browser.js';
import { readRequestBody } from '../body.js';
import { answerAndClose, bearerOf, sendJson, SERVE_HEADERS, tokenEquals } from '../http-answer.js';
import type { ServeModule } from '../server.js';
import { csvLines, OUTCOMES, StoreError, StoreInviteError, StoreValidationError, type Outcome, type PutMeta, type PutResult, type Store, type StoredReport } from '../store/index.js';
import { adminPage, gonePage, messagePage, PAGE_CSP, renderBrowserHtml, signInPage } from './html.js';
import { eventFor, type Webhooks } from './webhooks.js';

export const RESULTS_DEFAULTS = {
  /** A full report is ~40-55 KB; the store's own limit is 1 MiB. */
  maxUploadBytes: 1024 * 1024,
  /** Admin forms (sign-in, new invite). */
  maxFormBytes: 4 * 1024,
  sessionMs: 12 * 3600_000,
} as const;

export const UPLOAD_PATH = '/.netready/reports';
export const INVITES_API_PATH = '/.netready/invites';
const COOKIE = 'netready_admin';

export interface ResultsOptions {
  store: Store;
  uploadToken: string;
  adminToken: string;
  /** Share-link lifetime (default: the store's, 30 days). */
  shareTtlMs?: number;
  webhooks?: Webhooks | null;
  maxUploadBytes?: number;
  log?: (line: string) => void;
}

export interface ResultsModule extends ServeModule {
  /** Store a browser result (the browser page's POST, an invite's consented result); null when the store refused it. */
  putBrowser(doc: BrowserResults, req: http.IncomingMessage, meta?: PutMeta): Promise<{ result: PutResult; url: string | null }>;
}

const HOST_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/;

/** The origin a client used (https on the TLS listeners), for the links the serve hands out. */
export function originOf(req: http.IncomingMessage): string {
  const host = String(req.headers.host ?? '');
  const proto = (req.socket as tls.TLSSocket).encrypted ? 'https' : 'http';
  if (HOST_RE.test(host)) return `${proto}://${host.toLowerCase()}`;
  const a = req.socket.localAddress ?? '127.0.0.1';
  return `${proto}://${a.includes(':') ? `[${a}]` : a}:${req.socket.localPort}`;
}

const contentType = (req: http.IncomingMessage) => String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

function sendHtml(res: http.ServerResponse, status: number, html: string, method: string | undefined, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Content-Security-Policy': PAGE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'X-Robots-Tag': 'noindex',
    ...SERVE_HEADERS,
    ...extra,
  });
  res.end(method === 'HEAD' ? undefined : html);
}

const redirect = (res: http.ServerResponse, to: string, extra: Record<string, string> = {}) => {
  res.writeHead(303, { Location: to, 'Content-Length': 0, ...SERVE_HEADERS, ...extra });
  res.end();
};

/** A store failure as an HTTP answer: JSON for the API, a short page for HTML. */
export function storeFailure(e: unknown): { status: number; error: string; headers: Record<string, string> } {
  if (e instanceof StoreValidationError) return { status: e.code === 'STORE_TOO_LARGE' ? 413 : 400, error: e.message, headers: {} };
  if (e instanceof StoreInviteError) return { status: e.state === 'unknown' ? 404 : 410, error: e.message, headers: {} };
  if (e instanceof StoreError && e.retryable)
    return { status: 503, error: `the results store is unavailable, try again later (${e.message})`, headers: { 'Retry-After': String(Math.max(1, Math.ceil((e.retryAfterMs ?? 5000) / 1000))) } };
  if (e instanceof StoreError) return { status: 500, error: `the results store failed: ${e.message}`, headers: {} };
  throw e;
}

/** The stored document as a page: the report renderer for a CLI report, the browser result page otherwise. */
export function renderStored(r: StoredReport): string {
  return r.doc.schema === REPORT_SCHEMA ? renderHtml(r.doc as Report) : renderBrowserHtml(r.doc as BrowserResults, r.outcome, { site: r.site, label: r.label });
}

function parseForm(body: Buffer): URLSearchParams {
  return new URLSearchParams(body.toString('utf8'));
}

export function resultsModule(o: ResultsOptions): ResultsModule {
  const { store } = o;
  const log = o.log ?? (() => {});
  const maxUploadBytes = o.maxUploadBytes ?? RESULTS_DEFAULTS.maxUploadBytes;
  // Sessions of the admin page: "<expiry ms>.<HMAC>" under a key derived from the admin token and
  // this process (a restart signs everybody out; the token itself never sits in a cookie).
  const sessionKey = createHmac('sha256', randomBytes(32)).update(o.adminToken).digest();
  const sign = (exp: number) => createHmac('sha256', sessionKey).update(String(exp)).digest('base64url');
  const newSession = () => {
    const exp = Date.now() + RESULTS_DEFAULTS.sessionMs;
    return `${exp}.${sign(exp)}`;
  };
  const cookieOk = (req: http.IncomingMessage) => {
    const m = new RegExp(`(?:^|;\\s*)${COOKIE}=(\\d+)\\.([A-Za-z0-9_-]+)`).exec(String(req.headers.cookie ?? ''));
    if (!m || Number(m[1]) < Date.now()) return false;
    return tokenEquals(m[2], sign(Number(m[1])));
  };
  const isAdminReq = (req: http.IncomingMessage, allowCookie: boolean) => tokenEquals(bearerOf(req), o.adminToken) || (allowCookie && cookieOk(req));

  const failJson = (req: http.IncomingMessage, res: http.ServerResponse, e: unknown) => {
    const f = storeFailure(e);
    if (f.status >= 500) log(`results: ${f.error}`);
    if (req.complete) sendJson(res, f.status, { ok: false, error: f.error }, { headers: f.headers });
    else answerAndClose(req, res, f.status, { ok: false, error: f.error }, { headers: f.headers });
  };
  const failHtml = (res: http.ServerResponse, e: unknown, method?: string) => {
    const f = storeFailure(e);
    if (f.status >= 500) log(`results: ${f.error}`);
    sendHtml(res, f.status, `<!doctype html><title>netready</title><p>${f.status === 503 ? 'The results store is unavailable; try again in a moment.' : 'The results store failed.'}</p>`, method, f.headers);
  };

  const shareUrl = (req: http.IncomingMessage, r: PutResult) => (r.share ? `${originOf(req)}/r/${r.share.token}` : null);

  const afterPut = (req: http.IncomingMessage, r: PutResult) => {
    const url = shareUrl(req, r);
    const ev = o.webhooks ? eventFor(r, url, new Date()) : null;
    if (ev) o.webhooks!.send(ev);
    return url;
  };

  const putMeta = (meta: PutMeta): PutMeta => ({ ...meta, ...(o.shareTtlMs && meta.share === undefined ? { share: { ttlMs: o.shareTtlMs } } : {}) });

  // ---- POST /.netready/reports --------------------------------------------------------------------
  const upload = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    if (!tokenEquals(bearerOf(req), o.uploadToken))
      return answerAndClose(req, res, 401, { ok: false, error: 'uploads need the upload token (Authorization: Bearer TOKEN), printed by `netready serve` at start or set with --upload-token-file' }, { headers: { 'WWW-Authenticate': 'Bearer realm="netready uploads"' } });
    if (contentType(req) !== 'application/json') return answerAndClose(req, res, 415, { ok: false, error: 'expected Content-Type: application/json (a netready/report@1 or netready/browser@1 document)' });
    const body = await readRequestBody(req, maxUploadBytes);
    if (!body) return answerAndClose(req, res, 413, { ok: false, error: `report larger than ${maxUploadBytes} bytes` });
    let r: PutResult;
    try {
      r = await store.put(body, putMeta({ site: url.searchParams.get('site'), label: url.searchParams.get('label') }));
    } catch (e) {
      return failJson(req, res, e);
    }
    const link = afterPut(req, r);
    sendJson(res, r.duplicate ? 200 : 201, { ok: true, id: r.id, url: link, expiresAt: r.share?.expiresAt ?? null, duplicate: r.duplicate, outcome: r.outcome, site: r.site, redactions: r.redactions });
  };

  // ---- /r/<token> ---------------------------------------------------------------------------------
  const share = async (req: http.IncomingMessage, res: http.ServerResponse, token: string) => {
    const m = req.method ?? 'GET';
    if (m === 'DELETE') {
      if (!isAdminReq(req, false)) return answerAndClose(req, res, 401, { ok: false, error: 'revoking a link needs the admin token (Authorization: Bearer TOKEN)' });
      try {
        const hit = await store.getByShare(token);
        if (hit.state === 'unknown') return sendJson(res, 404, { ok: false, error: 'no such link' });
        const revoked = hit.share.revokedAt === null ? await store.revokeShare(hit.share.id) : false;
        return sendJson(res, 200, { ok: true, revoked, reportId: hit.share.reportId });
      } catch (e) {
        return failJson(req, res, e);
      }
    }
    if (m !== 'GET' && m !== 'HEAD') return answerAndClose(req, res, 405, { ok: false, error: 'GET, or DELETE with the admin token' });
    try {
      const hit = await store.getByShare(token);
      if (hit.state === 'ok') return sendHtml(res, 200, renderStored(hit.report), m);
      return sendHtml(res, hit.state === 'unknown' ? 404 : 410, gonePage(hit.state), m);
    } catch (e) {
      return failHtml(res, e, m);
    }
  };

  // ---- the admin view -----------------------------------------------------------------------------
  const filterOf = (url: URL): { site?: string; outcome?: Outcome } => {
    const site = url.searchParams.get('site') || undefined;
    const oc = url.searchParams.get('outcome') || undefined;
    return { ...(site ? { site: site.slice(0, 200) } : {}), ...(oc && (OUTCOMES as readonly string[]).includes(oc) ? { outcome: oc as Outcome } : {}) };
  };

  const adminView = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, created: string | null = null) => {
    const filter = filterOf(url);
    const after = url.searchParams.get('after');
    const [sites, invites, page, history] = await Promise.all([
      store.latestBySite(),
      store.listInvites(),
      store.list(filter, { limit: 100, after: after && /^-?\d+\.\d+$/.test(after) ? after : null }),
      filter.site ? store.history(filter.site, { limit: 500 }) : Promise.resolve(null),
    ]);
    const now = Date.now();
    const shares = new Map(await Promise.all(page.rows.map(async (r) => [r.id, await store.listShares(r.id)] as const)));
    const html = adminPage({
      sites,
      invites: invites.map((i) => ({ ...i, state: i.revokedAt ? 'revoked' : Date.parse(i.expiresAt) <= now ? 'expired' : 'ok' })),
      reports: page.rows,
      next: page.next,
      filter,
      history,
      shares,
      created,
    });
    sendHtml(res, 200, html, req.method);
  };

  const csv = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="netready-results.csv"', 'X-Content-Type-Options': 'nosniff', ...SERVE_HEADERS });
    if (req.method === 'HEAD') return void res.end();
    for await (const line of csvLines(store.exportRows(filterOf(url)))) {
      if (!res.write(line)) await new Promise<void>((r) => res.once('drain', r));
    }
    res.end();
  };

  const signIn = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method !== 'POST') return sendHtml(res, 200, signInPage(null), req.method);
    const body = await readRequestBody(req, RESULTS_DEFAULTS.maxFormBytes);
    if (!body) return answerAndClose(req, res, 413, { ok: false, error: 'form too large' });
    if (!tokenEquals(parseForm(body).get('token') ?? '', o.adminToken)) return sendHtml(res, 401, signInPage('That is not the admin token.'), req.method);
    redirect(res, '/results', { 'Set-Cookie': `${COOKIE}=${newSession()}; Path=/; HttpOnly; SameSite=Strict${(req.socket as tls.TLSSocket).encrypted ? '; Secure' : ''}; Max-Age=${RESULTS_DEFAULTS.sessionMs / 1000}` });
  };

  const createInvite = async (label: string, site: string | null, days: number | null) =>
    store.createInvite({ label, site, ...(days !== null ? { ttlMs: days * 24 * 3600_000 } : {}) });

  const parseDays = (v: unknown): number | null | Error => {
    if (v === undefined || v === null || v === '') return null;
    const n = Number(v);
    return Number.isFinite(n) && n > 0 && n <= 366 ? n : new Error('days: expected a number of days between 1 and 366');
  };

  const inviteApi = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!isAdminReq(req, false)) return answerAndClose(req, res, 401, { ok: false, error: 'creating an invite needs the admin token (Authorization: Bearer TOKEN)' }, { headers: { 'WWW-Authenticate': 'Bearer realm="netready serve"' } });
    if (contentType(req) !== 'application/json') return answerAndClose(req, res, 415, { ok: false, error: 'expected Content-Type: application/json' });
    const body = await readRequestBody(req, RESULTS_DEFAULTS.maxFormBytes);
    if (!body) return answerAndClose(req, res, 413, { ok: false, error: `body larger than ${RESULTS_DEFAULTS.maxFormBytes} bytes` });
    let doc: { label?: unknown; site?: unknown; days?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
      if (!doc || typeof doc !== 'object') throw new Error();
    } catch {
      return sendJson(res, 400, { ok: false, error: 'body is not a JSON object {label, site?, days?}' });
    }
    if (typeof doc.label !== 'string' || !doc.label.trim()) return sendJson(res, 400, { ok: false, error: 'label: expected who the invite is for (a non-empty string)' });
    if (doc.site !== undefined && doc.site !== null && typeof doc.site !== 'string') return sendJson(res, 400, { ok: false, error: 'site: expected a string' });
    const days = parseDays(doc.days);
    if (days instanceof Error) return sendJson(res, 400, { ok: false, error: days.message });
    try {
      const inv = await createInvite(doc.label, (doc.site as string | undefined) ?? null, days);
      sendJson(res, 201, { ok: true, id: inv.id, url: `${originOf(req)}/i/${inv.token}`, expiresAt: inv.expiresAt, label: inv.label, site: inv.site });
    } catch (e) {
      failJson(req, res, e);
    }
  };

  const adminPost = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, p: string) => {
    const body = await readRequestBody(req, RESULTS_DEFAULTS.maxFormBytes);
    if (!body) return answerAndClose(req, res, 413, { ok: false, error: 'form too large' });
    let m: RegExpExecArray | null;
    if ((m = /^\/results\/report\/(\d{1,15})\/revoke$/.exec(p))) {
      for (const s of await store.listShares(Number(m[1]))) if (s.revokedAt === null) await store.revokeShare(s.id);
      return redirect(res, '/results');
    }
    if ((m = /^\/results\/invite\/(\d{1,15})\/revoke$/.exec(p))) {
      await store.revokeInvite(Number(m[1]));
      return redirect(res, '/results');
    }
    if (p === '/results/invites') {
      const f = parseForm(body);
      const days = parseDays(f.get('days'));
      const label = (f.get('label') ?? '').trim();
      if (!label || days instanceof Error) return sendHtml(res, 400, messagePage('Invite not created', !label ? 'An invite needs a label (who it is for).' : (days as Error).message), req.method);
      const inv = await createInvite(label, f.get('site') || null, days);
      return adminView(req, res, new URL('/results', url), `${originOf(req)}/i/${inv.token}`);
    }
    sendHtml(res, 404, gonePage('unknown'), req.method);
  };

  const admin = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const p = url.pathname;
    const m = req.method ?? 'GET';
    if (p === '/results/signin') return signIn(req, res);
    if (!isAdminReq(req, true)) {
      if (m === 'GET' && p === '/results' && /\btext\/html\b/.test(String(req.headers.accept ?? ''))) return sendHtml(res, 401, signInPage(null), m);
      return answerAndClose(req, res, 401, { ok: false, error: 'the results view needs the admin token (Authorization: Bearer TOKEN), or sign in at /results/signin' }, { headers: { 'WWW-Authenticate': 'Bearer realm="netready serve"' } });
    }
    try {
      if (m === 'POST') return await adminPost(req, res, url, p);
      if (m !== 'GET' && m !== 'HEAD') return answerAndClose(req, res, 405, { ok: false, error: 'GET or POST' });
      if (p === '/results') return await adminView(req, res, url);
      if (p === '/results.csv') return await csv(req, res, url);
      const rm = /^\/results\/report\/(\d{1,15})$/.exec(p);
      if (rm) {
        const r = await store.get(Number(rm[1]));
        return sendHtml(res, r ? 200 : 404, r ? renderStored(r) : gonePage('unknown'), m);
      }
      sendHtml(res, 404, gonePage('unknown'), m);
    } catch (e) {
      if (res.headersSent) return void res.destroy();
      failHtml(res, e, m);
    }
  };

  return {
    name: 'results',
    async putBrowser(doc, req, meta = {}) {
      const result = await store.put(doc, putMeta(meta));
      return { result, url: afterPut(req, result) };
    },
    async handle(req, res, url) {
      const p = url.pathname;
      if (p === UPLOAD_PATH) {
        if (req.method !== 'POST') return (answerAndClose(req, res, 405, { ok: false, error: 'POST a report here' }), true);
        await upload(req, res, url);
        return true;
      }
      if (p === INVITES_API_PATH) {
        if (req.method !== 'POST') return (answerAndClose(req, res, 405, { ok: false, error: 'POST {label, site?, days?} here' }), true);
        await inviteApi(req, res);
        return true;
      }
      const sm = /^\/r\/([^/]{1,200})$/.exec(p);
      if (sm) {
        await share(req, res, sm[1]);
        return true;
      }
      if (p === '/results' || p === '/results.csv' || p.startsWith('/results/')) {
        await admin(req, res, url);
        return true;
      }
      return false;
    },
    status: () => ({ backend: store.backend, webhooks: o.webhooks ? o.webhooks.stats : null }),
  };
}
