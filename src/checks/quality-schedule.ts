// The quality phase's timing: how long each part may take, computed from --quality-seconds and the
// phase timeouts (pure; the quality checks read it, none of them imports another).

import type { PhaseTimeouts } from '../shared/config.js';

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
