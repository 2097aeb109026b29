// End-to-end causes through a real nginx reverse proxy in front of the sign domain and the probe
// (direct, no forward proxy): buffering of text/event-stream → sse-buffered; a short
// proxy_read_timeout → proxy-idle-timeout; the same nginx without either → neither cause. Buffering
// and idle cuts are measured on the probe (the cooperating far end). nginx listens on its own
// loopback address on port 443 and --resolve sends both names there; the other profile hosts go
// straight to serve (on another loopback address, port 443, which also runs the probe's STUN/echo).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCA, issueCert } from '../../src/net/certs.js';
import { NEEDS_NGINX, startNginx, type NginxOptions } from '../support/nginx.js';
import { firstReason, needsPrivilegedPort } from '../support/prereqs.js';
import { freeLoopbackAddress } from '../support/proc.js';
import { PROBE_HOST, PROBE_URL, SIGN_DOMAIN, cause, causeIds, explain, profileHosts, resolveArgs, runCheck, startVendor, type Report } from './harness.js';

async function nginxRun(
  t: import('node:test').TestContext,
  nginxOpts: Pick<NginxOptions, 'proxyBuffering' | 'gzipEventStream' | 'readTimeoutSec'>,
  o: { idleWindowSec?: number } = {},
): Promise<Report> {
  const ca = await createCA('E2E Vendor CA', { organization: 'netready e2e' });
  const leaf = await issueCert(ca, { names: profileHosts(), ips: ['127.0.0.1'] });
  const vendor = await startVendor(t, { certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.certPem });
  const ng = await startNginx({ ...leaf, host: await freeLoopbackAddress(443), port: 443, upstream: `https://${vendor.addr}:443`, ...nginxOpts });
  t.after(() => ng.stop());
  const { report } = await runCheck(
    [
      '--public-roots', vendor.caFile,
      '--probe', PROBE_URL,
      ...resolveArgs(vendor.addr, { [SIGN_DOMAIN]: ng.host, [PROBE_HOST]: ng.host }),
    ],
    { idleWindowSec: o.idleWindowSec },
  );
  return report;
}

describe('causes produced by a real nginx reverse proxy', { concurrency: 3, skip: firstReason(NEEDS_NGINX, needsPrivilegedPort(443)) }, () => {
  test('nginx without buffering and with a long read timeout: no cause, ready', async (t) => {
    const r = await nginxRun(t, { readTimeoutSec: 60 });
    assert.deepEqual(causeIds(r), [], explain(r));
    assert.equal(r.outcome, 'ready', explain(r));
    const sse = r.checks.find((c) => c.id === 'sse.stream' && c.target.includes(PROBE_HOST))!;
    assert.equal(sse.status, 'ok', explain(r));
    assert.ok(sse.metrics.firstEventDelayMs < 500, `firstEventDelayMs ${sse.metrics.firstEventDelayMs}`);
  });

  test('nginx buffering text/event-stream (proxy_buffering + gzip): sse-buffered', async (t) => {
    const r = await nginxRun(t, { proxyBuffering: true, gzipEventStream: true });
    assert.ok(causeIds(r).includes('sse-buffered'), explain(r));
    const sse = r.checks.find((c) => c.id === 'sse.stream' && c.target.includes(PROBE_HOST))!;
    assert.equal(sse.error?.code, 'SSE_BUFFERED', explain(r));
    assert.ok(sse.metrics.batchedCount >= 2 || sse.metrics.firstEventDelayMs > 2000, JSON.stringify(sse.metrics));
    assert.ok(!causeIds(r).includes('sse-blocked'), explain(r));
    assert.equal(r.ready, false);
  });

  test('nginx proxy_read_timeout 2s: proxy-idle-timeout at about 2 s', async (t) => {
    const r = await nginxRun(t, { readTimeoutSec: 2 }, { idleWindowSec: 4 });
    assert.ok(causeIds(r).includes('proxy-idle-timeout'), explain(r));
    const cuts = r.checks.filter((c) => c.id === 'conn.idle' && c.error?.code === 'IDLE_CUT');
    assert.ok(cuts.length > 0, explain(r));
    // nginx's 2 s count from its last upstream read, the check's from when it saw the line go quiet:
    // under load the two differ by up to about a second.
    for (const c of cuts) assert.ok(c.metrics.idleCutMs > 500 && c.metrics.idleCutMs < 3500, `idleCutMs ${c.metrics.idleCutMs}`);
    assert.ok(cause(r, 'proxy-idle-timeout')!.summary.length > 0);
    assert.match(cause(r, 'proxy-idle-timeout')!.summary, /cut after \d+(\.\d+)?\s*s/);
    assert.ok(!causeIds(r).includes('sse-buffered'), explain(r));
  });
});
