// The quality phase as one schedule computed at plan time: one part at a time — the WebRTC sessions,
// then quality.throughput, then the direct UDP train (at no more than half the measured rate, so on
// a slow link it measures the link, not the queue it would build itself), then the relay trains.
// The engine enforces it (CheckTask.after and named deadlines, CheckTask.window): no check polls or
// waits for another, and the results a part waited for reach it through CheckContext.waited.

import type { PhaseTimeouts } from '../shared/config.js';
import type { CheckContext, TaskWindow } from './types.js';

/** Share of --quality-seconds for each direction. */
export const DIRECTION_SHARE = 0.25;
export const PINGS = 5;
export const START_DELAY_MS = 1000;
/**
 * Longest wait, beyond START_DELAY_MS, for the run's WebRTC sessions (webrtc.ice: ICE, DTLS and
 * data-channel echoes over each transport) to end before measuring: on a slow link they share it
 * with the measurement and read low (and their handshakes slow down).
 */
export const MEDIA_WAIT_MS = 3000;

/** The longest quality.throughput can take (what the train waits for at most). */
export function throughputBudgetMs(qualityMs: number, t: PhaseTimeouts): number {
  const dir = Math.max(300, Math.round(qualityMs * DIRECTION_SHARE));
  const setup = t.connectMs + t.tlsMs + t.firstByteMs + PINGS * Math.min(1000, t.firstByteMs);
  return START_DELAY_MS + MEDIA_WAIT_MS + 2 * (dir + 2_100 + setup) + 500;
}

/** Share of --quality-seconds the direct train's send span takes (the rest: preflight, tail, throughput). */
export const TRAIN_SHARE = 0.35;

/** The send span of quality.udp-train for a quality phase of qualityMs. */
export function trainDurationMs(qualityMs: number): number {
  return Math.max(200, Math.round(qualityMs * TRAIN_SHARE));
}

export interface QualitySchedule {
  throughput: TaskWindow;
  udpTrain: TaskWindow;
  relayTrain: TaskWindow;
}

/**
 * The quality phase's named deadlines (ms from each task's turn in the pool), from --quality-seconds
 * and the phase timeouts: each part starts when the part before it ended, or at its deadline at the latest.
 */
export function qualitySchedule(qualityMs: number, t: PhaseTimeouts): QualitySchedule {
  const throughputEnd = throughputBudgetMs(qualityMs, t);
  return {
    // Let the run's short checks (handshakes, certificates) pass first, then wait for the WebRTC
    // sessions (on a slow link they share it with the measurement and read low).
    throughput: { name: 'quality.throughput: after the WebRTC sessions', notBeforeMs: Math.min(START_DELAY_MS, qualityMs * 0.2), latestMs: START_DELAY_MS + MEDIA_WAIT_MS },
    // After quality.throughput (bounded by its worst case).
    udpTrain: { name: 'quality.udp-train: after quality.throughput', latestMs: throughputEnd },
    // After the direct train (bounded by its worst case).
    relayTrain: { name: 'quality.relay-train: after quality.udp-train', latestMs: throughputEnd + trainDurationMs(qualityMs) + 3_000 },
  };
}

/** The slower direction's rate of the quality.throughput this task waited for; null when none measured. */
export function availableBpsFrom(ctx: Pick<CheckContext, 'waited'>): number | null {
  const r = Object.values(ctx.waited ?? {}).find((x) => x.id === 'quality.throughput');
  const m = r?.metrics;
  return m && typeof m.downBps === 'number' && typeof m.upBps === 'number' ? Math.min(m.downBps, m.upBps) : null;
}
