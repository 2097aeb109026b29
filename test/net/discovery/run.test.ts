// Discovery for one run: Chromium's order within the deciding source (WPAD, then the auto-config
// URL, then the manual proxy), PACs that fail as evidence, the time bound, and the note when the
// environment and the system settings disagree — recorded outputs, PACs served on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { defaultConfig } from '../../../src/shared/config.js';
import { discoverForRun, disagreement, plannedRoute, type DiscoveryEnv } from '../../../src/net/discovery/run.js';
import { discoverProxy } from '../../../src/net/discovery/orchestrate.js';
import type { CommandRunner } from '../../../src/net/discovery/runner.js';
import { fixtureFiles, fixtureRunner, ok } from './fixture-runner.js';
import { mapLookup } from '../../../src/net/discovery/fixture.js';

const GSETTINGS = 'gsettings list-recursively org.gnome.system.proxy';

function gnome(mode: string, autoconfig = '', httpsHost = '', httpsPort = 0): string {
  return [
    `org.gnome.system.proxy autoconfig-url '${autoconfig}'`,
    "org.gnome.system.proxy ignore-hosts ['localhost']",
    `org.gnome.system.proxy mode '${mode}'`,
    `org.gnome.system.proxy.https host '${httpsHost}'`,
    `org.gnome.system.proxy.https port ${httpsPort}`,
  ].join('\n');
}

async function serve(t: { after(fn: () => unknown): void }, files: Record<string, string>): Promise<number> {
  const srv = http.createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (body === undefined) res.statusCode = 404;
    res.end(body ?? '');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    srv.closeAllConnections();
    return new Promise<void>((r) => srv.close(() => r()));
  });
  return (srv.address() as { port: number }).port;
}

const linux = (runner: CommandRunner, extra: Partial<DiscoveryEnv> = {}): DiscoveryEnv => ({
  platform: 'linux',
  runner,
  files: fixtureFiles({}),
  osEnv: { XDG_CURRENT_DESKTOP: 'GNOME', HOME: '/nonexistent' },
  ...extra,
});

test('GNOME "auto" with an auto-config URL: the PAC is fetched (names resolve only through the test map), compiled, tried once, and decides', async (t) => {
  const port = await serve(t, { '/proxy.pac': 'function FindProxyForURL(u, h) { return "PROXY 127.0.0.1:3128"; }' });
  const env = linux(fixtureRunner({ [GSETTINGS]: { kind: 'ok', stdout: gnome('auto', `http://pac.corp.lan:${port}/proxy.pac`), stderr: '' } }), { lookup: mapLookup({ 'pac.corp.lan': '127.0.0.1' }) });
  const r = await discoverForRun(defaultConfig({ systemProxy: true }), env, { budgetMs: 8000, trialUrl: 'https://apps.esignlive.com/' });
  assert.equal(r.record.route.kind, 'pac');
  assert.equal(r.record.route.origin, 'gnome');
  assert.deepEqual(r.record.pac.map((p) => [p.how, p.ok]), [['auto-config URL in GNOME proxy settings (gsettings)', true]]);
  assert.equal(r.record.summary, `PAC http://pac.corp.lan:${port}/proxy.pac from auto-config URL in GNOME proxy settings (gsettings)`);
  assert.equal(r.record.wpad, null, 'a PAC URL without auto-detect: no WPAD lookup');
  assert.deepEqual(plannedRoute(r), { kind: 'pac' });
  if (r.route?.kind === 'pac') r.route.engine.dispose();
});

test('Windows auto-detect + a PAC URL + a manual proxy: WPAD first; its PAC fails, the URL fails, the manual proxy applies (Chromium\'s order)', async (t) => {
  const port = await serve(t, { '/wpad.dat': 'function FindProxyForURL(u, h) { throw new Error("boom"); }' });
  const { INTERNET_SETTINGS, POLICY_KEY } = await import('../../../src/net/discovery/windows.js');
  const reg = ['', `HKEY_CURRENT_USER\\${INTERNET_SETTINGS}`, '    ProxyEnable    REG_DWORD    0x1', '    ProxyServer    REG_SZ    proxy.corp.example:8080', `    AutoConfigURL    REG_SZ    http://pac.corp.example:${port}/missing.pac`, '    AutoDetect    REG_DWORD    0x1', ''].join('\r\n');
  const runner = fixtureRunner({
    [`reg query "${POLICY_KEY}" /v ProxySettingsPerUser`]: { kind: 'exit', code: 1, stdout: '', stderr: 'ERROR: The system was unable to find the specified registry key or value.' },
    [`reg query "HKCU\\${INTERNET_SETTINGS}"`]: { kind: 'ok', stdout: reg, stderr: '' },
    [`reg query "HKCU\\${INTERNET_SETTINGS}\\Connections" /v DefaultConnectionSettings`]: ok('discovery/wininet/connections-manual-autodetect.txt'),
    'ipconfig /all': ok('discovery/dns/ipconfig-no-search-list.txt'),
  });
  const env: DiscoveryEnv = { platform: 'win32', runner, files: fixtureFiles({}), osEnv: {}, lookup: mapLookup({ 'wpad.home.example.net': '127.0.0.1', 'pac.corp.example': '127.0.0.1' }), wpadPort: port };
  const r = await discoverForRun(defaultConfig({ systemProxy: true }), env, { budgetMs: 8000, trialUrl: 'https://apps.esignlive.com/' });
  assert.deepEqual(
    r.record.pac.map((p) => [p.how, p.url, p.ok, p.failure?.stage]),
    [
      ['WPAD auto-detection (on in Windows Internet Settings (WinINET))', 'http://wpad.home.example.net/wpad.dat', false, 'throws'],
      ['auto-config URL in Windows Internet Settings (WinINET)', `http://pac.corp.example:${port}/missing.pac`, false, 'fetch'],
    ],
  );
  assert.equal(r.record.route.kind, 'manual');
  assert.match(r.record.summary, /^proxy proxy\.corp\.example:8080 from Windows Internet Settings \(WinINET\) \(its PAC could not be used: the PAC file http:\/\/wpad\.home\.example\.net\/wpad\.dat throws for https:\/\/apps\.esignlive\.com\/: boom; cannot fetch the PAC file .*HTTP 404\)$/);
  assert.equal(r.route?.kind === 'manual' && r.route.manual.https?.host, 'proxy.corp.example');
});

test('bounded: a command that never answers is cut at the time budget and the run goes on', async () => {
  const hanging: CommandRunner = (_f, _a, o) =>
    new Promise((resolve) => {
      o?.signal?.addEventListener('abort', () => resolve({ kind: 'error', message: 'stopped' }), { once: true });
    });
  const t0 = performance.now();
  const r = await discoverForRun(defaultConfig({ systemProxy: true }), linux(hanging, { lookup: mapLookup({}) }), { budgetMs: 400, trialUrl: null });
  const took = performance.now() - t0;
  assert.ok(took < 5000, `took ${Math.round(took)} ms`);
  assert.ok(r.record.notes.some((n) => /reached its time bound of 400 ms/.test(n)), JSON.stringify(r.record.notes));
  const g = r.record.sources.find((s) => s.source === 'gnome');
  assert.deepEqual([g?.role, g?.notes], ['malformed', ['gsettings: stopped']], 'what was not read counts as not configured');
  assert.equal(r.record.route.kind, 'direct');
});

test('the environment and the system settings disagree: a note saying which way a CLI and the browser go', async () => {
  const run = (stdout: string, platform: NodeJS.Platform, httpsProxy?: string, desktop = 'GNOME') =>
    discoverProxy({
      platform,
      runner: fixtureRunner({ [GSETTINGS]: { kind: 'ok', stdout, stderr: '' } }),
      files: fixtureFiles({}),
      osEnv: { XDG_CURRENT_DESKTOP: desktop },
      proxyEnv: httpsProxy ? { httpsProxy } : {},
    });
  const differ = disagreement(await run(gnome('manual', '', 'gnome.corp.example', 3128), 'linux', 'http://env.corp.example:8080'));
  assert.equal(
    differ,
    'the environment names the proxy env.corp.example:8080 (HTTPS_PROXY), but GNOME proxy settings (gsettings) name the proxy gnome.corp.example:3128: command-line tools and SDKs that read the environment go one way, the browser the other; netready went the browser\'s way',
  );
  assert.equal(disagreement(await run(gnome('manual', '', 'same.corp.example', 3128), 'linux', 'http://same.corp.example:3128')), null, 'the same proxy: no note');
  assert.match(disagreement(await run(gnome('none'), 'linux', 'http://env.corp.example:8080')) ?? '', /but GNOME proxy settings \(gsettings\) says no proxy: command-line tools/);
  assert.match(disagreement(await run(gnome('manual', '', 'gnome.corp.example', 3128), 'linux')) ?? '', /no proxy variable is set: command-line tools and SDKs that read only the environment go direct/);
  assert.equal(disagreement(await run(gnome('none'), 'linux', 'http://env.corp.example:8080', 'XFCE')), null, 'no desktop settings: Chromium reads the environment too');
  assert.equal(disagreement(await run(gnome('none'), 'linux')), null);
});
