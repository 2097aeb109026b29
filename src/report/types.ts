// The JSON report, schema `netready/report@1` (../shared/design/contract.md). Changing this
// shape is a breaking change: bump the schema version and say so in CHANGELOG.md.

import type { CheckResult } from '../checks/types.js';
import type { CauseId, ChecklistId, ChecklistStatus, Severity } from '../shared/vocabulary.js';

export const REPORT_SCHEMA = 'netready/report@1';

export type Tier = 'optimal' | 'recommended-minimum' | 'absolute-minimum' | 'none';
// Cause, checklist and status ids: one list for every layer and the browser page (src/shared/vocabulary.ts).
export type { CauseId, ChecklistId, ChecklistStatus, Severity };

export type SymptomId =
  | 'room-never-loads'
  | 'room-state-stale'
  | 'video-connect-hangs'
  | 'video-freezes'
  | 'video-poor-quality'
  | 'captions-missing'
  | 'cobrowse-blank'
  | 'cobrowse-partial'
  | 'office-only-failure';

export interface Cause {
  id: CauseId;
  severity: Severity;
  summary: string;
  /** Check ids whose results prove it. */
  evidence: string[];
  remedy: string;
  /** The check targets involved (hosts, URLs), for humans. Optional, beyond the contract's fields. */
  targets?: string[];
}

export interface Symptom {
  id: SymptomId;
  text: string;
  /** Cause ids that predict this symptom. */
  causes?: CauseId[];
}

export interface ChecklistItem {
  id: ChecklistId;
  status: ChecklistStatus;
  evidence: string[];
  /** Why (always present for not-checked, warn and fail). */
  reason?: string;
  /** The checklist line as seed 000 words it. */
  text?: string;
}

export interface Quality {
  downBps: number | null;
  upBps: number | null;
  rttMs: number | null;
  jitterMs: number | null;
  lossRatio: number | null;
  mos: number | null;
  [extra: string]: number | null | string;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  tool: { name: 'netready'; version: string };
  profiles: string[];
  params: Record<string, string | boolean>;
  startedAt: string;
  durationMs: number;
  ready: boolean;
  tier: Tier | null;
  causes: Cause[];
  symptoms: Symptom[];
  checklist: ChecklistItem[];
  checks: CheckResult[];
  quality: Quality | null;
  /** Where the run was cut by --deadline, or replayed from raw evidence. Optional. */
  notes?: string[];
}

/** What the verdict needs to know about a run besides the check results (saved with --save-raw). */
export interface RawRun {
  schema: 'netready/raw@1';
  tool: { name: 'netready'; version: string };
  profiles: string[];
  params: Record<string, string | boolean>;
  /** The merged profile hosts (roles, groups, requirements) the checks were planned from. */
  hosts: import('../profiles/types.js').HostEntry[];
  media: boolean;
  pcc?: import('../profiles/types.js').PccSpec;
  /** Proxy setup as the run saw it: explicit URL (credentials redacted), env, PAC. */
  proxy: { explicit: string | null; pac: string | null; env: Record<string, string | undefined> };
  startedAt: string;
  durationMs: number;
  deadlineHit: boolean;
  results: CheckResult[];
}
