import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../src/shared/config.js';
import { UsageError } from '../../src/shared/errors.js';
import { createProxyResolver, envProxyFor, noProxyMatches, parsePacResult, parseProxyUrl, proxyMayApply } from '../../src/net/proxy.js';

test('parseProxyUrl: credentials become Basic auth, display redacts the password, curl defaults', () => {
  const p = parseProxyUrl('http://alice:s%40cret@proxy.corp:3128', 'explicit');
  assert.equal(p.host, 'proxy.corp');
  assert.equal(p.port, 3128);
  assert.equal(p.authorization, `Basic ${Buffer.from('alice:s@cret').toString('base64')}`);
  assert.equal(p.display, 'http://alice:***@proxy.corp:3128');
  assert.ok(!p.display.includes('cret'));
  assert.equal(parseProxyUrl('proxy.corp', 'env').port, 1080); // curl's default proxy port
  assert.equal(parseProxyUrl('https://proxy.corp', 'env').tls, true);
  assert.equal(parseProxyUrl('[::1]:8080', 'env').display, 'http://[::1]:8080');
});

test('parseProxyUrl: malformed or unsupported proxy URLs are UsageErrors naming the option', () => {
  assert.throws(() => parseProxyUrl('http://exa mple:80', 'explicit', '--proxy'), (e: unknown) => e instanceof UsageError && /--proxy/.test((e as Error).message));
  assert.throws(() => parseProxyUrl('socks5://h:1080', 'explicit', '--proxy'), /unsupported proxy scheme "socks5"/);
  assert.throws(() => createProxyResolver(defaultConfig({ env: { httpsProxy: 'http://a:b@:99' } })), UsageError);
  // A password never appears in the error line.
  assert.throws(() => parseProxyUrl('ftp://u:topsecret@h:1', 'explicit'), (e: unknown) => !(e as Error).message.includes('topsecret'));
});

test('NO_PROXY as curl reads it: suffixes, leading dots, *, ports, IPs, CIDR', () => {
  assert.equal(noProxyMatches('a.example.com', 443, 'example.com'), true);
  assert.equal(noProxyMatches('example.com', 443, '.example.com'), true);
  assert.equal(noProxyMatches('badexample.com', 443, 'example.com'), false);
  assert.equal(noProxyMatches('x.org', 443, '*'), true);
  assert.equal(noProxyMatches('x.org', 443, 'y.org, x.org'), true);
  assert.equal(noProxyMatches('x.org', 443, 'x.org:8443'), false);
  assert.equal(noProxyMatches('x.org', 8443, 'x.org:8443'), true);
  assert.equal(noProxyMatches('10.1.2.3', 443, '10.1.2.3'), true);
  assert.equal(noProxyMatches('10.1.2.3', 443, '10.0.0.0/8'), true);
  assert.equal(noProxyMatches('11.1.2.3', 443, '10.0.0.0/8'), false);
  assert.equal(noProxyMatches('::1', 443, '::1'), true);
  assert.equal(noProxyMatches('localhost.esignlive.com', 443, 'localhost'), false);
  assert.equal(noProxyMatches('x.org', 443, undefined), false);
});

test('environment: HTTPS_PROXY for https/wss, HTTP_PROXY for http, ALL_PROXY fallback, NO_PROXY wins', () => {
  const env = { httpsProxy: 'http://s:3128', httpProxy: 'http://p:8080', noProxy: '.internal' };
  const c1 = envProxyFor('https://apps.esignlive.com/', env);
  assert.equal(c1.kind === 'http' && c1.host, 's');
  assert.equal(c1.kind === 'http' && c1.source, 'env');
  const c2 = envProxyFor('http://ocsp.godaddy.com/', env);
  assert.equal(c2.kind === 'http' && c2.host, 'p');
  assert.deepEqual(envProxyFor('https://db.internal/', env), { kind: 'direct', source: 'no_proxy' });
  assert.deepEqual(envProxyFor('https://x/', {}), { kind: 'direct', source: 'none' });
  const c3 = envProxyFor('https://x.org/', { allProxy: 'http://all:1' });
  assert.equal(c3.kind === 'http' && c3.host, 'all');
  assert.equal(proxyMayApply('https://db.internal/', defaultConfig({ env })), false);
  assert.equal(proxyMayApply('https://x.org/', defaultConfig({ env })), true);
  assert.equal(proxyMayApply('https://x.org/', defaultConfig({ proxy: 'http://p:1' })), true);
});

test('explicit --proxy applies to every URL; describe() redacts', async () => {
  const r = createProxyResolver(defaultConfig({ proxy: 'http://u:pw@127.0.0.1:3128', env: { httpsProxy: 'http://v:pw2@e:1', noProxy: '*' } }));
  const c = await r.forUrl('https://apps.esignlive.com/');
  assert.equal(c.kind === 'http' && c.source, 'explicit');
  const d = r.describe();
  assert.equal(d.explicit, 'http://u:***@127.0.0.1:3128');
  assert.equal(d.env.HTTPS_PROXY, 'http://v:***@e:1');
  assert.ok(!JSON.stringify(d).includes('pw'));
});

test('parsePacResult: first usable entry', () => {
  const a = parsePacResult('PROXY 10.0.0.1:3128; DIRECT', 'x.pac');
  assert.equal(a.kind === 'http' && `${a.host}:${a.port}:${a.source}`, '10.0.0.1:3128:pac');
  assert.deepEqual(parsePacResult('DIRECT', 'x.pac'), { kind: 'direct', source: 'pac' });
  const b = parsePacResult('SOCKS 1.2.3.4:1080; HTTPS p.corp:8443', 'x.pac');
  assert.equal(b.kind === 'http' && b.tls, true);
  assert.deepEqual(parsePacResult('', 'x.pac'), { kind: 'direct', source: 'pac' });
});

const PAC = `function FindProxyForURL(url, host) {
  if (dnsDomainIs(host, ".opentok.com") || shExpMatch(host, "*.tokbox.com")) return "PROXY 127.0.0.1:3128; DIRECT";
  if (isPlainHostName(host)) return "DIRECT";
  return "DIRECT";
}`;

test('PAC file from disk is evaluated per URL (QuickJS sandbox)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netready-pac-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'proxy.pac');
  writeFileSync(file, PAC);
  const r = createProxyResolver(defaultConfig({ pac: file }));
  const v = await r.forUrl('https://config.opentok.com/');
  assert.equal(v.kind, 'http');
  assert.equal(v.kind === 'http' && v.display, 'http://127.0.0.1:3128');
  assert.equal(v.kind === 'http' && v.source, 'pac');
  assert.deepEqual(await r.forUrl('https://apps.esignlive.com/'), { kind: 'direct', source: 'pac', origin: 'explicit', from: `--pac ${file}`, pacAnswer: 'DIRECT' });
  const s = await r.forUrl('https://signal.media.prod.tokbox.com/');
  assert.equal(s.kind, 'http');
});

test('PAC file over http is fetched from a loopback server; a broken PAC is a UsageError', async (t) => {
  const srv = http.createServer((req, res) => {
    if (req.url === '/proxy.pac') res.end(PAC);
    else if (req.url === '/broken.pac') res.end('function FindProxyForURL(url, host) { return ');
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const port = (srv.address() as { port: number }).port;
  const r = createProxyResolver(defaultConfig({ pac: `http://127.0.0.1:${port}/proxy.pac` }));
  assert.equal((await r.forUrl('https://anvil.opentok.com/')).kind, 'http');
  await assert.rejects(createProxyResolver(defaultConfig({ pac: `http://127.0.0.1:${port}/missing.pac` })).forUrl('https://x/'), /HTTP 404/);
  await assert.rejects(createProxyResolver(defaultConfig({ pac: `http://127.0.0.1:${port}/broken.pac` })).forUrl('https://x/'), UsageError);
  await assert.rejects(createProxyResolver(defaultConfig({ pac: '/nonexistent/x.pac' })).forUrl('https://x/'), /cannot read the PAC file/);
});
