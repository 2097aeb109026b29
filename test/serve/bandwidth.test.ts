import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startServe } from '../../src/serve/server.js';
import { bandwidthServeModule } from '../../src/serve/bandwidth.js';

async function serveWith(opts: Parameters<typeof bandwidthServeModule>[0] = {}) {
  const mod = bandwidthServeModule(opts);
  const serve = await startServe({ listen: [{ host: '127.0.0.1', port: 0 }], modules: [mod] });
  return { mod, serve, url: serve.urls[0].replace('https:', 'wss:'), ca: serve.caPem! };
}

function open(url: string, ca: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ca, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

test('down: nothing before "go", then bounded streaming for ms, then a report and close', async (t) => {
  const { serve, url, ca } = await serveWith();
  t.after(() => serve.close());
  const ws = await open(`${url}/.netready/down?ms=300`, ca);
  let bytes = 0;
  let report = null as { bytes: number; ms: number } | null;
  ws.on('message', (d, bin) => {
    if (bin) bytes += (d as Buffer).length;
    else report = JSON.parse(String(d));
  });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(bytes, 0, 'the server waits for go');
  const pong = new Promise<void>((r) => ws.once('pong', () => r()));
  ws.ping('x');
  await pong;
  const t0 = Date.now();
  ws.send('go');
  await new Promise((r) => ws.once('close', r));
  const took = Date.now() - t0;
  assert.ok(report, 'a final report');
  assert.ok(report!.ms >= 290 && report!.ms < 1000, JSON.stringify(report));
  assert.ok(took < 2000, `${took} ms`);
  assert.ok(bytes > 1e6 && bytes <= report!.bytes, `${bytes} of ${report!.bytes}`);
});

test('up: the server counts what arrives and reports it; closes after ms', async (t) => {
  const { serve, url, ca } = await serveWith();
  t.after(() => serve.close());
  const ws = await open(`${url}/.netready/up?ms=400`, ca);
  const reports: { bytes: number; ms: number }[] = [];
  ws.on('message', (d) => reports.push(JSON.parse(String(d))));
  const chunk = Buffer.alloc(64 * 1024);
  let sent = 0;
  const timer = setInterval(() => {
    if (ws.readyState === ws.OPEN && ws.bufferedAmount < 1e6) {
      ws.send(chunk);
      sent += chunk.length;
    }
  }, 1);
  await new Promise((r) => ws.once('close', r));
  clearInterval(timer);
  assert.ok(reports.length >= 3, `${reports.length} reports`);
  for (let i = 1; i < reports.length; i++) assert.ok(reports[i].bytes >= reports[i - 1].bytes && reports[i].ms > reports[i - 1].ms);
  const last = reports[reports.length - 1];
  assert.ok(last.ms >= 400 && last.ms < 1500, JSON.stringify(last));
  assert.ok(last.bytes > 1e5 && last.bytes <= sent + 64 * 1024, `${last.bytes} of ${sent}`);
});

test('bounds: ms is clamped; beyond maxSessions a 503; other paths are not taken', async (t) => {
  const { serve, url, ca, mod } = await serveWith({ maxSessions: 1, maxSessionMs: 500 });
  t.after(() => serve.close());
  const a = await open(`${url}/.netready/down?ms=999999`, ca);
  await assert.rejects(open(`${url}/.netready/up`, ca), /HTTP 503/);
  assert.equal(mod.sessions(), 1);
  let report = null as { ms: number } | null;
  a.on('message', (d, bin) => {
    if (!bin) report = JSON.parse(String(d));
  });
  a.send('go');
  await new Promise((r) => a.once('close', r));
  assert.ok(report && report.ms >= 490 && report.ms < 1000, JSON.stringify(report));
  // any other path is the ordinary echo of serve
  const e = await open(`${url}/echo`, ca);
  const got = new Promise<string>((r) => e.once('message', (d) => r(String(d))));
  e.send('hello');
  assert.equal(await got, 'hello');
  e.close();
});
