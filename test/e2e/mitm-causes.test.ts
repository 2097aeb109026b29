// End-to-end through a real mitmproxy (reverse mode) in front of the sign domain and the probe: it
// buffers whole responses, so the probe's event stream arrives in one batch → sse-buffered; its own
// CA is inspection of the Sign domain whether this machine trusts it (--ca) or not.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NEEDS_MITMPROXY, startMitmproxy } from '../support/mitmproxy.js';
import { firstReason, needsPrivilegedPort } from '../support/prereqs.js';
import { freeLoopbackAddress } from '../support/proc.js';
import { PROBE_HOST, PROBE_URL, SIGN_DOMAIN, cause, causeIds, explain, resolveArgs, runCheck, startVendor, type Report } from './harness.js';

async function mitmRun(t: import('node:test').TestContext, trustMitmCa: boolean): Promise<Report> {
  const vendor = await startVendor(t);
  const m = await startMitmproxy({ upstream: `https://${vendor.addr}:443`, host: await freeLoopbackAddress(443), port: 443 });
  t.after(() => m.stop());
  const args = ['--public-roots', vendor.caFile, '--probe', PROBE_URL, ...resolveArgs(vendor.addr, { [SIGN_DOMAIN]: m.host, [PROBE_HOST]: m.host })];
  if (trustMitmCa) args.push('--ca', m.caFile);
  return (await runCheck(args)).report;
}

describe('causes produced by a real mitmproxy', { concurrency: 2, skip: firstReason(NEEDS_MITMPROXY, needsPrivilegedPort(443)) }, () => {
  test('mitmproxy whose CA is trusted (--ca): sse-buffered on the probe, and inspection of the Sign domain (degrading)', async (t) => {
    const r = await mitmRun(t, true);
    assert.ok(causeIds(r).includes('sse-buffered'), explain(r));
    const sse = r.checks.find((c) => c.id === 'sse.stream' && c.target.includes(PROBE_HOST))!;
    assert.equal(sse.error?.code, 'SSE_BUFFERED', explain(r));
    assert.match(cause(r, 'sse-buffered')!.summary, /measured on the path to the probe/);
    const insp = cause(r, 'tls-inspection')!;
    assert.ok(insp, explain(r));
    assert.equal(insp.severity, 'degrading', 'only the Sign domain is inspected');
    assert.match(insp.summary, /a --ca file, but it is not a public root/);
  });

  test('mitmproxy whose CA is not trusted: tls-inspection naming mitmproxy', async (t) => {
    const r = await mitmRun(t, false);
    assert.ok(causeIds(r).includes('tls-inspection'), explain(r));
    const tls = r.checks.find((c) => c.id === 'tls.handshake' && c.target === `${SIGN_DOMAIN}:443`)!;
    assert.equal(tls.error?.code, 'TLS_CERT_UNTRUSTED');
    assert.match(JSON.stringify(tls.details), /mitmproxy/i);
  });
});
