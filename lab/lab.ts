// Builds one lab network from a scenario and tears it down again.
//
// Topology (all addresses in 198.18.0.0/15, nothing routed towards the host's interfaces):
//
//   client ns (nrl-ID-c)  c0 198.18.1.2/24 ──── rc 198.18.1.1/24  router ns (nrl-ID-r)
//   proxy ns  (nrl-ID-p)  p0 198.18.2.2, .3 ─── rp 198.18.2.1/24  (dnsmasq on .1.1 and .2.1,
//   vendor ns (nrl-ID-v)  v0 198.19.0.2/16 ──── rv 198.19.0.1/16   nft knobs, tbf + ifb, NFQUEUE delay,
//                         + 198.19.N.M/16: one address per vendor host    transparent squid)
//
// Every vendor host is served by the real-like vendor origin (lab/helpers/vendor-origin.ts, which
// never cooperates: lab/origin.ts); `netready serve`, the cooperative far end, runs only on
// probe.lab.test; coturn on turn.lab.test. The DNS is authoritative for the profiles' zones.
//
// The veth pairs are created directly inside the namespaces, so the root namespace never sees an
// interface, route, nft table or NAT rule of the lab. Every daemon runs in the foreground inside its
// namespace with its own config/log under the lab's temp dir; the PIDs go to the state file
// (.lab-state/ID.json), written before anything is created so an interrupted `up` can be cleaned.

import { mkdirSync, mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync, readdirSync, chmodSync, chownSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { loadProfiles, builtinProfileIds, readProfile } from '../src/profiles/load.js';
import { createCA, issueCert } from '../src/net/certs.js';
import { run, startDaemon, killPids, sleep, LabError, alive } from './sh.js';
import type { Scenario } from './scenario.js';
import { WS_CLOSE_AFTER_S, type OriginConfig, type OriginHost } from './origin.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const STATE_DIR = join(REPO, '.lab-state');
export const PREFIX = 'nrl-';
const NFQ_BIN = join(REPO, 'lab', 'helpers', 'nfq-delay');

export const ADDR = {
  client: '198.18.1.2',
  routerClient: '198.18.1.1',
  routerProxy: '198.18.2.1',
  proxy: '198.18.2.2',
  nginx: '198.18.2.3',
  /** the WPAD web server (wpad: knob), in the proxy namespace */
  wpad: '198.18.2.4',
  routerVendor: '198.19.0.1',
  vendor: '198.19.0.2',
  dnsBlackhole: '198.19.0.53',
  vpnClient: '198.18.9.2',
  vpnRouter: '198.18.9.1',
} as const;
const TRANSPARENT_PORT = { 443: 3443, 80: 3180 } as const;
export const TURN_HOST = 'turn.lab.test';
export const PROBE_HOST = 'probe.lab.test';
/** UDP echo ports of the probe: a few dozen spread over 1025-65535 (seed 000: "UDP 1025–65535"),
 * low, middle and high; never 3478 (STUN/TURN) so "UDP only 3478" closes every one of them. */
export const LAB_ECHO_PORTS = [
  1025, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000, 16384, 20000, 25000, 30000, 32768, 35000, 40000, 45000, 49152, 50000,
  52000, 55000, 57000, 60000, 61000, 62000, 63000, 64000, 65000, 65534, 65535,
];
const VPN_UDP_PORT = 5555;
/** the authoritative dnsmasq on the router's loopback (the zones; see build) */
const AUTH_DNS_PORT = 5353;

export interface LabProc {
  name: string;
  ns: string;
  pid: number;
}

export interface LabState {
  id: string;
  scenarioFile: string;
  createdAt: string;
  ns: { client: string; router: string; vendor: string; proxy: string };
  tmpDir: string;
  etcNetns: string[];
  procs: LabProc[];
  /** host name -> vendor (or nginx) address */
  hosts: Record<string, string>;
  files: { labCa: string; cert: string; key: string; caBundle?: string; pac?: string; wpad?: string; squidCa?: string; mitmCa?: string; passwd?: string };
  signDomain: string;
  proxyAddr: string;
}

export function statePath(id: string): string {
  return join(STATE_DIR, `${id}.json`);
}

function saveState(st: LabState): void {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(statePath(st.id), JSON.stringify(st, null, 2));
}

export function listStates(): LabState[] {
  if (!existsSync(STATE_DIR)) return [];
  const out: LabState[] = [];
  for (const f of readdirSync(STATE_DIR).filter((f) => f.endsWith('.json'))) {
    try {
      out.push(JSON.parse(readFileSync(join(STATE_DIR, f), 'utf8')) as LabState);
    } catch {
      rmSync(join(STATE_DIR, f), { force: true });
    }
  }
  return out;
}

/**
 * Names a built-in profile still carries but that no requirement document names (issue 10, "Why"
 * item 4: netready picked them itself). The real DNS has no record for them, so the lab gives them
 * none either: their zone answers an authoritative NXDOMAIN. A scenario can still add one with
 * `extraHosts`.
 */
export const UNPUBLISHED_NAMES: ReadonlySet<string> = new Set(['signal.media.prod.tokbox.com', 'api.vonage.com']);

/** seed 003_606ee1d65ee49d3b.txt: localhost.esignlive.com resolves to 127.0.0.1 "using the DNS". */
const PCC_NAME = 'localhost.esignlive.com';

export interface LabHosts {
  /** every name with a vendor address (the profiles' hosts, turn/probe, extraHosts) */
  names: string[];
  signDomain: string;
  /** the zones the lab DNS is authoritative for: the apexes of the profiles' wildcards and the
   * Sign domain's parent (SOA/NS at the apex, authoritative NXDOMAIN for a name not in the lab) */
  zones: string[];
  /** name -> the paths a profile opens WebSockets on */
  wsPaths: Record<string, string[]>;
  /** name -> profile role (sign, video, cobrowse, ocsp, ...) */
  roles: Record<string, string>;
  /** names that resolve to an address outside the vendor network (PCC: 127.0.0.1) */
  dnsOnly: Record<string, string>;
}

/** Every host name the lab DNS must answer: the profiles' hosts (read from src/profiles so the
 * lab and the profiles never drift) plus the scenario's extra names, and what each host serves. */
export function labHostNames(sc: Scenario): LabHosts {
  const params = sc.params ?? {};
  const ids = sc.profiles ?? builtinProfileIds();
  const names = new Set<string>();
  const wsPaths: Record<string, string[]> = {};
  const roles: Record<string, string> = {};
  const dnsOnly: Record<string, string> = {};
  const zones = new Set<string>();
  for (const id of ids) {
    const set = loadProfiles([id], {});
    const known = new Set(set.profiles.flatMap((p) => p.params.map((q) => q.name)));
    const own = Object.fromEntries(Object.entries(params).filter(([k]) => known.has(k)));
    // every wildcard the profile names, also on hosts its parameters leave out (*.vonage.com)
    for (const h of readProfile(id).hosts) if (h.wildcard?.startsWith('*.')) zones.add(h.wildcard.slice(2).toLowerCase());
    const loaded = loadProfiles([id], own);
    for (const p of loaded.profiles) if (p.pcc?.host) dnsOnly[p.pcc.host.toLowerCase()] = '127.0.0.1';
    for (const h of loaded.hosts) {
      if (/^\d/.test(h.host) || UNPUBLISHED_NAMES.has(h.host)) continue;
      if (h.host === PCC_NAME) {
        dnsOnly[h.host] = '127.0.0.1';
        continue;
      }
      names.add(h.host);
      roles[h.host] ??= h.role;
      const ws = new Set([...(wsPaths[h.host] ?? []), ...h.ws.map((w) => w.path.split('?')[0])]);
      if (ws.size) wsPaths[h.host] = [...ws];
    }
  }
  // the media far end: seed 000 names no TURN host, so the lab invents one (coturn), and a probe
  // host (`netready serve` with STUN, the UDP echo and TURN credentials): `--probe https://probe.lab.test`
  names.add(TURN_HOST);
  names.add(PROBE_HOST);
  for (const n of sc.extraHosts ?? []) names.add(n.toLowerCase());
  const signDomain = String(params.signDomain ?? 'apps.esignlive.com').toLowerCase();
  // the Sign domain's zone: its parent (apps.esignlive.com -> esignlive.com)
  if (signDomain.split('.').length > 2) zones.add(signDomain.split('.').slice(1).join('.'));
  return { names: [...names].sort(), signDomain, zones: [...zones].sort(), wsPaths, roles, dnsOnly };
}

function vendorAddr(i: number): string {
  // 198.19.1.1 .. : one address per simulated vendor host
  return `198.19.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

function resolveTargets(st: LabState, list: string[] | undefined, what: string): string[] {
  const out: string[] = [];
  for (const h of list ?? []) {
    if (/^198\.1[89]\.\d+\.\d+(\/\d+)?$/.test(h)) out.push(h);
    else if (st.hosts[h.toLowerCase()]) out.push(st.hosts[h.toLowerCase()]);
    else throw new LabError(`${what}: "${h}" is neither a lab host name nor a 198.18.0.0/15 address`);
  }
  return out;
}

export async function waitListen(ns: string, port: number, proto: 'tcp' | 'udp', pid: number, name: string, logFile: string, timeoutMs = 15_000, addr?: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    checkAbort();
    const r = run(['ss', '-Hln', proto === 'tcp' ? '-t' : '-u', addr ? `src ${addr}:${port}` : `sport = :${port}`], { ns, allowFail: true });
    if (r.stdout.trim()) return;
    if (!alive(pid)) break;
    await sleep(100);
  }
  let tail = '';
  try {
    tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-4).join(' | ');
  } catch {
    /* no log */
  }
  throw new LabError(`${name} did not start listening on ${proto} ${port} in ${ns}: ${tail}`);
}

export interface UpOptions {
  /** Called with the state as soon as it exists (the runner uses it for cleanup on signals). */
  onState?: (st: LabState) => void;
  quiet?: boolean;
}

export async function up(sc: Scenario, opts: UpOptions = {}): Promise<LabState> {
  if (process.getuid?.() !== 0) throw new LabError('the lab needs root (network namespaces, nftables, tc)');
  const id = randomBytes(2).toString('hex');
  const p = `${PREFIX}${id}`;
  const tmpDir = mkdtempSync(`/tmp/${p}-`);
  chmodSync(tmpDir, 0o755);
  const st: LabState = {
    id,
    scenarioFile: sc.file,
    createdAt: new Date().toISOString(),
    ns: { client: `${p}-c`, router: `${p}-r`, vendor: `${p}-v`, proxy: `${p}-p` },
    tmpDir,
    etcNetns: [],
    procs: [],
    hosts: {},
    files: { labCa: join(tmpDir, 'lab-ca.pem'), cert: join(tmpDir, 'lab-cert.pem'), key: join(tmpDir, 'lab-key.pem') },
    signDomain: 'apps.esignlive.com',
    proxyAddr: ADDR.proxy,
  };
  saveState(st);
  opts.onState?.(st);
  try {
    await build(sc, st);
    saveState(st);
    return st;
  } catch (e) {
    saveState(st);
    await down(st);
    throw e;
  }
}

let aborting = false;
/** Called from signal handlers: every further step of a running `up` throws, so a lab being built
 * while SIGINT arrives stops growing and its down() sees everything. */
export function abortUp(): void {
  aborting = true;
}
function checkAbort(): void {
  if (aborting) throw new LabError('interrupted');
}

export function addProc(st: LabState, name: string, ns: string, argv: string[], env?: NodeJS.ProcessEnv): { pid: number; log: string } {
  checkAbort();
  const log = join(st.tmpDir, `${name}.log`);
  const pid = startDaemon(ns, argv, log, env);
  st.procs.push({ name, ns, pid });
  saveState(st);
  return { pid, log };
}

async function build(sc: Scenario, st: LabState): Promise<void> {
  const { client: C, router: R, vendor: V, proxy: P } = st.ns;
  const ip = (ns: string, ...a: string[]) => {
    checkAbort();
    return run(['ip', '-n', ns, ...a]);
  };

  // ---- namespaces and links ------------------------------------------------------------------
  for (const ns of [C, R, V, P]) {
    checkAbort();
    run(['ip', 'netns', 'add', ns]);
    ip(ns, 'link', 'set', 'lo', 'up');
    run(['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1'], { ns });
  }
  run(['ip', 'link', 'add', 'c0', 'netns', C, 'type', 'veth', 'peer', 'name', 'rc', 'netns', R]);
  run(['ip', 'link', 'add', 'v0', 'netns', V, 'type', 'veth', 'peer', 'name', 'rv', 'netns', R]);
  run(['ip', 'link', 'add', 'p0', 'netns', P, 'type', 'veth', 'peer', 'name', 'rp', 'netns', R]);
  ip(C, 'addr', 'add', `${ADDR.client}/24`, 'dev', 'c0');
  ip(R, 'addr', 'add', `${ADDR.routerClient}/24`, 'dev', 'rc');
  ip(R, 'addr', 'add', `${ADDR.routerProxy}/24`, 'dev', 'rp');
  ip(R, 'addr', 'add', `${ADDR.routerVendor}/16`, 'dev', 'rv');
  ip(P, 'addr', 'add', `${ADDR.proxy}/24`, 'dev', 'p0');
  ip(P, 'addr', 'add', `${ADDR.nginx}/24`, 'dev', 'p0');
  ip(P, 'addr', 'add', `${ADDR.wpad}/24`, 'dev', 'p0');
  ip(V, 'addr', 'add', `${ADDR.vendor}/16`, 'dev', 'v0');
  ip(V, 'addr', 'add', `${ADDR.dnsBlackhole}/16`, 'dev', 'v0');

  const lh = labHostNames(sc);
  const { names, signDomain } = lh;
  st.signDomain = signDomain;
  names.forEach((n, i) => {
    const a = vendorAddr(i);
    st.hosts[n] = a;
    ip(V, 'addr', 'add', `${a}/16`, 'dev', 'v0');
  });
  const turnAddr = st.hosts[TURN_HOST];
  const probeAddr = st.hosts[PROBE_HOST];
  // each vendor host's own address, before nginx takes over a name's DNS answer
  const origAddr = { ...st.hosts };
  const mtu = sc.link?.mtu;
  for (const [ns, dev] of [[C, 'c0'], [R, 'rc'], [R, 'rv'], [R, 'rp'], [V, 'v0'], [P, 'p0']] as const) {
    ip(ns, 'link', 'set', dev, 'up');
  }
  if (mtu) {
    // the narrow link is router <-> vendor: the client's own link stays at 1500, as behind a
    // tunnel or PPPoE line
    ip(R, 'link', 'set', 'rv', 'mtu', String(mtu));
    ip(V, 'link', 'set', 'v0', 'mtu', String(mtu));
  }
  // default routes point only at the router, which has no way out of the lab
  ip(C, 'route', 'add', 'default', 'via', ADDR.routerClient);
  ip(P, 'route', 'add', 'default', 'via', ADDR.routerProxy);
  ip(V, 'route', 'add', 'default', 'via', ADDR.routerVendor);
  run(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], { ns: R });

  // ---- certificates ----------------------------------------------------------------------------
  const ca = await createCA('netready lab CA');
  const leaf = await issueCert(ca, { names, ips: [ADDR.nginx, ...Object.values(st.hosts)] });
  writeFileSync(st.files.labCa, ca.certPem);
  writeFileSync(st.files.cert, leaf.certPem + ca.certPem);
  writeFileSync(st.files.key, leaf.keyPem, { mode: 0o644 });

  // ---- nginx (DNS for its hosts points at it) ------------------------------------------------
  for (const h of sc.nginx?.hosts ?? []) {
    if (!st.hosts[h.toLowerCase()]) throw new LabError(`nginx.hosts: "${h}" is not a lab host name`);
    st.hosts[h.toLowerCase()] = ADDR.nginx;
  }

  // ---- DNS -------------------------------------------------------------------------------------
  // Two dnsmasq in the router. The resolver the client and the proxy ask (198.18.1.1, .2.1) answers
  // the lab's names outside the zones below and NXDOMAIN for every other name (`local=/#/`, never
  // forwards: lab-notes). The zones the profiles' wildcards name (and the Sign domain's parent) are
  // forwarded to an authoritative dnsmasq on the router's loopback (`auth-zone`): their apex
  // answers SOA and NS, their lab names A, and any other name in them an authoritative NXDOMAIN
  // (aa, SOA in the authority section) — as the vendors' real zones do. (One dnsmasq answers an
  // auth zone on its recursive port itself, but then without aa and without the SOA: measured.)
  const nx = new Set((sc.dns?.nxdomain ?? []).map((s) => s.toLowerCase()));
  const slow = new Set((sc.dns?.timeout ?? []).map((s) => s.toLowerCase()));
  for (const n of [...nx, ...slow]) if (!st.hosts[n] && !lh.dnsOnly[n]) throw new LabError(`dns: "${n}" is not a lab host name`);
  const zoneOf = (n: string) => lh.zones.filter((z) => n === z || n.endsWith(`.${z}`)).sort((a, b) => b.length - a.length)[0];
  const records = Object.entries({ ...lh.dnsOnly, ...st.hosts }).filter(([n]) => !nx.has(n) && !slow.has(n));
  const common = ['no-resolv', 'no-hosts', 'no-poll', 'bind-interfaces', 'cache-size=0', 'log-queries'];
  const authConf = [
    ...common,
    `port=${AUTH_DNS_PORT}`,
    'listen-address=127.0.0.1',
    // the zones' NS: the router itself (ns.lab.test resolves to it below)
    'auth-server=ns.lab.test,127.0.0.1',
    'auth-soa=1,hostmaster.lab.test,1200,180,1209600',
    'auth-ttl=60',
    `log-facility=${join(st.tmpDir, 'dnsmasq-auth-queries.log')}`,
    // dnsmasq answers from the zone configured last among those that contain a name: the
    // enclosing zones first (tokbox.com before media.prod.tokbox.com), so a name gets its nearest
    // zone's SOA (measured)
    ...[...lh.zones].sort((a, b) => a.split('.').length - b.split('.').length || a.localeCompare(b)).map((z) => `auth-zone=${z}`),
    ...records.filter(([n]) => zoneOf(n)).map(([n, a]) => `host-record=${n},${a}`),
  ];
  const dnsConf = [
    ...common,
    `listen-address=${ADDR.routerClient}`,
    `listen-address=${ADDR.routerProxy}`,
    'except-interface=lo',
    'local=/#/', // answer only the lab's names, never forward (lab-notes)
    `log-facility=${join(st.tmpDir, 'dnsmasq-queries.log')}`,
    `host-record=ns.lab.test,${ADDR.routerClient}`,
    // WPAD: the first candidate a browser tries for the client's search domain (wpad: knob)
    ...(sc.wpad ? [`host-record=wpad.${sc.wpad.domain.toLowerCase()},${ADDR.wpad}`] : []),
    ...lh.zones.map((z) => `server=/${z}/127.0.0.1#${AUTH_DNS_PORT}`),
    ...records.filter(([n]) => !zoneOf(n)).map(([n, a]) => `host-record=${n},${a}`),
    // a name that times out: forwarded to an address whose DNS packets the vendor drops (the more
    // specific server= wins over its zone's)
    ...[...slow].map((n) => `server=/${n}/${ADDR.dnsBlackhole}`),
  ];
  writeFileSync(join(st.tmpDir, 'dnsmasq-auth.conf'), authConf.join('\n') + '\n');
  writeFileSync(join(st.tmpDir, 'dnsmasq.conf'), dnsConf.join('\n') + '\n');
  const dnsd = (name: string, conf: string) => addProc(st, name, R, ['dnsmasq', '--keep-in-foreground', '--pid-file=', '--user=root', `--conf-file=${join(st.tmpDir, conf)}`]);
  const dnsAuth = dnsd('dnsmasq-auth', 'dnsmasq-auth.conf');
  const dns = dnsd('dnsmasq', 'dnsmasq.conf');
  for (const ns of [C, P]) {
    const dir = `/etc/netns/${ns}`;
    mkdirSync(dir, { recursive: true });
    st.etcNetns.push(dir);
    saveState(st);
    // the client's search domain (wpad: knob) is where a browser looks for wpad.DOMAIN
    const search = ns === C && sc.wpad ? `search ${sc.wpad.domain.toLowerCase()}\n` : '';
    writeFileSync(join(dir, 'resolv.conf'), `nameserver ${ns === C ? ADDR.routerClient : ADDR.routerProxy}\n${search}options timeout:2 attempts:1\n`);
  }

  // ---- vendor: netready serve on every vendor address; DNS black hole --------------------------
  run(['nft', '-f', '-'], {
    ns: V,
    input: `table inet nrlv {\n chain input { type filter hook input priority 0; policy accept;\n  ip daddr ${ADDR.dnsBlackhole} udp dport 53 drop\n  ip daddr ${ADDR.dnsBlackhole} tcp dport 53 drop\n }\n}\n`,
  });
  // The serve's WebRTC peer allocates its own relay on turn.lab.test: the vendor namespace has no
  // resolver (its DNS goes to the black hole, a 5 s EAI_AGAIN that made every webrtc.ice answer
  // late), so the name comes from an /etc/hosts of its own (`ip netns exec` mounts it).
  {
    const dir = `/etc/netns/${V}`;
    mkdirSync(dir, { recursive: true });
    st.etcNetns.push(dir);
    saveState(st);
    writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost\n::1 localhost\n${turnAddr} ${TURN_HOST}\n`);
  }
  const turnSecret = randomBytes(16).toString('hex');
  // the probe: the one cooperative far end (`netready serve`: HTTPS/WSS/SSE echo, STUN, the UDP
  // echo, TURN credentials), on probe.lab.test only
  const serve = addProc(st, 'serve', V, [
    process.execPath,
    '--import',
    'tsx',
    join(REPO, 'lab', 'helpers', 'serve-entry.ts'),
    '--listen',
    `${probeAddr}:443`,
    '--http',
    `${probeAddr}:80`,
    '--cert',
    st.files.cert,
    '--key',
    st.files.key,
    // the media far end on the probe host: STUN (UDP+TCP 3478), the tokened UDP echo, and TURN
    // credentials for the coturn below (use-auth-secret)
    '--stun',
    `${probeAddr}:3478`,
    '--udp-echo',
    probeAddr,
    '--udp-ports',
    LAB_ECHO_PORTS.join(','),
    '--turn-url',
    `turn:${TURN_HOST}:3478?transport=udp`,
    '--turn-url',
    `turn:${TURN_HOST}:3478?transport=tcp`,
    '--turn-url',
    `turns:${TURN_HOST}:443?transport=tcp`,
    '--turn-secret',
    turnSecret,
  ]);
  // every other host: the real-like vendor origin (lab/origin.ts), which never cooperates
  const refuse = new Set((sc.vendor?.refuseUpgrade ?? []).map((h) => h.toLowerCase()));
  for (const h of refuse) if (!origAddr[h] || h === PROBE_HOST || h === TURN_HOST) throw new LabError(`vendor.refuseUpgrade: "${h}" is not a vendor host of the lab`);
  const originHosts: OriginHost[] = names
    .filter((n) => n !== PROBE_HOST && n !== TURN_HOST)
    .map((n) => ({
      name: n,
      addr: origAddr[n],
      sign: lh.roles[n] === 'sign' || n === signDomain,
      wsPaths: lh.wsPaths[n] ?? [],
      refuseUpgrade: refuse.has(n) ? (sc.vendor?.refuseStatus ?? 401) : null,
      plain: lh.roles[n] === 'ocsp' ? (/^crl\./.test(n) ? 'crl' : 'ocsp') : 'redirect',
    }));
  const originConf: OriginConfig = {
    hosts: originHosts,
    cert: st.files.cert,
    key: st.files.key,
    wsCloseAfterS: sc.vendor?.wsCloseAfterS ?? WS_CLOSE_AFTER_S,
    pathStatus: sc.vendor?.pathStatus ?? {},
  };
  writeFileSync(join(st.tmpDir, 'vendor-origin.json'), JSON.stringify(originConf, null, 2));
  const origin = addProc(st, 'vendor-origin', V, [process.execPath, '--import', 'tsx', join(REPO, 'lab', 'helpers', 'vendor-origin.ts'), '--config', join(st.tmpDir, 'vendor-origin.json')]);
  const coturn = coturnUp(st, V, turnAddr, turnSecret);

  // ---- router knobs ----------------------------------------------------------------------------
  const fromClient = sc.vpn ? '{ "rc", "vpn0" }' : '"rc"';
  const rules: string[] = [];
  for (const [i, r] of (sc.firewall ?? []).entries()) {
    const parts: string[] = [];
    if (r.from === 'client') parts.push(`iifname ${fromClient}`);
    else if (r.from === 'proxy') parts.push('iifname "rp"');
    const dst = resolveTargets(st, r.hosts, `firewall.${i}.hosts`);
    if (dst.length) parts.push(`ip daddr { ${dst.join(', ')} }`);
    const ports = (r.ports ?? []).map(String);
    if (r.proto === 'tcp' || r.proto === 'udp') {
      parts.push(ports.length ? `${r.proto} dport { ${ports.join(', ')} }` : `meta l4proto ${r.proto}`);
    } else if (r.proto === 'icmp') parts.push('meta l4proto icmp');
    else if (ports.length) throw new LabError(`firewall.${i}: ports need proto tcp or udp`);
    let verdict: string = r.action;
    if (r.action === 'reject') verdict = r.proto === 'tcp' ? 'reject with tcp reset' : 'reject with icmp type admin-prohibited';
    rules.push(`  ${parts.join(' ')} ${verdict}`);
  }
  if (sc.udp === 'off') rules.push(`  iifname ${fromClient} meta l4proto udp drop`);
  if (sc.udp === 'only-3478') rules.push(`  iifname ${fromClient} udp dport != 3478 drop`);
  const lossUp = sc.link?.lossPercent?.up ?? 0;
  const lossDown = sc.link?.lossPercent?.down ?? 0;
  const lossRules: string[] = [];
  // nft numgen (lab-notes): measured close to N % per direction; 0.01 % resolution
  if (lossUp > 0) lossRules.push(`  iifname "rc" numgen random mod 10000 < ${Math.round(lossUp * 100)} drop`);
  if (lossDown > 0) lossRules.push(`  oifname "rc" numgen random mod 10000 < ${Math.round(lossDown * 100)} drop`);
  let natRules = '';
  if (sc.transparent) {
    const dst = resolveTargets(st, sc.transparent.hosts, 'transparent.hosts');
    for (const port of sc.transparent.ports ?? [443]) {
      natRules += `  iifname ${fromClient} ${dst.length ? `ip daddr { ${dst.join(', ')} } ` : 'ip daddr 198.19.0.0/16 '}tcp dport ${port} redirect to :${TRANSPARENT_PORT[port]}\n`;
    }
  }
  const ruleset =
    `table inet nrl {\n` +
    ` chain loss { type filter hook forward priority -10; policy accept;\n${lossRules.join('\n')}\n }\n` +
    ` chain forward { type filter hook forward priority 0; policy accept;\n${rules.join('\n')}\n }\n` +
    `}\n` +
    (natRules ? `table ip nrlnat {\n chain pre { type nat hook prerouting priority dstnat; policy accept;\n${natRules} }\n}\n` : '');
  writeFileSync(join(st.tmpDir, 'router.nft'), ruleset);
  run(['nft', '-f', join(st.tmpDir, 'router.nft')], { ns: R });

  // rate: tbf on the router's client-side egress (down) and, via an ifb, on its ingress (up)
  const rate = sc.link?.rateKbit;
  const tbf = (dev: string, kbit: number) => {
    const bytesPerS = (kbit * 1000) / 8;
    const burst = Math.max(3200, Math.ceil(bytesPerS * 0.004));
    // Queue: 20 ms of the rate plus the path's bandwidth-delay product (the configured delay),
    // at least ~10 frames. Measured at 5 Mbit/s with no delay: a 100 ms queue (62.5 kB) let slow
    // start overshoot into bursts of tail drops, retransmission timeouts and 0-byte 200 ms windows
    // (iperf3 43 retransmits in 5 s); 20 ms: iperf3 0 retransmits, windows within ~10 %.
    const rtt = ((sc.link?.delayMs?.up ?? 0) + (sc.link?.delayMs?.down ?? 0) + (sc.link?.jitterMs?.up ?? 0) + (sc.link?.jitterMs?.down ?? 0)) / 1000;
    const limit = Math.max(16_000, Math.ceil(bytesPerS * (0.02 + rtt)));
    run(['tc', 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', String(burst), 'limit', String(limit)], { ns: R });
  };
  if (rate?.down || rate?.up) {
    // veth hands GSO super-packets (up to 64 KiB) through unsegmented; tbf then segments them
    // itself and a full queue tail-drops a whole burst of consecutive segments, which stalls a TCP
    // flow on a retransmission timeout (measured at 5 Mbit/s: 200-400 ms gaps, uploads 30 % short).
    // One segment per skb on every interface of the shaped path makes tbf see real 1514-byte frames.
    for (const [ns, dev] of [[C, 'c0'], [R, 'rc'], [R, 'rv'], [V, 'v0']] as const) ip(ns, 'link', 'set', 'dev', dev, 'gso_max_segs', '1');
  }
  if (rate?.down) tbf('rc', rate.down);
  if (rate?.up) {
    ip(R, 'link', 'add', 'ifb0', 'type', 'ifb');
    ip(R, 'link', 'set', 'ifb0', 'up');
    run(['tc', 'qdisc', 'add', 'dev', 'rc', 'handle', 'ffff:', 'ingress'], { ns: R });
    run(['tc', 'filter', 'add', 'dev', 'rc', 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'ifb0'], { ns: R });
    tbf('ifb0', rate.up);
  }

  // one-way delay and jitter: iptables-legacy NFQUEUE -> nfq-delay (tc netem is not in this
  // kernel). A direction with jitter but no delay still goes through the helper.
  const dUp = sc.link?.delayMs?.up ?? 0;
  const dDown = sc.link?.delayMs?.down ?? 0;
  const jUp = sc.link?.jitterMs?.up ?? 0;
  const jDown = sc.link?.jitterMs?.down ?? 0;
  const qUp = dUp > 0 || jUp > 0;
  const qDown = dDown > 0 || jDown > 0;
  if (qUp || qDown) {
    if (!existsSync(NFQ_BIN)) throw new LabError(`${NFQ_BIN} is missing: run "npm run lab -- build" (gcc + libnetfilter-queue-dev)`);
    const args: string[] = [];
    const r = sc.link?.jitterReorder ? ':r' : '';
    if (qUp) args.push(`0:${dUp}${jUp > 0 ? `:${jUp}${r}` : ''}`);
    if (qDown) args.push(`1:${dDown}${jDown > 0 ? `:${jDown}${r}` : ''}`);
    const d = addProc(st, 'nfq-delay', R, [NFQ_BIN, ...args]);
    await waitLog(d.log, 'nfq-delay: ready', d.pid, 'nfq-delay');
    if (qUp) run(['iptables-legacy', '-t', 'mangle', '-A', 'FORWARD', '-i', 'rc', '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass'], { ns: R });
    if (qDown) run(['iptables-legacy', '-t', 'mangle', '-A', 'FORWARD', '-o', 'rc', '-j', 'NFQUEUE', '--queue-num', '1', '--queue-bypass'], { ns: R });
  }

  // ---- middleboxes -----------------------------------------------------------------------------
  const waits: Promise<void>[] = [];
  // Awaited together below; until then a rejection (e.g. an interrupt) must not go unhandled
  // while a later step throws first.
  const wait = (p: Promise<void>) => {
    p.catch(() => {});
    waits.push(p);
  };
  for (const px of sc.proxies ?? []) {
    if (px.kind === 'squid') {
      const { argv, name } = squidConfig(st, px, P, ADDR.routerProxy, false);
      const d = addProc(st, name, P, argv);
      wait(waitListen(P, px.port, 'tcp', d.pid, name, join(st.tmpDir, name, 'cache.log')));
    } else {
      const conf = join(st.tmpDir, `mitm-${px.port}`);
      mkdirSync(conf, { recursive: true });
      const d = addProc(
        st,
        `mitmproxy-${px.port}`,
        P,
        ['mitmdump', '--mode', 'regular', '--listen-host', ADDR.proxy, '--listen-port', String(px.port), '--set', `confdir=${conf}`, '--set', `ssl_verify_upstream_trusted_ca=${st.files.labCa}`, '-q'],
        { ...process.env, HOME: conf },
      );
      st.files.mitmCa = join(conf, 'mitmproxy-ca-cert.pem');
      wait(waitListen(P, px.port, 'tcp', d.pid, 'mitmproxy', d.log, 30_000));
    }
  }
  if (sc.transparent) {
    const { argv, name } = squidConfig(st, { kind: 'squid', port: TRANSPARENT_PORT[443], bump: true }, R, ADDR.routerClient, true);
    const d = addProc(st, name, R, argv);
    wait(waitListen(R, TRANSPARENT_PORT[443], 'tcp', d.pid, name, join(st.tmpDir, name, 'cache.log')));
  }
  if (sc.nginx) {
    const d = nginxUp(st, sc.nginx, P, origAddr);
    wait(waitListen(P, 443, 'tcp', d.pid, 'nginx', d.log));
  }
  if (sc.pac) {
    st.files.pac = join(st.tmpDir, 'proxy.pac');
    writeFileSync(st.files.pac, pacScript(sc.pac));
  }
  if (sc.wpad) {
    // WPAD: a web server on its own lab address answers http://wpad.DOMAIN/wpad.dat
    st.files.wpad = join(st.tmpDir, 'wpad.dat');
    writeFileSync(st.files.wpad, pacScript(sc.wpad.pac));
    const w = addProc(st, 'wpad-server', P, [process.execPath, '--import', 'tsx', join(REPO, 'lab', 'helpers', 'wpad-server.ts'), '--listen', `${ADDR.wpad}:80`, '--file', st.files.wpad]);
    wait(waitListen(P, 80, 'tcp', w.pid, 'wpad-server', w.log, 30_000, ADDR.wpad));
  }
  if (sc.vpn) {
    const targets = resolveTargets(st, sc.vpn.hosts, 'vpn.hosts');
    // a userspace VPN: socat carries a tun interface over UDP (no ipip/gre in this kernel)
    const r = addProc(st, 'vpn-router', R, ['socat', `UDP-LISTEN:${VPN_UDP_PORT},bind=${ADDR.routerClient}`, `TUN:${ADDR.vpnRouter}/30,tun-name=vpn0,iff-no-pi,tun-type=tun,iff-up`]);
    await waitListen(R, VPN_UDP_PORT, 'udp', r.pid, 'vpn-router', r.log);
    const c = addProc(st, 'vpn-client', C, ['socat', `UDP:${ADDR.routerClient}:${VPN_UDP_PORT},bind=${ADDR.client}`, `TUN:${ADDR.vpnClient}/30,tun-name=vpn0,iff-no-pi,tun-type=tun,iff-up`]);
    const until = Date.now() + 10_000;
    while (!run(['ip', 'link', 'show', 'vpn0'], { ns: C, allowFail: true }).stdout.includes('UP') && Date.now() < until) await sleep(50);
    if (!alive(c.pid)) throw new LabError('vpn-client did not start');
    for (const t of targets) ip(C, 'route', 'add', t.includes('/') ? t : `${t}/32`, 'dev', 'vpn0', 'src', ADDR.vpnClient);
  }

  // ---- a Personal Certificate Client stand-in on the client's own loopback (seed 003) ----------
  if (sc.pccAgent) {
    const day = 86_400_000;
    const { port, cert } = sc.pccAgent;
    const agent = await issueCert(ca, {
      names: [cert === 'wrong-name' ? 'agent.lab.test' : 'localhost.esignlive.com'],
      ips: ['127.0.0.1'],
      ...(cert === 'expired' ? { notBefore: new Date(Date.now() - 400 * day), notAfter: new Date(Date.now() - 30 * day) } : {}),
    });
    const certFile = join(st.tmpDir, 'pcc-cert.pem');
    const keyFile = join(st.tmpDir, 'pcc-key.pem');
    writeFileSync(certFile, agent.certPem + ca.certPem);
    writeFileSync(keyFile, agent.keyPem, { mode: 0o600 });
    const a = addProc(st, 'pcc-agent', C, [process.execPath, '--import', 'tsx', join(REPO, 'lab', 'helpers', 'serve-entry.ts'), '--listen', `127.0.0.1:${port}`, '--cert', certFile, '--key', keyFile]);
    wait(waitListen(C, port, 'tcp', a.pid, 'pcc-agent', a.log, 30_000));
  }

  await Promise.all([
    ...waits,
    waitListen(R, 53, 'udp', dns.pid, 'dnsmasq', dns.log),
    waitListen(R, AUTH_DNS_PORT, 'udp', dnsAuth.pid, 'dnsmasq-auth', dnsAuth.log),
    ...(originHosts.length ? [waitListen(V, 443, 'tcp', origin.pid, 'vendor-origin', origin.log, 30_000, originHosts[originHosts.length - 1].addr)] : []),
    waitListen(V, 443, 'tcp', serve.pid, 'serve', serve.log, 30_000, probeAddr),
    waitListen(V, 3478, 'udp', serve.pid, 'serve (stun)', serve.log, 30_000, probeAddr),
    waitListen(V, 443, 'tcp', coturn.pid, 'coturn', coturn.log, 15_000, turnAddr),
    waitListen(V, 3478, 'udp', coturn.pid, 'coturn', coturn.log, 15_000, turnAddr),
  ]);
  if (st.files.mitmCa) {
    const until = Date.now() + 10_000;
    while (!existsSync(st.files.mitmCa) && Date.now() < until) await sleep(50);
  }
  // the lab CA plus the interception CAs of the lab's explicit proxies: a client that has the
  // company's inspection CA installed ({caBundle})
  st.files.caBundle = join(st.tmpDir, 'ca-bundle.pem');
  const parts = [st.files.labCa, st.files.squidCa, st.files.mitmCa].filter((f): f is string => !!f && existsSync(f));
  writeFileSync(st.files.caBundle, parts.map((f) => readFileSync(f, 'utf8')).join('\n'));
}

/** A PAC file from a scenario's knob: a whole script as written, or one answer returned for every URL; {proxy} filled in. */
export function pacScript(text: string): string {
  const filled = text.replaceAll('{proxy}', ADDR.proxy);
  if (/FindProxyForURL/.test(filled)) return filled.endsWith('\n') ? filled : `${filled}\n`;
  return `function FindProxyForURL(url, host) {\n  return ${JSON.stringify(filled)};\n}\n`;
}

async function waitLog(file: string, text: string, pid: number, name: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (existsSync(file) && readFileSync(file, 'utf8').includes(text)) return;
    if (!alive(pid)) break;
    await sleep(50);
  }
  throw new LabError(`${name} did not start: ${existsSync(file) ? readFileSync(file, 'utf8').trim().slice(-300) : 'no log'}`);
}

/**
 * coturn (Debian `turnserver`) on the TURN host's own vendor address: UDP/TCP 3478 and TLS 443
 * with the lab certificate, TURN REST credentials (use-auth-secret), and peers limited to the
 * vendor network so it is never an open relay (lab-notes: denied-peer-ip everything, then
 * allowed-peer-ip the lab range; a peer outside gets 403).
 */
function coturnUp(st: LabState, ns: string, addr: string, secret: string): { pid: number; log: string } {
  const dir = join(st.tmpDir, 'coturn');
  mkdirSync(dir, { recursive: true });
  return addProc(st, 'coturn', ns, [
    'turnserver',
    '-n',
    '--no-cli',
    `--listening-ip=${addr}`,
    `--relay-ip=${addr}`,
    '--listening-port=3478',
    '--tls-listening-port=443',
    '--alt-listening-port=0',
    '--alt-tls-listening-port=0',
    '--min-port=49152',
    '--max-port=65535',
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    '--realm=lab.test',
    '--fingerprint',
    `--cert=${st.files.cert}`,
    `--pkey=${st.files.key}`,
    '--no-tlsv1',
    '--no-tlsv1_1',
    '--no-dtls',
    '--no-multicast-peers',
    '--denied-peer-ip=0.0.0.0-255.255.255.255',
    '--allowed-peer-ip=198.19.0.0-198.19.255.255',
    `--userdb=${join(dir, 'turndb')}`,
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    '--log-file=stdout',
    '--simple-log',
  ]);
}

interface SquidSpec {
  kind: 'squid';
  port: number;
  auth?: boolean;
  bump?: boolean;
  idleTimeoutS?: number;
  lifetimeS?: number;
  denyPathRegex?: string[];
  denyHostRegex?: string[];
  denyHosts?: string[];
  denyReplyMimeRegex?: string[];
}

const PROXY_UID = 13; // Debian's "proxy" user, which squid switches to

function squidConfig(st: LabState, px: SquidSpec, ns: string, dnsAddr: string, intercept: boolean): { argv: string[]; name: string } {
  const name = intercept ? 'squid-transparent' : `squid-${px.port}`;
  const dir = join(st.tmpDir, name);
  mkdirSync(dir, { recursive: true });
  const bump = !!px.bump;
  const lines: string[] = [];
  const sslDb = join(dir, 'ssl_db');
  if (bump || intercept) {
    // the squid's own interception CA (not the lab CA: that is what TLS inspection looks like)
    const caPem = join(dir, 'squid-ca.pem');
    const caKey = join(dir, 'squid-ca.key');
    run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=Lab Interception CA/O=Corporate Firewall', '-keyout', caKey, '-out', caPem]);
    chmodSync(caKey, 0o644);
    if (!intercept) st.files.squidCa = caPem;
    run(['/usr/lib/squid/security_file_certgen', '-c', '-s', sslDb, '-M', '4MB']);
    const tlsOpts = `tls-cert=${caPem} tls-key=${caKey} generate-host-certificates=on dynamic_cert_mem_cache_size=4MB`;
    if (intercept) {
      lines.push(`http_port 127.0.0.1:3199`);
      lines.push(`https_port ${px.port} intercept ssl-bump ${tlsOpts}`);
    } else lines.push(`http_port ${ADDR.proxy}:${px.port} ssl-bump ${tlsOpts}`);
    lines.push(`sslcrtd_program /usr/lib/squid/security_file_certgen -s ${sslDb} -M 4MB`, 'sslcrtd_children 3 startup=1 idle=1');
    lines.push(`tls_outgoing_options cafile=${st.files.labCa}`);
  } else lines.push(`http_port ${ADDR.proxy}:${px.port}`);
  lines.push(
    'pid_filename none',
    'cache deny all',
    'cache_mem 8 MB',
    'cache_effective_user proxy',
    `access_log stdio:${join(dir, 'access.log')}`,
    `cache_log ${join(dir, 'cache.log')}`,
    'cache_store_log none',
    `coredump_dir ${dir}`,
    `dns_nameservers ${dnsAddr}`,
    'shutdown_lifetime 0 seconds',
    'visible_hostname nrl-lab-proxy',
    'forwarded_for delete',
    'via on',
  );
  if (px.auth) {
    const pw = run(['openssl', 'passwd', '-apr1', 'lab']).stdout.trim();
    const file = join(dir, 'passwd');
    writeFileSync(file, `lab:${pw}\n`, { mode: 0o644 });
    st.files.passwd = 'lab:lab';
    lines.push(`auth_param basic program /usr/lib/squid/basic_ncsa_auth ${file}`, 'auth_param basic realm netready-lab', 'acl authed proxy_auth REQUIRED', 'http_access deny !authed');
  }
  if (px.denyHosts?.length) lines.push(`acl denyhosts dstdomain ${px.denyHosts.join(' ')}`, 'http_access deny denyhosts');
  if (px.denyHostRegex?.length) {
    lines.push(`acl denyhostre dstdom_regex -i ${px.denyHostRegex.join(' ')}`, 'http_access deny denyhostre');
    if (bump || intercept) lines.push(`acl denysni ssl::server_name_regex -i ${px.denyHostRegex.join(' ')}`);
  }
  if (px.denyPathRegex?.length) lines.push(`acl denypath urlpath_regex ${px.denyPathRegex.join(' ')}`, 'http_access deny denypath');
  lines.push('http_access allow all');
  if (px.denyReplyMimeRegex?.length) lines.push(`acl denymime rep_mime_type -i ${px.denyReplyMimeRegex.join(' ')}`, 'http_reply_access deny denymime');
  if (bump || intercept) {
    lines.push('acl step1 at_step SslBump1');
    lines.push('ssl_bump peek step1');
    if (px.denyHostRegex?.length) lines.push('ssl_bump terminate denysni');
    lines.push('ssl_bump bump all');
  }
  // without bump the keyword filter refuses the CONNECT itself (dstdom_regex sees its host)
  if (px.idleTimeoutS) lines.push(`read_timeout ${px.idleTimeoutS} seconds`, `client_idle_pconn_timeout ${px.idleTimeoutS} seconds`);
  if (px.lifetimeS) lines.push(`client_lifetime ${px.lifetimeS} seconds`);
  writeFileSync(join(dir, 'squid.conf'), lines.join('\n') + '\n');
  chownRecursive(dir, PROXY_UID);
  // -n: a service name of its own, which names squid's shared memory segments (/dev/shm/NAME-*.shm):
  // two squids under one name (two labs at once, or another checkout's) collide ("File exists").
  return { argv: ['squid', '-N', '-n', `nrl${st.id}${intercept ? 't' : 'p'}${px.port}`, '-f', join(dir, 'squid.conf')], name };
}

function chownRecursive(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const f = join(dir, e.name);
    if (e.isDirectory()) chownRecursive(f, uid);
    else chownSync(f, uid, uid);
  }
}

/** nginx as a reverse proxy in front of some hosts: each name is passed on to its own vendor
 * address (the origin's, or the probe's `netready serve` for probe.lab.test). */
function nginxUp(st: LabState, ng: NonNullable<Scenario['nginx']>, ns: string, upstream: Record<string, string>): { pid: number; log: string } {
  const dir = join(st.tmpDir, 'nginx');
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const buffer = !!ng.bufferSse;
  const conf = `
worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 512; }
http {
  access_log ${join(dir, 'access.log')};
  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fcgi; uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  map $host $nrl_upstream { default ""; ${ng.hosts.map((h) => `${h.toLowerCase()} ${upstream[h.toLowerCase()]};`).join(' ')} }
  server {
    listen ${ADDR.nginx}:443 ssl;
    server_name _;
    ssl_certificate ${st.files.cert};
    ssl_certificate_key ${st.files.key};
    if ($nrl_upstream = "") { return 421; }
    location / {
      proxy_pass https://$nrl_upstream;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_ssl_server_name on;
      proxy_ssl_name $host;
      proxy_ssl_trusted_certificate ${st.files.labCa};
      proxy_ssl_verify on;
      proxy_read_timeout ${ng.readTimeoutS ?? 300}s;
      ${
        buffer
          ? // lab-notes: nginx buffers SSE with gzip on for text/event-stream, or proxy_buffering on
            // without X-Accel-Buffering: no (serve never sends that header)
            'proxy_buffering on; proxy_buffer_size 64k; proxy_buffers 8 64k; proxy_busy_buffers_size 128k; gzip on; gzip_types text/event-stream; gzip_min_length 0; gzip_buffers 16 64k;'
          : 'proxy_buffering off; gzip off;'
      }
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  return addProc(st, 'nginx', ns, ['nginx', '-p', dir, '-c', join(dir, 'nginx.conf')]);
}

/** Tear a lab down: its processes (recorded PIDs, then whatever else still runs in its
 * namespaces — only the lab's own processes can be there), namespaces, /etc/netns entries,
 * temp dir and state file. Never throws. */
export async function down(st: LabState): Promise<string[]> {
  const notes: string[] = [];
  await killPids(st.procs.map((p) => p.pid));
  for (const ns of Object.values(st.ns)) await killNamespace(ns);
  for (const d of st.etcNetns) rmSync(d, { recursive: true, force: true });
  rmSync(st.tmpDir, { recursive: true, force: true });
  rmSync(statePath(st.id), { force: true });
  for (const ns of Object.values(st.ns)) if (listLabNamespaces().includes(ns)) notes.push(`namespace ${ns} is still there`);
  return notes;
}

export function listLabNamespaces(): string[] {
  const r = run(['ip', 'netns', 'list'], { allowFail: true });
  return r.stdout
    .split('\n')
    .map((l) => l.split(/\s/)[0])
    .filter((n) => n.startsWith(PREFIX));
}

async function killNamespace(ns: string): Promise<void> {
  if (!listLabNamespaces().includes(ns)) {
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    return;
  }
  const pids = run(['ip', 'netns', 'pids', ns], { allowFail: true })
    .stdout.split('\n')
    .map(Number)
    .filter((n) => n > 1 && n !== process.pid);
  await killPids(pids, 1500);
  run(['ip', 'netns', 'del', ns], { allowFail: true });
  rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
}

/** Down every lab this checkout's state files know (never another checkout's). */
export async function downOwn(): Promise<string[]> {
  const notes: string[] = [];
  for (const st of listStates()) notes.push(...(await down(st)));
  return notes;
}

/** Down every lab known by a state file, then sweep whatever carries the prefix on the machine. */
export async function downAll(): Promise<string[]> {
  const notes = await downOwn();
  for (const ns of listLabNamespaces()) {
    await killNamespace(ns);
    notes.push(`removed stale namespace ${ns}`);
  }
  if (existsSync('/etc/netns'))
    for (const d of readdirSync('/etc/netns').filter((d) => d.startsWith(PREFIX))) {
      rmSync(join('/etc/netns', d), { recursive: true, force: true });
      notes.push(`removed stale /etc/netns/${d}`);
    }
  for (const d of readdirSync('/tmp').filter((d) => /^nrl-[0-9a-f]{4}-/.test(d))) rmSync(join('/tmp', d), { recursive: true, force: true });
  return notes;
}
