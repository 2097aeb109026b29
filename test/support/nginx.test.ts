// The nginx fixture does what it says: streams pass through by default, the buffering variant
// holds text/event-stream back and delivers it in a batch, the short read timeout cuts an idle stream.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NEEDS_NGINX, startNginx } from './nginx.js';
import { startUpstream } from './upstream.js';
import { readSse } from './client.js';
import { createCA, issueCert } from '../../src/net/certs.js';

async function setup(t: import('node:test').TestContext, opts: { proxyBuffering?: boolean; gzipEventStream?: boolean; readTimeoutSec?: number }) {
  const up = await startUpstream({});
  t.after(() => up.close());
  const ca = await createCA('Nginx Front CA');
  const leaf = await issueCert(ca, { names: ['apps.example.test'], ips: ['127.0.0.1'] });
  const ng = await startNginx({ ...leaf, upstream: `https://127.0.0.1:${up.port}`, ...opts });
  t.after(() => ng.stop());
  return { up, ng, ca };
}

const gapsMs = (arr: { arrivalMs: number }[]) => arr.slice(1).map((e, i) => e.arrivalMs - arr[i].arrivalMs);

test('nginx without buffering passes SSE events as they are sent', { skip: NEEDS_NGINX }, async (t) => {
  const { ng, ca } = await setup(t, {});
  const r = await readSse(`https://apps.example.test:${ng.port}/virtual-room/x/event?count=4&interval=300`, {
    ca: ca.certPem, connect: { host: '127.0.0.1', port: ng.port }, gzip: true,
  });
  assert.equal(r.status, 200);
  assert.equal(r.events.length, 4);
  for (const g of gapsMs(r.events)) assert.ok(g > 200, `gap ${g} ms`);
  assert.ok(r.events[0].arrivalMs < 500, `first event after ${r.events[0].arrivalMs} ms`);
});

test('nginx with gzip for text/event-stream (and default buffering) batches SSE events', { skip: NEEDS_NGINX }, async (t) => {
  const { ng, ca } = await setup(t, { gzipEventStream: true, proxyBuffering: true });
  const r = await readSse(`https://apps.example.test:${ng.port}/virtual-room/x/event?count=4&interval=300`, {
    ca: ca.certPem, connect: { host: '127.0.0.1', port: ng.port }, gzip: true,
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-encoding'], 'gzip');
  assert.equal(r.events.length, 4);
  // Sent 300 ms apart, they arrive together at the end.
  assert.ok(r.events[0].arrivalMs > 800, `first event after ${r.events[0].arrivalMs} ms`);
  for (const g of gapsMs(r.events)) assert.ok(g < 50, `gap ${g} ms`);
});

test('nginx with proxy_buffering on batches SSE events without gzip', { skip: NEEDS_NGINX }, async (t) => {
  const { ng, ca } = await setup(t, { proxyBuffering: true });
  const r = await readSse(`https://apps.example.test:${ng.port}/virtual-room/x/event?count=4&interval=300`, {
    ca: ca.certPem, connect: { host: '127.0.0.1', port: ng.port },
  });
  assert.equal(r.status, 200);
  assert.equal(r.events.length, 4);
  assert.ok(r.events[0].arrivalMs > 800, `first event after ${r.events[0].arrivalMs} ms`);
  for (const g of gapsMs(r.events)) assert.ok(g < 50, `gap ${g} ms`);
});

test('nginx with proxy_read_timeout 2s cuts an idle stream after about 2 s', { skip: NEEDS_NGINX }, async (t) => {
  const { ng, ca } = await setup(t, { readTimeoutSec: 2 });
  const r = await readSse(`https://apps.example.test:${ng.port}/virtual-room/x/event?count=1&hold=1`, {
    ca: ca.certPem, connect: { host: '127.0.0.1', port: ng.port }, maxMs: 8000,
  });
  assert.equal(r.status, 200);
  assert.equal(r.events.length, 1);
  assert.ok(r.endedMs !== null, 'the stream was cut by nginx');
  assert.ok(r.endedMs! > 1800 && r.endedMs! < 4000, `cut after ${r.endedMs} ms`);
});

test('nginx with gzip but proxy_buffering off still streams (measured: gzip alone does not batch)', { skip: NEEDS_NGINX }, async (t) => {
  const { ng, ca } = await setup(t, { gzipEventStream: true });
  const r = await readSse(`https://apps.example.test:${ng.port}/virtual-room/x/event?count=3&interval=300`, {
    ca: ca.certPem, connect: { host: '127.0.0.1', port: ng.port }, gzip: true,
  });
  assert.equal(r.headers['content-encoding'], 'gzip');
  assert.equal(r.events.length, 3);
  // Sent 300 ms apart: batched events would arrive together (gaps of a few ms); scheduling on a busy
  // machine moves one event by up to ~100 ms, which is not batching.
  for (const g of gapsMs(r.events)) assert.ok(g > 100, `gap ${g} ms`);
});
