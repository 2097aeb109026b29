import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { turnCredentials, turnUserFor, TURN_REQUESTS_PER_MIN } from '../../src/serve/turn-creds.js';
import { parseTurnUrl } from '../../src/protocol/turn-url.js';
import http from 'node:http';
import { verify } from '../../src/protocol/echo-token.js';
import { UsageError } from '../../src/shared/errors.js';
import { startProbe } from '../checks/media-support.js';

test('coturn use-auth-secret credentials: <expiry>:netready and base64 HMAC-SHA1', () => {
  const c = turnCredentials('S', { ttlSec: 600, nowMs: 1_700_000_000_000 });
  assert.equal(c.username, '1700000600:netready');
  assert.equal(c.credential, createHmac('sha1', 'S').update('1700000600:netready').digest('base64'));
  assert.equal(c.ttl, 600);
});

test('turn URLs are validated', () => {
  assert.deepEqual(parseTurnUrl('turn:198.18.0.2:3478?transport=udp'), { scheme: 'turn', host: '198.18.0.2', port: 3478, transport: 'udp' });
  assert.deepEqual(parseTurnUrl('turns:turn.example'), { scheme: 'turns', host: 'turn.example', port: 443, transport: 'tcp' });
  for (const bad of ['http://x', 'turn:', 'turns:x?transport=udp', 'turn:x:99999']) assert.throws(() => parseTurnUrl(bad), UsageError);
});

test('HTTP API: /.netready/turn, /.netready/udp-token, /.netready/media, 404 when not configured', async (t) => {
  const probe = await startProbe({
    turn: { secret: 'S', urls: ['turn:127.0.0.1:3478?transport=udp'] },
    echo: { secret: 'E', host: '0.0.0.0', ports: [1025, 65535] },
    stun: { host: '127.0.0.1', port: 3478 },
  });
  t.after(() => probe.close());
  const turn = await (await fetch(`${probe.url}/.netready/turn`)).json();
  assert.match(turn.username, /^\d+:netready\.[A-Za-z0-9_-]{12}$/);
  assert.equal(turn.ttl, 120, 'short-lived');
  assert.ok(Number(turn.username.split(':')[0]) - Date.now() / 1000 <= 121);
  assert.equal(turn.credential, createHmac('sha1', 'S').update(turn.username).digest('base64'));
  assert.deepEqual(turn.urls, ['turn:127.0.0.1:3478?transport=udp']);
  const tok = await (await fetch(`${probe.url}/.netready/udp-token`)).json();
  assert.equal(tok.host, '127.0.0.1', 'an unspecified bind address is announced as the name the client used');
  assert.deepEqual(tok.ports, [1025, 65535]);
  assert.equal(verify('E', tok.token, Date.now()).ok, true);
  const media = await (await fetch(`${probe.url}/.netready/media`)).json();
  assert.deepEqual(media.stun, { host: '127.0.0.1', port: 3478 });
  assert.equal((await fetch(`${probe.url}/.netready/turn`, { method: 'POST' })).status, 405);
  const empty = await startProbe({});
  t.after(() => empty.close());
  assert.equal((await fetch(`${empty.url}/.netready/turn`)).status, 404);
  assert.equal((await fetch(`${empty.url}/.netready/udp-token`)).status, 404);
});

test('udp-token?relay=ADDR: a token bound to a relay address of the TURN servers only (names resolved, --turn-relay-ip)', async (t) => {
  const probe = await startProbe({
    turn: { secret: 'S', urls: ['turn:127.0.0.1:3478?transport=udp', 'turns:localhost:443?transport=tcp'], relayIps: ['127.0.0.9'] },
    echo: { secret: 'E', host: '127.0.0.1', ports: [1025] },
  });
  t.after(() => probe.close());
  const get = async (q: string) => {
    const r = await fetch(`${probe.url}/.netready/udp-token?relay=${encodeURIComponent(q)}`);
    return { status: r.status, body: (await r.json()) as { relayToken?: string; token?: string; error?: string } };
  };
  for (const addr of ['127.0.0.1', '127.0.0.9']) {
    const r = await get(addr);
    assert.equal(r.status, 200, addr);
    assert.equal(verify('E', r.body.relayToken!, Date.now(), addr).ok, true, `bound to ${addr}`);
    assert.equal(verify('E', r.body.relayToken!, Date.now(), '127.0.0.2').ok, false, 'and to no other address');
    assert.equal(verify('E', r.body.token!, Date.now()).ok, true);
  }
  const other = await get('198.18.7.7');
  assert.equal(other.status, 403);
  assert.equal(other.body.error, "198.18.7.7 is not a relay address of this serve's TURN servers");
  assert.equal(other.body.relayToken, undefined);
  assert.equal((await get('turn.example')).status, 400);
  // without TURN there is no relay to bind to
  const noTurn = await startProbe({ echo: { secret: 'E', host: '127.0.0.1', ports: [1025] } });
  t.after(() => noTurn.close());
  assert.equal((await fetch(`${noTurn.url}/.netready/udp-token?relay=127.0.0.1`)).status, 403);
});

function getFrom(url: string, localAddress: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { localAddress, agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: b ? JSON.parse(b) : null }));
      })
      .on('error', reject);
  });
}

test('/.netready/turn: the user names the requesting address; a budget a minute per address (default 60), then 429 + Retry-After; others unaffected', async (t) => {
  assert.equal(TURN_REQUESTS_PER_MIN, 60);
  // 6 a minute here: one more every 10 s, so the count does not depend on this machine's speed.
  const probe = await startProbe({ turn: { secret: 'S', urls: ['turn:127.0.0.1:3478?transport=udp'] }, echo: { secret: 'E', host: '127.0.0.1', ports: [1025] }, requestsPerMin: 6 });
  t.after(() => probe.close());
  const a = await getFrom(`${probe.url}/.netready/turn`, '127.0.0.41');
  const b = await getFrom(`${probe.url}/.netready/turn`, '127.0.0.42');
  assert.equal(a.body.username.split(':')[1], turnUserFor('S', '127.0.0.41'));
  assert.notEqual(a.body.username.split(':')[1], b.body.username.split(':')[1], 'one user per requester');
  assert.equal(turnUserFor('S', '2001:db8:1:2::5'), turnUserFor('S', '2001:db8:1:2:ffff::9'), 'an IPv6 requester counts by its /64');
  const statuses: number[] = [];
  let retryAfter: string | undefined;
  for (let i = 0; i < 7; i++) {
    const r = await getFrom(`${probe.url}/.netready/turn`, '127.0.0.43');
    statuses.push(r.status);
    if (r.status === 429) retryAfter = String(r.headers['retry-after']);
  }
  assert.equal(statuses.filter((s) => s === 200).length, 6);
  assert.equal(statuses.at(-1), 429);
  assert.equal(retryAfter, '10');
  assert.equal((await getFrom(`${probe.url}/.netready/turn`, '127.0.0.44')).status, 200, 'another address is not limited');
  // /udp-token has its own budget.
  assert.equal((await getFrom(`${probe.url}/.netready/udp-token`, '127.0.0.43')).status, 200);
});
