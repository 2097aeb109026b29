// The way the browser and the OS go, through the real CLI: recorded system settings (the test-only
// NETREADY_TEST_DISCOVERY fixture: reg/netsh/gsettings outputs, a resolv.conf, names that resolve only
// to loopback), a real squid, a `netready serve` standing in for every host, a PAC served over HTTP.
// Nothing here reads this machine's settings or sends a query to its resolver.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { SQUID_BIN, startSquid } from '../support/squid.js';
import { freePort } from '../support/proc.js';
import { needsPrivilegedPort } from '../support/prereqs.js';
import { NOTHING_CONFIGURED, runCli } from '../support/cli.js';
import { INTERNET_SETTINGS, POLICY_KEY } from '../../src/net/discovery/windows.js';
import { SIGN_DOMAIN, cause, causeIds, explain, profileHosts, resolveArgs, runCheck, startVendor, type Report } from './harness.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'discovery');
const needsSquid = existsSync(SQUID_BIN) ? {} : { skip: 'needs squid (Debian package squid-openssl)' };
const VIDEO = ['config.opentok.com', 'anvil.opentok.com'];

/** Write a discovery fixture for one test (commands answered inline or from test/fixtures/discovery/). */
function fixture(dir: string, body: Record<string, unknown>): string {
  const file = path.join(dir, 'discovery.json');
  const commands = Object.fromEntries(
    Object.entries((body.commands ?? {}) as Record<string, { file?: string }>).map(([k, c]) => [k, c.file ? { ...c, file: path.join(FIXTURES, c.file) } : c]),
  );
  writeFileSync(file, JSON.stringify({ ...body, commands }));
  return file;
}

const GSETTINGS = 'gsettings list-recursively org.gnome.system.proxy';

/** What gsettings prints for GNOME's proxy schema (only the keys the reader needs change). */
function gnome(mode: 'none' | 'auto' | 'manual', o: { autoconfig?: string; httpsHost?: string; httpsPort?: number; ignore?: string[] } = {}): string {
  return [
    `org.gnome.system.proxy autoconfig-url '${o.autoconfig ?? ''}'`,
    `org.gnome.system.proxy ignore-hosts [${(o.ignore ?? ['localhost', '127.0.0.0/8', '::1']).map((h) => `'${h}'`).join(', ')}]`,
    `org.gnome.system.proxy mode '${mode}'`,
    `org.gnome.system.proxy.https host '${o.httpsHost ?? ''}'`,
    `org.gnome.system.proxy.https port ${o.httpsPort ?? 0}`,
    '',
  ].join('\n');
}

/** `reg query` of a user's Internet Settings with a manual proxy (CRLF, as reg.exe prints it). */
function wininetManual(server: string, override: string): string {
  return [
    '',
    `HKEY_CURRENT_USER\\${INTERNET_SETTINGS}`,
    '    ProxyEnable    REG_DWORD    0x1',
    `    ProxyServer    REG_SZ    ${server}`,
    `    ProxyOverride    REG_SZ    ${override}`,
    '',
  ].join('\r\n');
}

function windows(server: string, override: string): Record<string, unknown> {
  return {
    platform: 'win32',
    commands: {
      [`reg query "${POLICY_KEY}" /v ProxySettingsPerUser`]: { exit: 1, file: 'wininet/not-found.txt' },
      [`reg query "HKCU\\${INTERNET_SETTINGS}"`]: { stdout: wininetManual(server, override) },
      // the blob the settings UI writes: flags 0x3 (direct + manual proxy), auto-detect off
      [`reg query "HKCU\\${INTERNET_SETTINGS}\\Connections" /v DefaultConnectionSettings`]: {
        stdout: readFileSync(path.join(FIXTURES, 'wininet', 'connections-direct.txt'), 'utf8').replace('460000001C00000001000000', '460000001C00000003000000'),
      },
      'netsh winhttp show proxy': { file: 'winhttp/direct.txt' },
    },
  };
}

async function pacServer(t: import('node:test').TestContext, files: Record<string, string>): Promise<{ port: number; hits: string[] }> {
  const hits: string[] = [];
  const srv = http.createServer((req, res) => {
    hits.push(`${req.headers.host}${req.url}`);
    const body = files[req.url ?? ''];
    if (body === undefined) {
      res.statusCode = 404;
      return res.end();
    }
    res.setHeader('content-type', 'application/x-ns-proxy-autoconfig');
    res.end(body);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    srv.closeAllConnections();
    return new Promise<void>((r) => srv.close(() => r()));
  });
  return { port: (srv.address() as { port: number }).port, hits };
}

/** serve standing in for every host, and a plain squid that resolves every profile name to it. */
async function vendorBehindSquid(t: import('node:test').TestContext) {
  const vendor = await startVendor(t);
  const sq = await startSquid({ hosts: vendor.hosts });
  t.after(() => sq.stop());
  return { vendor, sq };
}

const check = (r: Report, id: string, target: string) => r.checks.find((c) => c.id === id && c.target === target);
const proxyConfig = (r: Report) => r.checks.find((c) => c.id === 'proxy.config')!;
const routes = (r: Report) => ((r.context as { routes?: { host: string; route: string; source: string; carriedBy?: string }[] }).routes ?? []);
const notes = (r: Report) => (r.notes as string[] | undefined) ?? [];
/** Nothing wrong found; without --probe the media and event-stream rows stay unverified (incomplete). */
function assertClean(r: Report): void {
  assert.deepEqual(causeIds(r), [], explain(r));
  assert.equal(r.outcome, 'incomplete', explain(r));
  assert.deepEqual((r.unverified as { checklist: string }[]).map((u) => u.checklist), ['video-domains-and-media', 'sse-unbuffered-idle'], explain(r));
}

describe('proxy discovery through the real CLI', { concurrency: 2, skip: needsPrivilegedPort(443) }, () => {
  test('nothing configured: "no proxy found (sources tried: …)" in the report, every source listed, the checks go direct', async (t) => {
    const vendor = await startVendor(t);
    const file = fixture(vendor.dir, {
      platform: 'linux',
      env: { HOME: path.join(vendor.dir, 'home') },
      commands: { [GSETTINGS]: { stdout: gnome('none') } },
      files: { '/etc/resolv.conf': 'nameserver 127.0.0.53\nsearch corp.example.com\n' },
    });
    const raw = path.join(vendor.dir, 'raw.json');
    const { report: r } = await runCheck(['--public-roots', vendor.caFile, ...resolveArgs(vendor.addr), '--save-raw', raw], { env: { NETREADY_TEST_DISCOVERY: file } });
    const summary = 'no proxy found (sources tried: GNOME proxy settings (gsettings), environment (HTTPS_PROXY, NO_PROXY, …), WPAD auto-discovery)';
    assert.ok(notes(r).includes(`proxy: ${summary}`), JSON.stringify(notes(r)));
    assert.deepEqual(r.context && (r.context as { proxy?: unknown }).proxy, { summary, system: true });
    const d = proxyConfig(r).details!.discovery as { sources: { source: string; role: string }[]; wpad: { tried: { url: string; why: string }[] } };
    assert.deepEqual(
      d.sources.map((s) => [s.source, s.role]),
      [['explicit', 'empty'], ['gnome', 'empty'], ['kde', 'unavailable'], ['env', 'empty'], ['wpad', 'empty']],
    );
    // WPAD walked up to the registrable domain, then the bare name; none resolved (no query left this machine).
    assert.deepEqual(d.wpad.tried.map((x) => x.url), ['http://wpad.corp.example.com/wpad.dat', 'http://wpad.example.com/wpad.dat', 'http://wpad/wpad.dat']);
    assert.ok(d.wpad.tried.every((x) => /ENOTFOUND/.test(x.why)), JSON.stringify(d.wpad.tried));
    assertClean(r);
    assert.ok(routes(r).length > 5 && routes(r).every((x) => x.route === 'direct' && x.source === 'no proxy found'), JSON.stringify(routes(r)));
    assert.equal(check(r, 'tcp.connect', `${SIGN_DOMAIN}:443`)?.details?.proxy, null);
    // The raw run carries what discovery found: a replay without a network says the same.
    assert.equal((JSON.parse(readFileSync(raw, 'utf8')) as { discovery: { summary: string } }).discovery.summary, summary);
    const replay = await runCli(['check', '--from-raw', raw, '--json', '-']);
    const again = JSON.parse(replay.stdout) as Report;
    assert.ok(notes(again).includes(`proxy: ${summary}`), JSON.stringify(notes(again)));
    assert.deepEqual(again.context, r.context);
  });

  test('--no-system-proxy: not read and recorded so; the shared test fixture (nothing configured) gives the same verdict', async (t) => {
    const vendor = await startVendor(t);
    const { report: r } = await runCheck(['--public-roots', vendor.caFile, ...resolveArgs(vendor.addr), '--no-system-proxy'], { env: { NETREADY_TEST_DISCOVERY: NOTHING_CONFIGURED } });
    const p = (r.context as { proxy: { summary: string; system: boolean }; options: { systemProxy: boolean } });
    assert.equal(p.proxy.summary, 'no proxy found (sources tried: environment (HTTPS_PROXY, NO_PROXY, …)) (system proxy settings and WPAD not read: --no-system-proxy)');
    assert.equal(p.proxy.system, false);
    assert.equal(p.options.systemProxy, false);
    const d = proxyConfig(r).details!.discovery as { sources: { source: string; role: string }[]; wpad: unknown };
    assert.equal(d.wpad, null, 'no WPAD lookup');
    assert.deepEqual(d.sources.filter((s) => s.role === 'off').map((s) => s.source), ['gnome', 'kde', 'wpad']);
    assertClean(r);
  });

  test('Windows Internet Settings name a proxy: every check goes through it (not the environment\'s), the route says WinINET, the disagreement is a note', async (t) => {
    if (needsSquid.skip) return t.skip(needsSquid.skip);
    const { vendor, sq } = await vendorBehindSquid(t);
    const deadProxy = await freePort();
    const file = fixture(vendor.dir, windows(`127.0.0.1:${sq.port}`, '<local>;*.corp.example'));
    const { report: r } = await runCheck(['--public-roots', vendor.caFile], { env: { NETREADY_TEST_DISCOVERY: file, HTTPS_PROXY: `http://127.0.0.1:${deadProxy}` } });
    assertClean(r);
    const tcp = check(r, 'tcp.connect', `${SIGN_DOMAIN}:443`)!;
    assert.deepEqual(tcp.details?.proxy, { display: `http://127.0.0.1:${sq.port}`, source: 'system', from: 'Windows Internet Settings (WinINET)' });
    assert.ok(routes(r).every((x) => x.route === `http://127.0.0.1:${sq.port}` && x.source === 'Windows Internet Settings (WinINET)'), JSON.stringify(routes(r)));
    assert.match(sq.accessLog(), new RegExp(`CONNECT ${SIGN_DOMAIN.replace(/\./g, '\\.')}:443`));
    assert.ok(notes(r).includes(`proxy: proxy 127.0.0.1:${sq.port} from Windows Internet Settings (WinINET)`), JSON.stringify(notes(r)));
    assert.ok(
      notes(r).some((n) => n.startsWith(`the environment names the proxy 127.0.0.1:${deadProxy}`) && /Windows Internet Settings \(WinINET\) name the proxy 127\.0\.0\.1:\d+: command-line tools and SDKs that read the environment go one way, the browser the other/.test(n)),
      JSON.stringify(notes(r)),
    );
    const d = proxyConfig(r).details!.discovery as { beside: { source: string; state: string }[]; route: { kind: string; origin: string } };
    assert.deepEqual(d.beside.map((b) => [b.source, b.state]), [['winhttp', 'nothing-configured']]);
    assert.deepEqual([d.route.kind, d.route.origin], ['manual', 'wininet']);
  });

  test('the system bypass list decides pcc-proxy-not-bypassed (seed 003): without localhost.esignlive.com it fires, with it it does not', async (t) => {
    if (needsSquid.skip) return t.skip(needsSquid.skip);
    const { vendor, sq } = await vendorBehindSquid(t);
    const run = async (override: string) => {
      const file = fixture(vendor.dir, windows(`127.0.0.1:${sq.port}`, override));
      // the agent's name resolves as the real DNS answers it (seed 003: 127.0.0.1), without a query
      const args = ['--public-roots', vendor.caFile, '--profile', 'pcc-local-agent', '--resolve', 'localhost.esignlive.com:127.0.0.1', '--deadline', '15'];
      return (await runCheck(args, { env: { NETREADY_TEST_DISCOVERY: file } })).report;
    };
    const without = await run('<local>');
    assert.ok(causeIds(without).includes('pcc-proxy-not-bypassed'), explain(without));
    assert.match(cause(without, 'pcc-proxy-not-bypassed')!.summary, /127\.0\.0\.1:\d+ \(Windows Internet Settings \(WinINET\)\) applies to localhost\.esignlive\.com/);
    const withBypass = await run('<local>;localhost.esignlive.com');
    assert.ok(!causeIds(withBypass).includes('pcc-proxy-not-bypassed'), explain(withBypass));
  });

  test('WPAD announces "PROXY dead; PROXY squid; DIRECT": the dead proxy is skipped, squid carries every host, the route says WPAD', async (t) => {
    if (needsSquid.skip) return t.skip(needsSquid.skip);
    const { vendor, sq } = await vendorBehindSquid(t);
    const dead = await freePort();
    const pac = await pacServer(t, { '/wpad.dat': `function FindProxyForURL(url, host) { return "PROXY 127.0.0.1:${dead}; PROXY 127.0.0.1:${sq.port}; DIRECT"; }` });
    const file = fixture(vendor.dir, {
      platform: 'linux',
      env: { HOME: path.join(vendor.dir, 'home') },
      files: { '/etc/resolv.conf': 'search lab.corp.example\n' },
      hosts: { 'wpad.corp.example': '127.0.0.1' },
      wpadPort: pac.port,
    });
    // --resolve: the direct probes of the video hosts (pac-required) stay on loopback
    const { report: r } = await runCheck(['--public-roots', vendor.caFile, ...resolveArgs(vendor.addr)], { env: { NETREADY_TEST_DISCOVERY: file } });
    assertClean(r);
    // wpad.lab.corp.example did not resolve; wpad.corp.example served the PAC
    assert.deepEqual(pac.hits, [`wpad.corp.example:${pac.port}/wpad.dat`]);
    const want = `PROXY 127.0.0.1:${dead}; PROXY 127.0.0.1:${sq.port}; DIRECT`;
    for (const x of routes(r)) {
      assert.equal(x.route, want, JSON.stringify(x));
      assert.equal(x.source, 'PAC http://wpad.corp.example/wpad.dat (WPAD auto-discovery)');
    }
    const carried = routes(r).filter((x) => x.carriedBy);
    assert.ok(carried.length > 5 && carried.every((x) => x.carriedBy === `PROXY 127.0.0.1:${sq.port}`), JSON.stringify(routes(r)));
    const tcp = check(r, 'tcp.connect', `${SIGN_DOMAIN}:443`)!;
    const trace = tcp.details?.route as { carriedBy: string; tried: { entry: string; code: string }[] };
    assert.equal(trace.carriedBy, `PROXY 127.0.0.1:${sq.port}`);
    // The first check to meet the dead proxy tried it; later ones skip it (Chromium's retry list).
    const triedDead = r.checks.filter((c) => (c.details?.route as typeof trace | undefined)?.tried.some((x) => x.entry === `PROXY 127.0.0.1:${dead}`));
    assert.ok(triedDead.length >= 1 && triedDead.every((c) => (c.details!.route as typeof trace).tried[0].code === 'PROXY_UNREACHABLE'), JSON.stringify(triedDead.map((c) => c.details?.route)));
    assert.match(readFileSync(path.join(sq.dir, 'access.log'), 'utf8'), /CONNECT config\.opentok\.com:443/);
    assert.ok(notes(r).includes('proxy: PAC http://wpad.corp.example/wpad.dat from WPAD auto-discovery'), JSON.stringify(notes(r)));
    // The only way out the video SDKs cannot read by themselves: pac-required is not raised where direct works too
    assert.ok(!causeIds(r).includes('pac-required'), explain(r));
  });

  test('a WPAD PAC that sends the video hosts DIRECT where direct is blocked and the rest via squid: pac-required (and tcp-blocked)', async (t) => {
    if (needsSquid.skip) return t.skip(needsSquid.skip);
    const { vendor, sq } = await vendorBehindSquid(t);
    const closed = await freePort();
    const pac = await pacServer(t, {
      '/wpad.dat': `function FindProxyForURL(url, host) {
        if (dnsDomainIs(host, ".opentok.com") || dnsDomainIs(host, ".tokbox.com")) return "DIRECT";
        return "PROXY 127.0.0.1:${sq.port}";
      }`,
    });
    const file = fixture(vendor.dir, { platform: 'linux', env: { HOME: path.join(vendor.dir, 'home') }, files: { '/etc/resolv.conf': 'search corp.example\n' }, hosts: { 'wpad.corp.example': '127.0.0.1' }, wpadPort: pac.port });
    // Direct TCP to the video hosts is refused (a closed port stands for the firewall); squid reaches them.
    const direct = profileHosts().filter((h) => h.endsWith('.opentok.com') || h.endsWith('.tokbox.com'));
    const args = direct.flatMap((h) => ['--resolve', `${h}:127.0.0.1`, '--connect-to', `${h}:443:127.0.0.1:${closed}`]);
    const { report: r } = await runCheck(['--public-roots', vendor.caFile, ...args], { env: { NETREADY_TEST_DISCOVERY: file } });
    const ids = causeIds(r);
    assert.ok(ids.includes('pac-required'), explain(r));
    assert.ok(ids.includes('tcp-blocked'), explain(r));
    const pr = cause(r, 'pac-required')!;
    for (const h of VIDEO) assert.ok(pr.summary.includes(h), pr.summary);
    assert.match(pr.summary, /PAC file http:\/\/wpad\.corp\.example\/wpad\.dat/);
    const rows = proxyConfig(r).details!.pacProbes as { host: string; direct: boolean; viaPac: boolean; pacSaysDirect: boolean }[];
    assert.ok(rows.length >= 2 && rows.every((x) => !x.direct && x.viaPac && x.pacSaysDirect), JSON.stringify(rows));
    assert.equal(check(r, 'tcp.connect', 'config.opentok.com:443')?.error?.code, 'TCP_REFUSED');
    assert.equal(check(r, 'tcp.connect', `${SIGN_DOMAIN}:443`)?.status, 'ok', explain(r));
  });

  test('a discovered PAC that does not compile is evidence, not bad input: the browser goes direct, so does netready (no exit 2, no "netready bug")', async (t) => {
    const vendor = await startVendor(t);
    const pac = await pacServer(t, { '/proxy.pac': 'function FindProxyForURL(url, host) { return ' });
    const url = `http://pac.corp.example:${pac.port}/proxy.pac`;
    const file = fixture(vendor.dir, {
      platform: 'linux',
      env: { HOME: path.join(vendor.dir, 'home'), XDG_CURRENT_DESKTOP: 'GNOME' },
      commands: { [GSETTINGS]: { stdout: gnome('auto', { autoconfig: url }) } },
      files: { '/etc/resolv.conf': '' },
      hosts: { 'pac.corp.example': '127.0.0.1' },
    });
    const { cli, report: r } = await runCheck(['--public-roots', vendor.caFile, ...resolveArgs(vendor.addr)], { env: { NETREADY_TEST_DISCOVERY: file } });
    assert.equal(cli.code, 4, cli.stderr); // incomplete (no --probe), never 2
    assertClean(r);
    const summary = (r.context as { proxy: { summary: string } }).proxy.summary;
    assert.match(summary, new RegExp(`PAC ${url.replace(/[.:/]/g, '\\$&')} from GNOME proxy settings \\(gsettings\\): the PAC could not be used \\(the PAC file \\S+ does not compile: .*\\); the browser goes direct, and so did netready`));
    const d = proxyConfig(r).details!.discovery as { pac: { how: string; url: string; ok: boolean; failure: { stage: string } }[] };
    assert.deepEqual(d.pac.map((p) => [p.how, p.url, p.ok, p.failure.stage]), [['auto-config URL in GNOME proxy settings (gsettings)', url, false, 'compile']]);
    assert.ok(!r.checks.some((c) => c.status === 'error'), 'no "netready bug" result');
    assert.ok(routes(r).every((x) => x.route === 'direct'), JSON.stringify(routes(r)));
  });
});
