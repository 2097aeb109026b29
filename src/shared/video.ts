// Which video resolution a rate carries (a leaf module: the throughput check and the verdict share it).

/**
 * Video resolutions by the bitrate they need (Vonage Video API guidance, as the issue quotes it:
 * 1080p 4 Mbps, 720p 2.5 Mbps, 540p 1.2 Mbps, 360p 500 kbps, 270p 300 kbps, 180p 150 kbps), with the
 * video getting 75 % of the available bitrate.
 */
export const VIDEO_LADDER: readonly { name: string; heightPx: number; bps: number }[] = [
  { name: '1080p', heightPx: 1080, bps: 4_000_000 },
  { name: '720p', heightPx: 720, bps: 2_500_000 },
  { name: '540p', heightPx: 540, bps: 1_200_000 },
  { name: '360p', heightPx: 360, bps: 500_000 },
  { name: '270p', heightPx: 270, bps: 300_000 },
  { name: '180p', heightPx: 180, bps: 150_000 },
];
export const VIDEO_SHARE = 0.75;

/** The highest resolution whose bitrate fits in 75 % of availableBps; null when not even 180p. */
export function videoResolutionFor(availableBps: number): { name: string; heightPx: number; bps: number } | null {
  if (!Number.isFinite(availableBps) || availableBps <= 0) return null;
  const usable = availableBps * VIDEO_SHARE;
  return VIDEO_LADDER.find((r) => r.bps <= usable) ?? null;
}
