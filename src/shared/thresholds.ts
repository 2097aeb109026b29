// The thresholds the checks, the verdict and the browser page share (a leaf module).
// Quality, seed 000_637c892c7d775e13.txt "Bandwidth and performance": "3 Mbps up and down per
// participant", "Round-trip latency ... under 150 ms", "Packet loss above 3% degrades WebRTC quality".
// Jitter 30 ms: the contract's cause table (common WebRTC guidance; not in a seed).
// Event streams, seed 000: "Must not buffer streaming responses ... the client appears connected but
// receives no events"; the contract's sse-buffered: the first event later than 2 s after it was sent.

export const MIN_BPS = 3e6;
export const MAX_RTT_MS = 150;
export const MAX_LOSS_RATIO = 0.03;
export const MAX_JITTER_MS = 30;

/** First event later than this after it was sent = buffered (sse.stream, and the browser page's browser.sse). */
export const SSE_LATE_MS = 2000;
