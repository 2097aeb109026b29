import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RawRun } from '../../src/report/types.js';
import { validateReport } from '../../src/report/validate.js';
import { buildReport } from '../../src/verdict/index.js';

const RAW = fileURLToPath(new URL('../fixtures/raw/', import.meta.url));
const load = (name: string): RawRun => JSON.parse(readFileSync(join(RAW, `${name}.json`), 'utf8'));

// name -> [ready, tier, cause ids (in report order), symptom ids]
const EXPECT: Record<string, [boolean, string | null, string[], string[]?]> = {
  clean: [true, null, [], []],
  'clean-media': [true, 'optimal', [], []],
  'pcc-clean': [true, null, [], []],
  'dns-blocked': [false, null, ['dns-blocked'], ['video-connect-hangs', 'office-only-failure']],
  'tcp-blocked': [false, null, ['tcp-blocked'], ['video-connect-hangs', 'office-only-failure']],
  'path-filtered': [false, null, ['path-filtered'], ['room-never-loads', 'office-only-failure']],
  'keyword-filtered': [false, null, ['keyword-filtered'], ['cobrowse-partial', 'office-only-failure']],
  'tls-inspection': [false, null, ['tls-inspection', 'websocket-blocked'], ['video-connect-hangs', 'cobrowse-blank', 'office-only-failure']],
  'websocket-blocked': [false, null, ['websocket-blocked']],
  'sse-blocked': [false, null, ['sse-blocked'], ['room-never-loads', 'room-state-stale', 'captions-missing', 'office-only-failure']],
  'sse-buffered': [false, null, ['sse-buffered'], ['room-never-loads', 'room-state-stale', 'captions-missing', 'office-only-failure']],
  'proxy-idle-timeout': [true, null, ['proxy-idle-timeout'], ['video-poor-quality', 'office-only-failure']],
  'proxy-auth-required': [false, null, ['proxy-auth-required']],
  'pac-required': [true, null, ['pac-required']],
  'ocsp-unreachable': [true, null, ['ocsp-unreachable'], []],
  'pcc-agent-not-running': [false, null, ['pcc-agent-not-running'], []],
  'pcc-cert-invalid': [false, null, ['pcc-cert-invalid'], []],
  'pcc-proxy-not-bypassed': [false, null, ['pcc-proxy-not-bypassed'], []],
  'udp-range-blocked': [true, 'recommended-minimum', ['udp-range-blocked']],
  'udp-blocked': [true, 'absolute-minimum', ['udp-blocked'], ['video-poor-quality', 'office-only-failure']],
  'turn-tls-blocked': [true, 'optimal', ['turn-tls-blocked']],
  'media-unreachable': [false, 'none', ['turn-tls-blocked', 'media-unreachable', 'udp-blocked'], ['video-freezes', 'video-poor-quality', 'office-only-failure']],
  'low-bandwidth': [true, 'optimal', ['low-bandwidth'], ['video-poor-quality']],
  'high-latency': [true, 'optimal', ['high-latency'], ['video-poor-quality']],
  'packet-loss': [true, 'optimal', ['packet-loss'], ['video-poor-quality']],
  'high-jitter': [true, 'optimal', ['high-jitter'], ['video-poor-quality']],
  'vpn-full-tunnel': [true, 'optimal', ['vpn-full-tunnel']],
  'combo-office-proxy': [false, 'absolute-minimum', ['keyword-filtered', 'tls-inspection', 'websocket-blocked', 'proxy-idle-timeout', 'udp-blocked']],
  'deadline-partial': [false, null, []],
  'udp-blocked-relay-quality': [true, 'absolute-minimum', ['udp-blocked', 'high-latency', 'high-jitter'], ['video-poor-quality', 'office-only-failure']],
};

describe('verdict over the raw fixtures', () => {
  it('covers every fixture file', () => {
    const files = readdirSync(RAW).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    assert.deepEqual(files, Object.keys(EXPECT).sort());
  });
  for (const [name, [ready, tier, causes, symptoms]] of Object.entries(EXPECT)) {
    it(name, () => {
      const rep = buildReport(load(name));
      assert.deepEqual(rep.causes.map((c) => c.id), causes);
      assert.equal(rep.tier, tier);
      assert.equal(rep.ready, ready);
      if (symptoms) assert.deepEqual(rep.symptoms.map((s) => s.id), symptoms);
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
    assert.match(c.summary, /idle WebSocket to apps\.esignlive\.com cut after 5\.2 s/);
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
    assert.equal(idle[0]!.targets!.length, 3);
  });
  it('turn-tls-blocked is blocking only when UDP is blocked too', () => {
    assert.equal(buildReport(load('turn-tls-blocked')).causes[0]!.severity, 'degrading');
    assert.equal(buildReport(load('media-unreachable')).causes.find((c) => c.id === 'turn-tls-blocked')!.severity, 'blocking');
  });
  it('media profile without media results: tier null and a note', () => {
    const rep = buildReport(load('clean'));
    assert.equal(rep.tier, null);
    assert.ok(rep.notes?.some((n) => n.includes('media checks not run')));
    assert.equal(rep.checklist.find((c) => c.id === 'video-domains-and-media')!.status, 'not-checked');
    assert.equal(rep.checklist.find((c) => c.id === 'bandwidth-3mbps')!.reason, 'needs --probe');
  });
  it('a profile without media has tier null and no media note', () => {
    const rep = buildReport(load('pcc-clean'));
    assert.equal(rep.tier, null);
    assert.equal(rep.notes, undefined);
  });
  it('a deadline result is not a network cause, but the run is not ready', () => {
    const rep = buildReport(load('deadline-partial'), { notes: ['replayed'] });
    assert.deepEqual(rep.causes, []);
    assert.equal(rep.ready, false);
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
    assert.match(rep2.causes.find((c) => c.id === 'low-bandwidth')!.summary, /^measured up 1\.4 Mbps:/);
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
