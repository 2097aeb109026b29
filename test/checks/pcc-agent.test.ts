// pcc.agent against a real fake agent: `netready serve` (a TLS WebSocket server) on 127.0.0.1 with
// certificates from certs.ts (valid, expired, wrong name). seed 003_606ee1d65ee49d3b.txt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import https from 'node:https';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pccAgent } from '../../src/checks/pcc-agent.js';
import { CHECKS } from '../../src/checks/registry.js';
import { startServe, type ServeHandle } from '../../src/serve/server.js';
import { createCA, issueCert, type CertPair } from '../../src/net/certs.js';
import { loadProfiles } from '../../src/profiles/load.js';
import type { ProfileSet } from '../../src/shared/profile-types.js';
import type { RunConfig } from '../../src/shared/config.js';
import { config, get, runChecks } from './helpers.js';

const HOST = 'localhost.esignlive.com';
const DAY = 86_400_000;

let caP: Promise<CertPair> | null = null;
const ca = () => (caP ??= createCA('Test Public CA', { organization: 'netready tests' }));

async function agent(t: { after(fn: () => unknown): void }, certOpts: { names: string[]; notBefore?: Date; notAfter?: Date }, port = 0): Promise<ServeHandle> {
  const pair = await issueCert(await ca(), certOpts);
  const h = await startServe({ listen: [{ host: '127.0.0.1', port }], certPem: pair.certPem, keyPem: pair.keyPem });
  t.after(() => h.close());
  return h;
}

/** A loopback port with nothing listening (bound, then released). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function pccSet(ports: number[]): ProfileSet {
  return { profiles: [], params: {}, hosts: [], media: false, pcc: { host: HOST, certName: HOST, ports, source: '003 test' } };
}

async function run(ports: number[], over: Partial<RunConfig> = {}) {
  // The summary asks the DNS for the agent's name as the browser does: answered here by an
  // override (as the public DNS does: 127.0.0.1) so no test asks a real resolver.
  const cfg = config({ caPem: [(await ca()).certPem], resolve: { [HOST]: '127.0.0.1' }, ...over });
  return runChecks([pccAgent], pccSet(ports), cfg);
}

test('plan: one task per seed 003 port plus the summary; registered', () => {
  const ps = loadProfiles(['pcc-local-agent'], {});
  const tasks = pccAgent.plan(ps, config());
  assert.deepEqual(
    tasks.map((t) => t.target),
    ['26666', '31222', '32444', '44555', '47777', '48888'].map((p) => `${HOST}:${p}`).concat('pcc'),
  );
  assert.ok(tasks.every((t) => t.dependsOn.length === 0));
  assert.ok(CHECKS.includes(pccAgent));
  assert.deepEqual(pccAgent.plan(loadProfiles(['onespan-virtual-room'], { signDomain: 'apps.esignlive.com' }), config()), []);
});

test('a running agent with a valid certificate: summary ok, the closed ports skipped naming the agent\'s port', async (t) => {
  const a = await agent(t, { names: [HOST] });
  const port = a.addresses[0].port;
  const off = await closedPort();
  const { byKey, ms } = await run([off, port]);
  const p = get(byKey, `pcc.agent ${HOST}:${port}`);
  assert.equal(p.status, 'ok', JSON.stringify(p));
  assert.equal(p.details?.address, '127.0.0.1');
  assert.ok(p.metrics.connectMs >= 0 && p.metrics.tlsMs > 0 && p.metrics.upgradeMs > 0);
  const refused = get(byKey, `pcc.agent ${HOST}:${off}`);
  assert.equal(refused.status, 'skipped', JSON.stringify(refused));
  assert.equal(refused.reason, `not listening (TCP_REFUSED); the agent answers on port ${port} (it takes one of the 2 ports of the Personal Certificate Client)`);
  assert.equal(refused.details?.closedCode, 'TCP_REFUSED');
  assert.equal(refused.details?.agentPort, port);
  const s = get(byKey, 'pcc.agent pcc');
  assert.equal(s.status, 'ok', JSON.stringify(s));
  assert.equal(s.details?.port, port);
  assert.equal(s.details?.trusted, true);
  assert.equal(s.details?.nameMatch, true);
  assert.deepEqual(s.details?.ports, { [off]: 'TCP_REFUSED', [port]: 'ok' });
  assert.deepEqual(s.details?.problems, []);
  assert.equal(s.details?.proxy, null);
  assert.ok(s.metrics.certRemainingMs > 20 * DAY);
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test('without --ca the valid agent still passes, recorded as untrusted', async (t) => {
  const a = await agent(t, { names: [HOST] });
  const { byKey } = await run([a.addresses[0].port], { caPem: [] });
  const s = get(byKey, 'pcc.agent pcc');
  assert.equal(s.status, 'ok');
  assert.equal(s.details?.trusted, false);
});

test('an expired agent certificate: PCC_CERT_EXPIRED with validTo', async (t) => {
  const notAfter = new Date(Date.now() - 30 * DAY);
  const a = await agent(t, { names: [HOST], notBefore: new Date(Date.now() - 400 * DAY), notAfter });
  const port = a.addresses[0].port;
  const { byKey } = await run([port]);
  assert.equal(get(byKey, `pcc.agent ${HOST}:${port}`).status, 'ok'); // the agent runs
  const s = get(byKey, 'pcc.agent pcc');
  assert.equal(s.status, 'failed');
  assert.equal(s.error?.code, 'PCC_CERT_EXPIRED');
  assert.equal(s.details?.port, port);
  assert.equal(Date.parse(String(s.details?.validTo)), Math.floor(notAfter.getTime() / 1000) * 1000);
  assert.ok(s.metrics.certRemainingMs < 0);
  assert.match(s.error!.message, /expired on/);
});

test('a certificate for another name: PCC_CERT_NAME with the names', async (t) => {
  const a = await agent(t, { names: ['localhost', 'agent.example.test'] });
  const { byKey } = await run([a.addresses[0].port]);
  const s = get(byKey, 'pcc.agent pcc');
  assert.equal(s.error?.code, 'PCC_CERT_NAME');
  assert.deepEqual(s.details?.altNames, ['localhost', 'agent.example.test']);
  assert.deepEqual(s.details?.subject, { CN: 'localhost' });
  assert.equal(s.details?.nameMatch, false);
});

test('one good agent among a bad one: ok, the good port chosen', async (t) => {
  const bad = await agent(t, { names: [HOST], notBefore: new Date(Date.now() - 100 * DAY), notAfter: new Date(Date.now() - DAY) });
  const good = await agent(t, { names: [HOST] });
  const { byKey } = await run([bad.addresses[0].port, good.addresses[0].port]);
  const s = get(byKey, 'pcc.agent pcc');
  assert.equal(s.status, 'ok');
  assert.equal(s.details?.port, good.addresses[0].port);
  assert.equal(s.metrics.agentsCount, 2);
});

test('nothing listening: PCC_NOT_RUNNING quickly', async () => {
  const ports = [await closedPort(), await closedPort(), await closedPort()];
  const { byKey, ms } = await run(ports);
  const s = get(byKey, 'pcc.agent pcc');
  assert.equal(s.status, 'failed');
  assert.equal(s.error?.code, 'PCC_NOT_RUNNING');
  assert.deepEqual(Object.values(s.details?.ports as object), ['TCP_REFUSED', 'TCP_REFUSED', 'TCP_REFUSED']);
  // no agent anywhere: every closed port stays a failure
  for (const p of ports) assert.equal(get(byKey, `pcc.agent ${HOST}:${p}`).error?.code, 'TCP_REFUSED');
  assert.ok(ms < 1000, `took ${ms} ms`);
});

test('a TLS server that is not a WebSocket agent does not count', async (t) => {
  const pair = await issueCert(await ca(), { names: [HOST] });
  const srv = https.createServer({ cert: pair.certPem, key: pair.keyPem }, (_req, res) => res.end('hello'));
  // Answer upgrades with a plain 200, like a web server that knows nothing of WebSockets.
  srv.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  const port = (srv.address() as net.AddressInfo).port;
  const { byKey } = await run([port]);
  const p = get(byKey, `pcc.agent ${HOST}:${port}`);
  assert.equal(p.status, 'failed');
  assert.equal(p.error?.code, 'WS_NO_UPGRADE');
  assert.equal(p.details?.status, 200);
  assert.equal(get(byKey, 'pcc.agent pcc').error?.code, 'PCC_NOT_RUNNING');
});

test('a proxy without a bypass: PCC_PROXY_NOT_BYPASSED; NO_PROXY or a DIRECT PAC clears it', async (t) => {
  const a = await agent(t, { names: [HOST] });
  const port = a.addresses[0].port;
  let r = await run([port], { env: { httpsProxy: 'http://user:secret@127.0.0.1:3128' } });
  let s = get(r.byKey, 'pcc.agent pcc');
  assert.equal(s.error?.code, 'PCC_PROXY_NOT_BYPASSED');
  assert.deepEqual(s.details?.proxy, { display: 'http://user:***@127.0.0.1:3128', source: 'env', from: 'HTTPS_PROXY' });
  assert.ok(!JSON.stringify(s).includes('secret'));
  r = await run([port], { env: { httpsProxy: 'http://127.0.0.1:3128', noProxy: 'localhost,.esignlive.com' } });
  assert.equal(get(r.byKey, 'pcc.agent pcc').status, 'ok');
  r = await run([port], { proxy: 'http://127.0.0.1:3128' });
  assert.equal(get(r.byKey, 'pcc.agent pcc').error?.code, 'PCC_PROXY_NOT_BYPASSED');

  const dir = mkdtempSync(join(tmpdir(), 'netready-pcc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const direct = join(dir, 'direct.pac');
  writeFileSync(direct, `function FindProxyForURL(url, host) { if (dnsDomainIs(host, ".esignlive.com")) return "DIRECT"; return "PROXY 127.0.0.1:3128"; }`);
  const proxied = join(dir, 'proxied.pac');
  writeFileSync(proxied, `function FindProxyForURL(url, host) { return "PROXY 127.0.0.1:3128"; }`);
  assert.equal(get((await run([port], { pac: direct })).byKey, 'pcc.agent pcc').status, 'ok');
  s = get((await run([port], { pac: proxied })).byKey, 'pcc.agent pcc');
  assert.equal(s.error?.code, 'PCC_PROXY_NOT_BYPASSED');
  assert.equal((s.details?.proxy as { source: string }).source, 'pac');

  // An expired certificate behind a proxy: the certificate comes first, both are listed.
  const old = await agent(t, { names: [HOST], notBefore: new Date(Date.now() - 100 * DAY), notAfter: new Date(Date.now() - DAY) });
  s = get((await run([old.addresses[0].port], { proxy: 'http://127.0.0.1:3128' })).byKey, 'pcc.agent pcc');
  assert.equal(s.error?.code, 'PCC_CERT_EXPIRED');
  assert.deepEqual(s.details?.problems, ['PCC_CERT_EXPIRED', 'PCC_PROXY_NOT_BYPASSED']);
});

test('--connect-to moves a seed port to the agent', async (t) => {
  const a = await agent(t, { names: [HOST] });
  const port = a.addresses[0].port;
  const { byKey } = await run([26666], { connectTo: [{ host: HOST, port: 26666, toHost: '127.0.0.1', toPort: port }] });
  const p = get(byKey, `pcc.agent ${HOST}:26666`);
  assert.equal(p.status, 'ok');
  assert.equal(p.details?.dialPort, port);
  assert.equal(get(byKey, 'pcc.agent pcc').status, 'ok');
});

test('the built-in profile finds an agent on a real seed 003 port (127.0.0.1:47777)', async (t) => {
  const seedPort = 47777; // seed 003_606ee1d65ee49d3b.txt port list
  let a: ServeHandle;
  try {
    a = await agent(t, { names: [HOST] }, seedPort);
  } catch (e) {
    t.skip(`port ${seedPort} is in use on this machine (${(e as Error).message}); cannot stand in for the agent`);
    return;
  }
  const cfg = config({ caPem: [(await ca()).certPem], resolve: { [HOST]: '127.0.0.1' } });
  const { byKey } = await runChecks([pccAgent], loadProfiles(['pcc-local-agent'], {}), cfg);
  const s = get(byKey, 'pcc.agent pcc');
  assert.equal(s.status, 'ok', JSON.stringify(s));
  assert.equal(s.details?.port, seedPort);
  assert.equal(s.details?.address, '127.0.0.1');
  assert.equal(get(byKey, `pcc.agent ${HOST}:${seedPort}`).status, 'ok');
  assert.ok(a.urls.length === 1);
});

test('the name must resolve to 127.0.0.1 through the DNS (seed 003): a resolver that drops it is PCC_DNS_NO_LOOPBACK', async (t) => {
  const a = await agent(t, { names: [HOST] });
  const port = a.addresses[0].port;
  // The agent is reached (connect-to), but the DNS answers another address, as a resolver with
  // DNS-rebinding protection replacing or dropping loopback answers does. No packet goes there.
  const { byKey } = await run([port], { resolve: { [HOST]: '192.0.2.1' }, connectTo: [{ host: HOST, port: null, toHost: '127.0.0.1', toPort: null }] });
  const s = get(byKey, 'pcc.agent pcc');
  assert.equal(s.error?.code, 'PCC_DNS_NO_LOOPBACK');
  assert.deepEqual(s.details?.problems, ['PCC_DNS_NO_LOOPBACK']);
  assert.deepEqual((s.details?.dns as { addresses: string[] }).addresses, ['192.0.2.1']);
  assert.equal(s.details?.port, port, 'the agent itself was found');
});
