// Child process of werift-patch.test.ts, run inside a network namespace that has only loopback (so
// even a broken patch cannot reach a public host). It records every name the process looks up and
// where every UDP datagram and TCP connection goes, then prints one JSON line.
//   patched    the four webrtc.ice sessions (host-udp and, with coturn, relay-udp/tcp/tls) against a
//              real `netready serve` WebRTC peer with a real coturn, everything closed again; the
//              active resources (handles, timers) before and after.
//   unpatched  the control: plain werift without netready's fix-ups gathers candidates once with no
//              STUN server (and a TURN server, with coturn) and closes — what the patch prevents.
// argv: MODE.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import timersPromises from 'node:timers/promises';

const mode = process.argv[2];
const destinations: string[] = [];

// Recorders: they call through, recording the destination first.
const send = dgram.Socket.prototype.send as (...a: unknown[]) => void;
dgram.Socket.prototype.send = function (this: dgram.Socket, ...a: unknown[]) {
  const host = a.slice(1).find((x) => typeof x === 'string');
  let to = typeof host === 'string' ? host : '';
  if (!to) {
    try {
      to = this.remoteAddress().address;
    } catch {
      to = 'localhost';
    }
  }
  destinations.push(`udp:${to}`);
  return send.apply(this, a);
} as typeof dgram.Socket.prototype.send;
// werift resolves a STUN server's name itself (dns.promises.lookup) before it sends.
const lookupP = dns.promises.lookup.bind(dns.promises) as (...a: unknown[]) => Promise<unknown>;
dns.promises.lookup = ((...a: unknown[]) => {
  destinations.push(`dns:${String(a[0])}`);
  return lookupP(...a);
}) as typeof dns.promises.lookup;
const lookup = dns.lookup as (...a: unknown[]) => unknown;
dns.lookup = ((...a: unknown[]) => {
  destinations.push(`dns:${String(a[0])}`);
  return lookup(...a);
}) as typeof dns.lookup;
const connect = net.Socket.prototype.connect as (...a: unknown[]) => net.Socket;
net.Socket.prototype.connect = function (this: net.Socket, ...a: unknown[]) {
  const o = (Array.isArray(a[0]) ? a[0][0] : a[0]) as unknown;
  const host = o && typeof o === 'object' ? ((o as { host?: string; path?: string }).host ?? ((o as { path?: string }).path ? 'ipc' : 'localhost')) : typeof a[1] === 'string' ? a[1] : 'localhost';
  destinations.push(`tcp:${host}`);
  return connect.apply(this, a);
} as typeof net.Socket.prototype.connect;

// Timers of a second or more still pending, with where they were set (to name a leak).
const timers = new Map<object, { what: string; ref: () => boolean }>();
const where = () => new Error().stack?.split('\n').slice(3).find((l) => !l.includes('node:') && !l.includes('werift-patch-runner'))?.trim() ?? '?';
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const t: NodeJS.Timeout = realSetTimeout((...a: unknown[]) => {
    timers.delete(t);
    fn(...a);
  }, ms, ...args);
  if ((ms ?? 0) >= 1000) timers.set(t, { what: `setTimeout ${ms} ms ${where()}`, ref: () => t.hasRef() });
  return t;
}) as typeof setTimeout;
globalThis.clearTimeout = ((t?: NodeJS.Timeout | string | number) => {
  if (t && typeof t === 'object') timers.delete(t);
  return realClearTimeout(t);
}) as typeof clearTimeout;
const promiseTimeout = timersPromises.setTimeout;
timersPromises.setTimeout = (async (ms?: number, ...rest: unknown[]) => {
  const key = {};
  if ((ms ?? 0) >= 1000) timers.set(key, { what: `timers/promises setTimeout ${ms} ms ${where()}`, ref: () => true });
  try {
    return await (promiseTimeout as (...a: unknown[]) => Promise<unknown>)(ms, ...rest);
  } finally {
    timers.delete(key);
  }
}) as typeof timersPromises.setTimeout;
syncBuiltinESMExports();
const leftTimers = () => [...timers.values()].filter((t) => t.ref()).map((t) => t.what);

const haveCoturn = fs.existsSync('/usr/bin/turnserver');
const settle = () => new Promise((r) => setTimeout(r, 50));

/** Active resources, counted by type. */
function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}
/** What is active in `after` beyond `before` (a file read in flight at the start may end meanwhile). */
const leftOver = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).filter(([k, n]) => n > (before[k] ?? 0)).map(([k, n]) => [k, n - (before[k] ?? 0)]));
const none = (o: Record<string, number>) => Object.keys(o).length === 0;

if (mode === 'patched') {
  const { startCoturn } = await import('../support/coturn.js');
  const { startServe } = await import('../../src/serve/server.js');
  const { mediaServeModule } = await import('../../src/serve/turn-creds.js');
  const { webrtcServeModule } = await import('../../src/serve/webrtc-peer.js');
  const { runIce } = await import('../../src/checks/webrtc-ice.js');
  const { makeCtx, task } = await import('../checks/media-support.js');
  await settle();
  const before = resources();

  const coturn = haveCoturn ? await startCoturn() : null;
  const turn = coturn
    ? { secret: coturn.secret, urls: [`turn:127.0.0.1:${coturn.port}?transport=udp`, `turn:127.0.0.1:${coturn.port}?transport=tcp`, `turns:127.0.0.1:${coturn.tlsPort}?transport=tcp`] }
    : undefined;
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }], modules: [mediaServeModule({ turn }), webrtcServeModule({ turn })] });
  const statuses: Record<string, string> = {};
  try {
    const ctx = makeCtx({ probe: serve.urls[0], caPem: [serve.caPem!, ...(coturn ? [coturn.caPem] : [])] });
    for (const t of coturn ? ['host-udp', 'relay-udp', 'relay-tcp', 'relay-tls'] : ['host-udp']) {
      const out = await runIce(task('webrtc.ice', t), ctx);
      statuses[t] = out.status === 'ok' ? 'ok' : `${out.status} ${out.error?.code ?? ''} ${out.error?.message ?? out.reason ?? ''}`;
    }
  } finally {
    await serve.close();
    await coturn?.stop();
  }
  // Everything is closed: what is still active must go (closing sockets take a tick; bounded at
  // 10 s for a loaded machine — a leak such as werift's 500 s TURN refresh timer stays far longer).
  let after = resources();
  for (let i = 0; i < 200 && !none(leftOver(after, before)); i++) {
    await settle();
    after = resources();
  }
  process.stdout.write(`${JSON.stringify({ mode, statuses, destinations: [...new Set(destinations)], before, after, left: leftOver(after, before), timers: leftTimers() })}\n`);
  process.exit(0);
} else if (mode === 'unpatched') {
  const { RTCPeerConnection } = await import('werift');
  const coturn = haveCoturn ? await (await import('../support/coturn.js')).startCoturn() : null;
  await settle();
  const before = resources();
  const iceServers = coturn ? [{ urls: `turn:127.0.0.1:${coturn.port}?transport=udp`, username: `${Math.floor(Date.now() / 1000) + 600}:x`, credential: 'x' }] : [];
  if (coturn) {
    const { turnCredentials } = await import('../../src/serve/turn-creds.js');
    const c = turnCredentials(coturn.secret, { ttlSec: 600 });
    Object.assign(iceServers[0], { username: c.username, credential: c.credential });
  }
  // Host candidates on loopback, as webrtc.ice confines them (werift skips loopback otherwise).
  const pc = new RTCPeerConnection({ iceServers, iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'], iceInterfaceAddresses: { udp4: '127.0.0.1' } });
  pc.createDataChannel('x');
  let relay = 0;
  pc.onIceCandidate.subscribe((c) => {
    if (c?.candidate && / typ relay/.test(c.candidate)) relay++;
  });
  const gathered = pc.setLocalDescription(await pc.createOffer());
  let bound: NodeJS.Timeout | undefined;
  await Promise.race([gathered, new Promise((r) => (bound = setTimeout(r, 8_000)))]);
  clearTimeout(bound);
  await pc.close();
  await coturn?.stop();
  await settle();
  const after = resources();
  process.stdout.write(`${JSON.stringify({ mode, relay, destinations: [...new Set(destinations)], before, after, left: leftOver(after, before), timers: leftTimers() })}\n`);
  process.exit(0);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
