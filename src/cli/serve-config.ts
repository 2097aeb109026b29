// `netready serve` configuration: command-line flags and/or one YAML file (`--config probe.yaml`),
// validated into a ProbeConfig (src/serve/probe.ts) with one-line errors that name the field, and
// printed back (`--print-config`) with every secret masked. Flags win over the file. Secrets come
// from files or the environment (NETREADY_TURN_SECRET, NETREADY_ADMIN_TOKEN), never only argv:
// `--turn-secret` still works but is visible in `ps`.

import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import * as v from 'valibot';
import { stringify as toYaml } from 'yaml';
import { UsageError } from '../shared/errors.js';
import { parseYamlDoc } from '../shared/yaml-doc.js';
import { formatHostPort, type ListenAddr } from '../serve/server.js';
import { parseTurnUrl } from '../protocol/turn-url.js';
import { parsePortList, DEFAULT_ECHO_PORTS } from '../serve/udp-echo.js';
import { planProbe, type ProbeConfig, type ProbePlan, type ResultsConfig, type TurnSetup } from '../serve/probe.js';
import { parseStoreSpec } from '../serve/store/index.js';
import { redactPgUrl } from '../serve/store/postgres.js';
import { parseWebhookUrl, redactUrl } from '../serve/results/webhooks.js';

export interface ServeCommandOptions {
  config?: string;
  printConfig?: boolean;
  check?: boolean;
  listen?: string[];
  http?: string[];
  cert?: string;
  key?: string;
  name?: string[];
  maxConnections?: number | string;
  maxPerAddress?: number | string;
  stun?: string;
  udpEcho?: string;
  udpPorts?: string;
  /** managed | off (external: --turn-url) */
  turn?: string;
  turnAddress?: string;
  turnName?: string;
  turnPort?: string | number;
  turnTlsPort?: string | number;
  turnRelayPorts?: string;
  turnExternalIp?: string;
  turnUrl?: string[];
  turnSecret?: string;
  turnSecretFile?: string;
  turnRelayIp?: string[];
  webrtcHost?: string[];
  adminTokenFile?: string;
  /** sqlite:PATH or postgres://… (issue 15: results that travel) */
  store?: string;
  uploadTokenFile?: string;
  shareDays?: string | number;
  webhook?: string[];
  orgName?: string;
  orgLogo?: string;
}

/** Where each secret came from (for --print-config). */
export interface SecretSources {
  turn: string | null;
  admin: string;
  upload: string | null;
}

const HOST_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** `ADDR:PORT`, `[v6]:PORT` or `host:PORT`; port 0 = a random free port. */
export function parseListen(value: string, name = '--listen'): ListenAddr {
  const s = String(value ?? '').trim();
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:[\]\s]+):(\d{1,5})$/.exec(s);
  if (!m) throw new UsageError(`${name}: expected ADDR:PORT, got "${value}"`);
  const host = m[1];
  const port = Number(m[2]);
  if (s.startsWith('[') ? isIP(host) !== 6 : isIP(host) === 0 && !HOST_RE.test(host)) {
    throw new UsageError(`${name}: "${host}" is not an IP address or host name (in "${value}")`);
  }
  if (port > 65535) throw new UsageError(`${name}: port out of range (0-65535): "${value}"`);
  return { host, port };
}

/** An IP address option value (an IPv6 one may come in brackets). */
export function parseIp(value: string, flag: string): string {
  const a = String(value ?? '').trim().replace(/^\[(.*)\]$/, '$1');
  if (!isIP(a)) throw new UsageError(`${flag}: expected an IP address, got "${value}"`);
  return a;
}

function parseWhole(v: number | string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v).trim();
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < min || n > max) throw new UsageError(`${flag}: expected a whole number ${min}-${max}, got "${v}"`);
  return n;
}

function parseRange(v: string, flag: string): { min: number; max: number } {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(String(v));
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min < 1024 || max > 65535 || min > max) throw new UsageError(`${flag}: expected MIN-MAX within 1024-65535, got "${v}"`);
  return { min, max };
}

function readText(flag: string, file: string): string {
  try {
    if (!statSync(file).isFile()) throw Object.assign(new Error(), { code: 'not a file' });
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag}: cannot read "${file}"${code === 'ENOENT' ? ': no such file' : code ? `: ${code}` : ''}`);
  }
}

function readPem(flag: string, file: string, marker: RegExp, what: string): string {
  const text = readText(flag, file);
  if (!marker.test(text)) throw new UsageError(`${flag}: "${file}" holds no PEM ${what}`);
  return text;
}

function readSecret(flag: string, file: string): string {
  const s = readText(flag, file).trim();
  if (!s) throw new UsageError(`${flag}: "${file}" is empty`);
  if (/\s/.test(s)) throw new UsageError(`${flag}: "${file}" holds more than one word (one secret expected)`);
  return s;
}

/** The first secret given, in order of precedence, and where it came from. */
function firstSecret(sources: { given: boolean; value: () => string; source: string }[]): { value: string; source: string } | null {
  const s = sources.find((x) => x.given);
  return s ? { value: s.value(), source: s.source } : null;
}

// ---- the YAML file -----------------------------------------------------------------------------

const Str = v.pipe(v.string(), v.minLength(1));
const Port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535));
const StrList = v.array(Str);

const ConfigSchema = v.strictObject({
  names: v.optional(StrList),
  listen: v.optional(StrList),
  http: v.optional(StrList),
  cert: v.optional(Str),
  key: v.optional(Str),
  stun: v.optional(Str),
  udpEcho: v.optional(v.strictObject({ address: Str, ports: v.optional(v.union([Str, v.array(Port)], 'a port list "1025,5000-5010" or a list of ports')) })),
  turn: v.optional(
    v.strictObject({
      mode: v.picklist(['managed', 'external', 'off'], 'managed, external or off'),
      address: v.optional(Str),
      name: v.optional(Str),
      port: v.optional(Port),
      tlsPort: v.optional(Port),
      externalIp: v.optional(Str),
      relayPorts: v.optional(Str),
      secret: v.optional(Str),
      secretFile: v.optional(Str),
      allowedPeers: v.optional(StrList),
      userQuota: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
      totalQuota: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
      sessionKbps: v.optional(v.pipe(v.number(), v.integer(), v.minValue(64))),
      totalMbps: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
      urls: v.optional(StrList),
      relayIps: v.optional(StrList),
    }),
  ),
  webrtcHosts: v.optional(StrList),
  limits: v.optional(
    v.strictObject({
      maxConnections: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000))),
      maxPerAddress: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000))),
    }),
  ),
  adminToken: v.optional(Str),
  adminTokenFile: v.optional(Str),
  results: v.optional(
    v.strictObject({
      store: Str,
      uploadToken: v.optional(Str),
      uploadTokenFile: v.optional(Str),
      shareDays: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(366))),
      webhooks: v.optional(StrList),
      orgName: v.optional(Str),
      orgLogo: v.optional(Str),
    }),
  ),
});
type FileConfig = v.InferOutput<typeof ConfigSchema>;

function loadFile(file: string): { doc: FileConfig; dir: string; label: string } {
  const text = readText('--config', file);
  const label = path.basename(file);
  return { doc: parseYamlDoc(ConfigSchema, text ?? '', label, { schemaMessages: true }) ?? {}, dir: path.dirname(path.resolve(file)), label };
}

// ---- flags + file -> ProbeConfig ------------------------------------------------------------------

export interface BuiltConfig {
  config: ProbeConfig;
  secrets: SecretSources;
  /** Where the certificate came from (for --check). */
  certFile: string | null;
}

export function buildProbeConfig(o: ServeCommandOptions, env: NodeJS.ProcessEnv = process.env): BuiltConfig {
  const f = o.config ? loadFile(o.config) : null;
  const d = f?.doc ?? {};
  const L = f?.label ?? '';
  // A field's flag name, or its place in the file.
  const name = (flag: string, field: string, fromFlag: boolean) => (fromFlag || !f ? flag : `${L}: field ${field}`);
  const rel = (p: string) => (f && !path.isAbsolute(p) ? path.join(f.dir, p) : p);

  const listenFromFlags = !!o.listen?.length;
  const listen = (listenFromFlags ? o.listen! : (d.listen ?? [])).map((x, i) => parseListen(x, name('--listen', `listen.${i}`, listenFromFlags)));
  const httpFromFlags = !!o.http?.length;
  const http = (httpFromFlags ? o.http! : (d.http ?? [])).map((x, i) => parseListen(x, name('--http', `http.${i}`, httpFromFlags)));
  if (listen.length === 0 && http.length === 0) throw new UsageError('serve: give at least one --listen ADDR:PORT (e.g. --listen 127.0.0.1:8443), or listen: in --config');

  const names = (o.name?.length ? o.name : (d.names ?? [])).map((n, i) => {
    const s = n.trim().toLowerCase().replace(/\.$/, '');
    if (!HOST_RE.test(s) && !isIP(s)) throw new UsageError(`${name('--name', `names.${i}`, !!o.name?.length)}: "${n}" is not a host name`);
    return s;
  });

  // Certificate
  const certPath = o.cert ?? (d.cert ? rel(d.cert) : undefined);
  const keyPath = o.key ?? (d.key ? rel(d.key) : undefined);
  if (!!certPath !== !!keyPath)
    throw new UsageError(certPath ? (o.cert || !f ? '--cert needs --key' : `${L}: field cert needs key`) : o.key || !f ? '--key needs --cert' : `${L}: field key needs cert`);
  let cert: ProbeConfig['cert'];
  if (certPath && keyPath) {
    const certPem = readPem(name('--cert', 'cert', !!o.cert), certPath, /-----BEGIN CERTIFICATE-----/, 'certificate');
    const keyPem = readPem(name('--key', 'key', !!o.key), keyPath, /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/, 'private key');
    try {
      tls.createSecureContext({ cert: certPem, key: keyPem });
    } catch (e) {
      throw new UsageError(`--cert/--key: ${certPath} and ${keyPath} do not go together: ${(e as Error).message}`);
    }
    cert = { certPem, keyPem };
  }

  // STUN and the UDP echo
  const stunV = o.stun ?? d.stun;
  const stun = stunV !== undefined ? parseListen(stunV, name('--stun', 'stun', o.stun !== undefined)) : undefined;
  if (o.udpPorts !== undefined && !o.udpEcho && !d.udpEcho) throw new UsageError('--udp-ports needs --udp-echo ADDR');
  let udpEcho: ProbeConfig['udpEcho'];
  if (o.udpEcho !== undefined || d.udpEcho) {
    const host = o.udpEcho !== undefined ? parseIp(o.udpEcho, '--udp-echo') : parseIp(d.udpEcho!.address, `${L}: field udpEcho.address`);
    const filePorts = d.udpEcho?.ports;
    const ports =
      o.udpPorts !== undefined
        ? parsePortList(o.udpPorts)
        : typeof filePorts === 'string'
          ? parsePortList(filePorts, `${L}: field udpEcho.ports`)
          : Array.isArray(filePorts)
            ? parsePortList(filePorts.join(','), `${L}: field udpEcho.ports`)
            : [...DEFAULT_ECHO_PORTS];
    udpEcho = { host, ports };
  }

  // TURN
  const secrets: SecretSources = { turn: null, admin: 'generated at start', upload: null };
  const dt = d.turn;
  const turnUrls = o.turnUrl?.length ? o.turnUrl : (dt?.urls ?? []);
  const mode = o.turn !== undefined ? o.turn.trim().toLowerCase() : turnUrls.length ? 'external' : (dt?.mode ?? 'off');
  if (!['managed', 'off', 'external'].includes(mode)) throw new UsageError(`--turn: expected managed or off, got "${o.turn}" (an external coturn: --turn-url and --turn-secret-file)`);
  const secretFile = o.turnSecretFile ?? (dt?.secretFile ? rel(dt.secretFile) : undefined);
  const secretGiven = [o.turnSecret !== undefined, !!o.turnSecretFile, !!env.NETREADY_TURN_SECRET].filter(Boolean).length;
  if (secretGiven > 1) throw new UsageError('the TURN secret: give one of --turn-secret-file, NETREADY_TURN_SECRET or --turn-secret');
  if (o.turnSecret !== undefined && !o.turnSecret.trim()) throw new UsageError('--turn-secret: empty secret');
  const turnSecret = firstSecret([
    { given: o.turnSecret !== undefined, value: () => o.turnSecret!.trim(), source: '--turn-secret (visible in ps: prefer --turn-secret-file)' },
    { given: !!o.turnSecretFile, value: () => readSecret('--turn-secret-file', o.turnSecretFile!), source: o.turnSecretFile ?? '' },
    { given: !!env.NETREADY_TURN_SECRET, value: () => env.NETREADY_TURN_SECRET!.trim(), source: 'NETREADY_TURN_SECRET' },
    { given: !!secretFile, value: () => readSecret(`${L}: field turn.secretFile`, secretFile!), source: secretFile ?? '' },
    { given: !!dt?.secret, value: () => dt!.secret!, source: `${L} (turn.secret)` },
  ]);
  const secret = turnSecret?.value;
  if (turnSecret) secrets.turn = turnSecret.source;
  let turn: TurnSetup = { mode: 'off' };
  const relayIps = (o.turnRelayIp?.length ? o.turnRelayIp : (dt?.relayIps ?? [])).map((h, i) => parseIp(h, o.turnRelayIp?.length ? '--turn-relay-ip' : `${L}: field turn.relayIps.${i}`));
  if (mode === 'external') {
    if (!turnUrls.length) throw new UsageError(`${f ? `${L}: field turn.urls` : '--turn-url'}: an external coturn needs at least one TURN URL`);
    if (secret === undefined) throw new UsageError('--turn-url needs --turn-secret-file FILE or NETREADY_TURN_SECRET (the coturn static-auth-secret; --turn-secret works too, visible in ps)');
    for (const u of turnUrls) parseTurnUrl(u);
    turn = { mode: 'external', urls: turnUrls, secret, ...(relayIps.length ? { relayIps } : {}) };
  } else {
    if (o.turnUrl?.length) throw new UsageError(`--turn-url is for an external coturn: it does not go with --turn ${mode}`);
    if (relayIps.length) throw new UsageError('--turn-relay-ip needs at least one --turn-url');
    if (mode === 'off' && secret !== undefined && (o.turnSecret !== undefined || o.turnSecretFile)) throw new UsageError('--turn-secret needs at least one --turn-url (or --turn managed)');
  }
  if (mode === 'managed') {
    const port = parseWhole(o.turnPort, '--turn-port', 1, 65535) ?? dt?.port;
    const tlsPort = parseWhole(o.turnTlsPort, '--turn-tls-port', 1, 65535) ?? dt?.tlsPort;
    const relayPorts = o.turnRelayPorts !== undefined ? parseRange(o.turnRelayPorts, '--turn-relay-ports') : dt?.relayPorts ? parseRange(dt.relayPorts, `${L}: field turn.relayPorts`) : undefined;
    const address = o.turnAddress !== undefined ? parseIp(o.turnAddress, '--turn-address') : dt?.address ? parseIp(dt.address, `${L}: field turn.address`) : undefined;
    const externalIp = o.turnExternalIp !== undefined ? parseIp(o.turnExternalIp, '--turn-external-ip') : dt?.externalIp ? parseIp(dt.externalIp, `${L}: field turn.externalIp`) : undefined;
    const allowedPeers = (dt?.allowedPeers ?? []).map((a, i) => parseIp(a, `${L}: field turn.allowedPeers.${i}`));
    const tname = o.turnName ?? dt?.name;
    if (tname !== undefined && !HOST_RE.test(tname) && !isIP(tname)) throw new UsageError(`${o.turnName ? '--turn-name' : `${L}: field turn.name`}: "${tname}" is not a host name`);
    turn = {
      mode: 'managed',
      ...(address ? { address } : {}),
      ...(tname ? { name: tname.toLowerCase() } : {}),
      ...(port ? { port } : {}),
      ...(tlsPort ? { tlsPort } : {}),
      ...(externalIp ? { externalIp } : {}),
      ...(relayPorts ? { relayPorts } : {}),
      ...(secret ? { secret } : {}),
      ...(allowedPeers.length ? { allowedPeers } : {}),
      ...(dt?.userQuota ? { userQuota: dt.userQuota } : {}),
      ...(dt?.totalQuota ? { totalQuota: dt.totalQuota } : {}),
      ...(dt?.sessionKbps ? { sessionBps: Math.round((dt.sessionKbps * 1000) / 8) } : {}),
      ...(dt?.totalMbps ? { totalBps: Math.round((dt.totalMbps * 1e6) / 8) } : {}),
    };
    if (!secret) secrets.turn = 'generated at start, a new one every start; fix it with turn.secretFile';
  }

  const webrtcHosts = (o.webrtcHost?.length ? o.webrtcHost : (d.webrtcHosts ?? [])).map((h, i) => parseIp(h, o.webrtcHost?.length ? '--webrtc-host' : `${L}: field webrtcHosts.${i}`));
  const maxConnections = parseWhole(o.maxConnections, '--max-connections', 1, 100_000) ?? d.limits?.maxConnections;
  const maxPerAddress = parseWhole(o.maxPerAddress, '--max-per-address', 1, 100_000) ?? d.limits?.maxPerAddress;

  const adminFile = o.adminTokenFile ?? (d.adminTokenFile ? rel(d.adminTokenFile) : undefined);
  const admin = firstSecret([
    { given: !!o.adminTokenFile, value: () => readSecret('--admin-token-file', o.adminTokenFile!), source: o.adminTokenFile ?? '' },
    { given: !!env.NETREADY_ADMIN_TOKEN, value: () => env.NETREADY_ADMIN_TOKEN!.trim(), source: 'NETREADY_ADMIN_TOKEN' },
    { given: !!adminFile, value: () => readSecret(`${L}: field adminTokenFile`, adminFile!), source: adminFile ?? '' },
    { given: !!d.adminToken, value: () => d.adminToken!, source: `${L} (adminToken)` },
  ]);
  const adminToken = admin?.value;
  if (admin) secrets.admin = admin.source;
  if (adminToken !== undefined && adminToken.length < 16) throw new UsageError('the admin token: at least 16 characters');

  const results = buildResults(o, env, d.results, L, rel, secrets);

  const config: ProbeConfig = {
    ...(names.length ? { names } : {}),
    listen,
    http,
    ...(cert ? { cert } : {}),
    ...(stun ? { stun } : {}),
    ...(udpEcho ? { udpEcho } : {}),
    turn,
    ...(webrtcHosts.length ? { webrtcHosts } : {}),
    ...(maxConnections ? { maxConnections } : {}),
    ...(maxPerAddress ? { maxPerAddress } : {}),
    ...(adminToken ? { adminToken } : {}),
    ...(results ? { results } : {}),
  };
  return { config, secrets, certFile: certPath ?? null };
}

/** --store and what goes with it: the upload token, share-link days, webhooks, the organisation. */
function buildResults(o: ServeCommandOptions, env: NodeJS.ProcessEnv, dr: FileConfig['results'], L: string, rel: (p: string) => string, secrets: SecretSources): ResultsConfig | undefined {
  const storeSpec = o.store ?? dr?.store;
  const needsStore = [o.uploadTokenFile, o.shareDays, o.webhook?.length ? 1 : undefined, o.orgName, o.orgLogo].some((x) => x !== undefined);
  if (!storeSpec) {
    if (needsStore) throw new UsageError('--upload-token-file, --share-days, --webhook, --org-name and --org-logo need --store sqlite:PATH or --store postgres://…');
    return undefined;
  }
  try {
    parseStoreSpec(storeSpec);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const fileToken = dr?.uploadTokenFile ? rel(dr.uploadTokenFile) : undefined;
  const up = firstSecret([
    { given: !!o.uploadTokenFile, value: () => readSecret('--upload-token-file', o.uploadTokenFile!), source: o.uploadTokenFile ?? '' },
    { given: !!env.NETREADY_UPLOAD_TOKEN, value: () => env.NETREADY_UPLOAD_TOKEN!.trim(), source: 'NETREADY_UPLOAD_TOKEN' },
    { given: !!fileToken, value: () => readSecret(`${L}: field results.uploadTokenFile`, fileToken!), source: fileToken ?? '' },
    { given: !!dr?.uploadToken, value: () => dr!.uploadToken!, source: `${L} (results.uploadToken)` },
  ]);
  if (up && up.value.length < 16) throw new UsageError('the upload token: at least 16 characters');
  secrets.upload = up ? up.source : 'generated at start';
  const shareDays = o.shareDays !== undefined ? Number(o.shareDays) : dr?.shareDays;
  if (shareDays !== undefined && !(Number.isFinite(shareDays) && shareDays >= 1 && shareDays <= 366)) throw new UsageError(`--share-days: expected a number of days 1-366, got "${o.shareDays}"`);
  const webhooks = (o.webhook?.length ? o.webhook : (dr?.webhooks ?? [])).map((w) => {
    try {
      return parseWebhookUrl(w);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  });
  const logo = o.orgLogo ?? dr?.orgLogo;
  if (logo !== undefined && !/^https:\/\/[^\s"'<>]+$/i.test(logo)) throw new UsageError(`--org-logo: expected an https URL of an image, got "${logo}"`);
  const name = o.orgName ?? dr?.orgName;
  if (name !== undefined && (!name.trim() || name.length > 100)) throw new UsageError('--org-name: expected a name of 1-100 characters');
  return {
    store: storeSpec,
    ...(up ? { uploadToken: up.value } : {}),
    ...(shareDays !== undefined ? { shareDays } : {}),
    ...(webhooks.length ? { webhooks } : {}),
    ...(name || logo ? { org: { ...(name ? { name: name.trim() } : {}), ...(logo ? { logoUrl: logo } : {}) } } : {}),
  };
}

/** The plan of a configuration, its resolution errors as one UsageError line. */
export function planOrUsage(config: ProbeConfig): ProbePlan {
  try {
    return planProbe(config);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const MASK = '***';

/** The effective configuration as YAML, secrets masked, with what it resolves to as comments. */
export function printConfig(built: BuiltConfig, plan: ProbePlan): string {
  const c = built.config;
  const hp = (l: ListenAddr) => formatHostPort(l.host, l.port);
  const t = c.turn ?? { mode: 'off' };
  const m = plan.managed;
  const doc: Record<string, unknown> = {
    ...(c.names ? { names: c.names } : {}),
    listen: c.listen.map(hp),
    ...(c.http?.length ? { http: c.http.map(hp) } : {}),
    cert: built.certFile ?? 'none: a throw-away CA (not for a public probe)',
    ...(c.stun ? { stun: hp(c.stun) } : {}),
    ...(c.udpEcho ? { udpEcho: { address: c.udpEcho.host, ports: c.udpEcho.ports.join(',') } } : {}),
    turn:
      t.mode === 'managed' && m
        ? {
            mode: 'managed',
            address: m.address,
            name: m.urlHost,
            port: m.port,
            tlsPort: m.tlsPort,
            ...(m.externalIp ? { externalIp: m.externalIp } : {}),
            relayPorts: `${m.relayPorts.min}-${m.relayPorts.max}`,
            secret: `${MASK} (${built.secrets.turn})`,
            allowedPeers: m.allowedPeers,
            userQuota: m.userQuota,
            totalQuota: m.totalQuota,
            sessionKbps: Math.round((m.sessionBps * 8) / 1000),
            totalMbps: Math.round((m.totalBps * 8) / 1e6),
            urls: managedUrls(plan),
          }
        : t.mode === 'external'
          ? { mode: 'external', urls: t.urls, secret: `${MASK} (${built.secrets.turn})`, ...(t.relayIps?.length ? { relayIps: t.relayIps } : {}) }
          : { mode: 'off' },
    ...(c.webrtcHosts?.length ? { webrtcHosts: c.webrtcHosts } : {}),
    limits: { maxConnections: c.maxConnections ?? 'default', maxPerAddress: c.maxPerAddress ?? 'default' },
    adminToken: `${MASK} (${built.secrets.admin})`,
    ...(c.results
      ? {
          results: {
            store: redactPgUrl(c.results.store),
            uploadToken: `${MASK} (${built.secrets.upload})`,
            shareDays: c.results.shareDays ?? 30,
            ...(c.results.webhooks?.length ? { webhooks: c.results.webhooks.map(redactUrl) } : {}),
            ...(c.results.org?.name ? { orgName: c.results.org.name } : {}),
            ...(c.results.org?.logoUrl ? { orgLogo: c.results.org.logoUrl } : {}),
          },
        }
      : {}),
  };
  const fw = plan.firewall.map((r) => `#   allow inbound ${r.proto} ${formatHostPort(r.address, r.port)}  ${r.what}`);
  return `# netready serve: the effective configuration (secrets masked)\n${toYaml(doc)}# firewall (the cloud side):\n${fw.join('\n')}\n`;
}

function managedUrls(plan: ProbePlan): string[] {
  return plan.turn?.urls ?? [];
}
