// Typed evidence: the `details` a check declares (CheckDef<Details>) and rules read through
// detailsOf(). A leaf module: it imports nothing of netready's but the other shared leaves.
// docs/evidence.md describes every check's details; the checks typed here so far are the ones whose
// details rules read field by field. A check without an entry has Record<string, unknown>.

import type { CheckId } from './check-ids.js';
import type { CheckResult } from './results.js';

/** vpn.route (src/checks/vpn-route.ts): where the OS routes a video/media host. */
export interface VpnRouteDetails {
  host: string;
  /** Skipped after dns.resolve failed: its code. */
  cause?: string;
  address?: string;
  interface?: string | null;
  viaTunnel?: boolean;
  kind?: string;
  mtu?: number | null;
  vendor?: string | null;
  description?: string;
  gateway?: string | null;
  via?: string;
  viaProxy?: { display: string; source: string } | null;
  method?: string;
  routes?: Record<string, unknown>[];
}

/** A certificate name's parts. */
export interface CertName {
  CN?: string;
  O?: string;
}

/**
 * tls.handshake (src/checks/tls-handshake.ts). A failed handshake carries the dialer's details
 * instead (phase, verifyError, subject, issuer, root, validTo, intercepted, altNames).
 */
export interface TlsHandshakeDetails {
  host: string;
  port: number;
  proxy: { display: string; source: string; from?: string } | null;
  farEnd: 'vendor' | 'probe';
  route?: unknown;
  /** Skipped after dns/tcp failed: its code. */
  cause?: string;
  protocol?: string | null;
  alpn?: string | null;
  subject?: CertName;
  issuer?: CertName;
  root?: CertName;
  validTo?: string | null;
  sanMatch?: boolean;
  trusted?: boolean;
  /** Where the trusted root came from: the public web PKI, --ca, NODE_EXTRA_CA_CERTS. */
  rootSource?: 'public' | 'ca' | 'extra' | null;
  /** An inspecting middlebox: an untrusted chain, or on a vendor host a privately trusted one. */
  intercepted?: boolean;
  phase?: string;
  verifyError?: string;
  altNames?: string[];
}

/** One direction of quality.throughput. */
export interface ThroughputDirection {
  bytes: number;
  ms: number;
  stable: boolean;
  rising: boolean;
  windowsBps: number[];
  fromMs: number | null;
  toMs: number | null;
}

/** quality.throughput (src/checks/quality-throughput.ts). */
export interface ThroughputDetails {
  host: string;
  seconds: number;
  down: ThroughputDirection;
  up: ThroughputDirection;
  videoResolution: string | null;
  streams: { down: number; up: number };
  proxy: unknown;
  inspected: unknown;
}

/** The details type of each check id (the ones typed so far). */
export interface CheckDetailsMap {
  'tls.handshake': TlsHandshakeDetails;
  'vpn.route': VpnRouteDetails;
  'quality.throughput': ThroughputDetails;
}

export type DetailsOf<K extends CheckId> = K extends keyof CheckDetailsMap ? CheckDetailsMap[K] : Record<string, unknown>;

/**
 * A result's details as its check declares them. Results come from JSON (--from-raw, fixtures) and
 * are not validated field by field: every field may be missing, hence Partial.
 */
export function detailsOf<K extends CheckId>(r: CheckResult, id: K): Partial<DetailsOf<K>> {
  return (r.id === id ? (r.details ?? {}) : {}) as Partial<DetailsOf<K>>;
}
