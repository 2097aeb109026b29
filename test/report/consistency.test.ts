// Consistency of every golden report (the verdict over each raw fixture) and every recorded lab
// report: assertions over the JSON that no report claims more than it proved or contradicts
// itself — the kinds of contradiction an admin would be sent after the wrong thing by.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CheckResult } from '../../src/checks/types.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { renderTerminal } from '../../src/report/terminal.js';
import type { ChecklistId, RawRun, Report } from '../../src/report/types.js';
import { buildReport } from '../../src/verdict/index.js';
import { hostFromTarget } from '../../src/verdict/input.js';
import { loadGoldenFile } from '../support/golden.js';

const dir = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const load = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Report;
const REPORTS: [string, () => Report][] = [
  ...readdirSync(dir('../fixtures/golden/')).filter((f) => f.endsWith('.report.json')).map((f) => [`golden ${f}`, () => loadGoldenFile(join(dir('../fixtures/golden/'), f))] as [string, () => Report]),
  // Lab runs recorded as raw evidence (test/fixtures/recorded/README.md): this netready's verdict over them.
  ...readdirSync(dir('../fixtures/recorded/')).filter((f) => f.endsWith('.raw.json')).map((f) => [`lab run ${f}`, () => buildReport(load(join(dir('../fixtures/recorded/'), f)) as unknown as RawRun)] as [string, () => Report]),
  // Reports recorded by an earlier netready (the comparison's fixtures): their structure.
  ...readdirSync(dir('../fixtures/compare/')).filter((f) => f.endsWith('.report.json')).map((f) => [`recorded ${f}`, () => load(join(dir('../fixtures/compare/'), f))] as [string, () => Report]),
];

const BAD = new Set(['failed', 'timeout']);
const DEADLINE = new Set(['DEADLINE_EXCEEDED', 'DEADLINE_NOT_STARTED']);
const isBad = (c: CheckResult) => BAD.has(c.status) && !DEADLINE.has(c.error?.code ?? '');

// Contract cause table: fixed severities (turn-tls-blocked and tls-inspection depend on the case).
const SEVERITY: Record<string, string> = {
  'dns-blocked': 'blocking', 'tcp-blocked': 'blocking', 'path-filtered': 'blocking', 'keyword-filtered': 'blocking', 'websocket-blocked': 'blocking',
  'sse-blocked': 'blocking', 'sse-buffered': 'blocking', 'proxy-idle-timeout': 'degrading', 'proxy-auth-required': 'blocking', 'pac-required': 'degrading',
  'udp-blocked': 'degrading', 'udp-range-blocked': 'degrading', 'media-unreachable': 'blocking', 'low-bandwidth': 'degrading', 'high-latency': 'degrading',
  'packet-loss': 'degrading', 'high-jitter': 'degrading', 'vpn-full-tunnel': 'degrading', 'ocsp-unreachable': 'degrading',
  'pcc-agent-not-running': 'blocking', 'pcc-cert-invalid': 'blocking', 'pcc-proxy-not-bypassed': 'blocking',
};

/** The checks a checklist row may cite, and the host roles its failures must be about (seed 000 checklist). */
const ROWS: Partial<Record<ChecklistId, { checks: string[]; roles?: string[] }>> = {
  'sign-domain-reachable': { checks: ['dns.resolve', 'tcp.connect', 'tls.handshake', 'http.path'], roles: ['sign'] },
  'websocket-upgrade': { checks: ['ws.upgrade'], roles: ['sign', 'video'] },
  'cobrowse-reachable-uninspected': { checks: ['dns.resolve', 'dns.zone', 'tcp.connect', 'tls.handshake', 'http.path', 'ws.upgrade'], roles: ['cobrowse'] },
  'video-domains-and-media': { checks: ['dns.resolve', 'dns.zone', 'tcp.connect', 'tls.handshake', 'http.path', 'stun.binding', 'turn.allocate'], roles: ['video', 'media', 'probe'] },
  'sse-unbuffered-idle': { checks: ['sse.stream', 'conn.idle'], roles: ['sign', 'probe'] },
  'vpn-websocket-split-tunnel': { checks: ['vpn.route', 'ws.upgrade'] },
  'bandwidth-3mbps': { checks: ['quality.throughput'] },
};

/** Every string a person reads in the report. */
function texts(r: Report): string[] {
  return [
    ...r.causes.flatMap((c) => [c.summary, c.remedy, c.title ?? '', ...(c.facts ?? []).map((f) => f.result), ...(c.howto ?? []).map((h) => h.text)]),
    ...r.checklist.map((i) => i.reason ?? ''),
    ...r.symptoms.map((s) => s.text),
    ...(r.notes ?? []),
    ...(r.unverified ?? []).map((u) => u.reason),
  ].filter(Boolean);
}

function roles(r: Report): Map<string, string> {
  const out = new Map<string, string>();
  try {
    for (const h of loadProfiles(r.profiles, Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, v]))).hosts) out.set(h.host.toLowerCase(), h.role);
  } catch {
    /* a profile of a user's own file: roles from the checks alone */
  }
  const probe = r.context?.options?.probe;
  if (probe) out.set(new URL(probe).hostname.toLowerCase(), 'probe');
  for (const c of r.checks) if (c.details?.farEnd === 'probe') out.set(String(c.details.host ?? hostFromTarget(c.target)), 'probe');
  return out;
}

const hostOf = (c: CheckResult) => (typeof c.details?.host === 'string' ? c.details.host.toLowerCase() : (hostFromTarget(c.target) ?? c.target));

describe('every golden and recorded report is consistent', () => {
  it('has reports to check', () => assert.ok(REPORTS.length >= 30, `${REPORTS.length} reports`));
  for (const [name, get] of REPORTS) {
    it(name, () => {
      const r = get();
      const ids = new Set(r.causes.map((c) => c.id));
      const q = r.quality;
      const outcome = r.outcome ?? (r.ready ? 'ready' : 'not-ready');
      const item = (id: string) => r.checklist.find((i) => i.id === id);
      const all = texts(r);

      // Tier none: no media path, so no resolution, no bandwidth pass, and media-unreachable says so.
      if (r.tier === 'none') {
        assert.ok(!(typeof q?.videoResolution === 'string' && q.videoResolution !== 'none'), 'tier none shows no usable video resolution');
        assert.notEqual(item('bandwidth-3mbps')?.status, 'pass', 'tier none: no bandwidth pass');
        assert.ok(ids.has('media-unreachable'), 'tier none comes with media-unreachable');
      } else assert.ok(!ids.has('media-unreachable'), 'media-unreachable only with tier none');
      if (r.tier === 'optimal' || r.tier === 'recommended-minimum') assert.ok(!ids.has('udp-blocked'), 'a UDP tier and udp-blocked contradict');

      // Causes do not contradict each other.
      assert.ok(!(ids.has('udp-blocked') && ids.has('udp-range-blocked')), 'UDP blocked and "UDP 3478 passes" at once');
      if (ids.has('turn-tls-blocked') || ids.has('media-unreachable'))
        for (const c of r.causes) assert.doesNotMatch(c.summary, /falls back to TURN over (TCP\/)?TLS 443(?!.*not measured)/, `${c.id} promises the TURN fallback that another cause says is blocked`);
      // A cause does not contradict its own evidence ("answered 101 instead of 101").
      for (const s of all) assert.doesNotMatch(s, /\b(\d{3}) instead of \1\b/, 'a status "instead of" itself');
      // A remedy fits the path it was measured on: no UDP QoS for figures measured over TURN/TLS (TCP).
      for (const c of r.causes.filter((x) => ['high-jitter', 'packet-loss'].includes(x.id) && /TURN over TLS/.test(x.summary)))
        assert.doesNotMatch(c.remedy, /DSCP|QoS for UDP media, DSCP/, `${c.id} measured over TURN/TLS gets a UDP QoS fix`);
      // Severities as the contract's table; every cause's evidence is a check the report holds.
      const checkIds = new Set(r.checks.map((c) => c.id));
      for (const c of r.causes) {
        if (SEVERITY[c.id]) assert.equal(c.severity, SEVERITY[c.id], `${c.id} severity`);
        for (const e of c.evidence) assert.ok(checkIds.has(e), `${c.id} cites ${e}, which the report lacks`);
      }
      // The outcome agrees with the causes and the rows.
      const blocking = r.causes.some((c) => c.severity === 'blocking');
      if (outcome === 'ready') {
        assert.ok(!blocking, 'ready with a blocking cause');
        assert.equal(r.ready, true);
      }
      if (outcome === 'incomplete') {
        assert.ok(!blocking, 'incomplete with a blocking cause');
        assert.ok((r.unverified ?? []).length > 0, 'incomplete names what was not verified');
      }
      if (blocking) assert.equal(outcome, 'not-ready');
      // Symptoms come from causes in the report.
      for (const s of r.symptoms) for (const c of s.causes ?? []) assert.ok(ids.has(c), `symptom ${s.id} from absent cause ${c}`);
      if (!r.causes.length) assert.deepEqual(r.symptoms, [], 'symptoms without a cause');

      // ✔ only where something passed: a passed row cites a check that is ok.
      for (const i of r.checklist.filter((x) => x.status === 'pass')) {
        assert.ok(i.evidence.length > 0, `${i.id} passes on no evidence`);
        assert.ok(r.checks.some((c) => i.evidence.includes(c.id) && c.status === 'ok'), `${i.id} passes, but none of ${i.evidence.join(', ')} is ok`);
      }
      // A row fails only from evidence about that row.
      const role = roles(r);
      for (const i of r.checklist.filter((x) => x.status === 'fail')) {
        const row = ROWS[i.id];
        assert.ok(row, `${i.id} cannot fail from the network`);
        for (const e of i.evidence) assert.ok(row.checks.includes(e), `${i.id} cites ${e}, which is not about this row`);
        const own = r.checks.filter((c) => row.checks.includes(c.id) && (isBad(c) || (c.id === 'tls.handshake' && c.details?.intercepted === true)));
        const about = own.filter((c) => !row.roles || ['stun.binding', 'turn.allocate'].includes(c.id) || row.roles.includes(role.get(hostOf(c)) ?? ''));
        if (i.id === 'vpn-websocket-split-tunnel') assert.ok(r.checks.some((c) => c.id === 'vpn.route' && c.details?.viaTunnel === true), 'the VPN row fails without a tunnel on the route');
        else if (i.id === 'bandwidth-3mbps') assert.ok(r.checks.some((c) => c.id === 'quality.throughput'), 'the bandwidth row fails without a throughput result');
        else assert.ok(about.length > 0, `${i.id} fails, but no check about it failed`);
      }

      // The change list: each row asked for by a cause of the report.
      for (const x of r.changes ?? []) for (const w of x.why) assert.ok(ids.has(w), `change for absent cause ${w}`);

      // Words for people: documents by title, full lists, rounded numbers. (A recorded report keeps
      // the words of the netready that recorded it; its structure is checked above.)
      if (!name.startsWith('recorded')) for (const s of all) {
        assert.doesNotMatch(s, /\bseed 0\d\d\b|\bsection \d\b(?! domains)/i, `an internal citation: ${s}`);
        assert.doesNotMatch(s, /\d+\.\d{4,}/, `an unrounded number: ${s}`);
      }
      if (r.causes.some((c) => c.title)) for (const s of all) assert.doesNotMatch(s, /\band \d+ more\b/, `a list cut in the file: ${s}`);

      // The terminal: counts match the names it prints; 80 columns; the verdict last.
      const term = renderTerminal(r, { color: false, written: ['r.json'] });
      for (const l of term.split('\n')) assert.ok([...l].length <= 80, `wider than 80 columns: ${l}`);
      const flat = term.replace(/\n {4}(?=\S)/g, ' ');
      const passed = /(\d+) hosts? passed every check (?:they|it) ran: (.*)$/m.exec(flat);
      if (passed) {
        const more = /and (\d+) more$/.exec(passed[2]!);
        const named = passed[2]!.replace(/ and \d+ more$/, '').split(', ').length;
        assert.equal(Number(passed[1]), named + (more ? Number(more[1]) : 0), `"${passed[0]}" counts what it names`);
      }
      const tail = term.trimEnd().split('\n');
      assert.match(tail.at(-1)!, /^wrote r\.json$/);
      assert.ok(tail.slice(-24).some((l) => /^(READY|READY WITH WARNINGS|NOT READY|INCOMPLETE) ·/.test(l)), 'the verdict is on the last screen (24 lines)');
    });
  }
});
