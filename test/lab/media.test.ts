// The lab's media far end is real: coturn (Debian turnserver) in the vendor namespace relays TURN
// over TLS 443 to the probe's UDP echo and back, and refuses peers outside the vendor network
// (never an open relay). Needs root and the lab's Debian packages; skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { up, down, REPO, ADDR, TURN_HOST, PROBE_HOST, type LabState } from '../../lab/lab.js';
import { parseScenario } from '../../lab/scenario.js';
import { runAsync } from '../../lab/sh.js';
import { needs, needsRoot } from '../support/prereqs.js';

function canRun(): string | null {
  return needsRoot('network namespaces') || needs('ip', 'ss', 'sysctl', 'dnsmasq', 'turnserver', 'nft') || null;
}
const skip = canRun();

test('coturn relays TURN over TLS 443 to the probe echo and refuses a peer outside the vendor network', { skip: skip ?? false, timeout: 90_000 }, async () => {
  let st: LabState | null = null;
  try {
    st = await up(parseScenario('description: media far end\npending: built by the test\n', 'media-test.yaml'), { quiet: true });
    const r = await runAsync(
      [process.execPath, '--import', 'tsx', join(REPO, 'test', 'lab', 'coturn-runner.ts'), `https://${PROBE_HOST}`, st.files.labCa, TURN_HOST, ADDR.client],
      { ns: st.ns.client, timeoutMs: 40_000 },
    );
    const line = r.stdout.trim().split('\n').pop() ?? '';
    const out = JSON.parse(line) as { tls: { status: string; metrics: Record<string, number>; details: Record<string, unknown> }; openRelay: string };
    assert.equal(out.tls.status, 'ok', line);
    assert.ok(out.tls.metrics.relayedBytes > 0, 'data came back through the relay');
    assert.equal(out.tls.details.transport, 'tls');
    assert.equal(out.tls.details.inspected, false);
    assert.equal(out.openRelay, 'TURN_PEER_FORBIDDEN', 'coturn must refuse a peer outside 198.19.0.0/16');
  } finally {
    if (st) await down(st);
  }
});
