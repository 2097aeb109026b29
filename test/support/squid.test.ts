// The squid fixture does what it says, proven with curl and raw sockets against a real upstream:
// plain CONNECT passes the upstream's own certificate; auth gives 407; bump re-signs with the test
// CA and strips the WebSocket upgrade; the path ACL refuses /virtual-room/ but passes /; the
// keyword ACL refuses a host with "proxy" in its name; the idle timeout cuts a silent tunnel.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { NEEDS_SQUID, startSquid } from './squid.js';
import { firstReason, needs } from './prereqs.js';
import { startUpstream } from './upstream.js';
import { curl } from './client.js';
import { tempDir, removeDir } from './proc.js';

const NAMES = ['apps.example.test', 'assets-proxy.upscope.test', 'code.upscope.test'];
const HOSTS = Object.fromEntries(NAMES.map((n) => [n, '127.0.0.1']));

async function upstream(t: import('node:test').TestContext) {
  const up = await startUpstream({ names: NAMES });
  t.after(() => up.close());
  const dir = tempDir('cafile');
  t.after(() => removeDir(dir));
  const caFile = path.join(dir, 'up-ca.pem');
  writeFileSync(caFile, up.ca!.certPem);
  return { up, caFile, dir };
}

describe('squid fixture', { concurrency: 4, skip: firstReason(NEEDS_SQUID, needs('curl')) }, () => {
  test('plain squid tunnels CONNECT; the upstream certificate arrives untouched', async (t) => {
    const { up, caFile } = await upstream(t);
    const sq = await startSquid({ hosts: HOSTS });
    t.after(() => sq.stop());
    const r = await curl(['--proxy', sq.url, '--cacert', caFile, `https://apps.example.test:${up.port}/virtual-room/x`]);
    assert.equal(r.status, 200, r.stderr);
    assert.match(r.stdout, /"path":"\/virtual-room\/x"/);
    assert.match(sq.accessLog(), /CONNECT apps\.example\.test:\d+/);
  });

  test('squid with basic auth answers 407 without credentials and 200 with them', async (t) => {
    const { up, caFile } = await upstream(t);
    const sq = await startSquid({ hosts: HOSTS, auth: { user: 'alice', password: 's3cret' } });
    t.after(() => sq.stop());
    const no = await curl(['--proxy', sq.url, '--cacert', caFile, '-o', '/dev/null', `https://apps.example.test:${up.port}/`]);
    assert.match(no.stderr, /407/);
    const plain = await curl(['--proxy', sq.url, '-o', '/dev/null', `http://apps.example.test:${up.port}/`]);
    assert.equal(plain.status, 407);
    const yes = await curl(['--proxy', sq.urlWithAuth!, '--cacert', caFile, `https://apps.example.test:${up.port}/`]);
    assert.equal(yes.status, 200, yes.stderr);
    const bad = await curl(['--proxy', sq.url.replace('//', '//alice:wrong@'), '--cacert', caFile, '-o', '/dev/null', `https://apps.example.test:${up.port}/`]);
    assert.match(bad.stderr, /407/);
  });

  test('squid ssl-bump re-signs with the test CA and strips the WebSocket upgrade', async (t) => {
    const { up, caFile, dir } = await upstream(t);
    const sq = await startSquid({ hosts: HOSTS, bump: true });
    t.after(() => sq.stop());
    // The upstream's own CA no longer verifies: the chain is squid's.
    const own = await curl(['--proxy', sq.url, '--cacert', caFile, `https://apps.example.test:${up.port}/`]);
    assert.notEqual(own.code, 0);
    assert.match(own.stderr, /certificate/i);
    const bumpCa = path.join(dir, 'bump-ca.pem');
    writeFileSync(bumpCa, sq.caPem!);
    const r = await curl(['-v', '--proxy', sq.url, '--cacert', bumpCa, `https://apps.example.test:${up.port}/`]);
    assert.equal(r.status, 200, r.stderr);
    assert.match(r.stderr, /issuer: CN=Netready Test Interception CA; O=Squid Bump Lab/);
    assert.match(r.stderr, /Via: 1\.1 netready-test-squid/);
    // WebSocket upgrade through the bumped connection: squid drops Upgrade, the server answers 200.
    const ws = await curl([
      '--proxy', sq.url, '--cacert', bumpCa, '-o', '/dev/null', '--max-time', '5',
      '-H', 'Connection: Upgrade', '-H', 'Upgrade: websocket', '-H', 'Sec-WebSocket-Version: 13',
      '-H', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', `https://apps.example.test:${up.port}/graphql`,
    ]);
    assert.equal(ws.status, 200);
    // Direct to the upstream the same request is upgraded (the fixture, not the upstream, strips it).
    const direct = await curl([
      '--cacert', caFile, '-o', '/dev/null', '--max-time', '2', '--resolve', `apps.example.test:${up.port}:127.0.0.1`,
      '-H', 'Connection: Upgrade', '-H', 'Upgrade: websocket', '-H', 'Sec-WebSocket-Version: 13',
      '-H', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', `https://apps.example.test:${up.port}/graphql`,
    ]);
    assert.equal(direct.status, 101);
  });

  test('squid path ACL (with bump) refuses /virtual-room/ but passes /', async (t) => {
    const { up } = await upstream(t);
    const sq = await startSquid({ hosts: HOSTS, bump: true, denyPathRegex: '^/virtual-room' });
    t.after(() => sq.stop());
    const ok = await curl(['-k', '-i', '--proxy', sq.url, `https://apps.example.test:${up.port}/graphql`]);
    assert.equal(ok.status, 200);
    const no = await curl(['-k', '-i', '--proxy', sq.url, `https://apps.example.test:${up.port}/virtual-room/x/event`]);
    assert.equal(no.status, 403);
    assert.match(no.stdout, /X-Squid-Error: ERR_ACCESS_DENIED/i);
    assert.deepEqual(up.seen, ['/graphql']);
  });

  test('squid keyword ACL refuses CONNECT to a host with "proxy" in its name, passes its siblings', async (t) => {
    const { up, caFile } = await upstream(t);
    const sq = await startSquid({ hosts: HOSTS, denyHostRegex: 'proxy' });
    t.after(() => sq.stop());
    const ok = await curl(['--proxy', sq.url, '--cacert', caFile, `https://code.upscope.test:${up.port}/`]);
    assert.equal(ok.status, 200, ok.stderr);
    const no = await curl(['--proxy', sq.url, '--cacert', caFile, `https://assets-proxy.upscope.test:${up.port}/`]);
    assert.notEqual(no.code, 0);
    assert.match(no.stderr, /403/);
  });

  test('squid idle timeout (3 s) cuts a silent CONNECT tunnel', async (t) => {
    const { up } = await upstream(t);
    const sq = await startSquid({ hosts: HOSTS, idleTimeoutSec: 3 });
    t.after(() => sq.stop());
    const cutMs = await new Promise<number>((resolve, reject) => {
      const s = net.connect(sq.port, '127.0.0.1');
      let t0 = 0;
      let buf = '';
      const guard = setTimeout(() => {
        s.destroy();
        reject(new Error('not cut within 10 s'));
      }, 10_000);
      s.on('connect', () => s.write(`CONNECT apps.example.test:${up.port} HTTP/1.1\r\nHost: apps.example.test:${up.port}\r\n\r\n`));
      s.on('data', (d) => {
        buf += d.toString();
        if (!t0 && buf.includes('\r\n\r\n')) {
          assert.match(buf, /^HTTP\/1\.1 200/);
          t0 = performance.now(); // tunnel up, now silent
        }
      });
      s.on('close', () => {
        clearTimeout(guard);
        resolve(t0 ? performance.now() - t0 : -1);
      });
      s.on('error', () => {});
    });
    assert.ok(cutMs > 2500 && cutMs < 6000, `cut after ${cutMs} ms`);
  });

  test('squid reply ACL (with bump) refuses text/event-stream answers, passes JSON on the same path prefix', async (t) => {
    const { up } = await upstream(t);
    const sq = await startSquid({ hosts: HOSTS, bump: true, denyReplyMimeRegex: '^text/event-stream' });
    t.after(() => sq.stop());
    const ok = await curl(['-k', '--proxy', sq.url, `https://apps.example.test:${up.port}/virtual-room/probe/existence`]);
    assert.equal(ok.status, 200);
    const no = await curl(['-k', '-i', '--proxy', sq.url, `https://apps.example.test:${up.port}/virtual-room/x/event?count=2&interval=50`]);
    assert.equal(no.status, 403);
    assert.match(no.stdout, /X-Squid-Error: ERR_ACCESS_DENIED/i);
    assert.doesNotMatch(no.stdout, /event: tick/);
  });

  test('squid rewriting the event-stream Content-Type (bumped) turns SSE into text/plain, JSON untouched', async (t) => {
    const { up } = await upstream(t);
    const sq = await startSquid({ hosts: HOSTS, bump: true, rewriteEventStreamType: 'text/plain' });
    t.after(() => sq.stop());
    const sse = await curl(['-k', '-i', '--proxy', sq.url, `https://apps.example.test:${up.port}/virtual-room/x/event?count=2&interval=50`]);
    assert.equal(sse.status, 200);
    assert.match(sse.stdout, /\r\nContent-Type: text\/plain\r\n/i);
    assert.match(sse.stdout, /event: tick/);
    const json = await curl(['-k', '-i', '--proxy', sq.url, `https://apps.example.test:${up.port}/virtual-room/probe/existence`]);
    assert.match(json.stdout, /\r\nContent-Type: application\/json\r\n/i);
  });
});
