// The signer's invite page (issue 15): `/i/<token>`, created by `netready invite` or the admin view.
// The signer opens it on their own device: the organisation's name (and logo) from the serve's
// configuration, one sentence on what will happen, one camera+microphone prompt, a preview and a
// level meter, a plain outcome, Try again, and the result sent only after they agree.
//
//   GET  /i/<token>[?lang=xx]       the page, in the browser's language (en fr de es nl; switchable)
//                                   404 unknown, 410 expired or revoked (a plain page in that language)
//   POST /i/<token>/results         the consented browser@1 result (JSON, at most maxBodyBytes,
//                                   postsPerMinute per address): stored under the invite; 201
//   GET  /.netready/signer.js, /.netready/signer.css, /.netready/measure.js   its assets
// measure.js is the browser page's own script (page.ts) in its 'signer' mode: the same measurements.

import type http from 'node:http';
import { PAGE_SHARED } from '../../shared/browser.js';
import { receiveBrowserResults } from '../browser-page.js';
import { answerAndClose, sendJson, SERVE_HEADERS } from '../http-answer.js';
import { PAGE_SCRIPT, SIGNER_CSS, SIGNER_SCRIPT } from '../page/assets.gen.js';
import { RateLimiter } from '../rate-limit.js';
import type { ServeModule } from '../server.js';
import type { Store } from '../store/index.js';
import { esc } from './html.js';
import { storeFailure, type ResultsModule } from './module.js';
import { CATALOGUE, fmt, LANG_NAMES, LANGS, pickLang, type Lang, type MessageId } from './signer-i18n.js';

export const SIGNER_DEFAULTS = { maxBodyBytes: 64 * 1024, postsPerMinute: 10 } as const;

export interface SignerOptions {
  store: Store;
  results: ResultsModule;
  org: { name?: string; logoUrl?: string };
  maxBodyBytes?: number;
  postsPerMinute?: number;
}

const MEASURE_JS = `(function (NETREADY) {\n${PAGE_SCRIPT}\n})(${JSON.stringify({ ...PAGE_SHARED, mode: 'signer' })});\n`;
const TOKEN_PATH = /^\/i\/([A-Za-z0-9_-]{16,128})(\/results)?$/;

function csp(req: http.IncomingMessage, logoUrl: string | undefined): string {
  const host = String(req.headers.host ?? '');
  const ws = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/.test(host) ? ` wss://${host} ws://${host}` : '';
  let logo = '';
  try {
    if (logoUrl) logo = ` ${new URL(logoUrl).origin}`;
  } catch {
    /* checked at start */
  }
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self'${ws}`,
    `img-src 'self' data:${logo}`,
    "media-src 'self' blob: mediastream:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function send(res: http.ServerResponse, status: number, type: string, body: string, method: string | undefined, extra: Record<string, string> = {}) {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'X-Content-Type-Options': 'nosniff',
    // The token is in the page's path: it must not travel in a Referer.
    'Referrer-Policy': 'no-referrer',
    ...SERVE_HEADERS,
    ...extra,
  });
  res.end(method === 'HEAD' ? undefined : body);
}

/** The page, rendered in `lang` (the script repaints it on a switch). */
export function signerPage(lang: Lang, org: { name?: string; logoUrl?: string }, state: 'ok' | 'expired' | 'revoked' | 'unknown'): string {
  const c = CATALOGUE[lang];
  const orgName = org.name ?? c.yourOrganisation;
  const m = (id: MessageId) => esc(fmt(c[id], { org: orgName }));
  const tx = (tag: string, id: MessageId, attrs = '') => `<${tag} data-i18n="${id}"${attrs}>${m(id)}</${tag}>`;
  const head = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${m('title')}</title><link rel="stylesheet" href="/.netready/signer.css">`;
  const orgBox = `<div class="org">${org.logoUrl ? `<img src="${esc(org.logoUrl)}" alt="">` : ''}<strong>${esc(orgName)}</strong></div>`;
  if (state !== 'ok') {
    const [t, x]: [MessageId, MessageId] = state === 'unknown' ? ['unknownTitle', 'unknownText'] : ['goneTitle', 'goneText'];
    return `${head}</head><body><main><header>${orgBox}</header><h1>${m(t)}</h1><p>${m(x)}</p></main></body></html>`;
  }
  const langs = LANGS.map((l) => `<option value="${l}"${l === lang ? ' selected' : ''} lang="${l}">${esc(LANG_NAMES[l])}</option>`).join('');
  return `${head}<script src="/.netready/measure.js" defer></script><script src="/.netready/signer.js" defer></script></head><body data-state="loading"><main>
<header>${orgBox}<label class="lang"><span data-i18n="language">${m('language')}</span> <select id="lang">${langs}</select></label></header>
${tx('h1', 'title')}
${tx('p', 'intro', ' id="intro"')}
${tx('p', 'noJs', ' id="nojs" class="warn"')}
<button type="button" id="start" disabled data-i18n="start">${m('start')}</button>
<p id="status" role="status" aria-live="polite"></p>
<div class="devices"><video id="preview" autoplay muted playsinline hidden data-i18n-label="preview" aria-label="${m('preview')}"></video><meter id="mic" min="0" max="100" value="0" hidden data-i18n-label="micLevel" aria-label="${m('micLevel')}"></meter></div>
<div id="outcome" class="outcome" role="alert" aria-live="assertive" hidden><h2 id="outcome-title"></h2><p id="outcome-text"></p></div>
<button type="button" id="again" hidden data-i18n="tryAgain">${m('tryAgain')}</button>
<section id="consent" hidden aria-labelledby="consent-title"><h2 id="consent-title" data-i18n="consentTitle">${m('consentTitle')}</h2>${tx('p', 'consentText')}
<ul><li id="c-outcome"></li><li id="c-browser"></li><li id="c-camera"></li><li id="c-mic"></li><li id="c-checks"></li></ul>
<details><summary data-i18n="consentRaw">${m('consentRaw')}</summary><pre id="c-raw"></pre></details>
<button type="button" id="send" data-i18n="send">${m('send')}</button><p id="sent" role="status" aria-live="polite"></p></section>
<details id="tech" hidden><summary data-i18n="details">${m('details')}</summary><table><tbody id="tech-checks"></tbody></table></details>
</main></body></html>`;
}

export function signerModule(o: SignerOptions): ServeModule {
  const org = o.org;
  const maxBody = o.maxBodyBytes ?? SIGNER_DEFAULTS.maxBodyBytes;
  const perMin = o.postsPerMinute ?? SIGNER_DEFAULTS.postsPerMinute;
  const posts = new RateLimiter({ ratePerSec: perMin / 60, burst: perMin, maxSources: 4096, globalPerSec: Math.max(1, perMin) });
  const signerJs = `(function (NETREADY_SIGNER) {\n${SIGNER_SCRIPT}\n})(${JSON.stringify({ catalogue: CATALOGUE, langNames: LANG_NAMES, org: org.name ?? null }).replace(/</g, '\\u003c')});\n`;

  const page = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, token: string) => {
    const lang = pickLang(url.searchParams.get('lang'), req.headers['accept-language']);
    let state: 'ok' | 'expired' | 'revoked' | 'unknown';
    try {
      state = (await o.store.lookupInvite(token)).state;
    } catch (e) {
      const f = storeFailure(e);
      return send(res, f.status, 'text/plain; charset=utf-8', `${f.error}\n`, req.method, f.headers);
    }
    const status = state === 'ok' ? 200 : state === 'unknown' ? 404 : 410;
    send(res, status, 'text/html; charset=utf-8', signerPage(lang, org, state), req.method, {
      'Content-Security-Policy': csp(req, org.logoUrl),
      'Permissions-Policy': 'camera=(self), microphone=(self)',
      'X-Frame-Options': 'DENY',
      'Content-Language': lang,
      Vary: 'Accept-Language',
    });
  };

  const result = async (req: http.IncomingMessage, res: http.ServerResponse, token: string) => {
    const doc = await receiveBrowserResults(req, res, { limiter: posts, perMinute: perMin, maxBodyBytes: maxBody, invalidStatus: 400 });
    if (!doc) return;
    try {
      const r = await o.results.putBrowser(doc, req, { inviteToken: token, share: false });
      sendJson(res, 201, { ok: true, id: r.result.id, outcome: r.result.outcome });
    } catch (e) {
      const f = storeFailure(e);
      sendJson(res, f.status, { ok: false, error: f.error }, { headers: f.headers });
    }
  };

  return {
    name: 'signer',
    async handle(req, res, url) {
      const p = url.pathname;
      const m = req.method ?? 'GET';
      const get = m === 'GET' || m === 'HEAD';
      if (p === '/.netready/signer.js' || p === '/.netready/measure.js' || p === '/.netready/signer.css') {
        if (!get) return (answerAndClose(req, res, 405, { ok: false, error: 'GET only' }), true);
        const css = p.endsWith('.css');
        send(res, 200, css ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', css ? SIGNER_CSS : p === '/.netready/signer.js' ? signerJs : MEASURE_JS, m);
        return true;
      }
      const tm = TOKEN_PATH.exec(p);
      if (!tm) {
        if (p.startsWith('/i/')) return (send(res, 404, 'text/html; charset=utf-8', signerPage(pickLang(null, req.headers['accept-language']), org, 'unknown'), m), true);
        return false;
      }
      if (tm[2]) {
        if (m !== 'POST') return (answerAndClose(req, res, 405, { ok: false, error: 'POST the result here' }), true);
        await result(req, res, tm[1]);
        return true;
      }
      if (!get) return (answerAndClose(req, res, 405, { ok: false, error: 'GET only' }), true);
      await page(req, res, url, tm[1]);
      return true;
    },
  };
}
