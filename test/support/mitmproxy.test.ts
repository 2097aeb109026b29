// The mitmproxy fixture does what it says: it re-signs with its own CA and buffers a finite event
// stream into one batch; an endless stream delivers nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NEEDS_MITMPROXY, startMitmproxy } from './mitmproxy.js';
import { startUpstream } from './upstream.js';
import { readSse } from './client.js';

test('mitmproxy (reverse mode) re-signs with its own CA and buffers SSE whole', { skip: NEEDS_MITMPROXY }, async (t) => {
  const up = await startUpstream({});
  t.after(() => up.close());
  const m = await startMitmproxy({ upstream: `https://127.0.0.1:${up.port}` });
  t.after(() => m.stop());
  // Verifies only against mitmproxy's CA: the upstream's certificate was replaced.
  const r = await readSse(`https://localhost:${m.port}/virtual-room/x/event?count=4&interval=300`, {
    ca: m.caPem, connect: { host: '127.0.0.1', port: m.port },
  });
  assert.equal(r.status, 200);
  assert.equal(r.events.length, 4);
  assert.ok(r.events[0].arrivalMs > 800, `first event after ${r.events[0].arrivalMs} ms`);
  assert.ok(r.events[3].arrivalMs - r.events[0].arrivalMs < 50, 'all four arrive together');
  await assert.rejects(
    readSse(`https://localhost:${m.port}/virtual-room/x/event?count=1`, { ca: up.ca!.certPem, connect: { host: '127.0.0.1', port: m.port } }),
    /certificate/,
  );
  const endless = await readSse(`https://localhost:${m.port}/virtual-room/x/event?count=1&hold=1`, {
    ca: m.caPem, connect: { host: '127.0.0.1', port: m.port }, maxMs: 2500,
  });
  assert.equal(endless.events.length, 0);
});
