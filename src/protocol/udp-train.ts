// The paced UDP packet train of quality.udp-train, sans-I/O: the send schedule (an audio-like
// stream of 50 packets/s, a video-like stream of frame bursts at a given bitrate, and optionally
// an evenly paced stream of small "probe" packets that only adds samples to the loss figure) and the
// analysis of what came back (round-trip times, RFC 3550 interarrival jitter, loss, reordering,
// duplicates, delivered bitrate). Times are ms on one monotonic clock (the sender's): an echo
// returns each packet, so send and receive times are both taken locally.

export type TrainStream = 'audio' | 'video' | 'probe';

export interface TrainPacket {
  seq: number;
  /** When to send, ms from the start of the train. */
  atMs: number;
  /** Whole echo packet size in bytes (header included). */
  size: number;
  stream: TrainStream;
}

export interface TrainPlanOptions {
  durationMs: number;
  /** Audio: packets per second and bytes per packet (Opus 20 ms frames, ~50 pps). */
  audioPps?: number;
  audioBytes?: number;
  /** Video: bits per second of echo packets (0 = none), frames per second, largest packet. */
  videoBps?: number;
  fps?: number;
  maxPacketBytes?: number;
  /** Probe: evenly paced small packets per second (0 = none) and their size (loss samples). */
  probePps?: number;
  probeBytes?: number;
  /** Smallest packet the wire format allows (the echo header). */
  minPacketBytes?: number;
  /** First sequence number. */
  firstSeq?: number;
  /** Hard cap on the number of packets (a bound on every loop that sends them). */
  maxPackets?: number;
}

export const TRAIN_DEFAULTS = {
  audioPps: 50,
  audioBytes: 200,
  // seed 000_637c892c7d775e13.txt: "300 kbps to 1.5 Mbps per video stream"
  videoBps: 1_500_000,
  fps: 30,
  maxPacketBytes: 1200,
  minPacketBytes: 64,
  maxPackets: 20_000,
} as const;

/**
 * The schedule, sorted by time: one audio packet every 1000/audioPps ms, and per video frame
 * (every 1000/fps ms) videoBps/fps/8 bytes split into packets of at most maxPacketBytes, all due at
 * the frame's instant (a burst, as a video encoder emits a frame).
 */
export function planTrain(o: TrainPlanOptions): TrainPacket[] {
  const audioPps = o.audioPps ?? TRAIN_DEFAULTS.audioPps;
  const audioBytes = o.audioBytes ?? TRAIN_DEFAULTS.audioBytes;
  const videoBps = o.videoBps ?? TRAIN_DEFAULTS.videoBps;
  const fps = o.fps ?? TRAIN_DEFAULTS.fps;
  const maxPkt = o.maxPacketBytes ?? TRAIN_DEFAULTS.maxPacketBytes;
  const minPkt = o.minPacketBytes ?? TRAIN_DEFAULTS.minPacketBytes;
  const cap = o.maxPackets ?? TRAIN_DEFAULTS.maxPackets;
  const dur = Math.max(0, o.durationMs);
  const out: Omit<TrainPacket, 'seq'>[] = [];
  if (audioPps > 0) {
    const gap = 1000 / audioPps;
    for (let t = 0; t < dur && out.length < cap; t += gap) out.push({ atMs: t, size: Math.max(minPkt, Math.min(maxPkt, audioBytes)), stream: 'audio' });
  }
  if (videoBps > 0 && fps > 0) {
    const gap = 1000 / fps;
    const frameBytes = videoBps / fps / 8;
    // Spread rounding over frames so the bitrate is exact over the train.
    let carry = 0;
    for (let t = gap / 2; t < dur && out.length < cap; t += gap) {
      let left = frameBytes + carry;
      const n = Math.max(1, Math.ceil(left / maxPkt));
      const per = Math.floor(left / n);
      for (let i = 0; i < n && out.length < cap; i++) {
        const size = Math.max(minPkt, Math.min(maxPkt, per));
        out.push({ atMs: t, size, stream: 'video' });
        left -= size;
      }
      carry = left;
    }
  }
  const probePps = o.probePps ?? 0;
  if (probePps > 0) {
    // Offset by half a gap so probes fall between audio packets rather than on them.
    const gap = 1000 / probePps;
    const size = Math.max(minPkt, Math.min(maxPkt, o.probeBytes ?? minPkt));
    for (let t = gap / 2; t < dur && out.length < cap; t += gap) out.push({ atMs: t, size, stream: 'probe' });
  }
  const rank = { audio: 0, video: 1, probe: 2 } as const;
  out.sort((a, b) => a.atMs - b.atMs || rank[a.stream] - rank[b.stream]);
  const first = o.firstSeq ?? 1;
  return out.slice(0, cap).map((p, i) => ({ ...p, seq: first + i }));
}

export interface SentRecord {
  seq: number;
  /** Actual send time (ms). */
  sentAt: number;
  size: number;
  stream: TrainStream;
}

export interface RecvRecord {
  seq: number;
  recvAt: number;
}

export interface StreamStats {
  sentCount: number;
  receivedCount: number;
  /** Round-trip loss (0..1). */
  lossRatio: number;
  rttMinMs: number | null;
  rttMedianMs: number | null;
  rttP95Ms: number | null;
  /** RFC 3550 §6.4.1 / A.8 interarrival jitter over the round trip, ms. */
  jitterMs: number | null;
  /** Packets that arrived after a packet sent later (RFC 4737 "reordered"). */
  reorderedCount: number;
  duplicateCount: number;
  sentBytes: number;
  receivedBytes: number;
  /** Bits per second that made the round trip: received bytes over the send span. */
  deliveredBps: number | null;
}

export interface TrainStats extends StreamStats {
  /** One-way loss estimated from the round trip assuming both directions lose alike:
   * 1 − sqrt(1 − round-trip loss). */
  oneWayLossRatio: number;
  audio: StreamStats;
  video: StreamStats;
  probe: StreamStats;
}

function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i];
}

function median(sorted: number[]): number | null {
  if (!sorted.length) return null;
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

/**
 * RFC 3550 interarrival jitter over packets in arrival order: D(i−1,i) = (Ri − Ri−1) − (Si − Si−1),
 * J += (|D| − J) / 16. Send times are the actual ones, so the sender's timer jitter cancels.
 *
 * `frameMs` measures at a media stream's own packet spacing: only packets sent at least that far
 * apart (by send time) are compared, in the order they arrived. On a path that keeps order, D can never be below −spacing, so
 * a dense probe (4 ms apart) could never show more than 8 ms of jitter however much the delay
 * varies; real-time audio sends a packet every 20 ms (the usual WebRTC ptime), and that is the
 * jitter a receiver's buffer has to absorb.
 */
export function rfc3550Jitter(arrivals: { sentAt: number; recvAt: number }[], frameMs = 0): number | null {
  // The frames: packets at least frameMs apart by send time, picked in send order — so a packet
  // that overtook or was overtaken (a reordering path) still counts, as a jitter buffer sees it.
  let pick: Set<{ sentAt: number; recvAt: number }> | null = null;
  if (frameMs > 0) {
    pick = new Set();
    let last = -Infinity;
    for (const a of [...arrivals].sort((x, y) => x.sentAt - y.sentAt)) {
      if (a.sentAt - last < frameMs - 0.5) continue;
      pick.add(a);
      last = a.sentAt;
    }
  }
  let j = 0;
  let prev: { sentAt: number; recvAt: number } | null = null;
  let n = 0;
  for (const a of arrivals) {
    if (pick && !pick.has(a)) continue;
    if (prev) {
      const d = a.recvAt - prev.recvAt - (a.sentAt - prev.sentAt);
      j += (Math.abs(d) - j) / 16;
      n++;
    }
    prev = a;
  }
  return n ? j : null;
}

/** The packet spacing of real-time audio the jitter figure is measured at (20 ms ptime). */
export const AUDIO_FRAME_MS = 20;

function streamStats(sent: SentRecord[], recvInOrder: RecvRecord[], jitterFrameMs = 0): StreamStats {
  const bySeq = new Map(sent.map((s) => [s.seq, s]));
  const seen = new Set<number>();
  const arrivals: { sentAt: number; recvAt: number; size: number }[] = [];
  let duplicateCount = 0;
  let reorderedCount = 0;
  // A packet is reordered when one sent after it (by send time, then seq) arrived first.
  let maxAt = -Infinity;
  let maxSeq = -Infinity;
  for (const r of recvInOrder) {
    const s = bySeq.get(r.seq);
    if (!s) continue;
    if (seen.has(r.seq)) {
      duplicateCount++;
      continue;
    }
    seen.add(r.seq);
    if (maxAt > s.sentAt || (maxAt === s.sentAt && maxSeq > s.seq)) reorderedCount++;
    else {
      maxAt = s.sentAt;
      maxSeq = s.seq;
    }
    arrivals.push({ sentAt: s.sentAt, recvAt: r.recvAt, size: s.size });
  }
  const rtts = arrivals.map((a) => a.recvAt - a.sentAt).sort((a, b) => a - b);
  const sentBytes = sent.reduce((n, s) => n + s.size, 0);
  const receivedBytes = arrivals.reduce((n, a) => n + a.size, 0);
  let deliveredBps: number | null = null;
  if (sent.length >= 2) {
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const s of sent) {
      t0 = Math.min(t0, s.sentAt);
      t1 = Math.max(t1, s.sentAt);
    }
    // The send span plus one average packet gap (n packets cover n gaps).
    const span = ((t1 - t0) * sent.length) / (sent.length - 1);
    if (span > 0) deliveredBps = (receivedBytes * 8 * 1000) / span;
  }
  return {
    sentCount: sent.length,
    receivedCount: seen.size,
    lossRatio: sent.length ? (sent.length - seen.size) / sent.length : 0,
    rttMinMs: rtts.length ? rtts[0] : null,
    rttMedianMs: median(rtts),
    rttP95Ms: quantile(rtts, 0.95),
    jitterMs: rfc3550Jitter(arrivals, jitterFrameMs),
    reorderedCount,
    duplicateCount,
    sentBytes,
    receivedBytes,
    deliveredBps,
  };
}

/** Analyse a train: `recv` in arrival order (duplicates allowed, unknown seqs ignored). */
export function analyzeTrain(sent: SentRecord[], recv: RecvRecord[]): TrainStats {
  const all = streamStats(sent, recv);
  const pick = (k: TrainStream, jitterFrameMs = 0) => {
    const ss = sent.filter((s) => s.stream === k);
    const seqs = new Set(ss.map((s) => s.seq));
    return streamStats(ss, recv.filter((r) => seqs.has(r.seq)), jitterFrameMs);
  };
  const oneWayLossRatio = 1 - Math.sqrt(Math.max(0, 1 - all.lossRatio));
  return { ...all, oneWayLossRatio, audio: pick('audio', AUDIO_FRAME_MS), video: pick('video'), probe: pick('probe') };
}
