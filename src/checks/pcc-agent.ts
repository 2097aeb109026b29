// pcc.agent: the OneSpan Personal Certificate Client, a local WebSocket-over-TLS agent.
// seed 003_606ee1d65ee49d3b.txt: "WebSocket is automatically connected to one of the following
// hard-coded ports: 26666, 31222, 32444, 44555, 47777, 48888"; the certificate "is issued to
// localhost.esignlive.com" and expires (renewed with each release); with an external proxy,
// "bypass the proxy server for the address localhost.esignlive.com".
//
// Plan: one task per port (target `localhost.esignlive.com:PORT`) and one summary (target `pcc`).
// Each port is probed once per run (memoised on the run's signal), so the summary can run in any
// order relative to the per-port tasks: it awaits the same probes.
//
// The probe goes to 127.0.0.1 (what localhost.esignlive.com resolves to, seed 003), or to the
// --resolve / --connect-to override. It is always direct: the browser reaching the agent through a
// proxy is exactly the failure PCC_PROXY_NOT_BYPASSED reports. The summary also asks DNS, as the
// browser does (seed 003: the name resolves "into 127.0.0.1 (using the DNS)"): resolvers with
// DNS-rebinding protection drop answers that point at loopback (PCC_DNS_NO_LOOPBACK).

import net from 'node:net';
import tls from 'node:tls';
import type { CheckContext, CheckDef, CheckOutcome, CheckTask } from './types.js';
import { taskKey } from './types.js';
import type { PccAgentDetails } from '../shared/evidence.js';
import { NetError } from '../shared/errors.js';
import { connectTcp, parseOverride, phase, resolveHost, summarizePeer, trustContext, type PeerSummary } from '../net/dial.js';
import { mapEndpoint } from '../net/endpoint.js';
import { proxySummary } from '../net/proxy.js';
import { wsClose, wsOpen } from '../net/ws-client.js';
import type { ErrorCode } from '../shared/error-codes.js';

export const PCC_ID = 'pcc.agent';
export const PCC_SUMMARY_TARGET = 'pcc';
/** seed 003: the agent's host name and certificate name. */
export const PCC_DEFAULT_HOST = 'localhost.esignlive.com';

const r1 = (n: number) => Math.round(n * 10) / 10;

interface PortProbe {
  port: number;
  address: string;
  dialPort: number;
  /** ok: a TLS WebSocket agent answered (101). */
  ok: boolean;
  error: { code: ErrorCode; message: string; kind: 'failed' | 'timeout' } | null;
  metrics: Record<string, number>;
  cert: CertFacts | null;
  upgradeStatus?: number;
}

interface CertFacts {
  subject: PeerSummary['subject'];
  issuer: PeerSummary['issuer'];
  altNames: string[];
  validFrom: string | null;
  validTo: string | null;
  expired: boolean;
  notYetValid: boolean;
  nameMatch: boolean;
  trusted: boolean;
  verifyError: string | null;
}

/** Where HOST:PORT goes: --connect-to / --resolve, else 127.0.0.1 (never DNS). */
function endpointFor(host: string, port: number, ctx: CheckContext): { address: string; port: number } {
  const ep = mapEndpoint({ connectTo: ctx.config.connectTo ?? [], resolve: ctx.config.resolve }, host, port);
  if (ep.overridden) {
    const o = parseOverride(ep.host);
    if (o) return { address: o.address, port: o.port ?? ep.port };
    if (ep.host === 'localhost') return { address: '127.0.0.1', port: ep.port };
  }
  return { address: '127.0.0.1', port: ep.port };
}

function certFacts(sock: tls.TLSSocket, certName: string): CertFacts {
  const verifyError = sock.authorized ? null : String(sock.authorizationError ?? 'UNKNOWN');
  const peer = summarizePeer(sock, verifyError);
  const leaf = sock.getPeerCertificate();
  const now = Date.now();
  const from = leaf?.valid_from ? Date.parse(leaf.valid_from) : NaN;
  const to = leaf?.valid_to ? Date.parse(leaf.valid_to) : NaN;
  const nameMatch = !!leaf && Object.keys(leaf).length > 0 && tls.checkServerIdentity(certName, leaf) === undefined;
  return {
    subject: peer.subject,
    issuer: peer.issuer,
    altNames: peer.altNames,
    validFrom: Number.isFinite(from) ? new Date(from).toISOString() : null,
    validTo: peer.validTo,
    expired: Number.isFinite(to) && to < now,
    notYetValid: Number.isFinite(from) && from > now,
    nameMatch,
    trusted: peer.trusted,
    verifyError,
  };
}

async function probePort(host: string, certName: string, port: number, ctx: CheckContext): Promise<PortProbe> {
  const ep = endpointFor(host, port, ctx);
  const out: PortProbe = { port, address: ep.address, dialPort: ep.port, ok: false, error: null, metrics: {}, cert: null };
  let raw: net.Socket | undefined;
  let sock: tls.TLSSocket | undefined;
  try {
    const t0 = ctx.now();
    raw = await connectTcp(ep.address, ep.port, ctx.timeouts.connectMs, ctx.signal);
    out.metrics.connectMs = r1(ctx.now() - t0);
    const t1 = ctx.now();
    // Our own handshake (not startTls): an expired or wrong-name certificate is a finding to
    // record, and the WebSocket attempt still tells whether the agent runs.
    const ms = ctx.timeouts.tlsMs;
    const rawSock = raw;
    sock = await phase<tls.TLSSocket>(
      ms,
      ctx.signal,
      () => new NetError('TLS_TIMEOUT', `no TLS handshake on ${host}:${port} within ${ms} ms`, 'timeout', { phase: 'tls' }),
      (resolve, reject) => {
        const s = tls.connect({ socket: rawSock, servername: host, secureContext: trustContext(ctx.config), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
        sock = s;
        s.once('error', (e: NodeJS.ErrnoException) => {
          s.destroy();
          reject(new NetError('TLS_HANDSHAKE_FAILED', `TLS handshake on ${host}:${port} failed: ${e.code ?? e.message}`, 'failed', { phase: 'tls' }));
        });
        s.once('close', () => reject(new NetError('TLS_HANDSHAKE_FAILED', `the connection closed during the TLS handshake on ${host}:${port}`, 'failed', { phase: 'tls' })));
        s.once('secureConnect', () => {
          s.removeAllListeners('error');
          s.removeAllListeners('close');
          s.on('error', () => {});
          resolve(s);
        });
      },
      () => {
        sock?.destroy();
        rawSock.destroy();
      },
    );
    out.metrics.tlsMs = r1(ctx.now() - t1);
    out.cert = certFacts(sock, certName);
    const opened = await wsOpen(sock, `${host}:${port}`, '/', { signal: ctx.signal, now: ctx.now, firstByteMs: ctx.timeouts.firstByteMs });
    out.metrics.upgradeMs = opened.upgradeMs;
    out.upgradeStatus = opened.head.status;
    if (opened.upgraded) out.ok = true;
    else
      out.error = {
        code: 'WS_NO_UPGRADE',
        message: `${host}:${port} speaks TLS but answered the WebSocket upgrade with ${opened.head.status}${opened.head.status === 101 ? ' and a wrong accept key' : ''}: not the agent`,
        kind: 'failed',
      };
  } catch (e) {
    if (e instanceof NetError) out.error = { code: e.code, message: e.message, kind: e.kind };
    else throw e;
  } finally {
    if (sock) wsClose(sock);
    sock?.destroy();
    raw?.destroy();
  }
  return out;
}

// One probe per (run, port): the run's signal identifies the run.
const memo = new WeakMap<AbortSignal, Map<string, Promise<PortProbe>>>();
function probeOnce(host: string, certName: string, port: number, ctx: CheckContext): Promise<PortProbe> {
  let m = memo.get(ctx.signal);
  if (!m) memo.set(ctx.signal, (m = new Map()));
  const key = `${host} ${certName} ${port}`;
  let p = m.get(key);
  if (!p) m.set(key, (p = probePort(host, certName, port, ctx)));
  return p;
}

function portOutcome(p: PortProbe, host: string): CheckOutcome<PccAgentDetails> {
  const details: PccAgentDetails = { host, port: p.port, address: p.address, proxy: null };
  if (p.dialPort !== p.port) details.dialPort = p.dialPort;
  if (p.cert) Object.assign(details, { cert: p.cert, validTo: p.cert.validTo, subject: p.cert.subject });
  if (p.upgradeStatus !== undefined) details.status = p.upgradeStatus;
  if (p.ok) return { status: 'ok', metrics: p.metrics, details };
  return { status: p.error!.kind, metrics: p.metrics, error: { code: p.error!.code, message: p.error!.message }, details };
}

interface PccDns {
  via: 'system' | 'override' | 'literal';
  addresses: string[];
  loopback: boolean;
  error?: string;
}

/** What the DNS (or a --resolve override) answers for the agent's name. */
async function resolvePcc(host: string, ctx: CheckContext): Promise<PccDns> {
  try {
    const r = await resolveHost(host, ctx);
    return { via: r.via, addresses: r.addresses, loopback: r.addresses.some((a) => a === '127.0.0.1' || a === '::1') };
  } catch (e) {
    if (!(e instanceof NetError) || e.code === 'DEADLINE_EXCEEDED') throw e;
    return { via: 'system', addresses: [], loopback: false, error: e.code };
  }
}

export const pccAgent: CheckDef<PccAgentDetails> = {
  id: PCC_ID,
  title: 'The Personal Certificate Client answers locally with a valid certificate and no proxy in the way',
  plan(profiles): CheckTask[] {
    const pcc = profiles.pcc;
    if (!pcc) return [];
    const host = (pcc.host || PCC_DEFAULT_HOST).toLowerCase();
    const certName = (pcc.certName || host).toLowerCase();
    const tasks: CheckTask[] = pcc.ports.map((port) => ({
      key: taskKey(PCC_ID, `${host}:${port}`),
      id: PCC_ID,
      target: `${host}:${port}`,
      dependsOn: [],
      params: { host, certName, port, ports: [...pcc.ports], source: pcc.source },
    }));
    tasks.push({
      key: taskKey(PCC_ID, PCC_SUMMARY_TARGET),
      id: PCC_ID,
      target: PCC_SUMMARY_TARGET,
      dependsOn: [],
      params: { host, certName, ports: [...pcc.ports], summary: true, source: pcc.source },
    });
    return tasks;
  },
  async run(task, ctx) {
    const host = String(task.params.host ?? PCC_DEFAULT_HOST);
    const certName = String(task.params.certName ?? host);
    if (!task.params.summary) {
      const mine = await probeOnce(host, certName, Number(task.params.port), ctx);
      if (mine.ok) return portOutcome(mine, host);
      // seed 003: the agent takes one of the six ports; the other five being closed is no fault.
      const all = (task.params.ports as number[] | undefined) ?? [];
      const others = await Promise.all(all.filter((p) => p !== mine.port).map((port) => probeOnce(host, certName, port, ctx)));
      const agent = others.find((p) => p.ok);
      if (agent) {
        const out = portOutcome(mine, host);
        return {
          status: 'skipped',
          reason: `not listening (${out.error?.code ?? 'no agent'}); the agent answers on port ${agent.port} (it takes one of the ${all.length} ports of the Personal Certificate Client)`,
          metrics: out.metrics,
          details: { ...out.details!, closedCode: out.error?.code ?? null, agentPort: agent.port },
        };
      }
      return portOutcome(mine, host);
    }

    const ports = (task.params.ports as number[]) ?? [];
    const probes = await Promise.all(ports.map((port) => probeOnce(host, certName, port, ctx)));
    const portStatus: Record<string, string> = {};
    for (const p of probes) portStatus[String(p.port)] = p.ok ? 'ok' : p.error!.code;

    // seed 003: with an external proxy, requests to the agent must bypass it.
    let proxy: ReturnType<typeof proxySummary> = null;
    let proxyError: string | undefined;
    for (const port of ports) {
      try {
        const choice = await ctx.proxy.forUrl(`https://${host}:${port}/`, ctx.signal);
        if (choice.kind === 'http') {
          proxy = proxySummary(choice);
          break;
        }
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        proxyError = (e as Error).message;
      }
    }

    // The browser resolves the name with the DNS (seed 003): it must give 127.0.0.1.
    const dns = await resolvePcc(host, ctx);

    const agents = probes.filter((p) => p.ok);
    const good = agents.find((p) => p.cert && !p.cert.expired && !p.cert.notYetValid && p.cert.nameMatch);
    const chosen = good ?? agents.find((p) => p.cert && (p.cert.expired || p.cert.notYetValid)) ?? agents[0];
    const problems: ErrorCode[] = [];
    if (!chosen) problems.push('PCC_NOT_RUNNING');
    else if (!good) {
      if (chosen.cert!.expired || chosen.cert!.notYetValid) problems.push('PCC_CERT_EXPIRED');
      if (!chosen.cert!.nameMatch) problems.push('PCC_CERT_NAME');
    }
    if (proxy) problems.push('PCC_PROXY_NOT_BYPASSED');
    if (!dns.loopback) problems.push('PCC_DNS_NO_LOOPBACK');

    const details: PccAgentDetails = { host, certName, ports: portStatus, proxy, problems, dns, source: task.params.source };
    if (proxyError) details.proxyError = proxyError;
    const metrics: Record<string, number> = { agentsCount: agents.length };
    if (chosen) {
      const c = chosen.cert!;
      Object.assign(details, {
        port: chosen.port,
        address: chosen.address,
        validTo: c.validTo,
        validFrom: c.validFrom,
        subject: c.subject,
        issuer: c.issuer,
        altNames: c.altNames,
        nameMatch: c.nameMatch,
        trusted: c.trusted,
        verifyError: c.verifyError,
      });
      if (c.validTo) metrics.certRemainingMs = Date.parse(c.validTo) - Date.now();
      Object.assign(metrics, chosen.metrics);
    }
    const first = problems[0];
    if (!first) return { status: 'ok', metrics, details };
    const message =
      first === 'PCC_NOT_RUNNING'
        ? `no Personal Certificate Client answers on ${host} ports ${ports.join(', ')}`
        : first === 'PCC_CERT_EXPIRED'
          ? `the agent on port ${chosen!.port} presents a certificate ${chosen!.cert!.notYetValid ? `not valid before ${chosen!.cert!.validFrom}` : `that expired on ${chosen!.cert!.validTo}`}`
          : first === 'PCC_CERT_NAME'
            ? `the agent on port ${chosen!.port} presents a certificate for ${chosen!.cert!.altNames.join(', ') || chosen!.cert!.subject.CN || 'another name'}, not ${certName}`
            : first === 'PCC_PROXY_NOT_BYPASSED'
              ? `the proxy ${proxy!.display} applies to ${host}: the browser would send the agent's requests to the proxy`
              : `${host} does not resolve to 127.0.0.1 through the DNS (${dns.error ?? `answered ${dns.addresses.join(', ') || 'nothing'}`})`;
    return { status: 'failed', metrics, error: { code: first, message }, details };
  },
};
