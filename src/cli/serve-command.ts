// `netready serve`: parse options, start the far end, print one line per listener, run until
// SIGINT/SIGTERM (or the given signal), then close every socket within 2 s.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { UsageError } from './errors.js';
import { startServe, formatHostPort, type ListenAddr, type ServeModule } from '../serve/server.js';
import { mediaServeModule, parseTurnUrl } from '../serve/turn-creds.js';
import { webrtcServeModule } from '../serve/webrtc-peer.js';
import { parsePortList, DEFAULT_ECHO_PORTS } from '../serve/udp-echo.js';
import { bandwidthServeModule } from '../serve/bandwidth.js';
import { browserPageModule } from '../serve/browser-page.js';

export interface ServeCommandOptions {
  listen?: string[];
  http?: string[];
  cert?: string;
  key?: string;
  maxConnections?: number | string;
  stun?: string;
  udpEcho?: string;
  udpPorts?: string;
  turnUrl?: string[];
  turnSecret?: string;
  webrtcHost?: string[];
  turnRelayIp?: string[];
}

export interface ServeCommandIo {
  /** Stops the server like SIGINT does (tests). */
  signal?: AbortSignal;
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Called once the server is up (tests). */
  onReady?: (info: { urls: string[]; httpUrls: string[]; caFile?: string }) => void;
}

const HOST_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** `ADDR:PORT`, `[v6]:PORT` or `host:PORT`; port 0 = a random free port. */
export function parseListen(value: string, name = '--listen'): ListenAddr {
  const v = String(value ?? '').trim();
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(v) ?? /^([^:[\]\s]+):(\d{1,5})$/.exec(v);
  if (!m) throw new UsageError(`${name}: expected ADDR:PORT, got "${value}"`);
  const host = m[1];
  const port = Number(m[2]);
  if (v.startsWith('[') ? isIP(host) !== 6 : isIP(host) === 0 && !HOST_RE.test(host)) {
    throw new UsageError(`${name}: "${host}" is not an IP address or host name (in "${value}")`);
  }
  if (port > 65535) throw new UsageError(`${name}: port out of range (0-65535): "${value}"`);
  return { host, port };
}

/** An IP address option value (an IPv6 one may come in brackets). */
function parseIp(value: string, flag: string): string {
  const a = value.trim().replace(/^\[(.*)\]$/, '$1');
  if (!isIP(a)) throw new UsageError(`${flag}: expected an IP address, got "${value}"`);
  return a;
}

function readPem(flag: string, file: string, marker: RegExp, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag}: cannot read "${file}"${code === 'ENOENT' ? ': no such file' : code ? `: ${code}` : ''}`);
  }
  if (!marker.test(text)) throw new UsageError(`${flag}: "${file}" holds no PEM ${what}`);
  return text;
}

function parseMaxConnections(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v).trim();
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 100_000) throw new UsageError(`--max-connections: expected a whole number 1-100000, got "${v}"`);
  return n;
}

function mediaModule(o: ServeCommandOptions): ServeModule | null {
  const turnUrls = o.turnUrl ?? [];
  if (turnUrls.length && !o.turnSecret) throw new UsageError('--turn-url needs --turn-secret (coturn static-auth-secret)');
  if (o.turnSecret !== undefined && !turnUrls.length) throw new UsageError('--turn-secret needs at least one --turn-url');
  if (o.turnSecret !== undefined && !o.turnSecret.trim()) throw new UsageError('--turn-secret: empty secret');
  for (const u of turnUrls) parseTurnUrl(u);
  if (o.turnRelayIp?.length && !turnUrls.length) throw new UsageError('--turn-relay-ip needs at least one --turn-url');
  const relayIps = (o.turnRelayIp ?? []).map((h) => parseIp(h, '--turn-relay-ip'));
  if (o.udpPorts !== undefined && !o.udpEcho) throw new UsageError('--udp-ports needs --udp-echo ADDR');
  let stun: ListenAddr | undefined;
  if (o.stun !== undefined) stun = parseListen(o.stun, '--stun');
  let echo: { host: string; ports: number[] } | undefined;
  if (o.udpEcho !== undefined) {
    const host = parseIp(o.udpEcho, '--udp-echo');
    echo = { host, ports: o.udpPorts !== undefined ? parsePortList(o.udpPorts) : [...DEFAULT_ECHO_PORTS] };
  }
  if (!stun && !echo && !turnUrls.length) return null;
  return mediaServeModule({
    ...(stun ? { stun } : {}),
    ...(echo ? { echo } : {}),
    ...(turnUrls.length ? { turn: { secret: o.turnSecret!, urls: turnUrls, ...(relayIps.length ? { relayIps } : {}) } } : {}),
  });
}

export async function serveCommand(o: ServeCommandOptions, io: ServeCommandIo = {}): Promise<number> {
  const out = io.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = io.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const listen = (o.listen ?? []).map((v) => parseListen(v, '--listen'));
  const httpListen = (o.http ?? []).map((v) => parseListen(v, '--http'));
  if (listen.length === 0 && httpListen.length === 0) throw new UsageError('serve: give at least one --listen ADDR:PORT (e.g. --listen 127.0.0.1:8443)');
  if (!!o.cert !== !!o.key) throw new UsageError(o.cert ? '--cert needs --key' : '--key needs --cert');
  let certPem: string | undefined;
  let keyPem: string | undefined;
  if (o.cert && o.key) {
    certPem = readPem('--cert', o.cert, /-----BEGIN CERTIFICATE-----/, 'certificate');
    keyPem = readPem('--key', o.key, /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/, 'private key');
    try {
      tls.createSecureContext({ cert: certPem, key: keyPem });
    } catch (e) {
      throw new UsageError(`--cert/--key: ${o.cert} and ${o.key} do not go together: ${(e as Error).message}`);
    }
  }
  const maxConnections = parseMaxConnections(o.maxConnections);
  const media = mediaModule(o);
  const webrtcHosts = (o.webrtcHost ?? []).map((h) => parseIp(h, '--webrtc-host'));

  let handle;
  try {
    handle = await startServe({
      listen,
      httpListen,
      ...(certPem && keyPem ? { certPem, keyPem } : {}),
      ...(maxConnections ? { maxConnections } : {}),
      writeCaFile: true,
      // The WebRTC peer (webrtc.ice) is always there; with --turn-url it offers the same TURN servers.
      // Its host candidates: the address a client reached, plus --webrtc-host.
      modules: [
        ...(media ? [media] : []),
        webrtcServeModule({
          ...(o.turnUrl?.length ? { turn: { secret: o.turnSecret!, urls: o.turnUrl } } : {}),
          ...(webrtcHosts.length ? { hostAddresses: webrtcHosts } : {}),
        }),
        bandwidthServeModule(), // quality.throughput: /.netready/down and /.netready/up
        browserPageModule(), // the browser page: GET / (text/html), /.netready/page, /.netready/browser-results
      ],
      log: err,
    });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // A port in use or not permitted: the user's input, one line.
    throw new UsageError(`serve: ${(e as Error).message}`);
  }

  for (const a of handle.addresses) out(`https     ${formatHostPort(a.host, a.port)}  HTTPS, WSS, SSE`);
  for (const a of handle.httpAddresses) out(`http      ${formatHostPort(a.host, a.port)}  plain HTTP`);
  for (const l of handle.moduleLines) out(l);
  if (handle.caFile) out(`ca        ${handle.caFile}  (throw-away CA: give it to check with --ca; removed on exit)`);
  out('netready serve is running; Ctrl-C to stop');
  io.onReady?.({ urls: handle.urls, httpUrls: handle.httpUrls, ...(handle.caFile ? { caFile: handle.caFile } : {}) });

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });
  const closed = await Promise.race([
    handle.close().then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 2_000).unref()),
  ]);
  if (!closed) err('netready serve: some sockets did not close within 2 s');
  return 0;
}
