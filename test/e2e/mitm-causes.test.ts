// End-to-end through a real mitmproxy (reverse mode) in front of the sign domain: it buffers whole
// responses, so the room event stream arrives in one batch → sse-buffered; its own CA, when not
// trusted, → tls-inspection naming the mitmproxy CA.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NEEDS_MITMPROXY, startMitmproxy } from '../support/mitmproxy.js';
import { firstReason, needsPrivilegedPort } from '../support/prereqs.js';
import { freeLoopbackAddress } from '../support/proc.js';
import { SIGN_DOMAIN, causeIds, explain, resolveArgs, runCheck, startVendor, type Report } from './harness.js';

async function mitmRun(t: import('node:test').TestContext, trustMitmCa: boolean): Promise<Report> {
  const vendor = await startVendor(t);
  const m = await startMitmproxy({ upstream: `https://${vendor.addr}:443`, host: await freeLoopbackAddress(443), port: 443 });
  t.after(() => m.stop());
  const args = ['--ca', vendor.caFile, ...resolveArgs(vendor.addr, { [SIGN_DOMAIN]: m.host })];
  if (trustMitmCa) args.push('--ca', m.caFile);
  return (await runCheck(args)).report;
}

describe('causes produced by a real mitmproxy', { concurrency: 2, skip: firstReason(NEEDS_MITMPROXY, needsPrivilegedPort(443)) }, () => {
  test('mitmproxy whose CA is trusted: sse-buffered (events batched), no tls-inspection', async (t) => {
    const r = await mitmRun(t, true);
    assert.ok(causeIds(r).includes('sse-buffered'), explain(r));
    assert.ok(!causeIds(r).includes('tls-inspection'), explain(r));
    const sse = r.checks.find((c) => c.id === 'sse.stream')!;
    assert.equal(sse.error?.code, 'SSE_BUFFERED', explain(r));
  });

  test('mitmproxy whose CA is not trusted: tls-inspection naming mitmproxy', async (t) => {
    const r = await mitmRun(t, false);
    assert.ok(causeIds(r).includes('tls-inspection'), explain(r));
    const tls = r.checks.find((c) => c.id === 'tls.handshake' && c.target === `${SIGN_DOMAIN}:443`)!;
    assert.equal(tls.error?.code, 'TLS_CERT_UNTRUSTED');
    assert.match(JSON.stringify(tls.details), /mitmproxy/i);
  });
});
