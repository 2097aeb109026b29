// The orchestrator (which source a browser on each OS applies, and what it says), the bypass lists
// as each system writes them, and the WPAD search domains and candidates — from recorded outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bypassMatches } from '../../../src/net/discovery/bypass.js';
import { discoverProxy, linuxDesktop } from '../../../src/net/discovery/orchestrate.js';
import { INTERNET_SETTINGS, POLICY_KEY } from '../../../src/net/discovery/windows.js';
import { parseIpconfigAll, parseResolvConf, parseScutilDns, readSearchDomains, wpadCandidates, type WpadLookup } from '../../../src/net/discovery/wpad.js';
import type { BypassList } from '../../../src/net/discovery/types.js';
import { fixture, fixtureFiles, fixtureRunner, ok, regAbsent } from './fixture-runner.js';

const list = (flavour: BypassList['flavour'], entries: string[], extra: Partial<BypassList> = {}): BypassList => ({ flavour, entries, simpleHostnames: false, reversed: false, from: null, ...extra });

test('bypass, WinINET/macOS/GNOME (Chromium rules): <local>, wildcards, leading dot, ports, schemes, ranges, implicit loopback', () => {
  const w = list('wininet', ['*.corp.example', '10.*', '192.168.1.5', 'intranet', 'vendor.example:8443', 'https://secure-only.example', '.dot.example'], { simpleHostnames: true });
  assert.equal(bypassMatches('https://app.corp.example/', w), true);
  assert.equal(bypassMatches('https://corp.example/', w), false, '*.corp.example does not match the domain itself');
  assert.equal(bypassMatches('https://10.1.2.3/', w), true);
  assert.equal(bypassMatches('https://192.168.1.5/', w), true);
  assert.equal(bypassMatches('https://printer/', w), true, '<local>: no dot');
  assert.equal(bypassMatches('https://intranet/', w), true);
  assert.equal(bypassMatches('https://vendor.example/', w), false, 'port 443 is not 8443');
  assert.equal(bypassMatches('https://vendor.example:8443/', w), true);
  assert.equal(bypassMatches('https://secure-only.example/', w), true);
  assert.equal(bypassMatches('http://secure-only.example/', w), false);
  assert.equal(bypassMatches('wss://secure-only.example/', w), true, 'wss goes the way https goes');
  assert.equal(bypassMatches('https://a.dot.example/', w), true);
  assert.equal(bypassMatches('https://config.opentok.com/', w), false);
  assert.equal(bypassMatches('https://localhost/', w), true, 'implicit loopback');
  assert.equal(bypassMatches('https://127.0.0.1/', list('wininet', [])), true);
  assert.equal(bypassMatches('https://127.0.0.1/', list('wininet', ['<-loopback>'])), false);
  const mac = list('macos', ['*.local', '169.254/16', '10.0.0.0/8', 'fd00::/8'], { simpleHostnames: true });
  assert.equal(bypassMatches('https://169.254.10.1/', mac), true, "macOS's abbreviated 169.254/16");
  assert.equal(bypassMatches('https://10.9.8.7/', mac), true);
  assert.equal(bypassMatches('https://[fd00::5]/', mac), true);
  assert.equal(bypassMatches('https://11.0.0.1/', mac), false);
  assert.equal(bypassMatches('https://x.local/', mac), true);
  const gnome = list('gnome', ['corp.example']);
  assert.equal(bypassMatches('https://corp.example/', gnome), true);
  assert.equal(bypassMatches('https://a.corp.example/', gnome), false, 'GNOME entries are exact in Chromium (no suffix matching)');
});

test('bypass, KDE: suffix matching and reversed lists; curl: NO_PROXY as curl reads it', () => {
  const k = list('kde', ['corp.example']);
  assert.equal(bypassMatches('https://a.corp.example/', k), true);
  assert.equal(bypassMatches('https://corp.example/', k), true);
  const rev = list('kde', ['vendor.example'], { reversed: true });
  assert.equal(bypassMatches('https://api.vendor.example/', rev), false, 'listed: uses the proxy');
  assert.equal(bypassMatches('https://other.example/', rev), true, 'not listed: direct');
  const c = list('curl', ['.corp.example', '10.0.0.0/8']);
  assert.equal(bypassMatches('https://a.corp.example/', c), true);
  assert.equal(bypassMatches('https://badcorp.example/', c), false);
  assert.equal(bypassMatches('https://10.2.3.4/', c), true);
});

test('search domains: resolv.conf (last line wins), scutil --dns (default resolver, not the scoped ones), ipconfig /all', async () => {
  assert.deepEqual(parseResolvConf(fixture('discovery/dns/resolv.conf')), ['eu.corp.example.co.uk', 'corp.example.com']);
  assert.deepEqual(parseResolvConf(fixture('discovery/dns/resolv-domain.conf')), ['corp.lan']);
  assert.deepEqual(parseResolvConf(fixture('discovery/dns/resolv-none.conf')), []);
  assert.deepEqual(parseScutilDns(fixture('discovery/dns/scutil-dns.txt')), ['eu.corp.example.com', 'corp.example.com']);
  assert.equal(parseScutilDns(fixture('discovery/dns/scutil-dns-malformed.txt')), null);
  assert.deepEqual(parseIpconfigAll(fixture('discovery/dns/ipconfig-all.txt')), ['ad.corp.example.com', 'corp.example.com', 'example.org']);
  assert.deepEqual(parseIpconfigAll(fixture('discovery/dns/ipconfig-no-search-list.txt')), ['home.example.net']);
  assert.equal(parseIpconfigAll(fixture('discovery/dns/ipconfig-german.txt')), null);
  const german = await readSearchDomains('win32', fixtureRunner({ 'ipconfig /all': ok('discovery/dns/ipconfig-german.txt') }), fixtureFiles({}));
  assert.deepEqual(german, { domains: [], where: ['ipconfig /all'], notes: ['ipconfig /all: output not understood (not English?)'] });
  const mac = await readSearchDomains('darwin', fixtureRunner({ 'scutil --dns': ok('discovery/dns/scutil-dns.txt') }), fixtureFiles({}));
  assert.deepEqual(mac.domains, ['eu.corp.example.com', 'corp.example.com']);
  const linux = await readSearchDomains('linux', fixtureRunner({}), fixtureFiles({ '/etc/resolv.conf': 'discovery/dns/resolv.conf' }));
  assert.deepEqual(linux.domains, ['eu.corp.example.co.uk', 'corp.example.com']);
});

test('WPAD candidates stop at the registrable domain (Public Suffix List), never wpad.<public suffix>', () => {
  const notes: string[] = [];
  assert.deepEqual(wpadCandidates(['eu.corp.example.co.uk', 'corp.example.com', 'Corp.Example.com.', 'corp.lan', 'co.uk', 'lan', 'team.example.github.io'], notes), [
    'http://wpad.eu.corp.example.co.uk/wpad.dat',
    'http://wpad.corp.example.co.uk/wpad.dat',
    'http://wpad.example.co.uk/wpad.dat',
    'http://wpad.corp.example.com/wpad.dat',
    'http://wpad.example.com/wpad.dat',
    'http://wpad.corp.lan/wpad.dat',
    'http://wpad.team.example.github.io/wpad.dat',
    'http://wpad.example.github.io/wpad.dat',
    'http://wpad/wpad.dat',
  ]);
  assert.ok(notes.some((n) => /co\.uk: a public suffix/.test(n)));
  assert.ok(notes.some((n) => /lan: a single label/.test(n)));
  assert.deepEqual(wpadCandidates([]), ['http://wpad/wpad.dat']);
  const deep = wpadCandidates(['a.b.c.d.e.f.g.h.i.j.k.l.m.n.example.com']);
  assert.equal(deep.length, 13);
});

test('Chromium picks the desktop from XDG_CURRENT_DESKTOP', () => {
  assert.equal(linuxDesktop({ XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' }), 'gnome');
  assert.equal(linuxDesktop({ XDG_CURRENT_DESKTOP: 'KDE' }), 'kde');
  assert.equal(linuxDesktop({ XDG_CURRENT_DESKTOP: 'XFCE' }), 'other');
  assert.equal(linuxDesktop({}), 'other');
});

const POLICY = `reg query "${POLICY_KEY}" /v ProxySettingsPerUser`;
const winAnswers = (settings: string, connections: string) => ({
  [POLICY]: regAbsent,
  [`reg query "HKCU\\${INTERNET_SETTINGS}"`]: ok(`discovery/wininet/${settings}`),
  [`reg query "HKCU\\${INTERNET_SETTINGS}\\Connections" /v DefaultConnectionSettings`]: ok(`discovery/wininet/${connections}`),
  'netsh winhttp show proxy': ok('discovery/winhttp/direct.txt'),
});

test('Windows: WinINET decides (the environment is shadowed), WinHTTP is reported beside; explicit --proxy wins over both', async () => {
  const d = await discoverProxy({ platform: 'win32', runner: fixtureRunner(winAnswers('manual-per-scheme.txt', 'connections-direct.txt')), files: fixtureFiles({}), osEnv: {}, proxyEnv: { httpsProxy: 'http://env.corp.example:3128' } });
  assert.deepEqual(
    d.sources.map((s) => [s.source, s.role]),
    [['explicit', 'empty'], ['wininet', 'effective'], ['env', 'shadowed'], ['wpad', 'empty']],
  );
  assert.equal(d.effective.kind, 'manual');
  assert.equal(d.effective.kind === 'manual' && d.effective.manual.https?.host, 'secure.corp.example');
  assert.equal(d.summary, 'proxy secure.corp.example:8443 from Windows Internet Settings (WinINET)');
  assert.deepEqual(d.beside.map((b) => [b.source, b.state]), [['winhttp', 'nothing-configured']]);
  assert.equal(d.wpad, null, 'auto-detect is off: no WPAD lookup');

  const ex = await discoverProxy({ platform: 'win32', runner: fixtureRunner(winAnswers('manual-per-scheme.txt', 'connections-direct.txt')), files: fixtureFiles({}), osEnv: {}, proxyEnv: {}, explicit: { proxy: 'http://explicit.corp.example:3128', pac: null } });
  assert.deepEqual(ex.sources.map((s) => s.role), ['effective', 'shadowed', 'empty', 'empty']);
  assert.match(ex.summary, /^proxy explicit\.corp\.example:3128 from --proxy\/--pac$/);
});

test('Windows with auto-detect on: WPAD is looked up first (Chromium: auto-detect, then the PAC URL, then the manual proxy)', async () => {
  const lookups: string[] = [];
  const wpad = async (): Promise<WpadLookup> => {
    lookups.push('wpad');
    return { searchDomains: { domains: ['corp.example.com'], where: [], notes: [] }, candidates: ['http://wpad.corp.example.com/wpad.dat', 'http://wpad/wpad.dat'], tried: [], found: { url: 'http://wpad.corp.example.com/wpad.dat', text: 'function FindProxyForURL(){return "DIRECT"}' }, notes: [] };
  };
  const d = await discoverProxy({ platform: 'win32', runner: fixtureRunner(winAnswers('manual-per-scheme.txt', 'connections-manual-autodetect.txt')), files: fixtureFiles({}), osEnv: {}, proxyEnv: {}, wpad });
  assert.deepEqual(lookups, ['wpad']);
  assert.equal(d.effective.kind === 'auto' && d.effective.autoDetect && d.effective.manual?.https?.host, 'secure.corp.example');
  assert.deepEqual(d.sources.map((s) => [s.source, s.role]).slice(-1), [['wpad', 'effective']]);
  assert.match(d.summary, /^auto-detect \(WPAD\), then proxy secure\.corp\.example:8443 from Windows Internet Settings/);
});

test('nothing configured anywhere: "no proxy found (sources tried: …)", after a last-resort WPAD lookup that found nothing', async () => {
  const wpad = async (): Promise<WpadLookup> => ({ searchDomains: { domains: [], where: ['/etc/resolv.conf'], notes: [] }, candidates: ['http://wpad/wpad.dat'], tried: [{ url: 'http://wpad/wpad.dat', why: 'ENOTFOUND' }], found: null, notes: [] });
  const d = await discoverProxy({
    platform: 'linux',
    runner: fixtureRunner({ 'gsettings list-recursively org.gnome.system.proxy': ok('discovery/gnome/none.txt') }),
    files: fixtureFiles({}),
    osEnv: { HOME: '/home/u' },
    proxyEnv: {},
    wpad,
  });
  assert.equal(d.effective.kind, 'direct');
  assert.equal(d.summary, 'no proxy found (sources tried: GNOME proxy settings (gsettings), environment (HTTPS_PROXY, NO_PROXY, …), WPAD auto-discovery)');
  assert.deepEqual(d.sources.find((s) => s.source === 'wpad')?.notes, ['http://wpad/wpad.dat: ENOTFOUND']);
  assert.equal(d.sources.find((s) => s.source === 'kde')?.role, 'unavailable');
});

test('Linux: on a GNOME desktop its "none" is a decision (the environment is not read by the browser); elsewhere the environment applies', async () => {
  const runner = () => fixtureRunner({ 'gsettings list-recursively org.gnome.system.proxy': ok('discovery/gnome/none.txt') });
  const onGnome = await discoverProxy({ platform: 'linux', runner: runner(), files: fixtureFiles({}), osEnv: { XDG_CURRENT_DESKTOP: 'GNOME' }, proxyEnv: { httpsProxy: 'http://env.corp.example:3128' } });
  assert.equal(onGnome.effective.kind === 'direct' && onGnome.effective.source, 'gnome');
  assert.equal(onGnome.sources.find((s) => s.source === 'env')?.role, 'shadowed');
  const headless = await discoverProxy({ platform: 'linux', runner: runner(), files: fixtureFiles({}), osEnv: {}, proxyEnv: { httpsProxy: 'http://env.corp.example:3128' } });
  assert.equal(headless.effective.kind === 'manual' && headless.effective.source, 'env');
  // KDE desktop with a kioslaverc PAC.
  const onKde = await discoverProxy({ platform: 'linux', runner: fixtureRunner({}), files: fixtureFiles({ '/home/u/.config/kioslaverc': 'discovery/kde/pac.kioslaverc' }), osEnv: { HOME: '/home/u', XDG_CURRENT_DESKTOP: 'KDE' }, proxyEnv: {} });
  assert.deepEqual(onKde.sources.map((s) => s.source), ['explicit', 'kde', 'gnome', 'env', 'wpad']);
  assert.equal(onKde.effective.kind === 'auto' && onKde.effective.pacUrl, 'http://pac.corp.example/proxy.pac');
});

test('macOS: scutil decides; --no-system-proxy reads nothing of the system and says so', async () => {
  const runner = fixtureRunner({ 'scutil --proxy': ok('discovery/scutil/pac.txt') });
  const d = await discoverProxy({ platform: 'darwin', runner, files: fixtureFiles({}), osEnv: {}, proxyEnv: {} });
  assert.equal(d.summary, 'PAC http://wpad.company.com/wpad.dat from macOS system proxy (scutil --proxy)');
  const off = fixtureRunner({ 'scutil --proxy': ok('discovery/scutil/pac.txt') });
  const o = await discoverProxy({ platform: 'darwin', runner: off, files: fixtureFiles({}), osEnv: {}, proxyEnv: { httpsProxy: 'http://env.corp.example:3128' }, system: false, wpad: async () => assert.fail('no WPAD with --no-system-proxy') });
  assert.deepEqual(off.calls, []);
  assert.deepEqual(o.sources.map((s) => [s.source, s.role]), [['explicit', 'empty'], ['scutil', 'off'], ['env', 'effective'], ['wpad', 'off']]);
});
