// A real Chromium (Debian's chromium, driven by playwright-core) for the page tests: fake camera and
// microphone, a throw-away profile, the serve's throw-away CA accepted. Tests skip with
// `needs('chromium')` where it is missing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binPath } from './prereqs.js';

export const CHROMIUM_BASE_ARGS = [
  '--no-sandbox',
  '--use-fake-device-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu',
];

export type Page = import('playwright-core').Page;

/** Runs `fn` in a fresh Chromium; fails the test on any script error of the page. */
export async function withChromium(
  args: string[],
  fn: (page: Page, dir: string) => Promise<void>,
  opts: { viewport?: { width: number; height: number }; locale?: string; colorScheme?: 'light' | 'dark' } = {},
): Promise<void> {
  const { chromium } = await import('playwright-core');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netready-chromium-'));
  const ctx = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: binPath('chromium'),
    headless: true,
    ignoreHTTPSErrors: true, // the serve's throw-away CA
    acceptDownloads: true,
    args: [...CHROMIUM_BASE_ARGS, ...args],
    timeout: 15_000,
    ...(opts.viewport ? { viewport: opts.viewport } : {}),
    ...(opts.locale ? { locale: opts.locale } : {}),
    ...(opts.colorScheme ? { colorScheme: opts.colorScheme } : {}),
  });
  try {
    const p = ctx.pages()[0] ?? (await ctx.newPage());
    p.setDefaultTimeout(15_000);
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await fn(p, dir);
    assert.deepEqual(errors, [], 'no script error on the page');
  } finally {
    await ctx.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
