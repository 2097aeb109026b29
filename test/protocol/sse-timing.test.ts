// Sans-I/O: the SSE timing analysis from (request sent, chunks with arrival times). No sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSse, SseTimer } from '../../src/protocol/sse-timing.js';

const ev = (seq: number, offsetMs: number) => `data: {"seq":${seq},"offsetMs":${offsetMs},"sentAt":0}\n\n`;

test('on-time stream: small delays, nothing batched, not buffered', () => {
  const chunks = Array.from({ length: 8 }, (_, i) => ({ at: 1000 + i * 250 + 3, data: ev(i + 1, i * 250) }));
  const s = analyzeSse(1000, chunks);
  assert.equal(s.eventsCount, 8);
  assert.equal(s.firstEventDelayMs, 3);
  assert.equal(s.maxEventDelayMs, 3);
  assert.equal(s.batchedCount, 0);
  assert.equal(s.buffered, false);
});

test('a buffering middlebox: everything in one chunk after 2 s is late and batched', () => {
  const all = Array.from({ length: 8 }, (_, i) => ev(i + 1, i * 250)).join('');
  const s = analyzeSse(0, [{ at: 2100, data: all }]);
  assert.equal(s.eventsCount, 8);
  assert.equal(s.firstEventDelayMs, 2100);
  assert.equal(s.batchedCount, 7);
  assert.equal(s.buffered, true);
  assert.match(s.bufferedReason!, /first event arrived 2100 ms/);
});

test('batched but early (gzip-style flushes in pairs): buffered by batchedCount alone', () => {
  const chunks = [
    { at: 260, data: ev(1, 0) + ev(2, 250) },
    { at: 760, data: ev(3, 500) + ev(4, 750) },
  ];
  const s = analyzeSse(0, chunks);
  assert.equal(s.firstEventDelayMs, 260);
  assert.equal(s.batchedCount, 2);
  assert.equal(s.buffered, true);
});

test('events split across chunks and multi-byte UTF-8 are parsed at the arrival of their last byte', () => {
  const t = new SseTimer(0);
  const text = Buffer.from('data: {"seq":1,"offsetMs":0,"note":"é"}\n\n');
  const cut = text.indexOf(0xc3) + 1; // split inside the two-byte é
  assert.equal(t.push(text.subarray(0, cut), 10), 0);
  assert.equal(t.push(text.subarray(cut), 40), 1);
  assert.equal(t.events[0].arrivedAt, 40);
  assert.equal(t.events[0].delayMs, 40);
  // Comments and non-JSON data are counted but untimed.
  t.push(': keepalive\n\ndata: hello\n\n', 50);
  const s = t.summary();
  assert.equal(s.eventsCount, 2);
  assert.equal(s.events[1].delayMs, null);
});

test('an empty stream has no first event', () => {
  const s = analyzeSse(0, []);
  assert.equal(s.eventsCount, 0);
  assert.equal(s.firstEventDelayMs, null);
  assert.equal(s.buffered, false);
});

test('events that arrive together because this machine\'s own event loop stalled are not batched', () => {
  // Sent 250 ms apart; the client's loop ticked every 10 ms until 240, then nothing until 760:
  // events 2 and 3 (sent at 250 and 500) pile up and are read at 760 with event 4 (750).
  const t = new SseTimer(0);
  for (let at = 0; at <= 240; at += 10) t.tick(at);
  t.push(ev(1, 0), 3);
  for (let at = 760; at <= 1200; at += 10) t.tick(at);
  t.push(ev(2, 250) + ev(3, 500) + ev(4, 750), 760);
  const s = t.summary();
  assert.equal(s.batchedCount, 0);
  assert.equal(s.stalledCount, 2);
  assert.equal(s.maxStallMs, 520);
  assert.equal(s.buffered, false);
  // The same arrivals with the loop ticking all along: a middlebox held them.
  const u = new SseTimer(0);
  for (let at = 0; at <= 1200; at += 10) u.tick(at);
  u.push(ev(1, 0), 3);
  u.push(ev(2, 250) + ev(3, 500) + ev(4, 750), 760);
  const m = u.summary();
  assert.equal(m.batchedCount, 2);
  assert.equal(m.stalledCount, 0);
  assert.equal(m.buffered, true);
});

test('one pair held back behind a TCP retransmission is not buffering; systematic batching is', () => {
  // 8 events 250 ms apart on a 200 ms path; one lost segment holds events 5-7 until its
  // retransmission lands at 1878 ms: they arrive together, then the stream is on time again.
  const arrive = [204, 454, 705, 952, 1878, 1878, 1879, 1954].map((at, i) => ({ at, data: ev(i + 1, i * 250) }));
  const t = analyzeSse(0, arrive);
  assert.equal(t.batchedCount, 2);
  assert.equal(t.buffered, false);
  // gzip-style: flushed in pairs all along: 4 of 8 batched
  const pairs = [0, 2, 4, 6].map((i) => ({ at: (i + 1) * 250 + 10, data: ev(i + 1, i * 250) + ev(i + 2, (i + 1) * 250) }));
  const g = analyzeSse(0, pairs);
  assert.equal(g.batchedCount, 4);
  assert.equal(g.buffered, true);
  assert.match(g.bufferedReason!, /4 of 8 events/);
});
