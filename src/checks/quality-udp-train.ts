// quality.udp-train — RTT, RFC 3550 jitter, loss and reordering of a paced UDP packet train through
// the --probe server's tokened UDP echo, as media would see them: an audio-like stream of small
// packets (250 per second with the bound token; 50 unbound) plus a video-like stream of frame
// bursts at 1.5 Mbit/s (seed 000_637c892c7d775e13.txt: "300 kbps to 1.5 Mbps per video stream"),
// and with the bound token a paced stream of 64-byte probe packets that only adds loss samples
// (~4500 packets in all on a fast link). Target `udp:HOST:PORT` (the echo).
//
// Rate: the echo answers only a source that proved it receives there — a token bound to our own
// address (`boundToken`, issued over HTTPS to the address the request came from), or the plain
// token with the cookie of the echo's challenge (behind a proxy, or a NAT that maps HTTPS and UDP
// to different addresses) — at the rate it announces (`boundRatePerSec`, 3000/s; 600 assumed when
// it says nothing). A short preflight tells which works. An older echo that answers the plain
// token without a challenge does so at 100 packets/s: the train then drops to 80 packets/s.
//
// metrics: rttMs (median RTT of the audio stream), jitterMs (RFC 3550 over the audio stream),
// lossRatio (one-way loss estimated from the round trip, both directions assumed alike),
// roundTripLossRatio, packetsCount (sent), receivedCount, reorderedCount, duplicateCount,
// rttMinMs, rttP95Ms, videoJitterMs, videoSentBps, videoDeliveredBps; details.mos (E-model).
//
// The quality phase runs its parts one after the other (throughput down, up, then the train, whose
// video stream takes at most half the measured rate) so they do not measure each other.

import { NetError } from '../shared/errors.js';
import type { RunConfig } from '../shared/config.js';
import type { ProfileSet } from '../shared/profile-types.js';
import { EchoClient, decodeToken, encodeEchoRequest } from '../protocol/echo-token.js';
import { analyzeTrain, planTrain, type RecvRecord, type SentRecord, type TrainPacket, type TrainStats } from '../protocol/udp-train.js';
import { mosFrom } from '../shared/mos.js';
import { connectUdp, probeHostName, probeJson, resolveFirst, sleep, targetHost } from './media-net.js';
import { availableBpsFrom, qualitySchedule, trainDurationMs } from './quality-schedule.js';
import { planThroughput } from './quality-throughput.js';
import { taskKey, type CheckContext, type CheckDef, type CheckOutcome, type CheckTask } from './types.js';
import type { UdpTrainDetails } from '../shared/evidence.js';

const r1 = (n: number) => Math.round(n * 10) / 10;
const r4 = (n: number) => Math.round(n * 10_000) / 10_000;

/**
 * The bound train's audio-like stream: small packets, denser than one audio stream (50 pps); with
 * the video stream (~330 pps at 1.5 Mbit/s of 600-byte packets) ~580 packets/s, inside even an
 * older echo's bound-token limit (600/s). The probe stream below adds the rest of the samples.
 */
export const TRAIN_AUDIO_PPS = 250;
export const TRAIN_AUDIO_BYTES = 100;
export const TRAIN_VIDEO_BPS = 1_500_000;
/** Video packets of the bound (full-rate) train; 600 bytes keeps ~360 packets/s for the statistics. */
export const TRAIN_VIDEO_PACKET_BYTES = 600;
/**
 * The bound train's probe stream: evenly paced packets of the echo's smallest size, only to add
 * samples to the loss figure (the one-way loss is 1 − sqrt(1 − round-trip loss), so its binomial
 * 95 % interval at 10 % loss is ±1.96 × sqrt(0.19 × 0.81 / n) / 1.8: ±1.4 points for n = 1000,
 * ±0.65 for n = 4500). As many as the echo answers (its announced boundRatePerSec, with
 * PROBE_RATE_HEADROOM) beside audio and video, and no more than the link takes: the whole train
 * stays within TRAIN_TOTAL_SHARE of the measured rate (nothing added when the rate is unknown).
 */
export const TRAIN_PROBE_BYTES = 64;
export const PROBE_RATE_HEADROOM = 0.85;
export const TRAIN_TOTAL_SHARE = 0.6;
/** What an echo that does not announce its bound rate answers (the serve before it did). */
const DEFAULT_BOUND_RATE = 600;
/** IPv4 + UDP + Ethernet bytes around each echo packet, for the bitrate of the probe stream. */
const WIRE_OVERHEAD_BYTES = 42;

/** Probe packets per second: the echo's rate left after audio and video, within the link share. */
export function probeRate(o: { boundRatePerSec: number; audioPps: number; audioBytes: number; videoBps: number; videoPps: number; availableBps: number | null }): number {
  if (o.availableBps === null || !(o.availableBps > 0)) return 0;
  const byEcho = o.boundRatePerSec * PROBE_RATE_HEADROOM - o.audioPps - o.videoPps;
  const audioBps = o.audioPps * (o.audioBytes + WIRE_OVERHEAD_BYTES) * 8;
  const byLink = (o.availableBps * TRAIN_TOTAL_SHARE - o.videoBps - audioBps) / ((TRAIN_PROBE_BYTES + WIRE_OVERHEAD_BYTES) * 8);
  return Math.max(0, Math.floor(Math.min(byEcho, byLink)));
}

/** The unbound train (100 packets/s per source at the echo): audio + one video packet per frame. */
export const TRAIN_UNBOUND_VIDEO_BPS = 240_000;
const PREFLIGHT_ROUNDS = 3;
const PREFLIGHT_GAP_MS = 200;
const FIRST_TRAIN_SEQ = 1000;

/** Share of the available rate the train's video stream may take. */
export const TRAIN_LOAD_SHARE = 0.5;

// ---- plan ---------------------------------------------------------------------------------------

export function planUdpTrain(profiles: ProfileSet, config: RunConfig): CheckTask[] {
  if (!profiles.media || !config.probe || !(config.qualityMs > 0)) return [];
  const echo = config.probeInfo?.udpEcho;
  const host = echo?.host ?? probeHostName(config);
  if (!host) return [];
  const port = echo?.ports.length ? echo.ports[Math.floor(echo.ports.length / 2)] : null;
  const target = `udp:${targetHost(host)}:${port ?? 'echo'}`;
  // Low priority: the short checks go first; the train must not slow their handshakes. After
  // quality.throughput, whatever its status (the schedule: quality-schedule.ts).
  return [
    {
      key: taskKey('quality.udp-train', target),
      id: 'quality.udp-train',
      target,
      dependsOn: [],
      params: { host, port },
      priority: -10,
      after: planThroughput(profiles, config).map((t) => t.key),
      window: qualitySchedule(config.qualityMs, config.timeouts).udpTrain,
    },
  ];
}

// ---- run ----------------------------------------------------------------------------------------

interface Sock {
  send(b: Buffer): void;
  close(): void;
}

async function openUdp(address: string, port: number, onMessage: (b: Buffer, at: number) => void, now: () => number): Promise<Sock> {
  const sock = await connectUdp(address, port);
  sock.on('error', () => {
    /* ICMP unreachable: the packets just do not come back */
  });
  sock.on('message', (b) => onMessage(b, now()));
  return {
    send: (b) => {
      try {
        sock.send(b);
      } catch {
        /* closed */
      }
    },
    close: () => {
      try {
        sock.close();
      } catch {
        /* closed */
      }
    },
  };
}

/** Send a planned train on time (paced by the run's clock); returns what was sent, and when. */
export async function sendTrain(plan: TrainPacket[], send: (p: TrainPacket) => void, ctx: CheckContext): Promise<SentRecord[]> {
  const sent: SentRecord[] = [];
  const t0 = ctx.now();
  let i = 0;
  for (let guard = 0; i < plan.length && guard < plan.length + 100_000 && !ctx.signal.aborted; guard++) {
    const elapsed = ctx.now() - t0;
    while (i < plan.length && plan[i].atMs <= elapsed) {
      const p = plan[i++];
      const at = ctx.now();
      send(p);
      sent.push({ seq: p.seq, sentAt: at, size: p.size, stream: p.stream });
    }
    if (i < plan.length) await sleep(Math.max(0, plan[i].atMs - (ctx.now() - t0)), ctx.signal);
  }
  return sent;
}

/** After the train: wait for answers still on their way, bounded by twice the RTT seen (0.3-1.5 s). */
export async function awaitTail(rttSeenMs: number, missing: () => boolean, ctx: CheckContext): Promise<void> {
  const tail = Math.min(1_500, Math.max(300, 2 * rttSeenMs + 100));
  const until = ctx.now() + tail;
  for (let k = 0; k < 500 && ctx.now() < until && missing() && !ctx.signal.aborted; k++) await sleep(Math.min(10, until - ctx.now()), ctx.signal);
}

/** The metrics both trains report (docs/evidence.md). */
export function trainMetrics(st: TrainStats): { metrics: Record<string, number>; rttMs: number; jitterMs: number } {
  const rttMs = st.audio.rttMedianMs ?? st.rttMedianMs!;
  const jitterMs = st.audio.jitterMs ?? st.jitterMs ?? 0;
  const metrics: Record<string, number> = {
    rttMs: r1(rttMs),
    jitterMs: r1(jitterMs),
    lossRatio: r4(st.oneWayLossRatio),
    roundTripLossRatio: r4(st.lossRatio),
    packetsCount: st.sentCount,
    receivedCount: st.receivedCount,
    reorderedCount: st.reorderedCount,
    duplicateCount: st.duplicateCount,
    rttMinMs: r1(st.rttMinMs ?? rttMs),
    rttP95Ms: r1(st.rttP95Ms ?? rttMs),
  };
  if (st.video.jitterMs !== null) metrics.videoJitterMs = r1(st.video.jitterMs);
  if (st.video.sentCount >= 2) {
    const sentBps = st.video.deliveredBps !== null && st.video.receivedBytes > 0 ? (st.video.deliveredBps * st.video.sentBytes) / st.video.receivedBytes : null;
    if (sentBps !== null) metrics.videoSentBps = Math.round(sentBps);
    if (st.video.deliveredBps !== null) metrics.videoDeliveredBps = Math.round(st.video.deliveredBps);
  }
  return { metrics, rttMs, jitterMs };
}

export async function runUdpTrain(task: CheckTask, ctx: CheckContext): Promise<CheckOutcome<UdpTrainDetails>> {
  // The engine started it after quality.throughput (or at the schedule's deadline): its rate, then
  // the token (fresh).
  const availableBps = availableBpsFrom(ctx);
  const got = await probeJson(ctx.config, '/.netready/udp-token', ctx.timeouts.firstByteMs, ctx.signal, ctx.proxy);
  if (got.status === 404) return { status: 'skipped', reason: 'the probe has no UDP echo (serve without --udp-echo)' };
  const body = got.body ?? {};
  const token = typeof body.token === 'string' ? decodeToken(body.token) : null;
  const bound = typeof body.boundToken === 'string' ? decodeToken(body.boundToken) : null;
  const boundRate = typeof body.boundRatePerSec === 'number' && Number.isFinite(body.boundRatePerSec) ? Math.min(20_000, Math.max(0, body.boundRatePerSec)) : DEFAULT_BOUND_RATE;
  const ports = Array.isArray(body.ports) ? body.ports.filter((p): p is number => Number.isInteger(p) && p >= 1 && p <= 65535) : [];
  if (got.status !== 200 || !token || ports.length === 0)
    throw new NetError('PROBE_PROTOCOL', `the probe answered /.netready/udp-token with HTTP ${got.status} and no usable token/ports`, 'failed');
  const echoHost = typeof body.host === 'string' && body.host ? body.host.replace(/^\[|\]$/g, '') : String(task.params.host);
  const port = typeof task.params.port === 'number' && ports.includes(task.params.port) ? task.params.port : ports[Math.floor(ports.length / 2)];
  const ep = await resolveFirst(echoHost, port, ctx);

  const sentAt = new Map<number, number>();
  const recv: RecvRecord[] = [];
  const maxRecv = 50_000;
  // The plain token goes through the echo's return-routability check (a challenge, then echoes
  // with its cookie at the full rate); the bound one is answered at once when our UDP leaves from
  // the address our HTTPS came from. An older echo answers plain requests directly (unbound rate).
  const plainEcho = new EchoClient(token);
  const preflight = new Map<number, Kind>();
  let firstAnswer: { kind: Kind; rttMs: number } | null = null;
  let proven: 'bound' | 'cookie' | null = null;
  let seq = 1;
  let sock: Sock | null = null;
  const sendPreflight = (kind: Kind) => {
    const tok = kind === 'bound' ? bound : token;
    if (!tok || !sock) return;
    const s = seq++;
    preflight.set(s, kind);
    sentAt.set(s, ctx.now());
    sock.send(kind === 'bound' ? encodeEchoRequest(tok, s, Date.now(), 64) : plainEcho.request(s, Date.now(), 64));
  };
  const onMessage = (b: Buffer, at: number) => {
    const got = plainEcho.receive(b);
    if (!got) return;
    if (got.kind === 'challenge') {
      // Answer the challenge at once: the next request carries the cookie.
      if (preflight.get(got.seq) === 'plain' && !proven) sendPreflight('cookie');
      return;
    }
    const pkt = got.packet;
    const kind = preflight.get(pkt.seq);
    if (kind) {
      const rtt = at - (sentAt.get(pkt.seq) ?? at);
      if (kind === 'bound' || kind === 'cookie') proven ??= kind;
      firstAnswer ??= { kind, rttMs: rtt };
      return;
    }
    if (sentAt.has(pkt.seq) && recv.length < maxRecv) recv.push({ seq: pkt.seq, recvAt: at });
  };
  sock = await openUdp(ep.address, ep.port, onMessage, () => ctx.now());
  try {
    // ---- preflight: which token does the echo answer, and a first RTT --------------------------
    for (let round = 0; round < PREFLIGHT_ROUNDS && !proven && !ctx.signal.aborted; round++) {
      sendPreflight('bound');
      sendPreflight(plainEcho.cookie ? 'cookie' : 'plain');
      const until = ctx.now() + PREFLIGHT_GAP_MS;
      for (let i = 0; i < 50 && ctx.now() < until && !proven && !ctx.signal.aborted; i++) await sleep(Math.min(10, until - ctx.now()), ctx.signal);
      if (firstAnswer && !bound) break;
    }
    // One more short wait for a slow path (≤ 1 s RTT) before calling it blocked.
    for (let i = 0; i < 100 && !firstAnswer && !ctx.signal.aborted; i++) await sleep(10, ctx.signal);
    if (ctx.signal.aborted) throw new NetError('DEADLINE_EXCEEDED', 'the run deadline was reached', 'timeout');
    const fa = firstAnswer as { kind: Kind; rttMs: number } | null;
    if (!fa) {
      return {
        status: 'failed',
        error: { code: 'UDP_NO_ECHO', message: `no echo came back from UDP ${targetHost(echoHost)}:${ep.port}` },
        details: { host: echoHost, port: ep.port, address: ep.address },
      };
    }
    const fullRate = proven !== null;
    const request = (s: number, size: number) => (proven === 'bound' ? encodeEchoRequest(bound!, s, Date.now(), size) : plainEcho.request(s, Date.now(), size));

    // ---- the train -----------------------------------------------------------------------------
    const durationMs = trainDurationMs(ctx.config.qualityMs);
    const cap = availableBps !== null && availableBps > 0 ? availableBps * TRAIN_LOAD_SHARE : Infinity;
    const videoBps = Math.round(Math.min(fullRate ? TRAIN_VIDEO_BPS : TRAIN_UNBOUND_VIDEO_BPS, cap));
    const fps = 30;
    const videoPps = Math.ceil(videoBps / fps / 8 / TRAIN_VIDEO_PACKET_BYTES) * fps;
    const probePps = fullRate ? probeRate({ boundRatePerSec: boundRate, audioPps: TRAIN_AUDIO_PPS, audioBytes: TRAIN_AUDIO_BYTES, videoBps, videoPps, availableBps }) : 0;
    const plan: TrainPacket[] = planTrain({
      durationMs,
      fps,
      ...(fullRate ? { audioPps: TRAIN_AUDIO_PPS, audioBytes: TRAIN_AUDIO_BYTES, probePps, probeBytes: TRAIN_PROBE_BYTES } : {}),
      videoBps,
      maxPacketBytes: fullRate ? TRAIN_VIDEO_PACKET_BYTES : 1200,
      firstSeq: FIRST_TRAIN_SEQ,
    });
    const sent = await sendTrain(
      plan,
      (p) => {
        sentAt.set(p.seq, ctx.now());
        sock!.send(request(p.seq, p.size));
      },
      ctx,
    );
    // Tail: answers still on their way (bounded by the RTT seen so far).
    const rttSeen = Math.max(fa.rttMs, ...recv.slice(-50).map((r) => r.recvAt - (sentAt.get(r.seq) ?? r.recvAt)));
    await awaitTail(rttSeen, () => recv.length < sent.length, ctx);
    if (ctx.signal.aborted && sent.length < plan.length) throw new NetError('DEADLINE_EXCEEDED', 'the run deadline was reached', 'timeout');

    const st = analyzeTrain(sent, recv);
    const details: UdpTrainDetails = {
      host: echoHost,
      port: ep.port,
      address: ep.address,
      proxy: null,
      seconds: r1(durationMs / 1000),
      rate: fullRate ? 'bound' : 'unbound',
      videoBps,
      availableBps,
      audio: { sent: st.audio.sentCount, received: st.audio.receivedCount, rttMedianMs: nr(st.audio.rttMedianMs), jitterMs: nr(st.audio.jitterMs) },
      video: { sent: st.video.sentCount, received: st.video.receivedCount, sentBytes: st.video.sentBytes, receivedBytes: st.video.receivedBytes },
      probe: { sent: st.probe.sentCount, received: st.probe.receivedCount, pps: probePps, echoBoundRatePerSec: fullRate ? boundRate : null },
    };
    if (st.receivedCount === 0) {
      return { status: 'failed', error: { code: 'UDP_NO_ECHO', message: `none of ${st.sentCount} train packets came back` }, details };
    }
    const { metrics, rttMs, jitterMs } = trainMetrics(st);
    return { status: 'ok', metrics, details: { ...details, mos: Math.round(mosFrom(rttMs, jitterMs, st.oneWayLossRatio) * 100) / 100 } };
  } finally {
    sock.close();
  }
}

type Kind = 'bound' | 'plain' | 'cookie';

const nr = (v: number | null) => (v === null ? null : r1(v));

export const qualityUdpTrain: CheckDef<UdpTrainDetails> = {
  id: 'quality.udp-train',
  title: 'UDP packet train through the probe echo: RTT, jitter (RFC 3550), loss, reordering',
  plan: planUdpTrain,
  run: runUdpTrain,
};
