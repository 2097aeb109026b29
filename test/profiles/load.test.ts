import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinProfileIds, loadProfiles, readProfile } from '../../src/profiles/load.js';
import { UsageError } from '../../src/shared/errors.js';

test('the four built-in profiles load and cite their seeds', () => {
  assert.deepEqual(builtinProfileIds(), ['onespan-virtual-room', 'opentok-2013', 'pcc-local-agent', 'vonage-video']);
  const seeds: Record<string, string> = {
    'onespan-virtual-room': '000_637c892c7d775e13.txt',
    'vonage-video': '001_853fb095b65f741b.txt',
    'opentok-2013': '002_366555b85f8bab97.txt',
    'pcc-local-agent': '003_606ee1d65ee49d3b.txt',
  };
  for (const id of builtinProfileIds()) {
    const set = loadProfiles([id], {});
    assert.equal(set.profiles[0].source, seeds[id]);
    for (const h of set.hosts) assert.match(h.source, /^\d{3}_[0-9a-f]+\.txt: /, `${id} ${h.host} cites its seed`);
  }
});

test('Virtual Room: six allowlist rows, the paths, the Upscope hosts; unified adds *.vonage.com', () => {
  const set = loadProfiles(['onespan-virtual-room'], { signDomain: 'sign.example.test' });
  const names = set.hosts.map((h) => h.host);
  const sign = set.hosts.find((h) => h.host === 'sign.example.test')!;
  assert.deepEqual(sign.http.map((p) => p.path), ['/virtual-room/probe/existence', '/graphql', '/transaction/netready-probe']);
  assert.deepEqual(sign.sse.map((p) => p.path), ['/virtual-room/netready-probe/event']);
  for (const n of ['config.opentok.com', 'anvil.opentok.com', 'assets-proxy.upscope.io', 'cobrowsingapi.com', 'data--ap-southeast.upscope.io'])
    assert.ok(names.includes(n), n);
  assert.equal(set.hosts.filter((h) => h.group === 'upscope').length, 13);
  // No invented names: a wildcard without a name from the requirements is checked at its zone.
  for (const n of ['signal.media.prod.tokbox.com', 'api.vonage.com']) assert.ok(!names.includes(n), n);
  const zone = set.hosts.find((h) => h.wildcard === '*.media.prod.tokbox.com')!;
  assert.equal(zone.host, 'media.prod.tokbox.com');
  assert.equal(zone.zone, true);
  assert.ok(!names.includes('vonage.com'));
  const unified = loadProfiles(['onespan-virtual-room'], { unified: true });
  assert.ok(unified.hosts.some((h) => h.host === 'vonage.com' && h.zone && h.wildcard === '*.vonage.com'));
  // a name the user found (e.g. in the browser's developer tools) is checked as a host
  const given = loadProfiles(['onespan-virtual-room'], { tokboxMediaHost: 'mt1.media.prod.tokbox.com' });
  const mt = given.hosts.find((h) => h.host === 'mt1.media.prod.tokbox.com')!;
  assert.equal(mt.zone, undefined);
  assert.deepEqual(mt.tcp, [443]);
  assert.equal(set.media, true);
});

test('OpenTok 2013 is historical and its expanded names are netready\'s own choice', () => {
  const set = loadProfiles(['opentok-2013'], {});
  assert.match(set.profiles[0]!.historical!, /2013/);
  assert.equal(set.hosts.find((h) => h.host === 'mantis403-oak.tokbox.com')!.chosen, true);
  assert.equal(set.hosts.find((h) => h.host === 'api.tokbox.com')!.chosen, undefined);
  assert.ok(set.hosts.every((h) => h.historical === true));
});

test('OpenTok 2013: asterisk expanded to 1..8 for six server families, plus api and hlg', () => {
  const set = loadProfiles(['opentok-2013'], {});
  assert.equal(set.hosts.length, 50);
  assert.ok(set.hosts.some((h) => h.host === 'turn808-lhr.tokbox.com'));
  assert.deepEqual(set.hosts.find((h) => h.host === 'mantis401-oak.tokbox.com')!.tcp, [80, 443, 3478, 5560]);
});

test('Vonage video carries the OCSP/CRL hosts on port 80; PCC carries the six agent ports', () => {
  const v = loadProfiles(['vonage-video'], {});
  assert.deepEqual(v.hosts.filter((h) => h.role === 'ocsp').map((h) => [h.host, h.tcp]), [['ocsp.godaddy.com', [80]], ['crl.godaddy.com', [80]]]);
  const p = loadProfiles(['pcc-local-agent'], {});
  assert.deepEqual(p.pcc?.ports, [26666, 31222, 32444, 44555, 47777, 48888]);
  assert.equal(p.media, false);
});

test('merging profiles de-duplicates hosts and merges their ports and paths', () => {
  const set = loadProfiles(['onespan-virtual-room', 'vonage-video'], {});
  assert.equal(set.hosts.filter((h) => h.host === 'config.opentok.com').length, 1);
  assert.match(set.hosts.find((h) => h.host === 'config.opentok.com')!.source, /000_.*001_/s);
});

test('a broken profile names the file, the field and what was expected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nr-prof-'));
  try {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'id: x\ntitle: t\nsource: 000.txt\nmedia: true\nparams: []\nhosts:\n  - host: a.example\n    role: sign\n    required: always\n    source: "000 row"\n    tcp: [443, 70000]\n');
    assert.throws(() => readProfile(bad), (e: Error) => e instanceof UsageError && /bad\.yaml: field hosts\.0\.tcp\.1: expected a port 1-65535, got 70000/.test(e.message));
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'id: [unclosed\n');
    assert.throws(() => readProfile(broken), (e: Error) => e instanceof UsageError && /broken\.yaml: not valid YAML/.test(e.message));
    assert.throws(() => readProfile('no-such-profile'), /unknown profile "no-such-profile"/);
    assert.throws(() => loadProfiles(['onespan-virtual-room'], { nope: 'x' }), /unknown parameter "nope"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
