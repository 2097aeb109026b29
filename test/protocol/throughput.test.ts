import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThroughputEstimator, videoResolutionFor } from '../../src/protocol/throughput.js';

test('a steady rate after a slow start: stable, slow start discarded', () => {
  const est = new ThroughputEstimator();
  let bytes = 0;
  for (let t = 0; t <= 2000; t += 10) {
    const bps = t < 300 ? 2e6 : 8e6; // slow start at a quarter of the rate
    est.add(t, bytes);
    bytes += (bps / 8) * 0.01;
  }
  const e = est.estimate();
  assert.equal(e.stable, true);
  assert.ok(Math.abs(e.bps! - 8e6) / 8e6 < 0.01, `${e.bps}`);
});

test('stops early: stable as soon as the last windows agree', () => {
  const est = new ThroughputEstimator({ windowMs: 200, stableWindows: 4, skipWindows: 1 });
  let stableAt: number | null = null;
  for (let t = 0; t <= 3000 && stableAt === null; t += 20) {
    est.add(t, (5e6 / 8) * (t / 1000));
    if (est.estimate().stable) stableAt = t;
  }
  assert.equal(stableAt, 1000);
});

test('unstable: the mean over every whole window; nothing before one usable window', () => {
  const est = new ThroughputEstimator({ windowMs: 100, stableWindows: 4, skipWindows: 1 });
  est.add(0, 0);
  est.add(150, 1000);
  assert.equal(est.estimate().bps, null);
  const rates = [1e6, 9e6, 2e6, 8e6, 3e6, 7e6, 2e6];
  let bytes = 0;
  const e2 = new ThroughputEstimator({ windowMs: 100, stableWindows: 4, skipWindows: 1 });
  e2.add(0, 0);
  rates.forEach((r, i) => {
    bytes += (r / 8) * 0.1;
    e2.add((i + 1) * 100, bytes);
  });
  const e = e2.estimate();
  assert.equal(e.stable, false);
  assert.ok(Math.abs(e.bps! - 32e6 / 7) < 1, `${e.bps}`); // mean of [1,9,2,8,3,7,2] Mbit/s
});

test('out-of-order and shrinking samples are ignored', () => {
  const est = new ThroughputEstimator();
  est.add(0, 0);
  est.add(100, 1000);
  est.add(50, 5000);
  est.add(120, 10);
  assert.equal(est.estimate().totalBytes, 1000);
});

test('video resolution at 75 % of the bitrate (Vonage thresholds)', () => {
  assert.equal(videoResolutionFor(5.4e6)?.name, '1080p');
  assert.equal(videoResolutionFor(5.2e6)?.name, '720p');
  assert.equal(videoResolutionFor(3.4e6)?.name, '720p');
  assert.equal(videoResolutionFor(1.9e6)?.name, '540p');
  assert.equal(videoResolutionFor(700_000)?.name, '360p');
  assert.equal(videoResolutionFor(400_000)?.name, '270p');
  assert.equal(videoResolutionFor(200_000)?.name, '180p');
  assert.equal(videoResolutionFor(100_000), null);
  assert.equal(videoResolutionFor(NaN), null);
});

test('a long path still in slow start: fallbackSkipMs drops the first round trips from the estimate', () => {
  // 200 ms RTT, rate doubling every RTT (1, 2, 4, 8 Mbit/s), 800 ms in all: never stable
  const feed = (est: ThroughputEstimator) => {
    let bytes = 0;
    est.add(0, 0);
    for (let t = 10; t <= 800; t += 10) {
      const rate = 1e6 * 2 ** Math.floor((t - 1) / 200);
      bytes += (rate / 8) * 0.01;
      est.add(t, bytes);
    }
    return est.estimate();
  };
  const whole = feed(new ThroughputEstimator());
  const settled = feed(new ThroughputEstimator({ fallbackSkipMs: 400, skipWindows: 2 }));
  assert.equal(whole.stable, false);
  assert.equal(settled.stable, false);
  assert.ok(Math.abs(whole.bps! - 3.75e6) < 1e4, `${whole.bps}`); // mean of 1,2,4,8
  assert.equal(whole.rising, false, 'no long path given: the mean, as on a shaped link');
  // still climbing at the end: the last window, a lower bound (the mean of 4 and 8 would say 6)
  assert.equal(settled.rising, true);
  assert.equal(settled.fromMs, 600);
  assert.ok(Math.abs(settled.bps! - 8e6) < 1e4, `${settled.bps}`);
  // never more than the windows there are: at least the last one is kept
  const short = new ThroughputEstimator({ fallbackSkipMs: 5000 });
  short.add(0, 0);
  short.add(450, 45_000);
  assert.equal(short.estimate().fromMs, 200);
});

test('a long path whose skipped round trips take the whole budget still gives its last window', () => {
  // 200 ms RTT: skip 2 RTTs = 2 windows; 0.75 s of 2.7, 7.2, 11.7 Mbit/s (measured in the lab)
  const est = new ThroughputEstimator({ fallbackSkipMs: 400, skipWindows: 2 });
  let bytes = 0;
  est.add(0, 0);
  [2.7e6, 7.2e6, 11.7e6].forEach((r, i) => {
    bytes += (r / 8) * 0.2;
    est.add((i + 1) * 200, bytes);
  });
  const e = est.estimate();
  assert.equal(e.rising, true);
  assert.ok(Math.abs(e.bps! - 11.7e6) < 1e3, `${e.bps}`);
  // a level long path is not rising: the mean after the skipped round trips
  const flat = new ThroughputEstimator({ fallbackSkipMs: 400, skipWindows: 2 });
  flat.add(0, 0);
  for (let i = 1; i <= 4; i++) flat.add(i * 200, i * 50_000);
  assert.equal(flat.estimate().rising, false);
  assert.ok(Math.abs(flat.estimate().bps! - 2e6) < 1);
});
