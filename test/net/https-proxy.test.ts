// An HTTPS proxy URL (TLS to the proxy, then CONNECT inside it, then TLS to the host: TLS in TLS)
// through `dial`, against a real Node TLS CONNECT proxy on loopback; and a PAC file served over
// https by a real local server. Everything stays on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { defaultConfig } from '../../src/shared/config.js';
import { ctx, rejectsCode } from './dial-helpers.js';
import { dial } from '../../src/net/dial.js';
import { createProxyResolver, parseProxyUrl } from '../../src/net/proxy.js';
import { createCA, issueCert, type CertPair } from '../../src/net/certs.js';



type Closer = { after(fn: () => unknown): void };

function listenOn(t: Closer, server: net.Server, socks: Set<Duplex>): Promise<number> {
  t.after(() => {
    for (const s of socks) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
}

/** A TLS origin that echoes what it gets. */
async function tlsEcho(t: Closer, cert: CertPair): Promise<number> {
  const socks = new Set<Duplex>();
  const s = tls.createServer({ cert: cert.certPem, key: cert.keyPem }, (c) => {
    socks.add(c);
    c.on('close', () => socks.delete(c));
    c.on('error', () => {});
    c.pipe(c);
  });
  return listenOn(t, s, socks);
}

/** A CONNECT proxy reached over TLS (an "https://" proxy URL): tunnels HOST:PORT to 127.0.0.1:map[HOST]. */
async function tlsConnectProxy(t: Closer, cert: CertPair, map: Record<string, number>): Promise<{ port: number; seen: string[]; tlsSessions: () => number }> {
  const seen: string[] = [];
  const socks = new Set<Duplex>();
  let sessions = 0;
  const s = tls.createServer({ cert: cert.certPem, key: cert.keyPem }, (c) => {
    sessions++;
    socks.add(c);
    c.on('close', () => socks.delete(c));
    c.on('error', () => {});
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      c.off('data', onData);
      const line = buf.subarray(0, i).toString('latin1').split('\r\n')[0];
      seen.push(line);
      const m = /^CONNECT ([^\s:]+):(\d+) HTTP\/1\.1$/.exec(line);
      if (!m || map[m[1]] === undefined) return c.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      const up = net.connect(map[m[1]], '127.0.0.1');
      socks.add(up);
      up.on('close', () => socks.delete(up));
      up.on('error', () => c.destroy());
      up.once('connect', () => {
        c.write('HTTP/1.1 200 Connection established\r\n\r\n');
        const rest = buf.subarray(i + 4);
        if (rest.length) up.write(rest);
        c.pipe(up).pipe(c);
      });
    };
    c.on('data', onData);
  });
  const port = await listenOn(t, s, socks);
  return { port, seen, tlsSessions: () => sessions };
}

test('https:// proxy: TLS to the proxy, CONNECT inside, TLS to the host; --ca decides trust in the proxy', async (t) => {
  const ca = await createCA('Corp Proxy CA', { organization: 'Corp IT' });
  const origin = await tlsEcho(t, await issueCert(ca, { names: ['apps.test'] }));
  const proxy = await tlsConnectProxy(t, await issueCert(ca, { names: ['proxy.test'] }), { 'apps.test': origin });
  const wrongName = await tlsConnectProxy(t, await issueCert(ca, { names: ['other.test'] }), { 'apps.test': origin });
  const base = { resolve: { 'proxy.test': '127.0.0.1' }, caPem: [ca.certPem] };
  const viaProxy = (port: number) => parseProxyUrl(`https://proxy.test:${port}`, 'explicit');

  const d = await dial({ host: 'apps.test', port: 443, tls: true, proxy: viaProxy(proxy.port) }, ctx(base));
  t.after(() => d.socket.destroy());
  assert.equal(d.via, 'proxy');
  assert.equal(d.address, '127.0.0.1');
  assert.equal(d.port, proxy.port);
  assert.deepEqual(d.proxy, { display: `https://proxy.test:${proxy.port}`, source: 'explicit' });
  assert.equal(d.peer?.subject.CN, 'apps.test', 'the inner TLS is with the host, not the proxy');
  assert.equal(d.peer?.trusted, true);
  assert.ok((d.timings.proxyMs ?? -1) >= 0 && (d.timings.tlsMs ?? -1) >= 0);
  assert.deepEqual(proxy.seen, ['CONNECT apps.test:443 HTTP/1.1']);
  assert.equal(proxy.tlsSessions(), 1, 'the proxy connection itself was TLS');
  const payload = `ping-${Math.random()}`;
  d.socket.write(payload);
  const echoed = await new Promise<string>((r) => d.socket.once('data', (b) => r(b.toString())).resume());
  assert.equal(echoed, payload);

  // A refused CONNECT inside the TLS session is still the proxy's refusal.
  const refused = await rejectsCode(dial({ host: 'blocked.test', port: 443, tls: true, proxy: viaProxy(proxy.port) }, ctx(base)), 'PROXY_CONNECT_REFUSED');
  assert.equal(refused.details.proxyStatus, 403);

  // Without --ca the proxy's own certificate is untrusted: the proxy is unreachable, with the cause.
  const untrusted = await rejectsCode(dial({ host: 'apps.test', port: 443, tls: true, proxy: viaProxy(proxy.port) }, ctx({ resolve: base.resolve })), 'PROXY_UNREACHABLE');
  assert.equal(untrusted.details.cause, 'TLS_CERT_UNTRUSTED');
  assert.equal(untrusted.details.phase, 'proxy');
  // A proxy certificate for another name is not accepted either.
  const mismatch = await rejectsCode(dial({ host: 'apps.test', port: 443, tls: true, proxy: viaProxy(wrongName.port) }, ctx(base)), 'PROXY_UNREACHABLE');
  assert.equal(mismatch.details.cause, 'TLS_NAME_MISMATCH');
  assert.deepEqual(wrongName.seen, [], 'no CONNECT was sent to a proxy that failed verification');
});

test('--pac over https from a local server: fetched and evaluated per URL', async (t) => {
  const ca = await createCA('Corp PAC CA');
  const cert = await issueCert(ca, { names: ['127.0.0.1'] });
  const PAC = 'function FindProxyForURL(url, host) { if (dnsDomainIs(host, ".opentok.com")) return "PROXY 127.0.0.1:3128; DIRECT"; return "DIRECT"; }';
  let hits = 0;
  const socks = new Set<Duplex>();
  const srv = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    hits++;
    if (req.url === '/proxy.pac') {
      res.setHeader('content-type', 'application/x-ns-proxy-autoconfig');
      res.end(PAC);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  srv.on('connection', (s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
  });
  const port = await listenOn(t, srv, socks);
  const url = `https://127.0.0.1:${port}/proxy.pac`;

  // The PAC server's certificate comes from a private CA: --ca must be honoured for the fetch.
  const r = createProxyResolver(defaultConfig({ pac: url, caPem: [ca.certPem] }));
  const v = await r.forUrl('https://anvil.opentok.com/');
  assert.equal(v.kind, 'http');
  assert.equal(v.kind === 'http' && v.display, 'http://127.0.0.1:3128');
  assert.equal(v.kind === 'http' && v.source, 'pac');
  assert.deepEqual(await r.forUrl('https://apps.esignlive.com/'), { kind: 'direct', source: 'pac', origin: 'explicit', from: `--pac ${url}`, pacAnswer: 'DIRECT' });
  assert.equal(hits, 1, 'the PAC file is fetched once per run');

  // Without the CA the fetch fails with one clear line naming the PAC URL.
  await assert.rejects(createProxyResolver(defaultConfig({ pac: url })).forUrl('https://x.test/'), (e: Error) => {
    assert.equal(e.name, 'UsageError');
    assert.match(e.message, new RegExp(`PAC file ${url.replace(/[.]/g, '\\.')}`));
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  await assert.rejects(createProxyResolver(defaultConfig({ pac: `https://127.0.0.1:${port}/missing.pac`, caPem: [ca.certPem] })).forUrl('https://x.test/'), /HTTP 404/);
});
