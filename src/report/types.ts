// The JSON report, schema `netready/report@1` (../shared/design/contract.md). Changing this
// shape is a breaking change: bump the schema version and say so in CHANGELOG.md.

import type { CheckResult } from '../shared/results.js';
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
  /** One line (≤ 72 characters) for lists and the terminal's closing summary. Optional. */
  title?: string;
  /** What was observed, as facts: check, the targets it failed on (all of them), what happened. Optional. */
  facts?: Fact[];
  /** What to change on the network for this cause (destinations named in full). Optional. */
  changes?: Change[];
  /** The same change on the products people use: config snippets, or steps for GUI products. Optional. */
  howto?: Howto[];
}

/** One observation behind a cause: `check` on `targets` gave `result` (e.g. "101, then no pong within 3.0 s"). */
export interface Fact {
  check: string;
  targets: string[];
  result: string;
}

/**
 * What the change list asks for (contract actions: allow, bypass inspection, raise idle timeout,
 * exempt from scanning, bypass proxy; and the few more the causes need).
 */
export type ChangeAction =
  | 'allow'
  | 'bypass inspection'
  | 'raise idle timeout'
  | 'exempt from scanning'
  | 'bypass proxy'
  | 'allow WebSocket upgrade'
  | 'allow paths'
  | 'exempt from authentication'
  | 'exempt from keyword filter'
  | 'answer in DNS'
  | 'split tunnel'
  | 'prioritise';

/** One row of the change list: destination | port/protocol | action | why. */
export interface Change {
  /** A name, a wildcard (`*.opentok.com`), an IP range, or "any" (servers no document names). */
  destination: string;
  /** "TCP 443", "UDP 3478", "UDP 1025-65535", "TCP 80" — or "" where no port applies. */
  ports: string;
  action: ChangeAction;
  /** What exactly, where the action alone does not say it (paths, the timeout to reach, …). */
  detail?: string;
  /** The causes that ask for it. */
  why: CauseId[];
}

/** A cause's remedy on one product: a copyable config snippet, or steps for a GUI product. */
export interface Howto {
  product: string;
  kind: 'config' | 'steps';
  text: string;
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

/** Contract: `ready` | `not-ready` | `incomplete` (nothing wrong found, but an "Always" row unverified). */
export type Outcome = 'ready' | 'not-ready' | 'incomplete';

/** An "Always" row that could not be verified, and why. */
export interface Unverified {
  checklist: ChecklistId;
  reason: string;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  tool: { name: 'netready'; version: string };
  profiles: string[];
  params: Record<string, string | boolean>;
  startedAt: string;
  durationMs: number;
  /** True only when `outcome` is `ready`. */
  ready: boolean;
  /** Optional in the schema (reports of netready 0.1 lack it: derive it from `ready`); always written. */
  outcome?: Outcome;
  /** The "Always" rows that could not be verified (empty unless `outcome` is `incomplete`, or not-ready with rows also unverified). */
  unverified?: Unverified[];
  tier: Tier | null;
  causes: Cause[];
  symptoms: Symptom[];
  checklist: ChecklistItem[];
  checks: CheckResult[];
  quality: Quality | null;
  /** Where the run was cut by --deadline, or replayed from raw evidence. Optional. */
  notes?: string[];
  /** Where and how the run happened: machine, resolvers, egress address, options, routes. */
  context?: ReportContext;
  /** netready bugs met while judging (a rule that threw): the rule and its message. Exit 3. */
  internalErrors?: string[];
  /** One change list for the whole report: every cause's changes, merged by destination, port and action. Optional. */
  changes?: Change[];
}

export interface ReportContext extends Partial<RunContext> {
  /** The address the probe saw this machine come from (its egress / NAT address). */
  egressAddress?: string | null;
  /** The options that shape the result. */
  options?: RunOptions;
  /** The way to each host: direct, or which proxy (then its fallbacks), where that setting came from, and what carried it. */
  routes?: { host: string; route: string; source: string; carriedBy?: string }[];
  /** What proxy discovery found: one line, and whether the system settings were read (--no-system-proxy). */
  proxy?: { summary: string; system: boolean };
}

/** Where and how the run happened, for a ticket (gathered by the CLI; the verdict passes it on). */
export interface RunContext {
  /** This machine: its name, OS and local addresses (non-internal). */
  machine: { name: string; os: string; addresses: string[] };
  /** The DNS resolvers this machine uses. */
  resolvers: string[];
  /** The start time in this machine's local time, with its UTC offset (ISO 8601). */
  startedAtLocal: string;
  timeZone: string | null;
}

export interface RunOptions {
  deadlineMs: number;
  idleWindowMs: number;
  qualityMs: number;
  probe: string | null;
  thorough: boolean;
  /** --sign-domain (or --param signDomain) was given; otherwise the profile's default was tested. */
  signDomainGiven: boolean;
  caFiles: string[];
  publicRoots: string | null;
  /** false with --no-system-proxy (the system's proxy settings and WPAD were not read). Absent before discovery existed. */
  systemProxy?: boolean;
}

/** What the verdict needs to know about a run besides the check results (saved with --save-raw). */
export interface RawRun {
  schema: 'netready/raw@1';
  tool: { name: 'netready'; version: string };
  profiles: string[];
  params: Record<string, string | boolean>;
  /** The merged profile hosts (roles, groups, requirements) the checks were planned from. */
  hosts: import('../shared/profile-types.js').HostEntry[];
  media: boolean;
  pcc?: import('../shared/profile-types.js').PccSpec;
  /** Proxy setup as the run saw it: explicit URL (credentials redacted), env, PAC. */
  proxy: { explicit: string | null; pac: string | null; env: Record<string, string | undefined> };
  /**
   * What proxy discovery found before planning: every source the browser consults, what each said,
   * which won, the PACs tried, the route followed (absent in runs of netready before it).
   */
  discovery?: import('../net/discovery/run.js').DiscoveryRecord;
  /** What asking the probe for its media description gave before planning (--probe only). */
  probe?: { url: string; media: 'described' | 'none'; error?: { code: string; message: string } };
  /** Profiles that describe old documents (their names may no longer exist). */
  historical?: string[];
  /** The options that shape the result. */
  options?: RunOptions;
  context?: RunContext;
  startedAt: string;
  durationMs: number;
  deadlineHit: boolean;
  results: CheckResult[];
}
