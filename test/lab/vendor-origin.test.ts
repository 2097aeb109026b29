// The lab's real-like vendor origin (lab/helpers/vendor-origin.ts), run for real on loopback with a
// throw-away CA: it answers like the vendors' real servers (issue 10, "Why" item 1) and never like
// `netready serve`. Also: which names and zones the lab derives from the profiles (no network).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';
import type { LookupFunction } from 'node:net';
import { WebSocket } from 'ws';
import { createCA, issueCert } from '../../src/net/certs.js';
import { builtinProfileIds, readProfile } from '../../src/profiles/load.js';
import { labHostNames, UNPUBLISHED_NAMES, REPO } from '../../lab/lab.js';
import { parseScenario } from '../../lab/scenario.js';
import { rootStatus, type OriginConfig } from '../../lab/origin.js';

const MIDDLEBOX = /squid|mitmproxy|zscaler|bluecoat|netready/i;

interface Ports {
  addr: string;
  https: number;
  http: number;
}

async function startOrigin(): Promise<{ child: ChildProcess; ports: Record<string, Ports>; ca: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'nr-origin-'));
  const names = ['apps.esignlive.com', 'data.upscope.io', 'ocsp.godaddy.com', 'crl.godaddy.com', 'cdn.upscope.io'];
  const ca = await createCA('origin test CA');
  const leaf = await issueCert(ca, { names });
  writeFileSync(join(dir, 'cert.pem'), leaf.certPem + ca.certPem);
  writeFileSync(join(dir, 'key.pem'), leaf.keyPem);
  const cfg: OriginConfig = {
    hosts: [
      { name: 'apps.esignlive.com', addr: '127.0.0.1', sign: true, wsPaths: ['/graphql'], refuseUpgrade: null, plain: 'redirect' },
      { name: 'data.upscope.io', addr: '127.0.0.2', sign: false, wsPaths: ['/'], refuseUpgrade: 401, plain: 'redirect' },
      { name: 'ocsp.godaddy.com', addr: '127.0.0.3', sign: false, wsPaths: [], refuseUpgrade: null, plain: 'ocsp' },
      { name: 'crl.godaddy.com', addr: '127.0.0.4', sign: false, wsPaths: [], refuseUpgrade: null, plain: 'crl' },
      { name: 'cdn.upscope.io', addr: '127.0.0.5', sign: false, wsPaths: ['/'], refuseUpgrade: null, plain: 'redirect' },
    ],
    cert: join(dir, 'cert.pem'),
    key: join(dir, 'key.pem'),
    wsCloseAfterS: 1,
    pathStatus: {},
    httpsPort: 0,
    httpPort: 0,
  };
  writeFileSync(join(dir, 'origin.json'), JSON.stringify(cfg));
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'lab', 'helpers', 'vendor-origin.ts'), '--config', join(dir, 'origin.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ports: Record<string, Ports> = {};
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`vendor-origin did not start: ${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (const m of out.matchAll(/vendor-origin: (\S+) (https|http) ([\d.]+):(\d+)/g)) (ports[m[1]] ??= { addr: m[3], https: 0, http: 0 })[m[2] as 'https' | 'http'] = Number(m[4]);
      if (out.includes('vendor-origin: ready')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`vendor-origin exited ${code}: ${out}`)));
  });
  return { child, ports, ca: ca.certPem, dir };
}

function get(o: Awaited<ReturnType<typeof startOrigin>>, host: string, path: string, opts: { plain?: boolean; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const cb = (res: http.IncomingMessage) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    };
    const addr = o.ports[host];
    const common = { host: addr.addr, path, headers: { host, ...opts.headers }, timeout: 5000 };
    const req = opts.plain ? http.get({ ...common, port: addr.http }, cb) : https.get({ ...common, port: addr.https, servername: host, ca: o.ca, agent: false }, cb);
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

/** resolve a host name to the loopback address its origin listens on */
const lookupIn =
  (ports: Record<string, Ports>): LookupFunction =>
  (host, opts, cb) =>
    opts.all
      ? (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: ports[host].addr, family: 4 }])
      : (cb as (e: null, a: string, f: number) => void)(null, ports[host].addr, 4);

test('the vendor origin answers like a real SaaS origin, never like netready serve', { timeout: 60_000 }, async (t) => {
  const o = await startOrigin();
  t.after(() => {
    o.child.kill('SIGTERM');
    rmSync(o.dir, { recursive: true, force: true });
  });
  const sign = 'apps.esignlive.com';
  const cases: [string, string, number, RegExp, Record<string, string>?][] = [
    ['/virtual-room/probe/existence', 'GET', 404, /application\/json/],
    ['/virtual-room/netready-probe/event?interval=250&count=8', 'GET', 401, /application\/json/, { accept: 'text/event-stream' }],
    ['/graphql', 'GET', 400, /application\/json/],
    ['/transaction/netready-probe', 'GET', 302, /text\/html/],
    ['/no-such-page', 'GET', 404, /text\/html/],
  ];
  for (const [path, , status, type, headers] of cases) {
    const r = await get(o, sign, path, { headers });
    assert.equal(r.status, status, path);
    assert.match(String(r.headers['content-type']), type, path);
    const server = String(r.headers.server ?? '');
    assert.ok(server && !MIDDLEBOX.test(server), `${path}: Server ${server}`);
    assert.equal(r.headers['x-netready-serve'], undefined, path);
    assert.equal(r.headers.via, undefined, path);
  }
  assert.deepEqual(JSON.parse((await get(o, sign, '/virtual-room/r1/event')).body.toString()), { error: 'unauthorized' });
  assert.match(String((await get(o, sign, '/transaction/x')).headers.location), /^\/login\b/);
  // / : a page or a 301 to a path, per host
  for (const h of [sign, 'cdn.upscope.io']) {
    const r = await get(o, h, '/');
    assert.equal(r.status, rootStatus(h), h);
    if (r.status === 301) assert.equal(r.headers.location, '/home');
  }
  // the app paths belong to the Sign domain only
  assert.equal((await get(o, 'cdn.upscope.io', '/graphql')).status, 404);

  // plain HTTP :80: an OCSP responder, a CRL host, a redirect to https elsewhere (seed 001)
  const ocsp = await get(o, 'ocsp.godaddy.com', '/', { plain: true });
  assert.equal(ocsp.status, 200);
  assert.equal(ocsp.headers['content-type'], 'application/ocsp-response');
  assert.equal(ocsp.body.toString('hex'), '30030a0101'); // OCSPResponse, malformedRequest
  assert.equal((await get(o, 'crl.godaddy.com', '/', { plain: true })).status, 404);
  const redirect = await get(o, sign, '/graphql', { plain: true });
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, `https://${sign}/graphql`);

  // ALPN: h2 and http/1.1 offered, as real CDNs do; netready asks for http/1.1
  for (const [offer, want] of [[['h2', 'http/1.1'], 'h2'], [['http/1.1'], 'http/1.1']] as const) {
    const got = await new Promise<string | false>((resolve, reject) => {
      const s = tls.connect({ host: o.ports[sign].addr, port: o.ports[sign].https, servername: sign, ca: o.ca, ALPNProtocols: [...offer] }, () => {
        resolve(s.alpnProtocol ?? false);
        s.destroy();
      });
      s.on('error', reject);
    });
    assert.equal(got, want);
  }

  // WebSocket on the profile's path: 101 with the right accept (the ws client checks it), a ping
  // comes back as a pong, a text frame is not echoed, the server closes the idle socket (1008)
  const ws = new WebSocket(`wss://${sign}:${o.ports[sign].https}/graphql`, { ca: o.ca, lookup: lookupIn(o.ports) });
  const events: string[] = [];
  const closed = new Promise<{ code: number; ms: number }>((resolve, reject) => {
    const t0 = Date.now();
    ws.on('open', () => {
      events.push('open');
      ws.ping(Buffer.from('nrl'));
    });
    ws.on('pong', (d: Buffer) => {
      events.push(`pong:${d.toString()}`);
      ws.send('hello');
    });
    ws.on('message', () => events.push('message'));
    ws.on('close', (code: number) => resolve({ code, ms: Date.now() - t0 }));
    ws.on('error', reject);
  });
  const c = await closed;
  assert.deepEqual(events, ['open', 'pong:nrl'], 'a pong, and nothing echoed');
  assert.equal(c.code, 1008);
  assert.ok(c.ms >= 900, `closed by the server after ${c.ms} ms (configured 1 s)`);

  // an upgrade the origin refuses (401 JSON, its own certificate), and one on a path without a
  // WebSocket (the ordinary 404)
  for (const [host, path, status] of [['data.upscope.io', '/', 401], [sign, '/nope', 404]] as const) {
    const got = await new Promise<number>((resolve, reject) => {
      const w = new WebSocket(`wss://${host}:${o.ports[host].https}${path}`, { ca: o.ca, lookup: lookupIn(o.ports) });
      w.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        w.terminate();
      });
      w.on('open', () => reject(new Error(`${host}${path} upgraded`)));
      w.on('error', () => {});
    });
    assert.equal(got, status, `${host}${path}`);
  }
});

test('the lab DNS derives its names and zones from the profiles, without the unpublished names', () => {
  const sc = parseScenario('description: names\npending: names only\n', 'names.yaml');
  const lh = labHostNames(sc);
  for (const id of builtinProfileIds())
    for (const h of readProfile(id).hosts) if (h.wildcard?.startsWith('*.')) assert.ok(lh.zones.includes(h.wildcard.slice(2)), `zone of ${h.wildcard}`);
  assert.ok(lh.zones.includes('esignlive.com'), 'the Sign domain parent');
  for (const n of UNPUBLISHED_NAMES) assert.ok(!lh.names.includes(n), `${n} must not resolve`);
  assert.ok(lh.names.includes('probe.lab.test') && lh.names.includes('turn.lab.test'));
  assert.equal(lh.dnsOnly['localhost.esignlive.com'], '127.0.0.1');
  assert.ok(lh.wsPaths['apps.esignlive.com']?.includes('/graphql'));
  // another Sign domain brings its own zone
  const eu = labHostNames(parseScenario('description: an EU tenant\nparams: { signDomain: apps.esignlive.eu }\npending: names only\n', 'eu.yaml'));
  assert.ok(eu.zones.includes('esignlive.eu') && eu.names.includes('apps.esignlive.eu'));
});

test('scenario vendor knobs: bad values are one-line errors naming the field', () => {
  const bad = (y: string) => () => parseScenario(`description: knobs\npending: parse only\n${y}\n`, 'knobs.yaml');
  assert.throws(bad('vendor: { refuseStatus: 500 }'), /knobs\.yaml: field vendor\.refuseStatus: .*401.*403/);
  assert.throws(bad('vendor: { pathStatus: { graphql: 404 } }'), /knobs\.yaml: field vendor\.pathStatus\.graphql: /);
  assert.throws(bad('vendor: { cooperative: true }'), /knobs\.yaml.*vendor/);
  assert.doesNotThrow(bad('vendor: { refuseUpgrade: [data.upscope.io], wsCloseAfterS: 30, pathStatus: { "/graphql": 404 } }'));
});
