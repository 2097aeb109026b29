// `netready allowlist`: goldens of every format for every built-in profile, what the list is built
// from (wildcards and the documents' names, never netready's representative names), and the PAC
// evaluated by the engine `check --pac` uses (src/net/proxy.ts: quickjs-wasi + pac-resolver).
// UPDATE_GOLDEN=1 node --import tsx --test test/report/allowlist.test.ts  regenerates the goldens.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { allowlistText, pacAnswerFor } from '../../src/cli/allowlist-command.js';
import { defaultConfig } from '../../src/shared/config.js';
import { createProxyResolver } from '../../src/net/proxy.js';
import { builtinProfileIds, instantiate, readProfile } from '../../src/profiles/load.js';
import { buildAllowlist, covers, NO_INSPECTION, type Allowlist } from '../../src/report/allowlist.js';
import { ALLOWLIST_FORMATS } from '../../src/report/allowlist-formats.js';

const GOLDEN = fileURLToPath(new URL('../fixtures/allowlist/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const EXT: Record<(typeof ALLOWLIST_FORMATS)[number], string> = { csv: 'csv', json: 'json', md: 'md', squid: 'squid.conf', nft: 'nft', pac: 'pac', ngfw: 'ngfw.csv' };
const dir = mkdtempSync(join(tmpdir(), 'nr-allowlist-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function golden(file: string, text: string): void {
  const path = join(GOLDEN, file);
  if (update) return writeFileSync(path, text);
  assert.ok(existsSync(path), `${file} missing: run with UPDATE_GOLDEN=1`);
  assert.equal(text, readFileSync(path, 'utf8'), `${file} differs from the golden file (UPDATE_GOLDEN=1 to accept)`);
}

for (const id of builtinProfileIds())
  test(`golden allowlist ${id}: ${ALLOWLIST_FORMATS.join(', ')}`, () => {
    for (const format of ALLOWLIST_FORMATS) golden(`${id}.${EXT[format]}`, allowlistText({ profile: [id], format }));
    // The JSON (one entry per line) is the model itself.
    assert.deepEqual(JSON.parse(allowlistText({ profile: [id], format: 'json' })), buildAllowlist([id], {}));
    // CSV: one row per entry plus the header, every row as many cells as the header.
    const csv = allowlistText({ profile: [id], format: 'csv' }).trimEnd().split('\n');
    assert.equal(csv.length, buildAllowlist([id], {}).entries.length + 1);
  });

test('golden: the PAC with --proxy, Virtual Room + the local agent', () => {
  golden('onespan-virtual-room+pcc-local-agent.proxy.pac', allowlistText({ profile: ['onespan-virtual-room', 'pcc-local-agent'], format: 'pac', proxy: 'http://proxy.corp.test:3128' }));
});

/** Names that stand for a wildcard and come from a parameter: what netready tests through, not what a document lists. */
function representativeNames(id: string, params: Record<string, string | boolean> = {}): string[] {
  const raw = readProfile(id);
  const paramNames = new Set(raw.params.map((p) => p.name));
  const templates = raw.hosts.filter((h) => h.wildcard && [...h.host.matchAll(/\{(\w+)\}/g)].some((m) => paramNames.has(m[1]!)));
  return templates.flatMap((h) => instantiate({ ...raw, hosts: [h] }, params).hosts.map((x) => x.host));
}

const destinations = (l: Allowlist) => l.entries.map((e) => e.destination);

test('no representative name netready tests through appears in any format', () => {
  // Names given for *.media.prod.tokbox.com, *.vonage.com and *.opentok.com (the last from the document's troubleshooting table).
  const given = { unified: true, tokboxMediaHost: 'mt1.media.prod.tokbox.com', vonageHost: 'api.vonage.com' };
  const reps = builtinProfileIds().flatMap((id) => representativeNames(id, id === 'onespan-virtual-room' ? given : {}));
  for (const n of ['mt1.media.prod.tokbox.com', 'api.vonage.com', 'config.opentok.com']) assert.ok(reps.includes(n), `${n} is a representative (parameter) name`);
  for (const id of builtinProfileIds())
    for (const format of ALLOWLIST_FORMATS) {
      const text = allowlistText({ profile: [id], format, param: id === 'onespan-virtual-room' ? Object.entries(given).map(([k, v]) => `${k}=${v}`) : [] });
      for (const n of reps) assert.ok(!text.includes(n), `${id} ${format} names the representative ${n}`);
      assert.ok(!text.includes('rumorwebsocketsv2'), `${id} ${format} names the representative path`);
    }
});

test('other representative names give the same list (it does not depend on them)', () => {
  const base = buildAllowlist(['onespan-virtual-room'], { unified: true });
  const other = buildAllowlist(['onespan-virtual-room'], { unified: true, opentokConfigHost: 'zone-check.opentok.com' });
  assert.deepEqual(other, base);
  // Names given for the zones add nothing: the wildcards are listed already.
  const named = buildAllowlist(['onespan-virtual-room'], { unified: true, tokboxMediaHost: 'mt1.media.prod.tokbox.com', vonageHost: 'api.vonage.com' });
  assert.deepEqual(destinations(named), destinations(base));
});

test('Virtual Room: the six rows of the document, the wildcards it requires and its no-inspection list', () => {
  const l = buildAllowlist(['onespan-virtual-room'], { signDomain: 'eu.esignlive.com' });
  const by = (d: string, proto = 'tcp') => l.entries.find((e) => e.destination === d && e.protocol === proto && !e.alternativeTo);
  // Row 1-2: the Sign domain from --sign-domain, with its paths and the streaming requirements.
  assert.deepEqual(by('eu.esignlive.com')?.paths, ['/virtual-room/*', '/graphql', '/transaction/*']);
  assert.ok(by('eu.esignlive.com')?.actions.includes('no-buffering'));
  assert.ok(!by('eu.esignlive.com')?.actions.includes('no-inspection'), 'the document does not put the Sign domain on the no-inspection list');
  // Row 3: *.opentok.com and *.tokbox.com (the signalling wildcard *.media.prod.tokbox.com folded in).
  assert.deepEqual(by('*.tokbox.com')?.includes, ['*.media.prod.tokbox.com']);
  assert.ok(by('*.opentok.com'));
  assert.equal(by('*.vonage.com'), undefined, '*.vonage.com only for the Unified environment');
  assert.ok(buildAllowlist(['onespan-virtual-room'], { unified: true }).entries.some((e) => e.destination === '*.vonage.com'));
  // Row 4: UDP 3478, UDP 1025-65535, TURN over TCP/TLS 443 to the unnamed media servers.
  const media = l.entries.filter((e) => e.kind === 'unlisted').map((e) => `${e.protocol} ${e.ports.join()}`);
  assert.deepEqual(media, ['udp 3478', 'udp 1025-65535', 'tcp 443']);
  // Rows 5-6 and the explicit Upscope hosts as the alternative to the wildcard.
  assert.equal(l.entries.filter((e) => e.alternativeTo === '*.upscope.io').length, 13);
  assert.ok(l.entries.find((e) => e.destination === 'assets-proxy.upscope.io')?.actions.includes('no-keyword-filter'));
  assert.ok(by('cobrowsingapi.com'));
  // No TLS inspection exactly for the document's list.
  const noInspect = l.entries.filter((e) => e.actions.includes('no-inspection') && !e.alternativeTo).map((e) => e.destination);
  assert.deepEqual(noInspect, ['*.opentok.com', '*.tokbox.com', '*.upscope.io', 'cobrowsingapi.com']);
  assert.deepEqual(NO_INSPECTION, noInspect);
  // Every entry names its document by title.
  for (const e of l.entries) assert.deepEqual(e.documents, ['Virtual Room and RON Network Prerequisites']);
});

test('OpenTok 2013: the IP ranges per port set of the document', () => {
  const l = buildAllowlist(['opentok-2013'], {});
  const ranges = l.entries.filter((e) => e.kind === 'range').map((e) => `${e.destination} ${e.protocol} ${e.ports.join(',')}`).sort();
  assert.deepEqual(ranges, [
    '212.118.226.32/27 tcp 80,443,3478,5560',
    '212.118.226.32/27 udp 1025-65535',
    '216.151.209.15/32 tcp 80,443',
    '216.151.209.20/32 tcp 80,443',
    '70.42.47.64/26 tcp 80,443,3478,5560',
    '70.42.47.64/26 udp 1025-65535',
    '72.5.167.128/26 tcp 80,443,3478,5560',
    '72.5.167.128/26 udp 1025-65535',
  ]);
  // 48 media server names (6 patterns, the asterisk 1..8) + api.tokbox.com + hlg.tokbox.com.
  assert.equal(new Set(l.entries.filter((e) => e.kind === 'name').map((e) => e.destination)).size, 50);
  for (const e of l.entries) assert.ok(e.documents.includes('OpenTok Network Connectivity Requirements (2013)'));
});

test('Vonage video: OCSP/CRL on port 80, recommended; the local agent: bypass the proxy only', () => {
  const v = buildAllowlist(['vonage-video'], {});
  for (const d of ['ocsp.godaddy.com', 'crl.godaddy.com']) {
    const e = v.entries.find((x) => x.destination === d)!;
    assert.deepEqual([e.protocol, e.ports, e.required], ['tcp', ['80'], 'recommended']);
    assert.deepEqual(e.documents, ['TokBox firewall requirements']);
  }
  const p = buildAllowlist(['pcc-local-agent'], {});
  assert.deepEqual(p.entries.map((e) => [e.destination, e.ports.join(','), e.actions.join()]), [['localhost.esignlive.com', '26666,31222,32444,44555,47777,48888', 'bypass-proxy']]);
});

test('profiles merged: one entry per destination, documents and ports joined', () => {
  const l = buildAllowlist(['onespan-virtual-room', 'vonage-video', 'opentok-2013', 'pcc-local-agent'], {});
  const keys = l.entries.map((e) => `${e.kind} ${e.destination} ${e.protocol} ${e.alternativeTo ?? ''} ${e.kind === 'unlisted' ? e.ports.join() : ''}`);
  assert.equal(new Set(keys).size, keys.length, 'no duplicate entries');
  const tok = l.entries.find((e) => e.destination === '*.tokbox.com')!;
  assert.deepEqual(tok.profiles, ['onespan-virtual-room', 'vonage-video']);
  assert.deepEqual(tok.documents, ['Virtual Room and RON Network Prerequisites', 'TokBox firewall requirements']);
  assert.equal(tok.required, 'always');
  // The squid snippet of the merged list has no name a wildcard of the same ACL already covers.
  const squid = allowlistText({ profile: ['onespan-virtual-room', 'opentok-2013'], format: 'squid' });
  for (const line of squid.split('\n').filter((x) => x.startsWith('acl ') && x.includes(' dstdomain '))) {
    const names = line.split(' ').slice(3);
    for (const n of names) for (const w of names.filter((x) => x.startsWith('.'))) assert.ok(n === w || !covers(`*${w}`, n), `${n} is covered by ${w} in: ${line}`);
  }
});

test('the PAC, evaluated by the engine `check --pac` uses: every listed name, a name under each wildcard, the bypass, names outside', async () => {
  const profiles = ['onespan-virtual-room', 'vonage-video', 'opentok-2013', 'pcc-local-agent'];
  const list = buildAllowlist(profiles, { unified: true });
  for (const proxy of [undefined, 'http://127.0.0.1:3128', 'https://[::1]:8443']) {
    const file = join(dir, `allow-${proxy ? 'proxy' : 'direct'}.pac`);
    writeFileSync(file, allowlistText({ profile: profiles, format: 'pac', param: ['unified=true'], proxy }));
    const resolver = createProxyResolver(defaultConfig({ pac: file }));
    const via = async (host: string) => {
      const c = await resolver.forUrl(`https://${host}/`);
      return c.kind === 'direct' ? 'DIRECT' : `${c.tls ? 'HTTPS' : 'PROXY'} ${c.host}:${c.port}`;
    };
    const expected = proxy ? pacAnswerFor(proxy).replace(/\[|\]/g, '') : 'DIRECT';
    let checked = 0;
    for (const e of list.entries.filter((x) => x.kind === 'name' || x.kind === 'wildcard')) {
      const want = e.actions.includes('bypass-proxy') ? 'DIRECT' : expected;
      // A wildcard is checked with a name below it (upper case too: the PAC lower-cases the host).
      const hosts = e.kind === 'wildcard' ? [`pac-test${e.destination.slice(1)}`, `PAC-TEST${e.destination.slice(1).toUpperCase()}`] : [e.destination];
      for (const h of hosts) {
        assert.equal(await via(h), want, `${h} (${e.destination}) with --proxy ${proxy ?? '(none)'}`);
        checked++;
      }
    }
    assert.ok(checked > 60, `${checked} names checked`);
    // Outside the list: the fallback (DIRECT), also the bare zone apex of a wildcard and look-alikes.
    for (const h of ['example.com', 'opentok.com', 'notopentok.com', 'upscope.io.example.com', 'esignlive.com']) assert.equal(await via(h), 'DIRECT', h);
  }
});

test('--proxy for the PAC: no credentials, only for --format pac', () => {
  assert.throws(() => pacAnswerFor('http://user:pw@proxy.corp.test:3128'), /cannot carry credentials/);
  assert.throws(() => allowlistText({ format: 'md', proxy: 'http://proxy.corp.test:3128' }), /only for --format pac/);
  assert.throws(() => allowlistText({ format: 'yaml' }), /--format: expected one of csv, json, md, squid, nft, pac, ngfw/);
  assert.equal(pacAnswerFor('https://proxy.corp.test'), 'HTTPS proxy.corp.test:443');
});
