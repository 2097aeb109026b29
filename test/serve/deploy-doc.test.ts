// docs/deploy-probe.md: its systemd unit passes `systemd-analyze verify` (only the node binary's
// path is swapped for this machine's, since verify checks that ExecStart's executable exists), its
// nftables snippet parses (`nft -c`), and its example configuration is a valid probe.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveCommand } from '../../src/cli/serve-command.js';
import { needsRoot } from '../support/prereqs.js';

const DOC = readFileSync(fileURLToPath(new URL('../../docs/deploy-probe.md', import.meta.url)), 'utf8');
const have = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const noAnalyze = have('systemd-analyze') ? false : 'needs systemd-analyze (Debian package systemd)';
const noNft = existsSync('/usr/sbin/nft') ? needsRoot('nft -c needs netlink') : 'needs nft (Debian package nftables)';

function block(info: string, firstLine: RegExp): string {
  const re = new RegExp('```' + info + '\\n([\\s\\S]*?)```', 'g');
  for (const m of DOC.matchAll(re)) if (firstLine.test(m[1].trimStart().split('\n')[0])) return m[1];
  throw new Error(`no \`\`\`${info} block starting ${firstLine} in docs/deploy-probe.md`);
}

function tmp(t: { after(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'netready-deploy-doc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the systemd unit of the guide verifies (systemd-analyze verify, no warning)', { skip: noAnalyze }, (t) => {
  const unit = block('ini', /^# \/etc\/systemd\/system\/netready-probe\.service$/);
  const exec = /^ExecStart=(\S+)/m.exec(unit)?.[1];
  assert.equal(exec, '/opt/node24/bin/node');
  assert.match(unit, /^User=netready$/m);
  assert.match(unit, /^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
  const dir = tmp(t);
  const file = join(dir, 'netready-probe.service');
  writeFileSync(file, unit.replace(/^ExecStart=\/opt\/node24\/bin\/node/m, `ExecStart=${process.execPath}`));
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
  // Warnings about other units on this machine are not ours; every line about this file is.
  const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('netready-probe.service'));
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(ours, []);
  // The lint can fail: a broken directive is reported.
  const broken = join(dir, 'broken', 'netready-probe.service');
  execFileSync('mkdir', ['-p', join(dir, 'broken')]);
  writeFileSync(broken, readFileSync(file, 'utf8').replace('Restart=on-failure', 'Restart=sometimes'));
  const b = spawnSync('systemd-analyze', ['verify', broken], { encoding: 'utf8', timeout: 30_000 });
  assert.match(`${b.stdout}${b.stderr}`, /netready-probe\.service:\d+: Failed to parse service restart specifier/);
});

test('the nftables rate limit of the guide parses (nft -c)', { skip: noNft }, (t) => {
  const text = block('nft', /^table inet probe \{$/);
  const dir = tmp(t);
  writeFileSync(join(dir, 'probe.nft'), text.replace(/^ {2}/gm, ''));
  const r = spawnSync('/usr/sbin/nft', ['-c', '-f', join(dir, 'probe.nft')], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
});

test('the example probe.yaml of the guide is a valid configuration', async (t) => {
  const dir = tmp(t);
  const yaml = block('yaml', /^names: \[probe\.example\.com\]/);
  // Its files: a certificate pair, the secret and the token (contents made up here).
  const { createCA, issueCert } = await import('../../src/net/certs.js');
  const ca = await createCA('doc CA');
  const pair = await issueCert(ca, { names: ['probe.example.com', 'turn.probe.example.com'] });
  writeFileSync(join(dir, 'probe.crt'), pair.certPem);
  writeFileSync(join(dir, 'probe.key'), pair.keyPem);
  writeFileSync(join(dir, 'turn-secret'), 'doc-turn-secret-value\n');
  writeFileSync(join(dir, 'admin-token'), 'doc-admin-token-value-0123\n');
  writeFileSync(join(dir, 'upload-token'), 'doc-upload-token-value-0123\n');
  writeFileSync(join(dir, 'probe.yaml'), yaml.replaceAll('/etc/netready/', ''));
  const lines: string[] = [];
  assert.equal(await serveCommand({ config: join(dir, 'probe.yaml'), printConfig: true }, { out: (l) => lines.push(l), env: {} }), 0);
  const text = lines.join('\n');
  assert.match(text, /- turns:turn\.probe\.example\.com:443\?transport=tcp/);
  assert.doesNotMatch(text, /doc-turn-secret-value|doc-admin-token-value|doc-upload-token-value/);
  assert.match(text, /store: sqlite:\/var\/lib\/netready\/results\.db/);
  // The firewall table of the guide lists what --print-config derives.
  for (const rule of ['tcp 203.0.113.10:443', 'udp 203.0.113.11:3478', 'tcp 203.0.113.11:3478', 'tcp 203.0.113.11:443']) assert.match(text, new RegExp(`allow inbound ${rule.replace(/\./g, '\\.')} `));
});
