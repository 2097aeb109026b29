// Every discovery reader against recorded outputs (test/fixtures/discovery/, see its README): what
// is configured, where each value came from, "nothing configured", "not available", and a
// malformed output for every reader — a note, never an exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readWinHttp, readWinInet, parseNetshWinHttp, INTERNET_SETTINGS, POLICY_KEY } from '../../../src/net/discovery/windows.js';
import { parseScutilProxy, readScutilProxy } from '../../../src/net/discovery/macos.js';
import { parseGVariant, readGnome, readKde } from '../../../src/net/discovery/linux-desktop.js';
import { readEnvProxy } from '../../../src/net/discovery/orchestrate.js';
import type { CommandResult } from '../../../src/net/discovery/runner.js';
import type { SourceReading } from '../../../src/net/discovery/types.js';
import { fixture, fixtureFiles, fixtureRunner, ok, regAbsent } from './fixture-runner.js';

const POLICY = `reg query "${POLICY_KEY}" /v ProxySettingsPerUser`;
const key = (hive: string) => `reg query "${hive}\\${INTERNET_SETTINGS}"`;
const conn = (hive: string) => `reg query "${hive}\\${INTERNET_SETTINGS}\\Connections" /v DefaultConnectionSettings`;

function winInet(settings: string, connections: string | null, hive = 'HKCU', policy: CommandResult = regAbsent) {
  return readWinInet(
    fixtureRunner({
      [POLICY]: policy,
      [key(hive)]: ok(`discovery/wininet/${settings}`),
      [conn(hive)]: connections ? ok(`discovery/wininet/${connections}`) : regAbsent,
    }),
  );
}

const brief = (r: SourceReading) => ({
  state: r.state,
  autoDetect: r.autoDetect?.from ?? null,
  pac: r.pacUrl?.url ?? null,
  https: r.manual?.https ? `${r.manual.https.scheme} ${r.manual.https.host}:${r.manual.https.port}` : null,
  http: r.manual?.http ? `${r.manual.http.scheme} ${r.manual.http.host}:${r.manual.http.port}` : null,
  socks: r.manual?.socks ? `${r.manual.socks.scheme} ${r.manual.socks.host}:${r.manual.socks.port}` : null,
});

test('WinINET: per-scheme ProxyServer, ProxyOverride with <local>, the auto-detect flag of the connection blob', async () => {
  const r = await winInet('manual-per-scheme.txt', 'connections-manual-autodetect.txt');
  assert.deepEqual(brief(r), {
    state: 'configured',
    autoDetect: 'HKCU Connections\\DefaultConnectionSettings (auto-detect flag)',
    pac: null,
    https: 'http secure.corp.example:8443',
    http: 'http proxy.corp.example:8080',
    socks: 'socks4 socks.corp.example:1080', // WinINET's socks= is SOCKS v4, as Chromium reads it
  });
  assert.equal(r.manual!.https!.from, 'HKCU ProxyServer (https=)');
  assert.deepEqual(r.manual!.bypass, { flavour: 'wininet', entries: ['*.corp.example', '10.*', '192.168.1.5', 'intranet'], simpleHostnames: true, reversed: false, from: 'HKCU ProxyOverride' });
  assert.deepEqual(r.notes, []);
  assert.deepEqual(r.where, [POLICY, key('HKCU'), conn('HKCU')]);
});

test('WinINET: one proxy for all schemes; SOCKS only; auto-config URL; a disabled ProxyServer is a note', async () => {
  assert.deepEqual(brief(await winInet('manual-single.txt', 'connections-direct.txt')), {
    state: 'configured',
    autoDetect: null,
    pac: null,
    https: 'http proxy.corp.example:3128',
    http: 'http proxy.corp.example:3128',
    socks: null,
  });
  const socks = await winInet('socks-only.txt', null);
  assert.equal(brief(socks).socks, 'socks4 socks.corp.example:1080');
  assert.equal(brief(socks).https, null);
  const pac = await winInet('autoconfig.txt', 'connections-pac.txt');
  assert.deepEqual(brief(pac), { state: 'configured', autoDetect: null, pac: 'http://pac.corp.example/proxy.pac', https: null, http: null, socks: null });
  assert.equal(pac.pacUrl!.from, 'HKCU AutoConfigURL');
  assert.ok(pac.notes.some((n) => /ProxyServer "proxy\.corp\.example:3128" is set but ProxyEnable is 0: not used/.test(n)), pac.notes.join('\n'));
});

test('WinINET: auto-detect from the blob, from the AutoDetect DWORD, or Windows\' default when neither is written', async () => {
  assert.equal((await winInet('nothing.txt', 'connections-autodetect.txt')).autoDetect?.from, 'HKCU Connections\\DefaultConnectionSettings (auto-detect flag)');
  const off = await winInet('nothing.txt', 'connections-direct.txt');
  assert.deepEqual(brief(off).state, 'nothing-configured');
  assert.equal((await winInet('autodetect-dword.txt', null)).autoDetect?.from, 'HKCU AutoDetect');
  const dflt = await winInet('nothing.txt', null);
  assert.match(dflt.autoDetect?.from ?? '', /Windows default/);
  assert.ok(dflt.notes.some((n) => /defaults to "Automatically detect settings" on/.test(n)));
  // The DWORD disagrees with the blob: the blob wins, and the report says so.
  const both = await winInet('autodetect-dword.txt', 'connections-direct.txt');
  assert.equal(both.autoDetect, null);
  assert.ok(both.notes.some((n) => /AutoDetect=1 disagrees with DefaultConnectionSettings \(auto-detect off\)/.test(n)));
});

test('WinINET: the per-machine policy moves the settings to HKLM', async () => {
  const r = await winInet('machine.txt', 'connections-direct.txt', 'HKLM', ok('discovery/wininet/policy-per-machine.txt'));
  assert.equal(r.pacUrl?.url, 'https://pac.corp.example/machine.pac');
  assert.equal(r.pacUrl?.from, 'HKLM AutoConfigURL');
  assert.ok(r.notes.some((n) => /Make proxy settings per-machine/.test(n)));
  assert.deepEqual(r.where.slice(1), [key('HKLM'), conn('HKLM')]);
});

test('WinINET malformed: output not understood, bad values and a bad blob are notes; no reg = not available', async () => {
  const bad = await readWinInet(fixtureRunner({ [POLICY]: regAbsent, [key('HKCU')]: ok('discovery/wininet/malformed.txt') }));
  assert.equal(bad.state, 'malformed');
  assert.match(bad.notes.join('\n'), /output not understood/);
  const values = await winInet('malformed-values.txt', 'connections-malformed.txt');
  assert.equal(values.manual, null);
  assert.ok(values.notes.some((n) => /ProxyEnable is not a number \("yes"\)/.test(n)), values.notes.join('\n'));
  assert.ok(values.notes.some((n) => /DefaultConnectionSettings is not a connection-settings blob/.test(n)), values.notes.join('\n'));
  const gone = await readWinInet(fixtureRunner({ [POLICY]: regAbsent, [key('HKCU')]: regAbsent }));
  assert.equal(gone.state, 'nothing-configured');
  assert.equal((await readWinInet(fixtureRunner({}))).state, 'not-available');
});

test('WinHTTP: direct, proxy with bypass, per-scheme with "(none)", localised (French) output read by shape, malformed', async () => {
  const w = (f: string) => parseNetshWinHttp(fixture(`discovery/winhttp/${f}`));
  assert.equal(w('direct.txt').state, 'nothing-configured');
  const p = w('proxy.txt');
  assert.deepEqual(brief(p), { state: 'configured', autoDetect: null, pac: null, https: 'http proxy.corp.example:8080', http: 'http proxy.corp.example:8080', socks: null });
  assert.deepEqual(p.manual!.bypass.entries, ['*.corp.example']);
  assert.equal(p.manual!.bypass.simpleHostnames, true);
  const ps = w('per-scheme-no-bypass.txt');
  assert.equal(brief(ps).https, 'http secure.corp.example:8443');
  assert.deepEqual(ps.manual!.bypass.entries, []);
  assert.equal(brief(w('french.txt')).https, 'http proxy.local:8080');
  assert.equal(w('french-direct.txt').state, 'nothing-configured');
  assert.equal(w('malformed.txt').state, 'malformed');
  assert.equal(w('malformed-server.txt').state, 'malformed');
  assert.equal((await readWinHttp(fixtureRunner({}))).state, 'not-available');
  assert.equal((await readWinHttp(fixtureRunner({ 'netsh winhttp show proxy': ok('discovery/winhttp/proxy.txt') }))).source, 'winhttp');
});

test('macOS scutil --proxy: manual HTTPS proxy with exceptions, PAC, auto-discovery, SOCKS, none, malformed', async () => {
  const s = (f: string) => parseScutilProxy(fixture(`discovery/scutil/${f}`));
  assert.equal(s('none.txt').state, 'nothing-configured');
  const m = s('manual.txt');
  assert.deepEqual(brief(m), { state: 'configured', autoDetect: null, pac: null, https: 'http secure.corp.example:3128', http: 'http proxy.corp.example:8080', socks: null });
  assert.equal(m.manual!.https!.from, 'HTTPSProxy + HTTPSPort');
  assert.deepEqual(m.manual!.bypass, { flavour: 'macos', entries: ['*.local', '169.254/16', '*.corp.example', '10.0.0.0/8'], simpleHostnames: true, reversed: false, from: 'ExceptionsList / ExcludeSimpleHostnames' });
  assert.ok(m.notes.some((n) => /__SCOPED__/.test(n)));
  assert.deepEqual(brief(s('pac.txt')), { state: 'configured', autoDetect: null, pac: 'http://wpad.company.com/wpad.dat', https: null, http: null, socks: null });
  assert.equal(s('autodiscovery.txt').autoDetect?.from, 'ProxyAutoDiscoveryEnable');
  assert.equal(brief(s('socks-only.txt')).socks, 'socks5 socks.corp.example:1080');
  const bad = s('malformed.txt');
  assert.equal(bad.state, 'malformed');
  const values = s('malformed-values.txt');
  assert.equal(values.state, 'nothing-configured');
  assert.ok(values.notes.some((n) => /HTTPSProxy \+ HTTPSPort: "secure\.corp\.example:99999" is not a proxy address/.test(n)), values.notes.join('\n'));
  assert.ok(values.notes.some((n) => /ProxyAutoConfigURLString is empty/.test(n)));
  assert.ok(values.notes.some((n) => /ExceptionsList is not an array/.test(n)));
  assert.equal((await readScutilProxy(fixtureRunner({}))).state, 'not-available');
});

const gs = 'gsettings list-recursively org.gnome.system.proxy';
const gnome = (f: string) => readGnome(fixtureRunner({ [gs]: ok(`discovery/gnome/${f}`) }));

test('GNOME (recorded gsettings output): none, manual with ignore-hosts, SOCKS alone, auto with a PAC URL, auto = WPAD', async () => {
  assert.equal((await gnome('none.txt')).state, 'nothing-configured');
  const m = await gnome('manual.txt');
  assert.deepEqual(brief(m), { state: 'configured', autoDetect: null, pac: null, https: 'http proxy.corp.example:3128', http: 'http proxy.corp.example:8080', socks: null });
  assert.deepEqual(m.manual!.bypass.entries, ['localhost', '127.0.0.0/8', '::1', '*.corp.example', '10.0.0.0/8']);
  assert.equal(m.manual!.https!.from, 'org.gnome.system.proxy.https host + port');
  assert.equal(brief(await gnome('manual-socks-only.txt')).socks, 'socks5 socks.corp.example:1080');
  assert.equal((await gnome('auto-pac.txt')).pacUrl?.url, 'http://pac.corp.example/proxy.pac');
  assert.match((await gnome('auto-wpad.txt')).autoDetect?.from ?? '', /mode 'auto' with an empty autoconfig-url/);
  // `@as []` and a double-quoted string (GVariant's form for text with a quote) are read; a host
  // name with a quote in it is not a proxy: a note, and no proxy.
  const odd = await gnome('empty-list.txt');
  assert.equal(odd.state, 'nothing-configured');
  assert.ok(odd.notes.some((n) => n.includes(`"o'brien-proxy.corp.example" is not a proxy address`)), odd.notes.join('\n'));
});

test('GNOME malformed and absent: notes, not exceptions', async () => {
  const bad = await gnome('malformed.txt');
  assert.equal(bad.state, 'malformed');
  assert.ok(bad.notes.some((n) => /ignore-hosts: value not understood/.test(n)), bad.notes.join('\n'));
  assert.ok(bad.notes.some((n) => /unknown mode 'sideways'/.test(n)), bad.notes.join('\n'));
  assert.equal((await readGnome(fixtureRunner({}))).state, 'not-available');
  const noSchema = await readGnome(fixtureRunner({ [gs]: { kind: 'exit', code: 1, stdout: '', stderr: 'No such schema “org.gnome.system.proxy”\n' } }));
  assert.equal(noSchema.state, 'not-available');
  assert.match(noSchema.notes[0], /gsettings-desktop-schemas/);
  assert.deepEqual(parseGVariant("['a', 'b\\'c']"), ['a', "b'c"]);
  assert.deepEqual(parseGVariant('@as []'), []);
  assert.equal(parseGVariant("'unterminated"), null);
});

const kde = (f: string, env: Record<string, string> = {}) => readKde(fixtureFiles({ '/home/u/.config/kioslaverc': `discovery/kde/${f}` }), { HOME: '/home/u', ...env });

test('KDE kioslaverc: manual ("host port"), PAC, WPAD, ProxyType=4 through the environment, reversed exceptions, none', async () => {
  const m = await kde('manual.kioslaverc');
  assert.deepEqual(brief(m), { state: 'configured', autoDetect: null, pac: null, https: 'http secure.corp.example:3128', http: 'http proxy.corp.example:8080', socks: null });
  assert.deepEqual(m.manual!.bypass, { flavour: 'kde', entries: ['localhost', '127.0.0.1', 'corp.example'], simpleHostnames: false, reversed: false, from: 'kioslaverc NoProxyFor' });
  assert.equal((await kde('pac.kioslaverc')).pacUrl?.url, 'http://pac.corp.example/proxy.pac');
  const wpad = await kde('wpad.kioslaverc');
  assert.equal(wpad.pacUrl, null, 'ProxyType=3 ignores the script URL');
  assert.match(wpad.autoDetect?.from ?? '', /ProxyType=3/);
  const env = await kde('env.kioslaverc', { HTTPS_PROXY: 'http://envproxy.corp.example:3128', NO_PROXY: '.corp.example,10.0.0.0/8' });
  assert.equal(brief(env).https, 'http envproxy.corp.example:3128');
  assert.equal(brief(env).http, null, 'http_proxy is not set');
  assert.match(env.manual!.https!.from, /httpsProxy=HTTPS_PROXY \(ProxyType=4/);
  assert.deepEqual(env.manual!.bypass.entries, ['.corp.example', '10.0.0.0/8']);
  assert.equal((await kde('reversed.kioslaverc')).manual?.bypass.reversed, true);
  assert.equal((await kde('none.kioslaverc')).state, 'nothing-configured');
});

test('KDE malformed and absent', async () => {
  const bad = await kde('malformed.kioslaverc');
  assert.equal(bad.state, 'malformed');
  assert.match(bad.notes[0], /ProxyType=seven is not 0-4/);
  const values = await kde('malformed-values.kioslaverc');
  assert.equal(values.state, 'nothing-configured');
  assert.ok(values.notes.some((n) => /"http:\/\/bad host name 3128" is not a proxy address|no proxy is set/.test(n)), values.notes.join('\n'));
  const none = await readKde(fixtureFiles({}), { HOME: '/home/u' });
  assert.equal(none.state, 'not-available');
  assert.deepEqual(none.where, ['/home/u/.config/kioslaverc', '/home/u/.kde4/share/config/kioslaverc', '/home/u/.kde/share/config/kioslaverc']);
});

test('environment (curl semantics): HTTPS_PROXY for https, http_proxy for http, ALL_PROXY fallback, NO_PROXY; a bad value is a note', () => {
  const r = readEnvProxy({ httpsProxy: 'http://s.corp.example:3128', allProxy: 'socks5://a.corp.example', noProxy: '.corp.example, 10.0.0.0/8' });
  assert.deepEqual(brief(r), { state: 'configured', autoDetect: null, pac: null, https: 'http s.corp.example:3128', http: 'socks5 a.corp.example:1080', socks: null });
  assert.deepEqual(r.manual!.bypass, { flavour: 'curl', entries: ['.corp.example', '10.0.0.0/8'], simpleHostnames: false, reversed: false, from: 'NO_PROXY' });
  assert.equal(readEnvProxy({}).state, 'nothing-configured');
  assert.equal(readEnvProxy({ httpsProxy: 'proxy.corp.example' }).manual?.https?.port, 1080); // curl's default proxy port
  const bad = readEnvProxy({ httpsProxy: 'http://user:secret@bad host:1' });
  assert.equal(bad.state, 'nothing-configured');
  assert.match(bad.notes[0], /HTTPS_PROXY: ".*" is not a proxy URL/);
  assert.doesNotMatch(bad.notes[0], /secret/);
  assert.match(readEnvProxy({ noProxy: '*' }).notes[0], /NO_PROXY is set but no proxy variable is/);
});
