// End-to-end causes through a real squid: for each cause a run where squid produces it, and runs
// where it must not appear. serve stands in for every Virtual Room host and the probe (on
// 127.X.Y.Z:443), squid resolves every profile name to it, and the real CLI runs `check --proxy
// --probe` against squid. The stand-in's certificate plays the public web PKI (--public-roots).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NEEDS_SQUID, startSquid, type SquidOptions } from '../support/squid.js';
import { firstReason, needsPrivilegedPort } from '../support/prereqs.js';
import { PROBE_HOST, PROBE_URL, SIGN_DOMAIN, cause, causeIds, explain, runCheck, startVendor, type Report } from './harness.js';

async function squidRun(
  t: import('node:test').TestContext,
  squidOpts: SquidOptions,
  o: { trustBumpCa?: boolean; auth?: boolean; idleWindowSec?: number } = {},
): Promise<Report> {
  const vendor = await startVendor(t);
  const sq = await startSquid({ ...squidOpts, hosts: vendor.hosts });
  t.after(() => sq.stop());
  const args = ['--public-roots', vendor.caFile, '--probe', PROBE_URL, '--proxy', o.auth && sq.urlWithAuth ? sq.urlWithAuth : sq.url];
  // The interception CA installed on the machine (as IT does): trusted, but not public.
  if (o.trustBumpCa && sq.caFile) args.push('--ca', sq.caFile);
  const { report } = await runCheck(args, { idleWindowSec: o.idleWindowSec });
  return report;
}

const check = (r: Report, id: string, target: string) => r.checks.find((c) => c.id === id && c.target === target);

describe('causes produced by a real squid', { concurrency: 4, skip: firstReason(NEEDS_SQUID, needsPrivilegedPort(443)) }, () => {
  test('plain explicit squid: no cause, ready, the media tier measured on the probe', async (t) => {
    const r = await squidRun(t, {});
    assert.deepEqual(causeIds(r), [], explain(r));
    assert.equal(r.outcome, 'ready', explain(r));
    assert.equal(r.tier, 'optimal', explain(r));
    const tls = check(r, 'tls.handshake', `${SIGN_DOMAIN}:443`);
    assert.equal(tls?.status, 'ok');
    assert.equal(tls?.details?.rootSource, 'public');
    assert.ok(r.checks.some((c) => c.id === 'conn.idle' && c.status === 'ok' && c.target.includes(PROBE_HOST)), explain(r));
    assert.equal(check(r, 'probe.reach', PROBE_URL)?.details?.via, 'proxy');
  });

  test('ssl-bump: tls-inspection (the interception CA named) and websocket-blocked (200, not 101)', async (t) => {
    const r = await squidRun(t, { bump: true });
    const ids = causeIds(r);
    assert.ok(ids.includes('tls-inspection'), explain(r));
    assert.ok(ids.includes('websocket-blocked'), explain(r));
    assert.equal(r.ready, false);
    const tls = check(r, 'tls.handshake', `${SIGN_DOMAIN}:443`)!;
    assert.equal(tls.status, 'failed');
    assert.equal(tls.error?.code, 'TLS_CERT_UNTRUSTED');
    assert.match(JSON.stringify(tls.details), /Netready Test Interception CA/);
    const ws = check(r, 'ws.upgrade', `wss://${SIGN_DOMAIN}/graphql`)!;
    assert.equal(ws.status, 'failed', explain(r));
    assert.equal(ws.error?.code, 'WS_NO_UPGRADE');
    assert.equal(ws.details?.status, 200);
    assert.match(JSON.stringify(cause(r, 'tls-inspection')), /Netready Test Interception CA|Squid Bump Lab/);
  });

  test('ssl-bump whose CA the machine trusts (--ca): still tls-inspection (a trusted root, not a public one), and websocket-blocked', async (t) => {
    const r = await squidRun(t, { bump: true }, { trustBumpCa: true });
    const ids = causeIds(r);
    assert.ok(ids.includes('tls-inspection'), explain(r));
    assert.match(cause(r, 'tls-inspection')!.summary, /through a --ca file, but it is not a public root/);
    assert.ok(ids.includes('websocket-blocked'), explain(r));
    // the probe behind the same interceptor: reached and measured all the same
    assert.equal(check(r, 'probe.reach', PROBE_URL)?.status, 'ok', explain(r));
  });

  test('URL-path ACL on /virtual-room (bumped): path-filtered; /graphql still passes', async (t) => {
    const r = await squidRun(t, { bump: true, denyPathRegex: '^/virtual-room' }, { trustBumpCa: true });
    assert.ok(causeIds(r).includes('path-filtered'), explain(r));
    const vr = check(r, 'http.path', `https://${SIGN_DOMAIN}/virtual-room/probe/existence`)!;
    assert.equal(vr.status, 'failed', explain(r));
    assert.equal(vr.error?.code, 'HTTP_BLOCKED_BY_PROXY');
    const gql = check(r, 'http.path', `https://${SIGN_DOMAIN}/graphql`)!;
    assert.equal(gql.status, 'ok', explain(r));
    assert.ok(!causeIds(r).includes('keyword-filtered'), explain(r));
  });

  test('bump without a path ACL: no path-filtered', async (t) => {
    const r = await squidRun(t, { bump: true }, { trustBumpCa: true });
    assert.ok(!causeIds(r).includes('path-filtered'), explain(r));
    assert.equal(check(r, 'http.path', `https://${SIGN_DOMAIN}/virtual-room/probe/existence`)?.status, 'ok', explain(r));
  });

  test('host keyword ACL on "proxy": keyword-filtered for assets-proxy.upscope.io while its siblings pass', async (t) => {
    const r = await squidRun(t, { denyHostRegex: 'proxy' });
    assert.ok(causeIds(r).includes('keyword-filtered'), explain(r));
    assert.match(JSON.stringify(cause(r, 'keyword-filtered')), /assets-proxy\.upscope\.io/);
    assert.ok(!causeIds(r).includes('path-filtered'), explain(r));
    assert.equal(check(r, 'http.path', 'https://code.upscope.io/')?.status, 'ok', explain(r));
    assert.equal(r.ready, false);
  });

  test('proxy demanding basic auth: proxy-auth-required', async (t) => {
    const r = await squidRun(t, { auth: { user: 'alice', password: 's3cret' } });
    assert.ok(causeIds(r).includes('proxy-auth-required'), explain(r));
    assert.ok(r.checks.some((c) => c.error?.code === 'PROXY_AUTH_REQUIRED'), explain(r));
    assert.equal(r.ready, false);
  });

  test('proxy demanding basic auth, credentials in --proxy: netready gets through, and proxy-auth-required all the same (WebRTC cannot answer a 407)', async (t) => {
    const r = await squidRun(t, { auth: { user: 'alice', password: 's3cret' } }, { auth: true });
    assert.ok(causeIds(r).includes('proxy-auth-required'), explain(r));
    assert.match(cause(r, 'proxy-auth-required')!.summary, /\(Basic\) demands authentication.*netready got through with the credentials/);
    assert.ok(!r.checks.some((c) => c.error?.code === 'PROXY_AUTH_REQUIRED'), explain(r));
    assert.equal(r.outcome, 'not-ready');
  });

  test('squid read_timeout 3 s: proxy-idle-timeout with the measured seconds', async (t) => {
    const r = await squidRun(t, { idleTimeoutSec: 3 }, { idleWindowSec: 6 });
    assert.ok(causeIds(r).includes('proxy-idle-timeout'), explain(r));
    const cuts = r.checks.filter((c) => c.id === 'conn.idle' && c.error?.code === 'IDLE_CUT');
    assert.ok(cuts.length > 0, explain(r));
    // squid's read_timeout is checked about once a second (lab-notes: 5 s → cut at 5.0-5.8 s), and the
    // check's idle clock starts when it saw the line go quiet: allow 1.5-5.5 s for 3 s.
    for (const c of cuts) assert.ok(c.metrics.idleCutMs > 1500 && c.metrics.idleCutMs < 5500, `idleCutMs ${c.metrics.idleCutMs}`);
    assert.match(cause(r, "proxy-idle-timeout")!.summary, /cut after \d+(\.\d+)?\s*s/);
  });

  test('squid rewriting text/event-stream to text/plain (bumped): sse-blocked, the rest of /virtual-room passes', async (t) => {
    const r = await squidRun(t, { bump: true, rewriteEventStreamType: 'text/plain' }, { trustBumpCa: true });
    assert.ok(causeIds(r).includes('sse-blocked'), explain(r));
    const sse = r.checks.find((c) => c.id === 'sse.stream' && c.target.includes(PROBE_HOST))!;
    assert.equal(sse.error?.code, 'SSE_NO_STREAM', explain(r));
    assert.match(cause(r, 'sse-blocked')!.summary, /measured on the path to the probe/);
    assert.equal(check(r, 'http.path', `https://${SIGN_DOMAIN}/virtual-room/probe/existence`)?.status, 'ok', explain(r));
    assert.ok(!causeIds(r).includes('sse-buffered'), explain(r));
    assert.ok(!causeIds(r).includes('path-filtered'), explain(r));
  });

  test('squid refusing text/event-stream replies with a 403 (bumped): reported as a middlebox refusal of the event path', async (t) => {
    const r = await squidRun(t, { bump: true, denyReplyMimeRegex: '^text/event-stream' }, { trustBumpCa: true });
    const sse = r.checks.find((c) => c.id === 'sse.stream' && c.target.includes(PROBE_HOST))!;
    assert.equal(sse.error?.code, 'HTTP_BLOCKED_BY_PROXY', explain(r));
    assert.ok(causeIds(r).some((id) => id === 'sse-blocked' || id === 'path-filtered'), explain(r));
    assert.equal(r.ready, false);
  });
});
