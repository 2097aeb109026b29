// udp.range — does UDP 1025-65535 pass (seed 000_637c892c7d775e13.txt: "UDP 1025–65535 (SRTP,
// preferred)"; seed 001_853fb095b65f741b.txt: "we recommend opening UDP ports 1025 - 65535")?
// Fetches a short-lived token from the --probe server (/.netready/udp-token) and sends tokened
// echo packets to every sampled port of its UDP echo; a port passes when any of a few packets
// comes back — an echo, or the echo's return-routability challenge (a source it has not seen yet
// gets a cookie first: either answer crossed the path both ways). Target: the echo HOST.
// details.ports {port: "ok" | "lost"}, metrics.passRatio.

import dgram from 'node:dgram';
import net from 'node:net';
import { NetError } from '../shared/errors.js';
import type { RunConfig } from '../shared/config.js';
import type { ProfileSet } from '../shared/profile-types.js';
import { EchoClient, decodeToken } from '../protocol/echo-token.js';
import { probeHostName, probeJson, r1, resolveFirst, sleep } from './media-net.js';
import { taskKey, type CheckContext, type CheckDef, type CheckOutcome, type CheckTask } from './types.js';
import type { UdpRangeDetails } from '../shared/evidence.js';

/** Packets per port (sent 150 ms apart); a port passes when one answer arrives. */
export const RANGE_TRIES = 3;
export const RANGE_SPACING_MS = 150;
/** How long after the last packet answers are still awaited. */
export const RANGE_TAIL_MS = 700;
export const RANGE_MAX_PORTS = 256;

export function planUdpRange(profiles: ProfileSet, config: RunConfig): CheckTask[] {
  if (!profiles.media) return [];
  if (!config.probe) {
    return [
      {
        key: taskKey('udp.range', 'probe'),
        id: 'udp.range',
        target: 'probe',
        dependsOn: [],
        params: { skip: 'no --probe: sampling UDP 1025-65535 needs a netready serve UDP echo (vendor media servers do not echo)' },
      },
    ];
  }
  // The echo host the probe announces (GET /.netready/media), else the probe's own host name.
  const host = config.probeInfo?.udpEcho?.host ?? probeHostName(config);
  if (!host) return [];
  return [{ key: taskKey('udp.range', host), id: 'udp.range', target: host, dependsOn: [], params: {} }];
}

export async function runUdpRange(task: CheckTask, ctx: CheckContext): Promise<CheckOutcome<UdpRangeDetails>> {
  if (typeof task.params.skip === 'string') return { status: 'skipped', reason: task.params.skip };
  const got = await probeJson(ctx.config, '/.netready/udp-token', ctx.timeouts.firstByteMs, ctx.signal, ctx.proxy);
  if (got.status === 404) return { status: 'skipped', reason: 'the probe has no UDP echo (serve without --udp-echo)' };
  const body = got.body ?? {};
  const token = typeof body.token === 'string' ? body.token : '';
  const ports = Array.isArray(body.ports) ? body.ports.filter((p): p is number => Number.isInteger(p) && p >= 1 && p <= 65535) : [];
  const echoHost = typeof body.host === 'string' && body.host ? body.host.replace(/^\[|\]$/g, '') : task.target;
  if (got.status !== 200 || !decodeToken(token) || ports.length === 0)
    throw new NetError('PROBE_PROTOCOL', `the probe answered /.netready/udp-token with HTTP ${got.status} and no usable token/ports`, 'failed');
  const sample = ports.slice(0, RANGE_MAX_PORTS);
  const ep = await resolveFirst(echoHost, sample[0], ctx);
  const sock = dgram.createSocket(net.isIPv6(ep.address) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  const answered = new Map<number, number>(); // port -> first rtt
  const sentAt = new Map<number, number>(); // seq -> send time
  const seqPort = new Map<number, number>();
  sock.on('error', () => {
    /* ICMP unreachable on an unconnected socket: ignore, the port just stays lost */
  });
  const echo = new EchoClient(token);
  sock.on('message', (msg, rinfo) => {
    const got = echo.receive(msg);
    if (!got) return;
    const seq = got.kind === 'reply' ? got.packet.seq : got.seq;
    const port = seqPort.get(seq);
    if (port === undefined || port !== rinfo.port) return;
    if (!answered.has(port)) answered.set(port, ctx.now() - (sentAt.get(seq) ?? ctx.now()));
  });
  try {
    let seq = 1;
    for (let round = 0; round < RANGE_TRIES && !ctx.signal.aborted; round++) {
      const t0 = ctx.now();
      for (const port of sample) {
        if (answered.has(port)) continue;
        const s = seq++;
        seqPort.set(s, port);
        sentAt.set(s, ctx.now());
        sock.send(echo.request(s, Date.now(), 64), port, ep.address);
      }
      if (answered.size === sample.length) break;
      await sleep(Math.max(0, RANGE_SPACING_MS - (ctx.now() - t0)), ctx.signal);
    }
    // Wait for the tail, ending early once every port has answered.
    const end = ctx.now() + RANGE_TAIL_MS;
    for (let i = 0; i < 100 && ctx.now() < end && answered.size < sample.length && !ctx.signal.aborted; i++) await sleep(Math.min(25, end - ctx.now()), ctx.signal);
  } finally {
    sock.close();
  }
  if (ctx.signal.aborted) throw new NetError('DEADLINE_EXCEEDED', 'the run deadline was reached', 'timeout');
  const portsOut: Record<string, 'ok' | 'lost'> = {};
  for (const p of sample) portsOut[String(p)] = answered.has(p) ? 'ok' : 'lost';
  const okCount = answered.size;
  const passRatio = Math.round((okCount / sample.length) * 1000) / 1000;
  const rtts = [...answered.values()].sort((a, b) => a - b);
  const metrics: Record<string, number> = { passRatio, portsCount: sample.length, okCount };
  if (rtts.length) metrics.rttMs = r1(rtts[Math.floor(rtts.length / 2)]);
  const details = { host: echoHost, address: ep.address, ports: portsOut, proxy: null };
  if (okCount === sample.length) return { status: 'ok', metrics, details };
  const lost = sample.filter((p) => !answered.has(p));
  return {
    status: 'failed',
    metrics,
    error: {
      code: okCount === 0 ? 'UDP_RANGE_BLOCKED' : 'UDP_RANGE_PARTIAL',
      message: `${lost.length} of ${sample.length} sampled UDP ports did not echo (e.g. ${lost.slice(0, 5).join(', ')})`,
    },
    details,
  };
}

export const udpRange: CheckDef<UdpRangeDetails> = {
  id: 'udp.range',
  title: 'UDP 1025-65535: tokened echoes on sampled ports of the probe',
  plan: planUdpRange,
  run: runUdpRange,
};
