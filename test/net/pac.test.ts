// The PAC module against real things: a loopback HTTP server for the fetch bounds and WPAD, the real
// QuickJS sandbox for CPU, memory and errors. Every failure must come back as a typed PacFailure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePac, fetchPacText, loadPac, loadPacText, PacError, PAC_MAX_BYTES, type PacEngine } from '../../src/net/pac.js';
import { lookupWpad } from '../../src/net/discovery/wpad.js';
import { mapLookup } from '../../src/net/discovery/fixture.js';

const PAC = 'function FindProxyForURL(url, host) { return dnsDomainIs(host, ".opentok.com") ? "PROXY 127.0.0.1:3128; DIRECT" : "DIRECT"; }';

async function server(t: { after(fn: () => unknown): void }, handler: http.RequestListener): Promise<number> {
  const srv = http.createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    srv.closeAllConnections();
    return new Promise<void>((r) => srv.close(() => r()));
  });
  return (srv.address() as { port: number }).port;
}

test('fetch: a PAC over http, redirects followed up to 5, then a typed failure; 404; non-http redirect', async (t) => {
  const port = await server(t, (req, res) => {
    const m = /^\/hop\/(\d+)$/.exec(req.url ?? '');
    if (req.url === '/proxy.pac') return res.end(PAC);
    if (m) {
      const n = Number(m[1]);
      res.writeHead(302, { location: n === 0 ? '/proxy.pac' : `/hop/${n - 1}` });
      return res.end();
    }
    if (req.url === '/to-ftp') {
      res.writeHead(301, { location: 'ftp://127.0.0.1/x.pac' });
      return res.end();
    }
    res.statusCode = 404;
    res.end();
  });
  const base = `http://127.0.0.1:${port}`;
  const ok = await fetchPacText(`${base}/hop/4`); // 5 redirects
  assert.ok(ok.ok && ok.text === PAC && ok.url === `${base}/proxy.pac`, JSON.stringify(ok));
  const tooMany = await fetchPacText(`${base}/hop/5`); // 6 redirects
  assert.deepEqual(tooMany.ok ? null : tooMany.failure, { ref: `${base}/hop/5`, stage: 'fetch', message: `cannot fetch the PAC file ${base}/hop/5: more than 5 redirects` });
  const nf = await fetchPacText(`${base}/missing.pac`);
  assert.equal(nf.ok ? null : nf.failure.message, `cannot fetch the PAC file ${base}/missing.pac: HTTP 404`);
  const ftp = await fetchPacText(`${base}/to-ftp`);
  assert.match(ftp.ok ? '' : ftp.failure.message, /HTTP 301 to a ftp: URL/);
});

test('fetch: larger than 1 MiB is cut off; a server that never answers hits the time bound', async (t) => {
  const port = await server(t, (req, res) => {
    if (req.url === '/big.pac') {
      res.write(Buffer.alloc(PAC_MAX_BYTES, 0x20));
      return res.end('function FindProxyForURL(u, h) { return "DIRECT"; }');
    }
    // /slow.pac: headers never come
  });
  const big = await fetchPacText(`http://127.0.0.1:${port}/big.pac`);
  assert.equal(big.ok ? null : big.failure.stage, 'too-large');
  const slow = await fetchPacText(`http://127.0.0.1:${port}/slow.pac`, { timeoutMs: 300 });
  assert.equal(slow.ok ? null : slow.failure.message, `cannot fetch the PAC file http://127.0.0.1:${port}/slow.pac: no answer within 300 ms`);
});

test('fetch: files and file:// URLs; a missing file is a read failure', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nr-pac-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'p.pac');
  writeFileSync(f, PAC);
  assert.equal((await fetchPacText(f)).ok, true);
  assert.equal((await fetchPacText(`file://${f}`)).ok, true);
  const missing = await fetchPacText(join(dir, 'nope.pac'));
  assert.deepEqual(missing.ok ? null : [missing.failure.stage, /ENOENT$/.test(missing.failure.message)], ['read', true]);
});

test('sandbox: while(true) is interrupted at the CPU bound, and the PAC is not run again', async () => {
  const e = (await compilePac('function FindProxyForURL(u, h) { if (h === "loop.example") { while (true) {} } return "DIRECT"; }', 'loop.pac', { cpuLimitMs: 200 })) as PacEngine;
  assert.equal(await e.findProxy('https://ok.example/'), 'DIRECT');
  await assert.rejects(e.findProxy('https://loop.example/'), (err: unknown) => err instanceof PacError && err.failure.stage === 'cpu-time' && /loop\.pac ran longer than 200 ms of CPU time for https:\/\/loop\.example\/ \(interrupted\)/.test(err.message));
  // Broken from now on: a browser would hang on it too.
  await assert.rejects(e.findProxy('https://ok.example/'), (err: unknown) => err instanceof PacError && err.failure.stage === 'cpu-time');
  e.dispose();
});

test('sandbox: a loop after an awaited dnsResolve() is interrupted too (the bound restarts when the PAC resumes)', async () => {
  const seen: string[] = [];
  const e = (await compilePac('function FindProxyForURL(u, h) { var ip = dnsResolve(h); if (ip === "198.18.0.9") { while (true) {} } return "PROXY " + ip + ":3128"; }', 'dns.pac', {
    cpuLimitMs: 200,
    resolve4: async (h) => {
      seen.push(h);
      await new Promise((r) => setTimeout(r, 20));
      return h === 'spin.example' ? '198.18.0.9' : '198.18.0.1';
    },
  })) as PacEngine;
  assert.equal(await e.findProxy('https://a.example/'), 'PROXY 198.18.0.1:3128');
  await assert.rejects(e.findProxy('https://spin.example/'), (err: unknown) => err instanceof PacError && err.failure.stage === 'cpu-time');
  assert.deepEqual(seen, ['a.example', 'spin.example']);
  e.dispose();
});

test('sandbox thread: a PAC allocating megabytes per step is stopped at the wall-clock bound, the main event loop keeps running meanwhile', async () => {
  const e = (await compilePac('function FindProxyForURL(u, h) { if (h !== "bomb.example") return "DIRECT"; var a = []; for (;;) a.push(new Array(1e6).fill(1)); }', 'bomb.pac', {
    evalTimeoutMs: 1500,
  })) as PacEngine;
  assert.equal(await e.findProxy('https://ok.example/'), 'DIRECT');
  let ticks = 0;
  const iv = setInterval(() => ticks++, 20);
  try {
    await assert.rejects(e.findProxy('https://bomb.example/'), (err: unknown) => err instanceof PacError && ['cpu-time', 'memory', 'no-answer'].includes(err.failure.stage) && /bomb\.pac/.test(err.message));
  } finally {
    clearInterval(iv);
  }
  // QuickJS ran on its own thread: the main thread's timers fired while it ran (in-thread, none would).
  assert.ok(ticks >= 3, `the main event loop ticked ${ticks} times during the evaluation`);
  assert.ok(e.broken, 'stopped once, the PAC is not run again');
  await assert.rejects(e.findProxy('https://ok.example/'), PacError);
  e.dispose();
});

test('sandbox thread: a PAC stuck in huge built-in calls (QuickJS rarely consults its interrupt) no longer takes messages: its thread is stopped', async () => {
  const e = (await compilePac('function FindProxyForURL(u, h) { for (;;) { var s = "x".repeat(5e7); } }', 'stuck.pac', { evalTimeoutMs: 1000 })) as PacEngine;
  await assert.rejects(e.findProxy('https://x.example/'), (err: unknown) => err instanceof PacError && err.failure.stage === 'no-answer' && / within 1000 ms \(stopped\)$/.test(err.message));
  assert.equal(e.broken?.stage, 'no-answer');
  e.dispose();
});

test('sandbox thread: late while waiting for its own DNS answer is "no answer", not broken — the next URL still works', async () => {
  const e = (await compilePac('function FindProxyForURL(u, h) { return isResolvable(h) ? "PROXY 198.18.0.1:3128" : "DIRECT"; }', 'slowdns.pac', {
    evalTimeoutMs: 400,
    resolve4: async (h) => {
      if (h === 'slow.example') await new Promise((r) => setTimeout(r, 1200));
      return h === 'other.example' ? '198.18.0.2' : null;
    },
  })) as PacEngine;
  await assert.rejects(e.findProxy('https://slow.example/'), (err: unknown) => err instanceof PacError && err.failure.stage === 'no-answer' && !/stopped/.test(err.message));
  assert.equal(e.broken, null);
  assert.equal(await e.findProxy('https://other.example/'), 'PROXY 198.18.0.1:3128');
  e.dispose();
});

test('sandbox: exceptions, non-strings and syntax errors are typed failures; alert() writes nothing', async () => {
  const thrower = (await compilePac('function FindProxyForURL(u, h) { throw new TypeError("bad " + h); }', 't.pac')) as PacEngine;
  await assert.rejects(thrower.findProxy('https://x.example/'), (err: unknown) => err instanceof PacError && err.failure.stage === 'throws' && /throws for https:\/\/x\.example\/: bad x\.example/.test(err.message));
  thrower.dispose();

  const nonString = await loadPacText('function FindProxyForURL(u, h) { return 42; }', 'n.pac', 'n.pac', { trialUrl: 'https://x.example/' });
  assert.deepEqual(nonString.ok ? null : nonString.failure.stage, 'throws');

  const syntax = await compilePac('function FindProxyForURL(u, h) { return "DIRECT" ', 's.pac');
  assert.equal('stage' in syntax && syntax.stage, 'compile');

  const writes: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array) => (writes.push(String(c)), true)) as typeof process.stdout.write;
  try {
    const chatty = (await compilePac('function FindProxyForURL(u, h) { alert("hello " + h); return "DIRECT"; }', 'a.pac')) as PacEngine;
    assert.equal(await chatty.findProxy('https://x.example/'), 'DIRECT');
    chatty.dispose();
  } finally {
    process.stdout.write = orig;
  }
  assert.deepEqual(writes, []);
});

test('loadPac: fetch + compile + one trial; the engine answers per URL', async (t) => {
  const port = await server(t, (_req, res) => res.end(PAC));
  const r = await loadPac(`http://127.0.0.1:${port}/wpad.dat`, { trialUrl: 'https://apps.esignlive.com/' });
  assert.ok(r.ok);
  assert.equal(await r.engine.findProxy('https://config.opentok.com/'), 'PROXY 127.0.0.1:3128; DIRECT');
  r.engine.dispose();
});

test('WPAD: candidates walk up to the registrable domain; the first that serves wpad.dat wins', async (t) => {
  const hosts: string[] = [];
  const port = await server(t, (req, res) => {
    hosts.push(String(req.headers.host));
    if (req.headers.host?.startsWith('wpad.corp.example.co.uk')) return res.end(PAC);
    res.statusCode = 404;
    res.end();
  });
  // Port 80 is not ours to bind: the names resolve to loopback and the fetches go to our port.
  const lookup = mapLookup({ 'wpad.eu.corp.example.co.uk': '127.0.0.1', 'wpad.corp.example.co.uk': '127.0.0.1' });
  const found = await lookupWpad({ domains: ['eu.corp.example.co.uk'], where: ['/etc/resolv.conf'], notes: [] }, { lookup, port, perCandidateMs: 1000 });
  assert.deepEqual(found.candidates, ['http://wpad.eu.corp.example.co.uk/wpad.dat', 'http://wpad.corp.example.co.uk/wpad.dat', 'http://wpad.example.co.uk/wpad.dat', 'http://wpad/wpad.dat']);
  assert.equal(found.found?.url, 'http://wpad.corp.example.co.uk/wpad.dat');
  assert.equal(found.found?.text, PAC);
  assert.deepEqual(found.tried, [{ url: 'http://wpad.eu.corp.example.co.uk/wpad.dat', why: 'HTTP 404' }]);
  assert.deepEqual(hosts, [`wpad.eu.corp.example.co.uk:${port}`, `wpad.corp.example.co.uk:${port}`]);

  const none = await lookupWpad({ domains: ['other.example.org'], where: [], notes: [] }, { lookup, port, perCandidateMs: 1000 });
  assert.equal(none.found, null);
  assert.deepEqual(
    none.tried.map((x) => x.url),
    ['http://wpad.other.example.org/wpad.dat', 'http://wpad.example.org/wpad.dat', 'http://wpad/wpad.dat'],
  );
  assert.ok(none.tried.every((x) => /ENOTFOUND/.test(x.why)), JSON.stringify(none.tried));
});
