// The dialer against real sockets on loopback (and inside a throw-away network namespace for the
// unreachable/timeout cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultConfig } from '../../src/shared/config.js';
import { NetError } from '../../src/shared/errors.js';
import { ctx, rejectsCode } from './dial-helpers.js';
import { classifyDnsError, classifyVerifyError, dial, parseOverride, resolveHost } from '../../src/net/dial.js';
import { parseProxyUrl } from '../../src/net/proxy.js';
import { createCA, issueCert } from '../../src/net/certs.js';
import { connectProxy } from './connect-proxy.js';
import { firstReason, needs, needsRoot } from '../support/prereqs.js';



function listen(server: net.Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
}

test('resolve: --resolve override vs the system resolver (/etc/hosts localhost)', async () => {
  const o = await resolveHost('Apps.Test', ctx({ resolve: { 'apps.test': '127.0.0.9:8443' } }));
  assert.deepEqual([o.addresses, o.via, o.port], [['127.0.0.9'], 'override', 8443]);
  const s = await resolveHost('localhost', ctx());
  assert.equal(s.via, 'system');
  assert.ok(s.addresses.includes('127.0.0.1') || s.addresses.includes('::1'), String(s.addresses));
  assert.deepEqual(parseOverride('[::1]:99'), { address: '::1', port: 99 });
  assert.equal(parseOverride('not-an-ip'), null);
  await rejectsCode(resolveHost('x.test', ctx({ resolve: { 'x.test': 'nope' } })), 'DNS_NO_ADDRESS');
});

test('DNS error classification', () => {
  assert.deepEqual(classifyDnsError('ENOTFOUND'), { code: 'DNS_NXDOMAIN', kind: 'failed' });
  assert.deepEqual(classifyDnsError('ENODATA'), { code: 'DNS_NO_ADDRESS', kind: 'failed' });
  assert.deepEqual(classifyDnsError('EREFUSED'), { code: 'DNS_REFUSED', kind: 'failed' });
  assert.deepEqual(classifyDnsError('EAI_AGAIN'), { code: 'DNS_SERVFAIL', kind: 'failed' });
  assert.deepEqual(classifyDnsError('ETIMEOUT'), { code: 'DNS_TIMEOUT', kind: 'timeout' });
});

test('TCP: refused on a closed loopback port; abort destroys a pending connect', async () => {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  const e = await rejectsCode(dial({ host: '127.0.0.1', port }, ctx()), 'TCP_REFUSED');
  assert.equal(e.details.phase, 'tcp');
  const ac = new AbortController();
  ac.abort(new NetError('DEADLINE_EXCEEDED', 'deadline', 'timeout'));
  await rejectsCode(dial({ host: '127.0.0.1', port: 9 }, ctx({}, ac.signal)), 'DEADLINE_EXCEEDED');
});

const noNetns = firstReason(needsRoot('a network namespace'), needs('ip'));

test('TCP timeout and unreachable inside a throw-away namespace (198.18.0.0/15)', { skip: noNetns }, async (t) => {
  const ns = `nr-dial-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.after(() => spawnSync('ip', ['netns', 'del', ns]));
  const sh = (...a: string[]) => execFileSync('ip', ['-n', ns, ...a]);
  sh('link', 'set', 'lo', 'up');
  // A veth pair inside the namespace owns 198.18.0.0/24 and a static neighbour entry sends SYNs for
  // 198.18.0.1 into the peer, which drops them (timeout); 198.19.0.1 has no route (unreachable).
  sh('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  sh('addr', 'add', '198.18.0.2/24', 'dev', 'v0');
  sh('link', 'set', 'v0', 'up');
  sh('link', 'set', 'v1', 'up');
  sh('neigh', 'add', '198.18.0.1', 'lladdr', '02:00:00:00:00:01', 'dev', 'v0');
  const dialUrl = pathToFileURL(fileURLToPath(new URL('../../src/net/dial.ts', import.meta.url))).href;
  const cfgUrl = pathToFileURL(fileURLToPath(new URL('../../src/shared/config.ts', import.meta.url))).href;
  const script = `
    const { dial } = await import(${JSON.stringify(dialUrl)});
    const { defaultConfig } = await import(${JSON.stringify(cfgUrl)});
    const config = defaultConfig({ timeouts: { resolveMs: 500, connectMs: 400, tlsMs: 500, firstByteMs: 500, streamMs: 500 } });
    const ctx = { signal: new AbortController().signal, config, timeouts: config.timeouts, now: () => performance.now() };
    const out = {};
    for (const [k, host] of [['timeout', '198.18.0.1'], ['unreachable', '198.19.0.1']]) {
      const t0 = performance.now();
      try { await dial({ host, port: 443 }, ctx); out[k] = 'ok'; } catch (e) { out[k] = { code: e.code, kind: e.kind, ms: performance.now() - t0 }; }
    }
    console.log(JSON.stringify(out));`;
  const res = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000, cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  assert.equal(res.status, 0, res.stderr);
  const out = JSON.parse(res.stdout.trim().split('\n').pop()!);
  assert.equal(out.timeout.code, 'TCP_TIMEOUT');
  assert.equal(out.timeout.kind, 'timeout');
  assert.ok(out.timeout.ms >= 380 && out.timeout.ms < 1500, String(out.timeout.ms));
  assert.equal(out.unreachable.code, 'TCP_UNREACHABLE');
});

async function tlsServer(t: { after(fn: () => unknown): void }, certPem: string, keyPem: string, caPem?: string): Promise<number> {
  const s = tls.createServer({ cert: certPem + (caPem ?? ''), key: keyPem }, (sock) => sock.end('hi'));
  s.on('tlsClientError', () => {});
  const port = await listen(s);
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  return port;
}

test('TLS: untrusted without --ca, trusted with it; expired; name mismatch', async (t) => {
  const ca = await createCA('Corp Inspection CA', { organization: 'Corp IT' });
  const good = await issueCert(ca, { names: ['apps.test'] });
  const expired = await issueCert(ca, { names: ['apps.test'], notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  const other = await issueCert(ca, { names: ['other.test'] });
  const pGood = await tlsServer(t, good.certPem, good.keyPem);
  const pExp = await tlsServer(t, expired.certPem, expired.keyPem);
  const pOther = await tlsServer(t, other.certPem, other.keyPem);
  const at = (port: number) => ({ resolve: { 'apps.test': `127.0.0.1:${port}` } });

  const u = await rejectsCode(dial({ host: 'apps.test', port: 443, tls: true }, ctx(at(pGood))), 'TLS_CERT_UNTRUSTED');
  assert.deepEqual(u.details.root, { CN: 'Corp Inspection CA', O: 'Corp IT' });
  assert.equal(u.details.intercepted, true);
  // The inspected-diagnosis mode accepts the untrusted chain and says so.
  const insp = await dial({ host: 'apps.test', port: 443, tls: true, allowUntrusted: true }, ctx(at(pGood)));
  assert.equal(insp.inspected, true);
  insp.socket.destroy();

  const ok = await dial({ host: 'apps.test', port: 443, tls: true }, ctx({ ...at(pGood), caPem: [ca.certPem] }));
  assert.equal(ok.peer?.trusted, true);
  assert.equal(ok.peer?.subject.CN, 'apps.test');
  assert.ok((ok.timings.tlsMs ?? -1) >= 0);
  ok.socket.destroy();

  const ex = await rejectsCode(dial({ host: 'apps.test', port: 443, tls: true, allowUntrusted: true }, ctx({ ...at(pExp), caPem: [ca.certPem] })), 'TLS_CERT_EXPIRED');
  assert.ok(typeof ex.details.validTo === 'string');
  const nm = await rejectsCode(dial({ host: 'apps.test', port: 443, tls: true, allowUntrusted: true }, ctx({ ...at(pOther), caPem: [ca.certPem] })), 'TLS_NAME_MISMATCH');
  assert.deepEqual(nm.details.altNames, ['other.test']);
  assert.equal(classifyVerifyError('SELF_SIGNED_CERT_IN_CHAIN'), 'TLS_CERT_UNTRUSTED');
});

test('proxy CONNECT: tunnel, 407 without credentials, 403 with the proxy headers, unreachable proxy', async (t) => {
  const echo = net.createServer((c) => c.pipe(c));
  const ePort = await listen(echo);
  t.after(() => new Promise<void>((r) => echo.close(() => r())));
  const open = await connectProxy(t);
  const authP = await connectProxy(t, { auth: 'alice:pw' });
  const denyP = await connectProxy(t, { deny: /assets-proxy/ });

  const d = await dial({ host: '127.0.0.1', port: ePort, proxy: parseProxyUrl(`http://127.0.0.1:${open.port}`, 'explicit') }, ctx());
  assert.equal(d.via, 'proxy');
  assert.ok((d.timings.proxyMs ?? -1) >= 0);
  d.socket.write('ping');
  const got = await new Promise<string>((r) => d.socket.once('data', (b) => r(b.toString())).resume()); // dial hands sockets over paused
  assert.equal(got, 'ping');
  d.socket.destroy();
  assert.equal(open.seen[0], `CONNECT 127.0.0.1:${ePort} HTTP/1.1`);

  const e407 = await rejectsCode(dial({ host: '127.0.0.1', port: ePort, proxy: parseProxyUrl(`http://127.0.0.1:${authP.port}`, 'explicit') }, ctx()), 'PROXY_AUTH_REQUIRED');
  assert.equal(e407.details.proxyStatus, 407);
  const withCreds = await dial({ host: '127.0.0.1', port: ePort, proxy: parseProxyUrl(`http://alice:pw@127.0.0.1:${authP.port}`, 'explicit') }, ctx());
  withCreds.socket.destroy();

  const e403 = await rejectsCode(dial({ host: 'assets-proxy.upscope.io', port: 443, proxy: parseProxyUrl(`http://127.0.0.1:${denyP.port}`, 'explicit') }, ctx()), 'PROXY_CONNECT_REFUSED');
  assert.equal(e403.details.proxyStatus, 403);
  assert.equal((e403.details.proxyHeaders as Record<string, string>)['x-squid-error'], 'ERR_ACCESS_DENIED 0');

  const gone = net.createServer();
  const gPort = await listen(gone);
  await new Promise<void>((r) => gone.close(() => r()));
  await rejectsCode(dial({ host: 'x.test', port: 443, proxy: parseProxyUrl(`http://127.0.0.1:${gPort}`, 'explicit') }, ctx()), 'PROXY_UNREACHABLE');
});
