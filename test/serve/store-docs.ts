// Documents for the store's tests and bench: golden reports (valid netready/report@1) and browser
// results (netready/browser@1). No node:test import here: writer processes and the bench use it.

import type { Report } from '../../src/report/types.js';
import { loadGolden } from '../support/golden.js';
import type { BrowserResults } from '../../src/serve/browser-page.js';

/** A golden report (valid netready/report@1), whole, as a fresh object. */
export function golden(name: string): Report {
  return loadGolden(name);
}

/** The same report as another run: its own start time (and so its own digest). */
export function rerun<T extends { startedAt: string }>(doc: T, at: Date | string | number): T {
  return { ...structuredClone(doc), startedAt: new Date(at).toISOString() };
}

/** A browser page result (netready/browser@1), as the page posts it. */
export function browserDoc(opts: { cameraBlocked?: boolean; startedAt?: string } = {}): BrowserResults {
  return {
    schema: 'netready/browser@1',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
    startedAt: opts.startedAt ?? '2026-11-25T16:00:00.000Z',
    durationMs: 4100,
    origin: 'https://probe.example.test',
    checks: [
      { id: 'browser.camera', target: 'camera', status: opts.cameraBlocked ? 'failed' : 'ok', durationMs: 300, metrics: {}, error: opts.cameraBlocked ? { code: 'CAMERA_DENIED', message: 'NotAllowedError: Permission denied' } : null },
      { id: 'browser.ws', target: 'wss://probe.example.test/.netready/ws-probe', status: 'ok', durationMs: 40, metrics: { rttMs: 3.2 }, error: null },
    ],
    causes: opts.cameraBlocked
      ? [{ id: 'camera-blocked', severity: 'blocking', summary: 'The camera is blocked', evidence: ['browser.camera'], remedy: 'Allow the camera for this site' }]
      : [],
    checklist: [{ id: 'camera-mic-policy', status: opts.cameraBlocked ? 'fail' : 'pass', evidence: ['browser.camera'] }],
  };
}
