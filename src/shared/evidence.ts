// Typed evidence: the `details` a check declares (CheckDef<Details>) and rules read through
// detailsOf(). A leaf module: it imports nothing of netready's but the other shared leaves.
// docs/evidence.md describes every check's details; every check id has an entry in CheckDetailsMap.
// These are the details a check's run() returns; a result whose check threw (a NetError) carries the
// error's details instead (the dialer's phase, codes, and what the check had gathered so far).

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

/** A proxy as the evidence names it (src/net/proxy.ts proxySummary); null: no proxy. */
export interface ProxyEvidence {
  display: string;
  source: string;
  from?: string;
}

/** One proxy in use, asked for a CONNECT without credentials (proxy.config's proxyAuth). */
export interface ProxyAuthRow {
  proxy: string;
  source: string;
  host: string;
  credentialsGiven: boolean;
  /** 200, 407, the proxy's refusal status, or null (no answer). */
  status: number | null;
  /** null: the proxy did not answer about authentication (see error). */
  demandsAuth: boolean | null;
  /** The Proxy-Authenticate schemes of a 407. */
  schemes?: string[];
  error?: string;
}

/** proxy.config (src/checks/proxy-config.ts): what proxy configuration applies, host by host. */
export interface ProxyConfigDetails {
  explicit: unknown;
  pac: unknown;
  env: { HTTPS_PROXY?: string; HTTP_PROXY?: string; NO_PROXY?: string; ALL_PROXY?: string };
  /** Each host's route ({kind, source, origin?, from?, display?, auth?, route?, fallbacks?, pacAnswer?, note?}). */
  perHost: Record<string, Record<string, unknown>>;
  proxyAuth: ProxyAuthRow[];
  /** What proxy discovery found (src/net/discovery/run.ts DiscoveryRecord). */
  discovery?: unknown;
  /** Where a PAC applies: the video hosts that work only through its proxy. */
  pacRequired?: string[];
  pacProbes?: { host: string; direct: boolean; viaPac: boolean; proxy: ProxyEvidence | null; pacSaysDirect: boolean }[];
}

/** probe.reach (src/checks/probe-reach.ts): the probe's health answer. */
export interface ProbeReachDetails {
  host: string;
  port: number;
  url: string;
  proxy: ProxyEvidence | null;
  farEnd: 'probe';
  status?: number;
  address?: string;
  via?: string;
  inspected?: boolean;
  tls?: { protocol?: string | null; issuer?: CertName; root?: CertName; rootSource?: string | null; verifyError?: string | null };
  headers?: Record<string, unknown>;
  /** What the probe says about itself (free-form: its health body). */
  server?: unknown;
  version?: unknown;
  names?: unknown;
  name?: unknown;
  clientAddress?: unknown;
}

/** dns.resolve (src/checks/dns-resolve.ts). */
export interface DnsResolveDetails {
  host: string;
  /** Skipped: the proxy resolves the name. */
  proxy?: ProxyEvidence | null;
  addresses?: string[];
  via?: 'override' | 'system';
  overridePort?: number;
}

/** dns.zone (src/checks/dns-zone.ts): a wildcard's apex. */
export interface DnsZoneDetails {
  host: string;
  wildcard: string;
  via?: 'override';
  address?: unknown;
  proxy?: ProxyEvidence | null;
  answer?: string;
  nsname?: string;
  hostmaster?: string;
}

/** tcp.connect (src/checks/tcp-connect.ts). */
export interface TcpConnectDetails {
  host: string;
  port: number;
  proxy: ProxyEvidence | null;
  route?: unknown;
  address?: string;
  via?: string;
  /** Where a PAC proxy applies to a video host: whether a direct connection works too. */
  directOk?: boolean;
  /** Skipped after dns failed: its code. */
  cause?: string;
}

/** tcp.range (src/checks/tcp-range.ts): a published IP range's first host address. */
export interface TcpRangeDetails {
  range: unknown;
  rangeAddress: string;
  port: number;
  proxy: ProxyEvidence | null;
  source: string | undefined;
  via?: string;
}

/** What every web-layer check (http.path, ws.upgrade, sse.stream, conn.idle) starts from (src/checks/web.ts dialWeb). */
export interface WebDetails {
  host: string;
  port: number;
  proxy: ProxyEvidence | null;
  inspected: boolean;
  farEnd: 'vendor' | 'probe';
  route?: unknown;
  path?: string;
  interceptedBy?: CertName;
  trustedBy?: string;
  /** Skipped after dns/tcp/tls failed: its code. */
  cause?: string;
  /** The HTTP status (or the proxy's, when it refused CONNECT). */
  status?: number | null;
  blockedBy?: 'proxy';
  proxyStatus?: number | null;
  marker?: string;
  proxyHeaders?: Record<string, string>;
  headers?: Record<string, string>;
}

/** http.path (src/checks/http-path.ts). */
export interface HttpPathDetails extends WebDetails {
  server?: string | null;
  /** A 5xx from the origin: an outage, not the network. */
  originError?: boolean;
}

/** ws.upgrade (src/checks/ws-upgrade.ts). */
export interface WsUpgradeDetails extends WebDetails {
  /** The origin's own refusal of the upgrade (end-to-end TLS): its status. */
  refusedByOrigin?: number;
  /** 101 with a wrong Sec-WebSocket-Accept: false. */
  acceptOk?: boolean;
  answer?: unknown;
}

/** sse.stream (src/checks/sse-stream.ts). */
export interface SseStreamDetails extends WebDetails {
  contentType?: string | null;
  originError?: boolean;
  end?: unknown;
  stalledCount?: number;
  maxStallMs?: number;
  /** Each event's delay (null: not measurable). */
  delaysMs?: (number | null)[];
}

/** conn.idle (src/checks/conn-idle.ts): an idle hold of a WebSocket or an event stream. */
export interface ConnIdleDetails extends WebDetails {
  kind?: 'ws' | 'sse';
  /** The tunnel went silent: nothing came back after the idle window. */
  silent?: boolean;
}

/** stun.binding (src/checks/stun-binding.ts). */
export interface StunBindingDetails {
  host: string;
  port: number;
  transport: string;
  proxy: null;
  address?: string;
  attempts?: number;
  answered?: number;
  mapped?: string | null;
  software?: string | null;
}

/** udp.range (src/checks/udp-range.ts): per port, "ok" or "lost". */
export interface UdpRangeDetails {
  host: string;
  address: string;
  ports: Record<string, string>;
  proxy: null;
}

/** What a TURN check records of its transport (src/checks/turn-allocate.ts openTurnTransport). */
export interface TurnTransportDetails {
  host: string;
  port: number;
  transport: string;
  proxy: ProxyEvidence | null;
  inspected: boolean;
  peer: string;
  address?: string;
  route?: unknown;
  /** TURN over TLS whose chain is not the server's. */
  intercepted?: boolean;
  root?: CertName;
  /** Merged from a failure's NetError details (free-form). */
  [key: string]: unknown;
}

/** turn.allocate (src/checks/turn-allocate.ts). */
export interface TurnAllocateDetails extends TurnTransportDetails {
  relayed?: string;
  mapped?: string;
  realm?: string;
  relayedBytes?: number;
  software?: string | null;
  channelData?: boolean;
}

/** webrtc.ice (src/checks/webrtc-ice.ts). */
export interface WebrtcIceDetails {
  host: string;
  transport: string;
  policy?: 'relay' | 'all';
  signallingProxy?: ProxyEvidence | null;
  turnUrl?: string;
  turnAddress?: string;
  proxy?: null;
  /** werift cannot tunnel TURN through a proxy: the one that was bypassed. */
  proxyBypassed?: ProxyEvidence | null;
  note?: string;
  stun?: string;
  localAddress?: unknown;
  selectedPair?: unknown;
  localType?: string | null;
  remoteType?: string | null;
  protocol?: string | null;
  relayProtocol?: string | null;
  /** Merged from a failure's NetError details (free-form). */
  [key: string]: unknown;
}

/**
 * pcc.agent (src/checks/pcc-agent.ts): the Personal Certificate Client on loopback. A per-port
 * result (HOST:PORT) carries port, address, dialPort, cert, status; the summary result carries
 * certName, ports, problems, dns and the chosen agent's certificate fields.
 */
export interface PccAgentDetails {
  host: string;
  port?: number;
  address?: string;
  proxy?: ProxyEvidence | null;
  /** The port actually dialled, where it differs from the agent's (tests remap it). */
  dialPort?: number;
  cert?: unknown;
  /** The WebSocket upgrade's status. */
  status?: number;
  /** Skipped (another port has the agent): this port's error code. */
  closedCode?: string | null;
  agentPort?: number;
  certName?: string;
  /** Summary: each port's "ok" or error code. */
  ports?: Record<string, string>;
  problems?: string[];
  dns?: unknown;
  source?: unknown;
  proxyError?: string;
  validTo?: string | null;
  validFrom?: string | null;
  subject?: unknown;
  issuer?: unknown;
  altNames?: unknown;
  nameMatch?: boolean;
  trusted?: boolean;
  verifyError?: unknown;
}

/** quality.udp-train (src/checks/quality-udp-train.ts). */
export interface UdpTrainDetails {
  host: string;
  port: number;
  address: string;
  proxy?: null;
  seconds?: number;
  rate?: 'bound' | 'unbound';
  videoBps?: number;
  availableBps?: number | null;
  audio?: { sent: number; received: number; rttMedianMs: number | null; jitterMs: number | null };
  video?: { sent: number; received: number; sentBytes: number; receivedBytes: number };
  probe?: { sent: number; received: number; pps: number; echoBoundRatePerSec: number | null };
  /** E-model MOS. */
  mos?: number;
}

/** quality.relay-train (src/checks/quality-relay-train.ts). */
export interface RelayTrainDetails extends TurnTransportDetails {
  relayed?: string;
  seconds?: number;
  rate?: 'bound' | 'unbound';
  availableBps?: number | null;
  audio?: { sent: number; received: number };
  video?: { sent: number; received: number; sentBytes: number; receivedBytes: number };
  mos?: number;
}

/** The details type of each check id. */
export interface CheckDetailsMap {
  'proxy.config': ProxyConfigDetails;
  'probe.reach': ProbeReachDetails;
  'dns.resolve': DnsResolveDetails;
  'dns.zone': DnsZoneDetails;
  'tcp.connect': TcpConnectDetails;
  'tcp.range': TcpRangeDetails;
  'tls.handshake': TlsHandshakeDetails;
  'http.path': HttpPathDetails;
  'ws.upgrade': WsUpgradeDetails;
  'sse.stream': SseStreamDetails;
  'conn.idle': ConnIdleDetails;
  'stun.binding': StunBindingDetails;
  'udp.range': UdpRangeDetails;
  'turn.allocate': TurnAllocateDetails;
  'webrtc.ice': WebrtcIceDetails;
  'vpn.route': VpnRouteDetails;
  'pcc.agent': PccAgentDetails;
  'quality.udp-train': UdpTrainDetails;
  'quality.throughput': ThroughputDetails;
  'quality.relay-train': RelayTrainDetails;
}

export type DetailsOf<K extends CheckId> = K extends keyof CheckDetailsMap ? CheckDetailsMap[K] : Record<string, unknown>;

/**
 * A result's details as its check declares them. Results come from JSON (--from-raw, fixtures) and
 * are not validated field by field: every field may be missing, hence Partial.
 */
export function detailsOf<K extends CheckId>(r: CheckResult, id: K): Partial<DetailsOf<K>> {
  return (r.id === id ? (r.details ?? {}) : {}) as Partial<DetailsOf<K>>;
}
