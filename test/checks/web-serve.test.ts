// The web-layer checks against a real `netready serve` on loopback (throw-away CA).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServe } from '../../src/serve/server.js';
import { CHECKS } from '../../src/checks/registry.js';
import { config, get, host, profileSet, runChecks } from './helpers.js';

test('all web checks pass against netready serve: a vendor host judged as a real origin, the probe as the cooperating far end', async (t) => {
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => serve.close());
  const port = serve.addresses[0].port;
  const ps = profileSet([
    host({
      host: 'apps.test',
      http: [{ path: '/virtual-room/probe/existence', anyStatus: true }, { path: '/graphql' }],
      ws: [{ path: '/graphql' }],
      sse: [{ path: '/virtual-room/r1/event' }],
    }),
    host({ host: 'js.cdn.test', role: 'cobrowse', http: [{ path: '/', anyStatus: true }] }),
    host({ host: 'probe.test', role: 'probe', ws: [{ path: '/.netready/ws' }], sse: [{ path: '/.netready/stream/event' }], idle: true }),
  ]);
  const resolve = Object.fromEntries(['apps.test', 'js.cdn.test', 'probe.test'].map((n) => [n, `127.0.0.1:${port}`]));
  const cfg = config({ resolve, publicRootsPem: [serve.caPem!], idleWindowMs: 1200 });
  const { byKey, results } = await runChecks(CHECKS, ps, cfg);
  for (const r of results) assert.equal(r.status, 'ok', `${r.id} ${r.target}: ${JSON.stringify(r)}`);
  assert.equal(get(byKey, 'dns.resolve apps.test').details?.via, 'override');
  assert.ok(get(byKey, 'tcp.connect apps.test:443').metrics.connectMs >= 0);
  const tlsR = get(byKey, 'tls.handshake apps.test:443');
  assert.equal(tlsR.details?.trusted, true);
  assert.equal(tlsR.details?.rootSource, 'public');
  assert.equal(tlsR.details?.intercepted, undefined);
  assert.equal((tlsR.details?.root as { CN: string }).CN, 'netready throw-away CA');
  assert.equal(get(byKey, 'http.path https://apps.test/graphql').details?.status, 200);
  // vendor: a ping answered by a pong (no echo is asked of a real server)
  const ws = get(byKey, 'ws.upgrade wss://apps.test/graphql');
  assert.equal(ws.details?.answer, 'pong');
  assert.equal(typeof ws.metrics.pingRttMs, 'number');
  // vendor: the event path answered by the origin; no timed stream is asked of it
  const vsse = get(byKey, 'sse.stream https://apps.test/virtual-room/r1/event');
  assert.equal(vsse.details?.status, 200);
  assert.equal(vsse.metrics.eventsCount, undefined);
  // probe: the echo and the timed stream
  assert.equal(typeof get(byKey, 'ws.upgrade wss://probe.test/.netready/ws').metrics.echoRttMs, 'number');
  const sse = get(byKey, 'sse.stream https://probe.test/.netready/stream/event');
  assert.equal(sse.metrics.eventsCount, 8);
  assert.equal(sse.metrics.batchedCount, 0);
  const idleWs = get(byKey, 'conn.idle wss://probe.test/.netready/ws#idle');
  assert.ok(idleWs.metrics.heldMs >= 1150, JSON.stringify(idleWs));
  assert.equal(idleWs.details?.kind, 'ws');
  const idleSse = get(byKey, 'conn.idle https://probe.test/.netready/stream/event#idle');
  assert.equal(idleSse.details?.kind, 'sse');
  assert.equal([...byKey.keys()].filter((k) => k.startsWith('conn.idle')).length, 2, 'idle holds only on the probe');
});

test('a vendor host chaining to a --ca root (trusted, not public) is inspected; the probe may chain to one', async (t) => {
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => serve.close());
  const port = serve.addresses[0].port;
  const ps = profileSet([
    host({ host: 'apps.test', ws: [{ path: '/graphql' }] }),
    host({ host: 'probe.test', role: 'probe', ws: [{ path: '/.netready/ws' }] }),
  ]);
  const cfg = config({ resolve: { 'apps.test': `127.0.0.1:${port}`, 'probe.test': `127.0.0.1:${port}` }, caPem: [serve.caPem!] });
  const { byKey } = await runChecks(CHECKS, ps, cfg);
  const vendor = get(byKey, 'tls.handshake apps.test:443');
  assert.equal(vendor.status, 'ok', 'the handshake works: the root is trusted here');
  assert.equal(vendor.details?.intercepted, true);
  assert.equal(vendor.details?.rootSource, 'ca');
  assert.equal(get(byKey, 'ws.upgrade wss://apps.test/graphql').details?.inspected, true);
  const probe = get(byKey, 'tls.handshake probe.test:443');
  assert.equal(probe.status, 'ok');
  assert.equal(probe.details?.intercepted, undefined);
  assert.equal(get(byKey, 'ws.upgrade wss://probe.test/.netready/ws').details?.inspected, false);
});

test('without --ca the throw-away chain is untrusted (interception), and web checks still run inspected', async (t) => {
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => serve.close());
  const port = serve.addresses[0].port;
  const ps = profileSet([host({ host: 'apps.test', http: [{ path: '/graphql' }], ws: [{ path: '/graphql' }] })]);
  const cfg = config({ resolve: { 'apps.test': `127.0.0.1:${port}` } });
  const { byKey } = await runChecks(CHECKS, ps, cfg);
  const tlsR = get(byKey, 'tls.handshake apps.test:443');
  assert.equal(tlsR.status, 'failed');
  assert.equal(tlsR.error?.code, 'TLS_CERT_UNTRUSTED');
  assert.equal(tlsR.details?.intercepted, true);
  assert.deepEqual(tlsR.details?.root, { CN: 'netready throw-away CA', O: 'netready serve' });
  const http = get(byKey, 'http.path https://apps.test/graphql');
  assert.equal(http.status, 'ok');
  assert.equal(http.details?.inspected, true);
  assert.equal(get(byKey, 'ws.upgrade wss://apps.test/graphql').details?.inspected, true);
});

test('--connect-to (curl semantics) sends every name to one serve port, SNI and Host kept', async (t) => {
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }] });
  t.after(() => serve.close());
  const ps = profileSet([host({ host: 'cdn.upscope.test', http: [{ path: '/', anyStatus: true }], ws: [{ path: '/' }] })]);
  const cfg = config({
    resolve: { 'cdn.upscope.test': '127.0.0.1' },
    connectTo: [{ host: null, port: null, toHost: '127.0.0.1', toPort: serve.addresses[0].port }],
    publicRootsPem: [serve.caPem!],
  });
  const { results, byKey } = await runChecks(CHECKS, ps, cfg);
  for (const r of results) assert.equal(r.status, 'ok', `${r.id} ${r.target}: ${JSON.stringify(r)}`);
  assert.equal((get(byKey, 'tls.handshake cdn.upscope.test:443').details?.subject as { CN: string }).CN, 'cdn.upscope.test');
});
