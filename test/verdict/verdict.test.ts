import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RawRun } from '../../src/report/types.js';
import { validateReport } from '../../src/report/validate.js';
import { buildReport, RULES } from '../../src/verdict/index.js';

const RAW = fileURLToPath(new URL('../fixtures/raw/', import.meta.url));
const load = (name: string): RawRun => JSON.parse(readFileSync(join(RAW, `${name}.json`), 'utf8'));

// name -> [outcome, tier, cause ids (in report order), symptom ids, unverified rows]
type Want = [string, string | null, string[], string[]?, string[]?];
const EXPECT: Record<string, Want> = {
  // no probe: nothing wrong was found, but the media path and the event-stream buffering are unverified
  clean: ['incomplete', null, [], [], ['video-domains-and-media', 'sse-unbuffered-idle']],
  'clean-media': ['ready', 'optimal', [], [], []],
  'pcc-clean': ['ready', null, [], [], []],
  'probe-unreachable': ['incomplete', null, [], [], ['video-domains-and-media', 'sse-unbuffered-idle']],
  'dns-blocked': ['not-ready', null, ['dns-blocked'], ['video-connect-hangs', 'office-only-failure']],
  'tcp-blocked': ['not-ready', null, ['tcp-blocked'], ['video-connect-hangs', 'office-only-failure']],
  'path-filtered': ['not-ready', null, ['path-filtered'], ['room-never-loads', 'office-only-failure']],
  'keyword-filtered': ['not-ready', null, ['keyword-filtered'], ['cobrowse-partial', 'office-only-failure']],
  'tls-inspection': ['not-ready', null, ['tls-inspection', 'websocket-blocked'], ['video-connect-hangs', 'cobrowse-blank', 'office-only-failure']],
  'tls-inspection-trusted-root': ['not-ready', 'optimal', ['tls-inspection']],
  'websocket-blocked': ['not-ready', null, ['websocket-blocked']],
  'sse-blocked': ['not-ready', null, ['sse-blocked'], ['room-never-loads', 'room-state-stale', 'captions-missing', 'office-only-failure']],
  'sse-buffered': ['not-ready', null, ['sse-buffered'], ['room-never-loads', 'room-state-stale', 'captions-missing', 'office-only-failure']],
  'proxy-idle-timeout': ['ready', 'optimal', ['proxy-idle-timeout'], ['video-poor-quality', 'office-only-failure'], []],
  'proxy-auth-required': ['not-ready', null, ['proxy-auth-required']],
  'proxy-auth-with-credentials': ['not-ready', 'none', ['proxy-auth-required', 'media-unreachable', 'udp-blocked']],
  'pac-required': ['incomplete', null, ['pac-required'], undefined, ['video-domains-and-media']],
  'ocsp-unreachable': ['incomplete', null, ['ocsp-unreachable'], [], ['video-domains-and-media']],
  'pcc-agent-not-running': ['not-ready', null, ['pcc-agent-not-running'], []],
  'pcc-cert-invalid': ['not-ready', null, ['pcc-cert-invalid'], []],
  'pcc-proxy-not-bypassed': ['not-ready', null, ['pcc-proxy-not-bypassed'], []],
  'udp-range-blocked': ['ready', 'recommended-minimum', ['udp-range-blocked']],
  'udp-blocked': ['ready', 'absolute-minimum', ['udp-blocked'], ['video-poor-quality', 'office-only-failure']],
  'turn-tls-blocked': ['ready', 'optimal', ['turn-tls-blocked']],
  'media-unreachable': ['not-ready', 'none', ['turn-tls-blocked', 'media-unreachable', 'udp-blocked'], ['video-freezes', 'video-poor-quality', 'office-only-failure']],
  'low-bandwidth': ['ready', 'optimal', ['low-bandwidth'], ['video-poor-quality']],
  'high-latency': ['ready', 'optimal', ['high-latency'], ['video-poor-quality']],
  'packet-loss': ['ready', 'optimal', ['packet-loss'], ['video-poor-quality']],
  'high-jitter': ['ready', 'optimal', ['high-jitter'], ['video-poor-quality']],
  'vpn-full-tunnel': ['ready', 'optimal', ['vpn-full-tunnel']],
  'combo-office-proxy': ['not-ready', 'absolute-minimum', ['keyword-filtered', 'tls-inspection', 'websocket-blocked', 'proxy-idle-timeout', 'udp-blocked']],
  // the deadline cut co-browsing and media: nothing wrong, but not verified
  'deadline-partial': ['incomplete', null, [], undefined, ['cobrowse-reachable-uninspected', 'video-domains-and-media']],
  'udp-blocked-relay-quality': ['ready', 'absolute-minimum', ['udp-blocked', 'high-latency', 'high-jitter'], ['video-poor-quality', 'office-only-failure']],
};

describe('verdict over the raw fixtures', () => {
  it('covers every fixture file', () => {
    const files = readdirSync(RAW).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    assert.deepEqual(files, Object.keys(EXPECT).sort());
  });
  for (const [name, [outcome, tier, causes, symptoms, unverified]] of Object.entries(EXPECT)) {
    it(name, () => {
      const rep = buildReport(load(name));
      assert.deepEqual(rep.causes.map((c) => c.id), causes);
      assert.equal(rep.tier, tier);
      assert.equal(rep.outcome, outcome);
      assert.equal(rep.ready, outcome === 'ready', 'ready only when the outcome is ready');
      if (symptoms) assert.deepEqual(rep.symptoms.map((s) => s.id), symptoms);
      if (unverified) assert.deepEqual(rep.unverified!.map((u) => u.checklist), unverified);
      if (outcome === 'incomplete') {
        assert.ok(!rep.causes.some((c) => c.severity === 'blocking'), 'incomplete: no blocking cause');
        assert.ok(rep.unverified!.length > 0 && rep.unverified!.every((u) => u.reason.length > 10), 'incomplete: the rows and why');
      }
      assert.deepEqual(validateReport(JSON.parse(JSON.stringify(rep))), []);
      assert.deepEqual(rep.checklist.map((c) => c.id), [
        'sign-domain-reachable', 'websocket-upgrade', 'cobrowse-reachable-uninspected', 'video-domains-and-media',
        'sse-unbuffered-idle', 'vpn-websocket-split-tunnel', 'camera-mic-policy', 'bandwidth-3mbps', 'test-session',
      ]);
      for (const c of rep.causes) {
        assert.ok(c.evidence.length > 0 && c.remedy.length > 20, `${c.id} has evidence and a remedy`);
        for (const e of c.evidence) assert.ok(rep.checks.some((r) => r.id === e), `${c.id} evidence ${e} is a check in the report`);
      }
      for (const it of rep.checklist) if (it.status !== 'pass') assert.ok(it.reason, `${it.id} has a reason`);
    });
  }
});

describe('cause details', () => {
  it('proxy-idle-timeout names the measured seconds', () => {
    const c = buildReport(load('proxy-idle-timeout')).causes[0]!;
    assert.match(c.summary, /idle WebSocket to probe\.netready\.test cut after 5\.2 s/);
    assert.match(c.summary, /measured on the path to the probe https:\/\/probe\.netready\.test \(through http:\/\/proxy\.corp\.example:3128\)/);
    assert.match(c.summary, /≥ 4 h/);
    assert.equal(c.severity, 'degrading');
  });
  it('tls-inspection names the issuer', () => {
    const c = buildReport(load('tls-inspection')).causes.find((x) => x.id === 'tls-inspection')!;
    assert.match(c.summary, /CN=Contoso Inspection CA, O=Contoso IT/);
    assert.match(c.remedy, /\*\.opentok\.com/);
  });
  it('keyword-filtered names the word and the host, and tcp-blocked does not repeat it', () => {
    const rep = buildReport(load('keyword-filtered'));
    assert.match(rep.causes[0]!.summary, /assets-proxy\.upscope\.io \(contains "proxy"\)/);
    assert.deepEqual(rep.causes[0]!.targets, ['assets-proxy.upscope.io']);
  });
  it('one cause for several targets', () => {
    const rep = buildReport(load('sse-buffered'));
    assert.equal(rep.causes.length, 1);
    const idle = buildReport(load('proxy-idle-timeout')).causes;
    assert.equal(idle.length, 1);
    assert.equal(idle[0]!.targets!.length, 2);
  });
  it('turn-tls-blocked is blocking only when UDP is blocked too', () => {
    assert.equal(buildReport(load('turn-tls-blocked')).causes[0]!.severity, 'degrading');
    assert.equal(buildReport(load('media-unreachable')).causes.find((c) => c.id === 'turn-tls-blocked')!.severity, 'blocking');
  });
  it('media profile without media results: tier null, incomplete, and the rows say why', () => {
    const rep = buildReport(load('clean'));
    assert.equal(rep.tier, null);
    assert.ok(rep.notes?.some((n) => n.startsWith('media tier not determined: no probe (--probe)')));
    assert.equal(rep.checklist.find((c) => c.id === 'video-domains-and-media')!.status, 'not-checked');
    assert.match(rep.checklist.find((c) => c.id === 'bandwidth-3mbps')!.reason!, /^no probe \(--probe\)/);
    assert.match(rep.unverified![0]!.reason, /^no probe \(--probe\): measuring the media path/);
  });
  it('an unreachable probe: its failures are no network cause, and the rows name the probe and its error', () => {
    const rep = buildReport(load('probe-unreachable'));
    assert.deepEqual(rep.causes, []);
    for (const u of rep.unverified!) assert.match(u.reason, /the probe https:\/\/probe\.netready\.test could not be reached \(TCP_TIMEOUT/);
  });
  it('an authenticating proxy, credentials given: blocking, the schemes named, TURN over TLS through it not counted', () => {
    const rep = buildReport(load('proxy-auth-with-credentials'));
    const c = rep.causes.find((x) => x.id === 'proxy-auth-required')!;
    assert.equal(c.severity, 'blocking');
    assert.match(c.summary, /\(Basic, NTLM\) demands authentication/);
    assert.match(c.summary, /netready got through with the credentials/);
    assert.equal(rep.tier, 'none');
    assert.equal(rep.causes.find((x) => x.id === 'turn-tls-blocked'), undefined, 'TURN over TLS did relay: not "blocked"');
  });
  it('a vendor chain ending at a --ca root is inspection; inspection of the Sign domain alone is degrading', () => {
    const rep = buildReport(load('tls-inspection-trusted-root'));
    const c = rep.causes.find((x) => x.id === 'tls-inspection')!;
    assert.equal(c.severity, 'blocking');
    assert.match(c.summary, /trusts that root through a --ca file, but it is not a public root/);
    const raw = load('tls-inspection-trusted-root');
    for (const r of raw.results) if (r.id === 'tls.handshake' && r.details?.host !== 'apps.esignlive.com') r.details = { ...r.details, intercepted: undefined };
    for (const r of raw.results) if (r.id === 'tls.handshake' && r.details?.host === 'apps.esignlive.com') r.details = { ...r.details, intercepted: true, rootSource: 'extra' };
    const sign = buildReport(raw);
    assert.equal(sign.causes.find((x) => x.id === 'tls-inspection')!.severity, 'degrading');
    assert.equal(sign.outcome, 'ready');
  });
  it('idle holds prove only their length: the row is a warning naming what was not ruled out', () => {
    const it = buildReport(load('clean-media')).checklist.find((c) => c.id === 'sse-unbuffered-idle')!;
    assert.equal(it.status, 'warn');
    assert.match(it.reason!, /no idle cut within 10\.0 s; 60 s and 5-minute cuts not ruled out/);
  });
  it('a profile without media has tier null and no media note', () => {
    const rep = buildReport(load('pcc-clean'));
    assert.equal(rep.tier, null);
    assert.equal(rep.notes, undefined);
  });
  it('a deadline result is not a network cause, but the run is not ready (incomplete)', () => {
    const rep = buildReport(load('deadline-partial'), { notes: ['replayed'] });
    assert.deepEqual(rep.causes, []);
    assert.equal(rep.ready, false);
    assert.equal(rep.outcome, 'incomplete');
    assert.equal(rep.notes![0], 'replayed');
  });
  it('without direct UDP the quality causes come from the TURN/TLS train, and say so', () => {
    const rep = buildReport(load('udp-blocked-relay-quality'));
    const lat = rep.causes.find((c) => c.id === 'high-latency')!;
    assert.match(lat.summary, /round trip 168 ms to probe\.netready\.test through TURN over TLS 443/);
    assert.deepEqual(lat.evidence, ['quality.relay-train']);
    assert.equal(rep.quality!.path, 'turn-tls');
    assert.equal(rep.quality!.rttMs, 168.4);
    assert.equal(rep.quality!.relayTlsRttMs, 168.4);
    assert.equal(rep.quality!.lossRatio, 0);
  });
  it('a direct train that came back is the media path, whatever the relays measured', () => {
    const raw = load('high-latency');
    raw.results.push({
      id: 'quality.relay-train', target: 'turn:tls:probe.netready.test:443', status: 'ok', durationMs: 900,
      metrics: { rttMs: 20, jitterMs: 1, lossRatio: 0 }, error: null, details: { host: 'probe.netready.test' },
    });
    const rep = buildReport(raw);
    assert.equal(rep.quality!.path, 'direct');
    assert.equal(rep.quality!.relayTlsRttMs, 20);
    const lat = rep.causes.find((c) => c.id === 'high-latency')!;
    assert.deepEqual(lat.evidence, ['quality.udp-train']);
    assert.doesNotMatch(lat.summary, /TURN/);
  });
  it('a throughput figure still climbing when the time ran out (a lower bound) proves no low bandwidth', () => {
    const raw = load('low-bandwidth');
    const tp = raw.results.find((r) => r.id === 'quality.throughput')!;
    tp.details = { ...tp.details, down: { rising: true }, up: { rising: true } };
    const rep = buildReport(raw);
    assert.equal(rep.causes.find((c) => c.id === 'low-bandwidth'), undefined);
    const item = rep.checklist.find((c) => c.id === 'bandwidth-3mbps')!;
    assert.equal(item.status, 'warn');
    assert.match(item.reason!, /lower bound.*--quality-seconds/);
    // one direction level and low: that one is proven
    tp.details = { ...tp.details, down: { rising: true }, up: { rising: false } };
    const rep2 = buildReport(raw);
    assert.match(rep2.causes.find((c) => c.id === 'low-bandwidth')!.summary, /^measured 1\.4 Mbps up to /);
    assert.equal(rep2.checklist.find((c) => c.id === 'bandwidth-3mbps')!.status, 'fail');
  });
  it('quality block carries a MOS', () => {
    const q = buildReport(load('clean-media')).quality!;
    assert.equal(q.downBps, 9.1e6);
    assert.ok(q.mos! > 4 && q.mos! <= 5);
    assert.ok(buildReport(load('packet-loss')).quality!.mos! < q.mos!);
  });
  it('is pure: the same raw gives the same report', () => {
    const a = JSON.stringify(buildReport(load('combo-office-proxy')));
    const b = JSON.stringify(buildReport(load('combo-office-proxy')));
    assert.equal(a, b);
  });
});

describe('rule isolation', () => {
  it('a rule that throws loses only its own cause: a note, internalErrors, the other causes stand, never ready', () => {
    const raw = load('tls-inspection');
    const boom = { id: 'websocket-blocked' as const, reads: ['ws.upgrade'] as const, evaluate(): never { throw new Error('boom'); } };
    const rules = [...RULES.filter((r) => r.id !== 'websocket-blocked'), boom];
    const rep = buildReport(raw, { rules });
    assert.deepEqual(rep.causes.map((c) => c.id), ['tls-inspection']);
    assert.deepEqual(rep.internalErrors, ['websocket-blocked: boom']);
    assert.ok(rep.notes!.some((n) => /the rule for websocket-blocked failed \(boom\)/.test(n)));
    assert.deepEqual(validateReport(JSON.parse(JSON.stringify(rep))), []);
    // with nothing blocking found, a cause not judged is not a cause proved absent
    const clean = buildReport(load('clean-media'), { rules: [...RULES, boom] });
    assert.equal(clean.outcome, 'incomplete');
    assert.equal(clean.ready, false);
  });
});
