// The HTML report in a real Chromium (Debian's /usr/bin/chromium driven by playwright-core): a
// ready, a ready-with-warnings, a not-ready and an incomplete report, each at 1280 px and 390 px
// (screenshots kept in test-artifacts/report-html/, git-ignored), no horizontal overflow at 390 px,
// printed to an A4 PDF with no table wider than the page and, for NOT READY, the verdict, the causes
// and the change list on the first page, and axe-core's accessibility rules (colour contrast in
// light and dark included) with no serious or critical violation. Nothing leaves the page: no
// request is made.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderHtml } from '../../src/report/html.js';
import { headlineOf } from '../../src/report/common.js';
import type { RawRun, Report } from '../../src/report/types.js';
import { buildReport } from '../../src/verdict/index.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = fs.existsSync(CHROMIUM) ? false : 'needs chromium (Debian package chromium)';
const require = createRequire(import.meta.url);
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/report-html/', import.meta.url));
const raw = (name: string): RawRun => JSON.parse(fs.readFileSync(new URL(`../fixtures/raw/${name}.json`, import.meta.url), 'utf8'));

// A4 at 96 px per inch, less the @page margins of the print stylesheet (12 / 11 / 13 mm).
const MM = 96 / 25.4;
const PAGE_W = Math.floor((210 - 22) * MM);
const PAGE_H = Math.floor((297 - 25) * MM);

const CASES: { name: string; fixture: string; headline: string }[] = [
  { name: 'ready', fixture: 'clean-media', headline: 'READY' },
  { name: 'warnings', fixture: 'udp-blocked-relay-quality', headline: 'READY WITH WARNINGS' },
  { name: 'not-ready', fixture: 'combo-office-proxy', headline: 'NOT READY' },
  { name: 'incomplete', fixture: 'probe-unreachable', headline: 'INCOMPLETE' },
];

type Page = import('playwright-core').Page;
type Ctx = import('playwright-core').BrowserContext;

let ctx: Ctx | undefined;
let dir = '';

describe('the HTML report in Chromium', { skip }, () => {
  before(async () => {
    const { chromium } = await import('playwright-core');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netready-report-chromium-'));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    ctx = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      timeout: 20_000,
    });
  });
  after(async () => {
    await ctx?.close().catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh page with the report, failing on any request it makes (the file must be self-contained). */
  async function open(report: Report, width: number, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; requests: string[] }> {
    const page = await ctx!.newPage();
    page.setDefaultTimeout(15_000);
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!/^(about|data):/.test(r.url())) requests.push(r.url());
    });
    await page.setViewportSize({ width, height: 900 });
    await page.emulateMedia({ colorScheme, media: 'screen' });
    await page.setContent(renderHtml(report), { waitUntil: 'load' });
    return { page, requests };
  }

  for (const c of CASES) {
    it(`${c.name} (${c.fixture}): verdict first, screenshots at 1280 and 390 px, no overflow at 390 px, no request`, async () => {
      const report = buildReport(raw(c.fixture));
      assert.equal(headlineOf(report).text, c.headline);
      for (const width of [1280, 390]) {
        const { page, requests } = await open(report, width);
        try {
          assert.match(await page.title(), new RegExp(`^${c.headline}:`), 'the verdict is the document title');
          const status = await page.getByRole('status').innerText();
          assert.match(status, new RegExp(`^\\W*${c.headline}\\b`, 'm'), 'the verdict is in a status region, first');
          await page.screenshot({ path: path.join(ARTIFACTS, `${c.name}-${width}.png`), fullPage: width === 390 ? false : true });
          const over = await page.evaluate(() => {
            const W = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')]
              .filter((e) => !e.closest('.sr') && e.getBoundingClientRect().right > W + 0.5 && getComputedStyle(e).position !== 'absolute')
              .map((e) => `${e.tagName.toLowerCase()}.${(e as HTMLElement).className}`);
            return { scroll: document.documentElement.scrollWidth, W, wide: [...new Set(wide)].slice(0, 5) };
          });
          if (width === 390) {
            assert.ok(over.scroll <= 390, `horizontal overflow at 390 px: scrollWidth ${over.scroll} (${over.wide.join(', ')})`);
            assert.deepEqual(over.wide, [], 'no element reaches past the viewport');
          }
          assert.deepEqual(requests, [], 'the page loads nothing');
        } finally {
          await page.close();
        }
      }
    });

    it(`${c.name}: printed on A4, no table wider than the page${c.name === 'not-ready' ? '; verdict, causes and change list on page 1' : ''}`, async () => {
      const report = buildReport(raw(c.fixture));
      const { page } = await open(report, PAGE_W);
      try {
        await page.emulateMedia({ media: 'print', colorScheme: 'light' });
        // A string, not a function: the TypeScript loader would wrap named helpers in code the page lacks.
        const m = (await page.evaluate(`(() => {
          const tables = [...document.querySelectorAll('table')].filter((t) => t.getClientRects().length > 0);
          const widest = Math.max(0, ...tables.map((t) => Math.max(t.getBoundingClientRect().right, t.getBoundingClientRect().left + t.scrollWidth)));
          const end = (sel) => { const e = document.querySelector(sel)?.closest('section'); return e ? e.getBoundingClientRect().bottom + window.scrollY : null; };
          return { widest, tables: tables.length, changes: end('#h-changes'), causes: end('#h-causes') };
        })()`)) as { widest: number; tables: number; changes: number | null; causes: number | null };
        assert.ok(m.tables > 0);
        assert.ok(m.widest <= PAGE_W + 0.5, `a table is ${m.widest} px wide on a ${PAGE_W} px A4 page`);
        if (c.name === 'not-ready') {
          assert.ok(m.causes !== null && m.causes <= PAGE_H, `the causes end on page 1 (${m.causes} of ${PAGE_H} px)`);
          assert.ok(m.changes !== null && m.changes <= PAGE_H, `the change list ends on page 1 (${m.changes} of ${PAGE_H} px)`);
        }
        const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
        fs.writeFileSync(path.join(ARTIFACTS, `${c.name}.pdf`), pdf);
        const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
        assert.ok(pages >= 1, 'a PDF with pages');
        fs.writeFileSync(path.join(ARTIFACTS, `${c.name}.pages.txt`), `${pages}\n`);
      } finally {
        await page.close();
      }
    });

    it(`${c.name}: axe-core finds no serious or critical violation, light and dark`, async () => {
      const report = buildReport(raw(c.fixture));
      const axe = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
      for (const scheme of ['light', 'dark'] as const) {
        const { page } = await open(report, 1280, scheme);
        try {
          // Collapsed sections are checked too: open them first.
          await page.evaluate(() => document.querySelectorAll('details').forEach((d) => d.setAttribute('open', '')));
          await page.addScriptTag({ content: axe });
          const violations = await page.evaluate(async () => {
            const res = await (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, {
              resultTypes: ['violations'],
            });
            return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
          });
          const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
          assert.deepEqual(bad, [], `${scheme}: ${JSON.stringify(bad, null, 1)}`);
        } finally {
          await page.close();
        }
      }
    });
  }
});
