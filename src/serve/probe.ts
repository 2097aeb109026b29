// The probe as one piece: a validated configuration (ProbeConfig, from `netready serve` flags or
// `--config probe.yaml`) resolved into what runs — the HTTPS/WSS/SSE far end, STUN, the UDP echo,
// TURN (none, an external coturn, or a managed coturn child), the WebRTC peer, the bandwidth
// endpoint and the browser page — and the firewall rules it needs. `startProbe` is also the entry
// for `netready demo` (give it `turn: { mode: 'managed' }` when coturn is installed).

import net from 'node:net';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { startServe, formatHostPort, type ListenAddr, type ServeHandle, type ServeModule } from './server.js';
import { mediaServeModule } from './turn-creds.js';
import { openStore } from './store/index.js';
import { DAY_MS } from './store/store.js';
import { resultsModule, type ResultsModule } from './results/module.js';
import { signerModule } from './results/signer.js';
import { Webhooks, type WebhookOptions } from './results/webhooks.js';
import { webrtcServeModule } from './webrtc-peer.js';
import { bandwidthServeModule } from './bandwidth.js';
import { browserPageModule } from './browser-page.js';
import {
  MANAGED_TURN_DEFAULTS,
  coturnInstalled,
  generateTurnSecret,
  managedTurnPorts,
  managedTurnUrls,
  startCoturn,
  type CoturnStatus,
  type CoturnSupervisor,
  type ManagedTurnConfig,
} from './coturn.js';
import type { CertPair } from '../net/certs.js';

export type TurnSetup =
  | { mode: 'off' }
  | { mode: 'external'; urls: string[]; secret: string; relayIps?: string[] }
  | {
      mode: 'managed';
      /** coturn's address (default: the UDP echo's, else the first HTTPS listen address). */
      address?: string;
      /** The host name in the TURN URLs (on the certificate); default: see resolveManagedTurn. */
      name?: string;
      port?: number;
      tlsPort?: number;
      externalIp?: string;
      relayPorts?: { min: number; max: number };
      /** Fixed in the configuration; else a new one every start. */
      secret?: string;
      /** More addresses the relay may reach, beside the serve's own. */
      allowedPeers?: string[];
      userQuota?: number;
      totalQuota?: number;
      sessionBps?: number;
      totalBps?: number;
    };

export interface ProbeConfig {
  /** The probe's public names (its identity; its certificate should cover them). */
  names?: string[];
  listen: ListenAddr[];
  http?: ListenAddr[];
  /** Served for every name; without it a throw-away CA (lab, demo). */
  cert?: CertPair;
  stun?: ListenAddr;
  udpEcho?: { host: string; ports: number[] };
  turn?: TurnSetup;
  webrtcHosts?: string[];
  maxConnections?: number;
  maxPerAddress?: number;
  /** The admin views' token; generated when not given (printed at start). */
  adminToken?: string;
  /** The results store and what goes with it (issue 15); none = no uploads, share links or /results. */
  results?: ResultsConfig;
}

export interface ResultsConfig {
  /** `sqlite:PATH` or `postgres://…` (src/serve/store). */
  store: string;
  /** The uploads' token; generated when not given (printed at start). */
  uploadToken?: string;
  /** Share-link lifetime in days (default 30). */
  shareDays?: number;
  webhooks?: string[];
  /** The organisation the signer's invite page names. */
  org?: { name?: string; logoUrl?: string };
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);
const isWildcard = (h: string) => WILDCARD.has(h);

/** This machine's own non-loopback addresses (a wildcard listener answers on them). */
function interfaceAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((i): i is os.NetworkInterfaceInfo => !!i && !i.internal)
    .map((i) => i.address.replace(/%.*$/, ''));
}

function overlaps(a: { min: number; max: number }, ports: number[]): number[] {
  return ports.filter((p) => p >= a.min && p <= a.max);
}

/** A managed coturn's full configuration for a probe, or an Error naming the problem. */
export function resolveManagedTurn(cfg: ProbeConfig): ManagedTurnConfig {
  const t = cfg.turn;
  if (!t || t.mode !== 'managed') throw new Error('turn is not managed');
  const d = MANAGED_TURN_DEFAULTS;
  if (!cfg.cert && cfg.listen.length === 0) throw new Error('turn: managed needs a certificate for TURN over TLS (--cert/--key, or an HTTPS --listen for the throw-away CA)');
  const listenIps = cfg.listen.map((l) => l.host).filter((h) => net.isIP(h) && !isWildcard(h));
  const address = t.address ?? (cfg.udpEcho && !isWildcard(cfg.udpEcho.host) ? cfg.udpEcho.host : listenIps[0]);
  if (!address) throw new Error('turn: managed needs an address for coturn (turn.address, --turn-address): the listen addresses are all wildcards');
  if (!net.isIP(address) || isWildcard(address)) throw new Error(`turn.address: expected one IP address of this machine, got "${address}"`);
  const port = t.port ?? d.port;
  const sharesHttps = (p: number) => cfg.listen.some((l) => l.port === p && (l.host === address || isWildcard(l.host)));
  const tlsPort = t.tlsPort ?? (sharesHttps(d.tlsPort) ? d.tlsPortBeside : d.tlsPort);
  if (port === tlsPort) throw new Error(`turn: port and tlsPort are both ${port}`);
  for (const p of [port, tlsPort])
    if (sharesHttps(p)) throw new Error(`turn: ${formatHostPort(address, p)} is also an HTTPS listen address of the serve (give coturn a second address, turn.address, or another turn.tlsPort)`);
  if (cfg.stun && cfg.stun.port === port && (cfg.stun.host === address || isWildcard(cfg.stun.host)))
    throw new Error(`stun ${formatHostPort(cfg.stun.host, cfg.stun.port)} and the managed coturn share a port (coturn answers STUN there itself: drop stun)`);
  const relayPorts = t.relayPorts ?? d.relayPorts;
  if (relayPorts.min > relayPorts.max || relayPorts.min < 1024 || relayPorts.max > 65535) throw new Error(`turn.relayPorts: expected MIN-MAX within 1024-65535, got ${relayPorts.min}-${relayPorts.max}`);
  if (cfg.udpEcho && (cfg.udpEcho.host === address || isWildcard(cfg.udpEcho.host))) {
    const clash = overlaps(relayPorts, cfg.udpEcho.ports);
    if (clash.length) throw new Error(`turn.relayPorts ${relayPorts.min}-${relayPorts.max} holds UDP echo ports (${clash.slice(0, 5).join(', ')}) on the same address`);
  }
  // The relay reaches the serve's own addresses only: its UDP echo, its WebRTC peer's addresses.
  const own = new Set<string>([address]);
  if (t.externalIp) own.add(t.externalIp);
  if (cfg.udpEcho) (isWildcard(cfg.udpEcho.host) ? interfaceAddresses() : [cfg.udpEcho.host]).forEach((a) => own.add(a));
  for (const l of cfg.listen) (isWildcard(l.host) ? interfaceAddresses() : net.isIP(l.host) ? [l.host] : []).forEach((a) => own.add(a));
  for (const a of [...(cfg.webrtcHosts ?? []), ...(t.allowedPeers ?? [])]) own.add(a);
  const names = cfg.names ?? [];
  const shared = listenIps.includes(address) || cfg.listen.some((l) => isWildcard(l.host));
  return {
    address,
    port,
    tlsPort,
    ...(t.externalIp ? { externalIp: t.externalIp } : {}),
    relayPorts,
    secret: t.secret ?? generateTurnSecret(),
    allowedPeers: [...own],
    realm: names[0] ?? 'netready',
    urlHost: t.name ?? (shared && names[0] ? names[0] : (t.externalIp ?? address)),
    userQuota: t.userQuota ?? d.userQuota,
    totalQuota: t.totalQuota ?? d.totalQuota,
    sessionBps: t.sessionBps ?? d.sessionBps,
    totalBps: t.totalBps ?? d.totalBps,
  };
}

export interface FirewallRule {
  proto: 'tcp' | 'udp';
  address: string;
  port: number;
  what: string;
}

/** What the probe runs, resolved (no sockets yet): TURN, STUN, and the inbound firewall rules. */
export interface ProbePlan {
  config: ProbeConfig;
  managed: ManagedTurnConfig | null;
  turn: { secret: string; urls: string[]; relayIps?: string[] } | null;
  /** STUN as announced: the serve's own responder, else a managed coturn's. */
  stunAnnounced: ListenAddr | null;
  firewall: FirewallRule[];
  adminToken: string;
  adminTokenGenerated: boolean;
  /** With a store: the upload token, and whether it was generated here. */
  uploadToken: string | null;
  uploadTokenGenerated: boolean;
}

export function planProbe(cfg: ProbeConfig): ProbePlan {
  const managed = cfg.turn?.mode === 'managed' ? resolveManagedTurn(cfg) : null;
  const turn =
    cfg.turn?.mode === 'external'
      ? { secret: cfg.turn.secret, urls: cfg.turn.urls, ...(cfg.turn.relayIps?.length ? { relayIps: cfg.turn.relayIps } : {}) }
      : managed
        ? { secret: managed.secret, urls: managedTurnUrls(managed), relayIps: [managed.externalIp ?? managed.address] }
        : null;
  const firewall: FirewallRule[] = [
    ...cfg.listen.map((l) => ({ proto: 'tcp' as const, address: l.host, port: l.port, what: 'HTTPS, WSS, SSE (netready serve)' })),
    ...(cfg.http ?? []).map((l) => ({ proto: 'tcp' as const, address: l.host, port: l.port, what: 'plain HTTP (netready serve)' })),
    ...(cfg.stun ? (['udp', 'tcp'] as const).map((proto) => ({ proto, address: cfg.stun!.host, port: cfg.stun!.port, what: 'STUN (netready serve)' })) : []),
    ...(cfg.udpEcho?.ports ?? []).map((port) => ({ proto: 'udp' as const, address: cfg.udpEcho!.host, port, what: 'UDP echo (netready serve)' })),
    ...(managed ? managedTurnPorts(managed) : []),
  ];
  return {
    config: cfg,
    managed,
    turn,
    stunAnnounced: cfg.stun ?? (managed ? { host: managed.urlHost, port: managed.port } : null),
    firewall,
    adminToken: cfg.adminToken ?? randomBytes(18).toString('base64url'),
    adminTokenGenerated: !cfg.adminToken,
    uploadToken: cfg.results ? (cfg.results.uploadToken ?? randomBytes(18).toString('base64url')) : null,
    uploadTokenGenerated: !!cfg.results && !cfg.results.uploadToken,
  };
}

/** The ServeModule that runs a managed coturn beside the serve. */
export function managedTurnModule(c: ManagedTurnConfig, o: { healthEveryMs?: number } = {}): ServeModule & { supervisor(): CoturnSupervisor | null } {
  let sup: CoturnSupervisor | null = null;
  return {
    name: 'turn',
    supervisor: () => sup,
    async start(ctx) {
      if (!coturnInstalled()) throw new Error('--turn managed: coturn is not installed (Debian package coturn: turnserver not found)');
      sup = startCoturn(c, { cert: ctx.certificate, log: ctx.log, ...(o.healthEveryMs ? { healthEveryMs: o.healthEveryMs } : {}) });
      try {
        await sup.ready();
      } catch (e) {
        await sup.stop();
        throw e;
      }
      const s = sup;
      return {
        lines: [
          `turn      managed coturn (pid ${s.status().pid}): udp+tcp ${formatHostPort(c.address, c.port)}, tls ${formatHostPort(c.address, c.tlsPort)}; relay ports ${c.relayPorts.min}-${c.relayPorts.max}; peers: ${c.allowedPeers.join(', ')}`,
        ],
        close: () => s.stop(),
      };
    },
    status: () => (sup ? (sup.status() as unknown as Record<string, unknown>) : { state: 'not started' }),
  };
}

export interface ProbeHandle extends ServeHandle {
  plan: ProbePlan;
  /** The managed coturn's state, when there is one. */
  coturn(): CoturnStatus | null;
}

export interface StartProbeOptions {
  /** The plan already made (its generated secrets are used); default planProbe(cfg). */
  plan?: ProbePlan;
  log?: (line: string) => void;
  writeCaFile?: boolean;
  /** Test seam: the managed coturn's health-check interval. */
  coturnHealthEveryMs?: number;
  /** Test seam: the webhooks' retry timing. */
  webhookOptions?: WebhookOptions;
}

export async function startProbe(cfg: ProbeConfig, o: StartProbeOptions = {}): Promise<ProbeHandle> {
  const plan = o.plan ?? planProbe(cfg);
  const log = o.log ?? (() => {});
  // The results store opens (and migrates) before any listener: a bad --store stops the start.
  const store = cfg.results
    ? await openStore(cfg.results.store, {
        secrets: [plan.adminToken, plan.uploadToken!, ...(plan.turn ? [plan.turn.secret] : [])],
        ...(cfg.results.shareDays ? { shareTtlMs: cfg.results.shareDays * DAY_MS } : {}),
      })
    : null;
  const webhooks = cfg.results?.webhooks?.length ? new Webhooks(cfg.results.webhooks, { log, ...o.webhookOptions }) : null;
  const results = store ? resultsModule({ store, uploadToken: plan.uploadToken!, adminToken: plan.adminToken, webhooks, log }) : null;
  const signer = store && results ? signerModule({ store, results, org: cfg.results?.org ?? {} }) : null;
  try {
    return await startProbeWith(cfg, plan, o, results, signer, async () => {
      webhooks?.close();
      await store?.close();
    });
  } catch (e) {
    webhooks?.close();
    await store?.close();
    throw e;
  }
}

async function startProbeWith(cfg: ProbeConfig, plan: ProbePlan, o: StartProbeOptions, results: ResultsModule | null, signer: ServeModule | null, closeStore: () => Promise<void>): Promise<ProbeHandle> {
  const turnModule = plan.managed ? managedTurnModule(plan.managed, { healthEveryMs: o.coturnHealthEveryMs }) : null;
  const media =
    cfg.stun || cfg.udpEcho || plan.turn || plan.stunAnnounced
      ? mediaServeModule({
          ...(cfg.stun ? { stun: cfg.stun } : {}),
          ...(!cfg.stun && plan.stunAnnounced ? { announceStun: plan.stunAnnounced } : {}),
          ...(cfg.udpEcho ? { echo: cfg.udpEcho } : {}),
          ...(plan.turn ? { turn: plan.turn } : {}),
        })
      : null;
  const modules: ServeModule[] = [
    // coturn first: the media API hands out its credentials only once it answers.
    ...(turnModule ? [turnModule] : []),
    ...(media ? [media] : []),
    // The WebRTC peer (webrtc.ice) is always there; with TURN it offers the same servers.
    // Its host candidates: the address a client reached, plus webrtcHosts.
    webrtcServeModule({
      ...(plan.turn ? { turn: { secret: plan.turn.secret, urls: plan.turn.urls } } : {}),
      ...(cfg.webrtcHosts?.length ? { hostAddresses: cfg.webrtcHosts } : {}),
    }),
    bandwidthServeModule(), // quality.throughput: /.netready/down and /.netready/up
    // the browser page: GET / (text/html), /.netready/page, /.netready/browser-results
    browserPageModule({
      adminToken: plan.adminToken,
      ...(results ? { store: async (doc, req) => { const r = await results.putBrowser(doc, req); return { id: r.result.id, url: r.url }; } } : {}),
    }),
    // uploads, share links, /results, invites (issue 15)
    ...(results ? [results] : []),
    ...(signer ? [signer] : []),
  ];
  const handle = await startServe({
    listen: cfg.listen,
    httpListen: cfg.http ?? [],
    ...(cfg.cert ? { certPem: cfg.cert.certPem, keyPem: cfg.cert.keyPem } : {}),
    ...(cfg.names?.length ? { names: cfg.names } : {}),
    ...(cfg.maxConnections ? { maxConnections: cfg.maxConnections } : {}),
    ...(cfg.maxPerAddress ? { maxPerAddress: cfg.maxPerAddress } : {}),
    adminToken: plan.adminToken,
    writeCaFile: o.writeCaFile ?? false,
    modules,
    ...(o.log ? { log: o.log } : {}),
  });
  return {
    ...handle,
    plan,
    coturn: () => turnModule?.supervisor()?.status() ?? null,
    close: async () => {
      await handle.close();
      await closeStore();
    },
  };
}
