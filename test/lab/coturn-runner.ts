// Runs inside the lab's client namespace (spawned by test/lab/media.test.ts): TURN over TLS 443 to
// the lab's coturn with credentials from the lab probe, relaying to (a) the probe's UDP echo and
// (b) an address outside the vendor network, which coturn must refuse (no open relay).
// argv: PROBE_URL CA_FILE TURN_HOST OUTSIDE_PEER_IP. Prints one JSON line.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { defaultConfig } from '../../src/shared/config.js';
import { DIRECT } from '../../src/net/proxy.js';
import { dial } from '../../src/net/dial.js';
import { NetError } from '../../src/shared/errors.js';
import { StunTransport, probeJson } from '../../src/checks/media-net.js';
import { runTurn, turnSession } from '../../src/checks/turn-allocate.js';
import type { CheckContext } from '../../src/checks/types.js';

const [probe, caFile, turnHost, outside] = process.argv.slice(2);
const config = defaultConfig({ probe, caPem: [readFileSync(caFile, 'utf8')] });
const ctx: CheckContext = { signal: AbortSignal.timeout(20_000), config, timeouts: config.timeouts, proxy: DIRECT, result: () => undefined, now: () => performance.now() };
const task = (target: string) => ({ key: `turn.allocate ${target}`, id: 'turn.allocate', target, dependsOn: [], params: {} });

const tls = await runTurn(task(`turn:tls:${turnHost}:443`), ctx);
const creds = (await probeJson(config, '/.netready/turn', 3000, ctx.signal)).body as { username: string; credential: string };
const d = await dial({ host: turnHost, port: 443, tls: true, alpn: [] }, ctx);
const tr = StunTransport.stream(d.socket as net.Socket, 'tls', ctx.signal);
let openRelay: string;
try {
  await turnSession({ transport: tr, creds, peer: { family: 4, address: outside, port: 9 }, token: null, ctx, timeoutMs: 3000 });
  openRelay = 'RELAYED';
} catch (e) {
  openRelay = e instanceof NetError ? e.code : String(e);
} finally {
  tr.close();
}
console.log(JSON.stringify({ tls, openRelay }));
process.exit(0);
