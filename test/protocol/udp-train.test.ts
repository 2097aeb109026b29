import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeTrain, planTrain, rfc3550Jitter, type SentRecord } from '../../src/protocol/udp-train.js';

test('planTrain: 50 audio packets/s and frame bursts at the video bitrate', () => {
  const plan = planTrain({ durationMs: 1000, videoBps: 1_500_000, maxPacketBytes: 1200 });
  const audio = plan.filter((p) => p.stream === 'audio');
  const video = plan.filter((p) => p.stream === 'video');
  assert.equal(audio.length, 50);
  const videoBits = video.reduce((n, p) => n + p.size * 8, 0);
  assert.ok(Math.abs(videoBits - 1_500_000) < 1200 * 8, `${videoBits}`);
  assert.equal(new Set(video.map((p) => p.atMs)).size, 30, 'one burst per frame, 30 fps');
  assert.ok(video.every((p) => p.size <= 1200 && p.size >= 64));
  assert.deepEqual(plan.map((p) => p.seq), plan.map((_, i) => i + 1));
  for (let i = 1; i < plan.length; i++) assert.ok(plan[i].atMs >= plan[i - 1].atMs);
  assert.equal(planTrain({ durationMs: 60_000, maxPackets: 100 }).length, 100, 'bounded');
});

test('planTrain: an evenly paced probe stream of small packets beside audio and video', () => {
  const plan = planTrain({ durationMs: 1000, audioPps: 250, audioBytes: 100, videoBps: 1_500_000, maxPacketBytes: 600, probePps: 2000, probeBytes: 64 });
  const probe = plan.filter((p) => p.stream === 'probe');
  assert.equal(probe.length, 2000);
  assert.ok(probe.every((p) => p.size === 64));
  for (let i = 1; i < probe.length; i++) assert.ok(Math.abs(probe[i].atMs - probe[i - 1].atMs - 0.5) < 1e-9, 'evenly paced');
  assert.equal(plan.filter((p) => p.stream === 'audio').length, 250);
  assert.deepEqual(plan.map((p) => p.seq), plan.map((_, i) => i + 1));
  for (let i = 1; i < plan.length; i++) assert.ok(plan[i].atMs >= plan[i - 1].atMs);
  assert.equal(planTrain({ durationMs: 1000, probePps: 0 }).filter((p) => p.stream === 'probe').length, 0);
  const sent: SentRecord[] = plan.map((p) => ({ seq: p.seq, sentAt: p.atMs, size: p.size, stream: p.stream }));
  const st = analyzeTrain(sent, sent.filter((s) => s.seq % 10 !== 0).map((s) => ({ seq: s.seq, recvAt: s.sentAt + 5 })));
  assert.equal(st.probe.sentCount, 2000);
  assert.ok(Math.abs(st.lossRatio - 0.1) < 0.002, 'loss over every stream');
});

test('RFC 3550 jitter: constant transit -> 0; alternating ±D converges to D', () => {
  const flat = Array.from({ length: 100 }, (_, i) => ({ sentAt: i * 20, recvAt: i * 20 + 30 }));
  assert.equal(rfc3550Jitter(flat), 0);
  const alt = Array.from({ length: 400 }, (_, i) => ({ sentAt: i * 20, recvAt: i * 20 + 30 + (i % 2 ? 10 : 0) }));
  assert.ok(Math.abs(rfc3550Jitter(alt)! - 10) < 0.01);
  assert.equal(rfc3550Jitter([{ sentAt: 0, recvAt: 1 }]), null);
});

test('analyzeTrain: loss, one-way estimate, RTT stats, reordering, duplicates, delivered rate', () => {
  const sent: SentRecord[] = Array.from({ length: 100 }, (_, i) => ({ seq: i + 1, sentAt: i * 10, size: 500, stream: i % 5 === 0 ? 'audio' : 'video' }));
  const recv = sent.filter((s) => s.seq % 10 !== 0).map((s) => ({ seq: s.seq, recvAt: s.sentAt + 40 }));
  // swap two arrivals (reordering) and repeat one (duplicate)
  [recv[3], recv[4]] = [recv[4], recv[3]];
  recv.push({ ...recv[7] });
  const st = analyzeTrain(sent, recv);
  assert.equal(st.sentCount, 100);
  assert.equal(st.receivedCount, 90);
  assert.equal(st.lossRatio, 0.1);
  assert.ok(Math.abs(st.oneWayLossRatio - (1 - Math.sqrt(0.9))) < 1e-12);
  assert.equal(st.rttMedianMs, 40);
  assert.equal(st.rttMinMs, 40);
  assert.equal(st.reorderedCount, 1);
  assert.equal(st.duplicateCount, 1);
  assert.equal(st.audio.sentCount, 20);
  assert.equal(st.video.sentCount, 80);
  // 90 x 500 bytes over 100 x 10 ms = 360 kbit/s
  assert.ok(Math.abs(st.deliveredBps! - 360_000) < 1, `${st.deliveredBps}`);
  const none = analyzeTrain(sent, []);
  assert.equal(none.lossRatio, 1);
  assert.equal(none.rttMedianMs, null);
});

test('jitter at the audio frame spacing: a dense in-order stream is bounded by 2 x its spacing, 20 ms frames are not', () => {
  // each packet held 20 ms + uniform 0..80 ms, kept in FIFO order (the lab's jitter knob)
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const through = (spacingMs: number, n: number) => {
    let due = 0;
    return Array.from({ length: n }, (_, i) => {
      const sentAt = i * spacingMs;
      due = Math.max(due, sentAt + 20 + rand() * 80);
      return { sentAt, recvAt: due };
    });
  };
  const dense = rfc3550Jitter(through(4, 1000))!;
  assert.ok(dense <= 8, `in order, 4 ms apart: |D| is bounded by 2 x 4 ms (got ${dense})`);
  const frames = through(20, 300);
  const framed = rfc3550Jitter(frames, 20)!;
  assert.ok(framed > 15, `20 ms frames show the varying delay (got ${framed})`);
  // frameMs skips packets closer than a frame: the 20 ms view of a 4 ms stream compares every 5th
  const sub = rfc3550Jitter(through(4, 1000), 20)!;
  assert.ok(sub <= 40, `bounded by 2 x 20 ms (got ${sub})`);
  // a steady path has no jitter at any spacing
  assert.equal(rfc3550Jitter(frames.map((a) => ({ sentAt: a.sentAt, recvAt: a.sentAt + 30 })), 20), 0);
});

test('jitter at the audio frame spacing on a reordering path: overtaken frames still count', () => {
  // each packet held uniform 0..80 ms on its own (netem-like, later packets may overtake): the
  // RFC 3550 |D| of two frames is |U1 - U2|, mean 80/3 = 26.7 ms
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const dense = Array.from({ length: 5000 }, (_, i) => ({ sentAt: i * 4, recvAt: i * 4 + rand() * 80 }));
  const inArrivalOrder = [...dense].sort((a, b) => a.recvAt - b.recvAt);
  const j = rfc3550Jitter(inArrivalOrder, 20)!;
  assert.ok(j > 18 && j < 36, `uniform 0..80 ms per packet: jitter about 26.7 ms at 20 ms frames (got ${j})`);
  // the frames picked are every 5th packet by send time, whatever order they came back in
  const st = analyzeTrain(
    dense.map((d, i) => ({ seq: i, sentAt: d.sentAt, size: 100, stream: 'audio' as const })),
    inArrivalOrder.map((d) => ({ seq: d.sentAt / 4, recvAt: d.recvAt })),
  );
  assert.ok(Math.abs(st.audio.jitterMs! - j) < 1e-9);
  assert.ok(st.audio.reorderedCount > 1000, `reordering counted (${st.audio.reorderedCount})`);
});
