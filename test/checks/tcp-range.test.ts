// tcp.range: the 2013 document's IP ranges, one TCP connection per range and port, reported per
// range. The ranges' addresses are never contacted: --connect-to moves each range's first host
// address to a loopback server (open) or a closed loopback port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { firstHostAddress, tcpRange } from '../../src/checks/tcp-range.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { buildReport } from '../../src/verdict/index.js';
import { config, get, runChecks } from './helpers.js';
import type { RawRun } from '../../src/report/types.js';

test('the first host address of a range', () => {
  assert.equal(firstHostAddress('70.42.47.64/26'), '70.42.47.65');
  assert.equal(firstHostAddress('212.118.226.32/27'), '212.118.226.33');
  assert.equal(firstHostAddress('216.151.209.20/32'), '216.151.209.20');
  assert.equal(firstHostAddress('216.151.209.20'), '216.151.209.20');
  assert.equal(firstHostAddress('70.42.47.70/26'), '70.42.47.65', 'host bits cleared');
  assert.equal(firstHostAddress('300.1.1.1/24'), null);
  assert.equal(firstHostAddress('2001:db8::/32'), null);
});

test('plan: one task per published range and TCP port of its port set (seed 002), deduplicated across hosts', () => {
  const tasks = tcpRange.plan(loadProfiles(['opentok-2013'], {}), config());
  const targets = tasks.map((t) => t.target).sort();
  // three ranges x TCP 80, 443, 3478, 5560, plus the two hlg addresses x 80, 443
  assert.equal(targets.length, 3 * 4 + 2 * 2);
  assert.ok(targets.includes('70.42.47.64/26:5560'));
  assert.ok(targets.includes('216.151.209.15/32:443'));
  assert.deepEqual(tcpRange.plan(loadProfiles(['onespan-virtual-room'], {}), config()), []);
});

test('run: per range and port, ok where the range answers, failed where it does not; a note per range', async (t) => {
  const srv = net.createServer((s) => s.end());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const open = (srv.address() as net.AddressInfo).port;
  const c = net.createServer();
  await new Promise<void>((r) => c.listen(0, '127.0.0.1', r));
  const closed = (c.address() as net.AddressInfo).port;
  await new Promise<void>((r) => c.close(() => r()));
  const profiles = loadProfiles(['opentok-2013'], {});
  const connectTo = [
    { host: '70.42.47.65', port: 443, toHost: '127.0.0.1', toPort: open },
    { host: '70.42.47.65', port: null, toHost: '127.0.0.1', toPort: closed },
    { host: null, port: null, toHost: '127.0.0.1', toPort: closed },
  ];
  const { byKey, results } = await runChecks([tcpRange], profiles, config({ connectTo }));
  assert.equal(get(byKey, 'tcp.range 70.42.47.64/26:443').status, 'ok');
  const refused = get(byKey, 'tcp.range 70.42.47.64/26:5560');
  assert.equal(refused.error?.code, 'TCP_REFUSED');
  assert.equal(refused.details?.range, '70.42.47.64/26');
  assert.equal(refused.details?.rangeAddress, '70.42.47.65');
  // the verdict: no cause from a historical document's ranges, one note per range
  const raw: RawRun = { schema: 'netready/raw@1', tool: { name: 'netready', version: 't' }, profiles: ['opentok-2013'], params: {}, hosts: profiles.hosts, media: true, proxy: { explicit: null, pac: null, env: {} }, startedAt: new Date(0).toISOString(), durationMs: 1, deadlineHit: false, results };
  const rep = buildReport(raw);
  assert.deepEqual(rep.causes, []);
  assert.ok(rep.notes!.includes('IP range 70.42.47.64/26 (OpenTok Network Connectivity Requirements, 2013): TCP 443 answer; TCP 80, 3478, 5560 do not'), rep.notes!.join('\n'));
});
