// The lab runner's expect: comparison (lab/runner.ts compare), on report objects: no network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare } from '../../lab/runner.js';

const report = {
  ready: true,
  tier: 'optimal',
  causes: [{ id: 'high-latency', summary: 'round trip 201 ms (limit 150 ms)' }],
  checks: [
    { id: 'webrtc.ice', target: 'host-udp', status: 'ok', error: null },
    { id: 'webrtc.ice', target: 'relay-tls', status: 'timeout', error: { code: 'ICE_TIMEOUT' } },
  ],
};

test('expect.checks: every result of the id (or id + target) must have the status', () => {
  assert.deepEqual(compare({ checks: { 'webrtc.ice host-udp': 'ok' } }, report, 0), []);
  assert.deepEqual(compare({ checks: { 'webrtc.ice': 'ok' } }, report, 0), ['webrtc.ice relay-tls timeout ICE_TIMEOUT (want ok)']);
  assert.deepEqual(compare({ checks: { 'webrtc.ice relay-udp': 'ok' } }, report, 0), ['no result for webrtc.ice relay-udp']);
});

test('expect: causes, notCauses, causeText and the exit code', () => {
  assert.deepEqual(compare({ causes: ['high-latency'], causeText: { 'high-latency': '150 ms' }, ready: true }, report, 0), []);
  assert.deepEqual(compare({ causes: [], notCauses: ['high-latency'], ready: false }, report, 0), [
    'ready true (want false)',
    'causes [high-latency] (want none)',
    'unwanted cause high-latency',
    'exit 0 (want 1)',
  ]);
});

test('expect.outcome: compared with the report and gives the default exit code (ready 0, not-ready 1, incomplete 4)', () => {
  const incomplete = { ...report, ready: false, outcome: 'incomplete', causes: [] };
  assert.deepEqual(compare({ outcome: 'incomplete', causes: [] }, incomplete, 4), []);
  assert.deepEqual(compare({ outcome: 'incomplete' }, incomplete, 1), ['exit 1 (want 4)']);
  assert.deepEqual(compare({ outcome: 'ready' }, incomplete, 4), ['outcome incomplete (want ready)', 'exit 4 (want 0)']);
  // a report from before the outcome field: the mismatch is named, not hidden
  assert.deepEqual(compare({ outcome: 'not-ready' }, { ...report, ready: false }, 1), ['outcome undefined (want not-ready)']);
});

test('expect.maxSeconds: the report was written within the bound (its durationMs)', () => {
  assert.deepEqual(compare({ maxSeconds: 21 }, { ...report, durationMs: 20_400 }, 0), []);
  assert.deepEqual(compare({ maxSeconds: 21 }, { ...report, durationMs: 21_300 }, 0), ['durationMs 21300 (want at most 21000)']);
  assert.deepEqual(compare({ maxSeconds: 21 }, report, 0), ['durationMs undefined (want at most 21000)']);
});

test('expect.routes and expect.notes: the route to a host (route, source, what carried it) and the notes', () => {
  const withRoutes = {
    ...report,
    notes: ['proxy: PAC http://wpad.corp.lab.test/wpad.dat from WPAD auto-discovery'],
    context: {
      routes: [
        { host: 'apps.esignlive.com', route: 'http://198.18.2.2:3128', source: 'PAC http://wpad.corp.lab.test/wpad.dat (WPAD auto-discovery)', carriedBy: 'PROXY 198.18.2.2:3128' },
        { host: 'config.opentok.com', route: 'direct', source: 'no proxy found' },
      ],
    },
  };
  assert.deepEqual(compare({ routes: { 'Apps.esignlive.com': '3128 \\(PAC .*WPAD.*\\) carried by PROXY', 'config.opentok.com': '^direct' }, notes: ['^proxy: PAC .* from WPAD'] }, withRoutes, 0), []);
  assert.deepEqual(compare({ routes: { 'config.opentok.com': 'WPAD', 'anvil.opentok.com': '.' }, notes: ['no proxy found'] }, withRoutes, 0), [
    'route to config.opentok.com "direct (no proxy found)" does not match /WPAD/',
    'no route for anvil.opentok.com in the report\'s context',
    'no note matches /no proxy found/',
  ]);
});
