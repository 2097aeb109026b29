// stun.binding — a STUN Binding request (RFC 8489) over UDP or TCP: does the port carry STUN,
// and what is this network's server-reflexive (public) address?
// Targets `udp:HOST:PORT` / `tcp:HOST:PORT`; port 3478 from seed 000_637c892c7d775e13.txt
// ("UDP 3478 (STUN/TURN)") and seed 002_366555b85f8bab97.txt ("TCP/3478—TURN and symmetric NAT traversal").
//
// UDP: three independent transactions sent 50 ms apart, each retransmitted (RTO 250 ms doubling),
// all bounded by one timeout; `ok` needs a majority (2 of 3) — one lost datagram never flips the
// answer, and a blocked port costs one timeout, not three.

import { NetError } from '../shared/errors.js';
import type { RunConfig } from '../shared/config.js';
import type { ProfileSet } from '../shared/profile-types.js';
import { dial } from '../net/dial.js';
import { Attr, Method, attr, encodeMessage, getMappedAddress, getXorAddress, getString, newTransactionId, type StunMessage, type TransportAddress } from '../protocol/stun.js';
import { StunTransport, majority, parseMediaTarget, probeHostName, r1, resolveFirst, sleep, targetHost } from './media-net.js';
import { taskKey, type CheckContext, type CheckDef, type CheckOutcome, type CheckTask } from './types.js';
import type { StunBindingDetails } from '../shared/evidence.js';

export const STUN_PORT = 3478; // seed 000: UDP 3478 (STUN/TURN)
export const STUN_ATTEMPTS = 3;
/** Time one UDP binding (all attempts) may take. */
export const STUN_UDP_TIMEOUT_MS = 2000;

export function planStun(profiles: ProfileSet, config: RunConfig): CheckTask[] {
  if (!profiles.media) return [];
  const tasks: CheckTask[] = [];
  const add = (target: string, params: Record<string, unknown>, host?: CheckTask['host']) =>
    tasks.push({ key: taskKey('stun.binding', target), id: 'stun.binding', target, dependsOn: [], host, params });
  const probe = probeHostName(config);
  const stun = config.probeInfo?.stun;
  if (stun) {
    // what the probe says it runs (GET /.netready/media, fetched before planning)
    add(`udp:${targetHost(stun.host)}:${stun.port}`, { viaProbe: true });
    add(`tcp:${targetHost(stun.host)}:${stun.port}`, { viaProbe: true });
  } else if (probe) {
    // no media description from the probe: its host name and the standard port
    add(`udp:${targetHost(probe)}:${STUN_PORT}`, { viaProbe: true });
    add(`tcp:${targetHost(probe)}:${STUN_PORT}`, { viaProbe: true });
  }
  // Without credentials, the vendor's own media hosts are only asked for a STUN binding
  // (seed 002 lists UDP 1025-65535 and TCP 3478 for the mantis/turn hosts).
  const seen = new Set<string>();
  for (const host of profiles.hosts) {
    if (host.role !== 'media') continue;
    if (host.udp?.length && !seen.has(`udp:${host.host}`)) {
      seen.add(`udp:${host.host}`);
      add(`udp:${host.host}:${STUN_PORT}`, { vendor: true }, host);
    }
    if (host.tcp.includes(STUN_PORT) && !seen.has(`tcp:${host.host}`)) {
      seen.add(`tcp:${host.host}`);
      add(`tcp:${host.host}:${STUN_PORT}`, { vendor: true }, host);
    }
  }
  return tasks;
}

// SOFTWARE makes the request 60 bytes: a server that keeps its answer within the request's size
// (the netready probe does: no amplification) can still send its full answer.
const SOFTWARE = 'netready stun.binding check';

function bindingRequest(): { tid: Buffer; bytes: Buffer } {
  const tid = newTransactionId();
  return { tid, bytes: encodeMessage({ method: Method.Binding, cls: 'request', transactionId: tid, attributes: [attr.software(SOFTWARE)] }, { fingerprint: true }) };
}

function mapped(m: StunMessage): TransportAddress | undefined {
  return getXorAddress(m, Attr.XorMappedAddress) ?? getMappedAddress(m);
}

export async function runStun(task: CheckTask, ctx: CheckContext): Promise<CheckOutcome<StunBindingDetails>> {
  const t = parseMediaTarget(task.target);
  if (!t || t.kind === 'tls') return { status: 'skipped', reason: `not a stun.binding target: ${task.target}` };
  const details: StunBindingDetails = { host: t.host, port: t.port, transport: t.kind, proxy: null };
  if (t.kind === 'udp') {
    const ep = await resolveFirst(t.host, t.port, ctx);
    details.address = ep.address;
    const tr = await StunTransport.udp(ep.address, ep.port, ctx.signal);
    try {
      const results = await Promise.all(
        Array.from({ length: STUN_ATTEMPTS }, async (_, i) => {
          await sleep(i * 50, ctx.signal);
          const { tid, bytes } = bindingRequest();
          const t0 = ctx.now();
          try {
            const res = await tr.request(bytes, tid, {
              timeoutMs: STUN_UDP_TIMEOUT_MS - i * 50,
              rtoMs: 250,
              maxSends: 3,
              signal: ctx.signal,
              timeoutError: () => new NetError('STUN_NO_RESPONSE', 'no answer', 'failed'),
            });
            return { ok: res.cls === 'success', rttMs: ctx.now() - t0, res, err: null as NetError | null };
          } catch (e) {
            if (e instanceof NetError && (e.code === 'STUN_NO_RESPONSE' || e.code === 'UDP_UNREACHABLE')) return { ok: false, rttMs: 0, res: null, err: e };
            throw e;
          }
        }),
      );
      const good = results.filter((r) => r.ok && r.res);
      details.attempts = STUN_ATTEMPTS;
      details.answered = good.length;
      if (good.length >= majority(STUN_ATTEMPTS)) {
        const res = good[0].res!;
        const m = mapped(res);
        details.mapped = m ? `${m.family === 6 ? `[${m.address}]` : m.address}:${m.port}` : null;
        details.software = getString(res, Attr.Software) ?? null;
        const rtts = good.map((g) => g.rttMs).sort((a, b) => a - b);
        return { status: 'ok', metrics: { rttMs: r1(rtts[Math.floor(rtts.length / 2)]), answeredCount: good.length }, details };
      }
      const unreachable = results.find((r) => r.err?.code === 'UDP_UNREACHABLE');
      const code = unreachable ? 'UDP_UNREACHABLE' : 'STUN_NO_RESPONSE';
      return {
        status: 'failed',
        metrics: { answeredCount: good.length },
        error: {
          code,
          message:
            code === 'UDP_UNREACHABLE'
              ? `UDP ${t.host}:${t.port} answered "port unreachable"`
              : `no STUN answer over UDP from ${t.host}:${t.port} (${good.length} of ${STUN_ATTEMPTS} transactions answered within ${STUN_UDP_TIMEOUT_MS} ms)`,
        },
        details,
      };
    } finally {
      tr.close();
    }
  }
  // TCP: STUN is self-delimiting over the stream. Direct (browsers do not send STUN through proxies).
  const d = await dial({ host: t.host, port: t.port }, ctx);
  details.address = d.address;
  const tr = StunTransport.stream(d.socket, 'tcp', ctx.signal);
  try {
    const { tid, bytes } = bindingRequest();
    const t0 = ctx.now();
    const ms = ctx.timeouts.firstByteMs;
    const res = await tr.request(bytes, tid, {
      timeoutMs: ms,
      signal: ctx.signal,
      timeoutError: () => new NetError('STUN_NO_RESPONSE', `no STUN answer over TCP from ${t.host}:${t.port} within ${ms} ms`, 'timeout'),
    });
    const rttMs = r1(ctx.now() - t0);
    if (res.cls !== 'success') return { status: 'failed', error: { code: 'STUN_ERROR', message: 'the server answered the binding with an error' }, details };
    const m = mapped(res);
    details.mapped = m ? `${m.family === 6 ? `[${m.address}]` : m.address}:${m.port}` : null;
    details.software = getString(res, Attr.Software) ?? null;
    return { status: 'ok', metrics: { rttMs, answeredCount: 1, connectMs: d.timings.connectMs }, details };
  } catch (e) {
    if (e instanceof NetError && ['CONN_CLOSED', 'CONN_RESET', 'CONN_ERROR', 'TURN_PROTOCOL'].includes(e.code))
      return { status: 'failed', error: { code: 'STUN_NO_RESPONSE', message: `TCP ${t.host}:${t.port} accepted but gave no STUN answer (${e.message})` }, details };
    throw e;
  } finally {
    tr.close();
  }
}

export const stunBinding: CheckDef<StunBindingDetails> = {
  id: 'stun.binding',
  title: 'STUN binding over UDP/TCP 3478: the port carries STUN, and the public address',
  plan: planStun,
  run: runStun,
};
