// The signer's invite page (/i/<token>) in a real Chromium (fake camera and microphone) against a
// real `startProbe` with a SQLite results store: allowed at 1280 px in English, denied at 390 px in
// French and switched to German, no horizontal scroll, the outcome in a live region, and the result
// stored under the invite only after Send. Plus its HTTP answers: unknown 404, expired/revoked 410,
// the result endpoint's bounds. Screenshots go to $NETREADY_ARTIFACTS (default: a temp directory).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startProbe, type ProbeHandle } from '../../src/serve/probe.js';
import { CATALOGUE } from '../../src/serve/results/signer-i18n.js';
import { withChromium, type Page } from '../support/chromium.js';
import { needs } from '../support/prereqs.js';
import { removeDir, tempDir } from '../support/proc.js';
import { browserDoc, rawQuery } from './store-backends.js';

const ADMIN = 'admin-token-for-the-invite-page';
const ORG = 'Acme Bank';
const noChromium = needs('chromium');
const artefacts = process.env.NETREADY_ARTIFACTS ? path.join(process.env.NETREADY_ARTIFACTS, 'invite-page') : fs.mkdtempSync(path.join(os.tmpdir(), 'netready-invite-shots-'));

function req(base: string, ca: string, p: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const r = https.request(new URL(p, base), { method: o.method ?? 'GET', headers: o.headers ?? {}, ca, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', reject);
    r.end(o.body);
  });
}

describe('the signer\'s invite page', () => {
  const dir = tempDir('invite-page');
  const spec = `sqlite:${path.join(dir, 'results.db')}`;
  let probe: ProbeHandle;
  let base: string;
  let ca: string;
  before(async () => {
    probe = await startProbe({ listen: [{ host: '127.0.0.1', port: 0 }], adminToken: ADMIN, results: { store: spec, org: { name: ORG } } });
    base = probe.urls[0];
    ca = probe.caPem!;
  });
  after(async () => {
    await probe?.close();
    removeDir(dir);
  });

  async function invite(label: string): Promise<{ path: string; id: number }> {
    const r = await req(base, ca, '/.netready/invites', { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ label, site: 'Signers' }) });
    assert.equal(r.status, 201, r.body);
    const a = JSON.parse(r.body) as { url: string; id: number };
    return { path: new URL(a.url).pathname, id: a.id };
  }
  const storedUnder = async (inviteId: number) => (await rawQuery(spec, 'SELECT source, outcome FROM reports WHERE invite_id = ?', [inviteId])).map((r) => ({ ...r }));

  it('answers 404 for an unknown invite, 410 for an expired or revoked one, and bounds the result endpoint', async () => {
    const unknown = await req(base, ca, '/i/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { headers: { 'Accept-Language': 'de' } });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /Dieser Link funktioniert nicht/);
    const a = await invite('expired one');
    await rawQuery(spec, 'UPDATE invites SET expires_at = ? WHERE id = ?', [Date.now() - 1, a.id]);
    const expired = await req(base, ca, a.path);
    assert.equal(expired.status, 410);
    assert.match(expired.body, new RegExp(`Ask ${ORG} for a new link`));
    const late = await req(base, ca, `${a.path}/results`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(browserDoc()) });
    assert.equal(late.status, 410, 'no result lands under an expired invite');
    const b = await invite('live one');
    const page = await req(base, ca, b.path, { headers: { 'Accept-Language': 'es-ES,es;q=0.9,en;q=0.5' } });
    assert.equal(page.status, 200);
    assert.match(page.body, /<html lang="es">/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    const notJson = await req(base, ca, `${b.path}/results`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"schema":' });
    assert.equal(notJson.status, 400);
    const wrongDoc = await req(base, ca, `${b.path}/results`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"schema":"netready/report@1"}' });
    assert.equal(wrongDoc.status, 400);
    assert.deepEqual(await storedUnder(b.id), []);
    await req(base, ca, `/results/invite/${b.id}/revoke`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}` } });
    assert.equal((await req(base, ca, b.path)).status, 410, 'revoked from the admin view');
  });

  /**
   * WCAG contrast of each element's text on its effective background (the first opaque one up the
   * tree), computed in the page. A string: tsx would wrap named functions in a helper the page lacks.
   */
  const CONTRASTS_JS = `(sels) => {
    const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = (c) => {
      const v = c.slice(0, 3).map((x) => { x = x / 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
      return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
    };
    return sels.map((sel) => {
      const el = document.querySelector(sel);
      let up = el;
      let bg = [255, 255, 255, 1];
      while (up) {
        const c = rgb(getComputedStyle(up).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c; break; }
        up = up.parentElement;
      }
      const l = [lum(rgb(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
      return { sel, ratio: Math.round(((l[0] + 0.05) / (l[1] + 0.05)) * 100) / 100 };
    });
  }`;
  const contrasts = (p: Page, selectors: string[]) => p.evaluate(`(${CONTRASTS_JS})(${JSON.stringify(selectors)})`) as Promise<{ sel: string; ratio: number }[]>;
  const assertAA = async (p: Page, selectors: string[], what: string) => {
    const cs = await contrasts(p, selectors);
    for (const c of cs) assert.ok(c.ratio >= 4.5, `${what}: ${c.sel} contrast ${c.ratio} < 4.5 (WCAG AA)`);
  };
  const TEXT = ['h1', '#intro', '#outcome-title', '#outcome-text', '#again', '#send', '#consent-title', 'label.lang span'];

  const noHorizontalScroll = async (p: Page, what: string) => {
    const { sw, iw } = await p.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
    assert.ok(sw <= iw, `${what}: scrollWidth ${sw} > innerWidth ${iw}`);
  };

  it('allowed, 1280 px, light, English: AA contrast, one prompt, preview and level meter, "You are ready", stored only after Send', { skip: noChromium, timeout: 60_000 }, async () => {
    const inv = await invite('Customer Jane');
    await withChromium(
      ['--use-fake-ui-for-media-stream'],
      async (p) => {
        await p.goto(`${base}${inv.path}`);
        await p.waitForSelector('body[data-state="idle"]');
        assert.match((await p.textContent('#intro')) ?? '', new RegExp(`${ORG} asks you to check this device`));
        await noHorizontalScroll(p, '1280 px before');
        await p.click('#start');
        await p.waitForSelector('body[data-state="done"]', { timeout: 40_000 });
        assert.equal(await p.getAttribute('body', 'data-outcome'), 'ready', (await p.textContent('#tech')) ?? '');
        assert.equal((await p.textContent('#outcome-title'))?.trim(), CATALOGUE.en.readyTitle);
        assert.equal(await p.getAttribute('#outcome', 'aria-live'), 'assertive');
        const video = await p.evaluate(() => { const v = document.getElementById('preview') as HTMLVideoElement; return { w: v.videoWidth, hidden: v.hidden }; });
        assert.ok(!video.hidden && video.w > 0, `the camera preview plays: ${JSON.stringify(video)}`);
        await p.waitForFunction(() => (document.getElementById('mic') as HTMLMeterElement).value > 0, undefined, { timeout: 5000 });
        // What is sent is shown before it is sent; nothing is stored yet.
        assert.match((await p.textContent('#c-raw')) ?? '', /"schema": "netready\/browser@1"/);
        assert.match((await p.textContent('#consent-title')) ?? '', new RegExp(`Send the result to ${ORG}`));
        assert.deepEqual(await storedUnder(inv.id), [], 'nothing stored before consent');
        await assertAA(p, TEXT, 'light');
        await p.screenshot({ path: path.join(artefacts, 'invite-1280-en-ready.png'), fullPage: true });
        await noHorizontalScroll(p, '1280 px after');
        await p.click('#send');
        await p.waitForSelector('body[data-sent]');
        assert.equal(await p.getAttribute('body', 'data-sent'), 'yes', (await p.textContent('#sent')) ?? '');
        assert.deepEqual(await storedUnder(inv.id), [{ source: 'browser', outcome: 'ready' }]);
        // The admin view lists the invite with its result.
        const admin = await req(base, ca, '/results', { headers: { Authorization: `Bearer ${ADMIN}` } });
        assert.match(admin.body, /<tr><td>Customer Jane<\/td><td>Signers<\/td><td>ok<\/td><td>[^<]+<\/td><td>1<\/td><td><span class="o-ready">ready<\/span>/);
      },
      { viewport: { width: 1280, height: 900 }, locale: 'en-GB', colorScheme: 'light' },
    );
  });

  it('denied, 390 px, dark, French then German: "camera blocked" with how to allow, no horizontal scroll, AA contrast, nothing stored without Send', { skip: noChromium, timeout: 60_000 }, async () => {
    const inv = await invite('Client Jean');
    await withChromium(
      ['--deny-permission-prompts'],
      async (p) => {
        await p.goto(`${base}${inv.path}`);
        await p.waitForSelector('body[data-state="idle"]');
        assert.equal(await p.getAttribute('html', 'lang'), 'fr', 'the browser\'s language');
        assert.equal((await p.textContent('#start'))?.trim(), CATALOGUE.fr.start);
        await noHorizontalScroll(p, '390 px before');
        await p.click('#start');
        await p.waitForSelector('body[data-state="done"]', { timeout: 40_000 });
        assert.equal(await p.getAttribute('body', 'data-outcome'), 'camera');
        assert.equal((await p.textContent('#outcome-title'))?.trim(), CATALOGUE.fr.cameraTitle);
        assert.equal((await p.textContent('#outcome-text'))?.trim(), CATALOGUE.fr.cameraText);
        assert.ok(await p.isVisible('#again'), 'Try again is offered');
        await noHorizontalScroll(p, '390 px after (fr)');
        await p.screenshot({ path: path.join(artefacts, 'invite-390-fr-denied.png'), fullPage: true });
        await p.selectOption('#lang', 'de');
        assert.equal(await p.getAttribute('html', 'lang'), 'de');
        assert.equal((await p.textContent('#outcome-title'))?.trim(), CATALOGUE.de.cameraTitle);
        assert.equal((await p.textContent('#again'))?.trim(), CATALOGUE.de.tryAgain);
        assert.match((await p.textContent('#consent-title')) ?? '', new RegExp(`Ergebnis an ${ORG} senden`));
        await noHorizontalScroll(p, '390 px after (de)');
        await assertAA(p, TEXT, 'dark');
        await p.screenshot({ path: path.join(artefacts, 'invite-390-de-denied.png'), fullPage: true });
        assert.deepEqual(await storedUnder(inv.id), [], 'not sent: not stored');
      },
      { viewport: { width: 390, height: 844 }, locale: 'fr-FR', colorScheme: 'dark' },
    );
  });
});
