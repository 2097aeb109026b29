// The browser page's document (schema `netready/browser@1`) and what the page shares with the
// verdict: cause ids, the checklist item it judges, the SSE threshold. One place for the page
// (src/serve/page/page.ts, type-checked against these types and given PAGE_SHARED at run time)
// and the serve that validates what the page posts (src/serve/browser-page.ts). A leaf module.

import { CHECKLIST_TEXT, type CauseId, type CheckStatus, type ChecklistId, type ChecklistStatus, type Severity } from './vocabulary.js';
import { SSE_LATE_MS } from './thresholds.js';

export const BROWSER_SCHEMA = 'netready/browser@1';

/** The causes the page may report: its own three, and the stream causes it sees from the browser. */
export const BROWSER_CAUSES = [
  'webrtc-policy-blocked',
  'camera-blocked',
  'microphone-blocked',
  'websocket-blocked',
  'sse-blocked',
  'sse-buffered',
] as const satisfies readonly CauseId[];
export type BrowserCauseId = (typeof BROWSER_CAUSES)[number];

export interface BrowserCheck {
  id: string;
  target: string;
  status: CheckStatus;
  durationMs: number;
  metrics: Record<string, number>;
  error: { code: string; message: string } | null;
  reason?: string;
  details?: Record<string, unknown>;
}

export interface BrowserCause {
  id: CauseId;
  severity: Severity;
  summary: string;
  evidence: string[];
  remedy: string;
}

export interface BrowserChecklistItem {
  id: ChecklistId;
  status: ChecklistStatus;
  evidence: string[];
  reason?: string;
  text?: string;
}

/** Schema `netready/browser@1`: what the page saves, loads and posts. */
export interface BrowserResults {
  schema: typeof BROWSER_SCHEMA;
  userAgent: string;
  startedAt: string;
  checks: BrowserCheck[];
  causes: BrowserCause[];
  checklist: BrowserChecklistItem[];
  /** Optional extras the page adds. */
  durationMs?: number;
  origin?: string;
  browser?: { name: string; version: string };
}

/** What the page is given at run time (its script's one parameter, `NETREADY`). */
export const PAGE_SHARED = {
  schema: BROWSER_SCHEMA,
  /** browser.sse fails with SSE_BUFFERED (cause sse-buffered) past this, as sse.stream does. */
  sseLateMs: SSE_LATE_MS,
  /** The checklist item the page judges, in the seed's words. */
  cameraMicPolicyText: CHECKLIST_TEXT['camera-mic-policy'],
} as const;
/** The signer's invite page passes mode 'signer': the script then only measures (window.netreadyMeasure). */
export type PageShared = typeof PAGE_SHARED & { mode?: 'signer' };
