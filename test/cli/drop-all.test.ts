// A network that drops everything: a namespace the test creates, whose nftables output policy is
// drop (loopback included). The check must still write a report, not ready, within deadline + 1 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { runCli } from '../support/cli.js';
import { validateReport } from '../../src/report/validate.js';
import { firstReason, needs, needsRoot } from '../support/prereqs.js';

const ns = `nrt-drop-${process.pid}`;

test('a network that drops everything yields ready:false within --deadline + 1 s', { skip: firstReason(needsRoot('a network namespace'), needs('ip', 'nft')) }, async (t) => {
  execFileSync('ip', ['netns', 'add', ns]);
  t.after(() => {
    try { execFileSync('ip', ['netns', 'del', ns]); } catch { /* already gone */ }
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  });
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  // Its resolver is an address inside the test range that nothing answers (and output drops it anyway).
  mkdirSync(`/etc/netns/${ns}`, { recursive: true });
  writeFileSync(`/etc/netns/${ns}/resolv.conf`, 'nameserver 198.18.0.53\noptions timeout:1 attempts:1\n');
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
    input: 'table inet nrtdrop {\n  chain out {\n    type filter hook output priority 0; policy drop;\n  }\n}\n',
  });
  const deadline = 4;
  const res = await runCli(
    ['check', '--profile', 'onespan-virtual-room', '--profile', 'vonage-video', '--deadline', String(deadline), '--idle-window', '2', '--json', '-'],
    { prefix: ['ip', 'netns', 'exec', ns], timeoutMs: 30_000 },
  );
  assert.equal(res.code, 1, `exit 1 (not ready); stderr: ${res.stderr}`);
  assert.ok(res.wallMs <= (deadline + 1) * 1000, `report within deadline + 1 s: took ${res.wallMs} ms`);
  const report = JSON.parse(res.stdout);
  assert.deepEqual(validateReport(report), []);
  assert.equal(report.ready, false);
  assert.ok(report.checks.length > 20);
  assert.ok(report.checks.every((c: { id: string; status: string }) => c.status !== 'ok' || c.id === 'proxy.config'), 'nothing got through');
  assert.ok(report.causes.some((c: { id: string }) => c.id === 'dns-blocked'), 'DNS is the first thing that fails');
});
