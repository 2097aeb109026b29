// quality.relay-train — what the media fallback path really delivers: the paced packet train of
// quality.udp-train (audio-like 50 packets/s + video-like frame bursts), sent through the probe's
// TURN server as ChannelData to the probe's UDP echo, over UDP 3478 and over TLS 443 (seed
// 000_637c892c7d775e13.txt: "UDP 3478 (STUN/TURN) ... fallback TURN over TCP/TLS 443"; the
// absolute-minimum tier is "TCP 443 only (WSS, HTTPS, TURN over TLS)"). Over TLS a lost packet
// becomes a TCP retransmission: the figure to read there is jitter and RTT, not loss.
//
// Targets: turn:udp:HOST:PORT and turn:tls:HOST:PORT, from the probe's TURN URLs; each depends on
// turn.allocate of the same target (no relay, nothing to measure). The TURN session is set up at
// once; the train itself starts when quality.udp-train has ended (one part of the quality phase at
// a time), both relay trains together, each with half of the train's load share of the measured
// rate, at most seed 000's lowest video rate (RELAY_VIDEO_BPS). The echo answers the relay's
// address at its full rate once it proved itself (the cookie of the echo's challenge, obtained in
// turn.allocate's session); an older echo without challenges, when the probe hands out a token bound
// to that relay address (GET /.netready/udp-token?relay=ADDR), else at the unbound rate, 100
// packets/s per source, shared by both relay trains (40 packets/s each).
//
// metrics: those of quality.udp-train (rttMs, jitterMs, lossRatio, roundTripLossRatio,
// packetsCount, receivedCount, reorderedCount, duplicateCount, rttMinMs, rttP95Ms, videoJitterMs,
// videoSentBps, videoDeliveredBps) plus allocateMs, connectMs, tlsMs; details.mos (E-model).

import net from 'node:net';
import { NetError } from '../shared/errors.js';
import type { RunConfig } from '../shared/config.js';
import type { ProfileSet } from '../shared/profile-types.js';
import { decodeToken, encodeEchoRequest, parseEchoPacket } from '../protocol/echo-token.js';
import { analyzeTrain, planTrain, TRAIN_DEFAULTS, type RecvRecord, type TrainPacket } from '../protocol/udp-train.js';
import { mosFrom } from '../shared/mos.js';
import type { TransportAddress } from '../protocol/stun.js';
import { formatHostPort, parseMediaTarget, probeHostName, probeJson, r1, resolveFirst, targetHost } from './media-net.js';
import { availableBpsFrom, qualitySchedule } from './quality-schedule.js';
import { planThroughput } from './quality-throughput.js';
import {
  awaitTail,
  planUdpTrain,
  sendTrain,
  trainMetrics,
  TRAIN_LOAD_SHARE,
  TRAIN_VIDEO_PACKET_BYTES,
} from './quality-udp-train.js';
import { openTurnTransport, turnPeerSetup, turnSession, turnTargetsFromUrls } from './turn-allocate.js';
import { taskKey, type CheckContext, type CheckDef, type CheckOutcome, type CheckTask } from './types.js';
import type { RelayTrainDetails } from '../shared/evidence.js';

export const RELAY_TRAIN_ID = 'quality.relay-train';
/** The relay paths measured (seed 000): TURN over UDP 3478 and the TLS 443 fallback. */
export const RELAY_TRAIN_KINDS = ['udp', 'tls'] as const;
/** Share of --quality-seconds each relay train's send span takes (both run at once). */
export const RELAY_TRAIN_SHARE = 0.15;
/**
 * The relay trains' video-like stream: seed 000's lowest video rate ("300 kbps to 1.5 Mbps per
 * video stream"). Over TURN/TLS the train rides a TCP connection idle since its setup, back at its
 * initial window (~14.6 kB per round trip): at 1.5 Mbit/s and 200 ms RTT the audio waited behind
 * queued video and read 303-321 ms for a 200 ms path (lab); at 300 kbit/s the window carries it.
 */
export const RELAY_VIDEO_BPS = 300_000;
/** Unbound rate (100 packets/s per source at the echo) split between the two relay trains. */
const UNBOUND = { audioPps: 25, fps: 15, maxPacketBytes: 1200, videoBps: 15 * 1200 * 8 } as const;
const FIRST_SEQ = 1000;

export function planRelayTrain(profiles: ProfileSet, config: RunConfig): CheckTask[] {
  if (!profiles.media || !config.probe || !(config.qualityMs > 0)) return [];
  if (!probeHostName(config)) return [];
  const targets = turnTargetsFromUrls(config.probeInfo?.turn?.urls ?? []);
  const out: CheckTask[] = [];
  // After the direct train (and the throughput it read), whatever their status: quality-schedule.ts.
  const after = [...planThroughput(profiles, config), ...planUdpTrain(profiles, config)].map((t) => t.key);
  const window = qualitySchedule(config.qualityMs, config.timeouts).relayTrain;
  for (const kind of RELAY_TRAIN_KINDS) {
    const t = targets.find((x) => x.kind === kind);
    if (!t) continue;
    const target = `turn:${kind}:${targetHost(t.host)}:${t.port}`;
    out.push({ key: taskKey(RELAY_TRAIN_ID, target), id: RELAY_TRAIN_ID, target, dependsOn: [taskKey('turn.allocate', target)], params: {}, priority: -10, after, window });
  }
  return out;
}

const fmtAddr = (a: TransportAddress) => formatHostPort(a.address, a.port);

export async function runRelayTrain(task: CheckTask, ctx: CheckContext): Promise<CheckOutcome<RelayTrainDetails>> {
  const t = parseMediaTarget(task.target);
  if (!t) return { status: 'skipped', reason: `not a ${RELAY_TRAIN_ID} target: ${task.target}` };
  const ms = ctx.timeouts.firstByteMs;
  const setup = await turnPeerSetup(t.kind, ctx, 'measured');
  if ('skip' in setup) return { status: 'skipped', reason: setup.skip };
  const { creds, echo: e, ports } = setup;
  const token = decodeToken(e.token)!;
  const peerEp = await resolveFirst(e.host, ports[Math.floor(ports.length / 2)], ctx);
  const peer: TransportAddress = { family: net.isIPv6(peerEp.address) ? 6 : 4, address: peerEp.address, port: peerEp.port };

  const details: RelayTrainDetails = { host: t.host, port: t.port, transport: t.kind, proxy: null, inspected: false, peer: fmtAddr(peer) };
  const metrics: Record<string, number> = {};
  const tr = await openTurnTransport(t, ctx, details, metrics);
  let outcome: CheckOutcome<RelayTrainDetails> | null = null;
  try {
    const session = await turnSession({
      transport: tr,
      creds,
      peer,
      token: e.token,
      ctx,
      timeoutMs: ms,
      onChannel: async (io) => {
        details.relayed = fmtAddr(io.relayed);
        // The relay's address proved itself to the echo with the cookie of the session (the echo's
        // full rate); an older echo without challenges: a token bound to the relay's address for
        // its higher rate, else its unbound rate.
        const cookie = io.echo?.cookie ?? null;
        const rel = cookie
          ? null
          : await probeJson(ctx.config, `/.netready/udp-token?relay=${encodeURIComponent(io.relayed.address)}`, ms, ctx.signal, ctx.proxy).catch(() => null);
        const relayToken = rel?.status === 200 && typeof rel.body?.relayToken === 'string' ? decodeToken(rel.body.relayToken) : null;
        const fullRate = cookie !== null || relayToken !== null;
        const request = (seq: number, size: number) => (relayToken ? encodeEchoRequest(relayToken, seq, Date.now(), size) : encodeEchoRequest(token, seq, Date.now(), size, cookie));

        // One part of the quality phase at a time: the engine started it after the direct train.
        const qMs = ctx.config.qualityMs;
        const availableBps = availableBpsFrom(ctx);

        const durationMs = Math.max(200, Math.round(qMs * RELAY_TRAIN_SHARE));
        const cap = availableBps !== null && availableBps > 0 ? (availableBps * TRAIN_LOAD_SHARE) / RELAY_TRAIN_KINDS.length : Infinity;
        const plan: TrainPacket[] = fullRate
          ? planTrain({ durationMs, audioPps: TRAIN_DEFAULTS.audioPps, audioBytes: TRAIN_DEFAULTS.audioBytes, videoBps: Math.round(Math.min(RELAY_VIDEO_BPS, cap)), maxPacketBytes: TRAIN_VIDEO_PACKET_BYTES, firstSeq: FIRST_SEQ })
          : planTrain({ durationMs, audioPps: UNBOUND.audioPps, audioBytes: TRAIN_DEFAULTS.audioBytes, videoBps: Math.round(Math.min(UNBOUND.videoBps, cap)), fps: UNBOUND.fps, maxPacketBytes: UNBOUND.maxPacketBytes, firstSeq: FIRST_SEQ });
        const sentAt = new Map<number, number>();
        const recv: RecvRecord[] = [];
        const off = io.listen((data) => {
          const at = ctx.now();
          const p = parseEchoPacket(data);
          if (p?.reply && sentAt.has(p.seq) && recv.length < 50_000) recv.push({ seq: p.seq, recvAt: at });
        });
        try {
          const sent = await sendTrain(
            plan,
            (p) => {
              sentAt.set(p.seq, ctx.now());
              io.send(request(p.seq, p.size));
            },
            ctx,
          );
          const rttSeen = Math.max(0, ...recv.slice(-50).map((r) => r.recvAt - (sentAt.get(r.seq) ?? r.recvAt)));
          await awaitTail(rttSeen, () => recv.length < sent.length, ctx);
          if (ctx.signal.aborted && sent.length < plan.length) throw new NetError('DEADLINE_EXCEEDED', 'the run deadline was reached', 'timeout');
          const st = analyzeTrain(sent, recv);
          Object.assign(details, {
            seconds: r1(durationMs / 1000),
            rate: fullRate ? 'bound' : 'unbound',
            availableBps,
            audio: { sent: st.audio.sentCount, received: st.audio.receivedCount },
            video: { sent: st.video.sentCount, received: st.video.receivedCount, sentBytes: st.video.sentBytes, receivedBytes: st.video.receivedBytes },
          });
          if (st.receivedCount === 0) {
            outcome = { status: 'failed', metrics, error: { code: 'TURN_NO_RELAY', message: `none of ${st.sentCount} train packets came back through the relay ${fmtAddr(io.relayed)}` }, details };
            return;
          }
          const m = trainMetrics(st);
          Object.assign(metrics, m.metrics);
          details.mos = Math.round(mosFrom(m.rttMs, m.jitterMs, st.oneWayLossRatio) * 100) / 100;
        } finally {
          off();
        }
      },
    });
    metrics.allocateMs = session.allocateMs;
    return outcome ?? { status: 'ok', metrics, details };
  } catch (err) {
    if (!(err instanceof NetError)) throw err;
    Object.assign(details, err.details);
    if (err.code === 'DEADLINE_EXCEEDED') throw err;
    return { status: err.kind, metrics, error: { code: err.code, message: err.message }, details };
  } finally {
    tr.close();
  }
}

export const qualityRelayTrain: CheckDef<RelayTrainDetails> = {
  id: RELAY_TRAIN_ID,
  title: 'The packet train through TURN over UDP and TLS 443: what the media fallback path delivers',
  plan: planRelayTrain,
  run: runRelayTrain,
};
