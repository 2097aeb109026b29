// `netready serve --check`: verifies a probe deployment from the inside and names each fault in
// one line — the certificate (valid for every name, not expiring within CERT_MIN_DAYS), coturn
// installed (--turn managed), every port bindable or held by a running netready serve, and then
// live: HTTPS on every listener, STUN, the UDP echo on every port, coturn over UDP, TCP and TLS —
// against the running instance, or a temporary one it starts and stops. Then the firewall rules
// the cloud side needs. Exit 0 when no fault, 1 otherwise.

import dgram from 'node:dgram';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { formatHostPort, type ListenAddr } from '../serve/server.js';
import { startProbe, type ProbePlan } from '../serve/probe.js';
import { coturnInstalled, stunAlive } from '../serve/coturn.js';
import { openStore } from '../serve/store/index.js';
import { redactPgUrl } from '../serve/store/postgres.js';
import { EchoClient } from '../protocol/echo-token.js';
import type { BuiltConfig } from './serve-config.js';

export const CERT_MIN_DAYS = 14;
const DAY_MS = 86_400_000;
const STEP_MS = 3_000;

type Mark = 'ok' | 'warn' | 'FAIL' | 'skip';

export interface CheckIo {
  out: (line: string) => void;
  now?: () => number;
}

const local = (h: string) => (h === '0.0.0.0' || h === '' ? '127.0.0.1' : h === '::' ? '::1' : h);

/** The certificate: valid for every name, not expiring within CERT_MIN_DAYS, already valid. */
export function certificateFaults(certPem: string, names: string[], now: number): { mark: Mark; text: string }[] {
  const out: { mark: Mark; text: string }[] = [];
  const cert = new X509Certificate(certPem);
  const san = cert.subjectAltName ?? '';
  for (const n of names) {
    const ok = net.isIP(n) ? cert.checkIP(n) !== undefined : cert.checkHost(n) !== undefined;
    out.push(ok ? { mark: 'ok', text: `certificate: valid for ${n}` } : { mark: 'FAIL', text: `certificate: not valid for ${n} (it names ${san || cert.subject.replace(/\n/g, ', ')})` });
  }
  const to = Date.parse(cert.validTo);
  const from = Date.parse(cert.validFrom);
  const days = Math.floor((to - now) / DAY_MS);
  if (from > now) out.push({ mark: 'FAIL', text: `certificate: not valid before ${new Date(from).toISOString()}` });
  if (to <= now) out.push({ mark: 'FAIL', text: `certificate: expired on ${new Date(to).toISOString().slice(0, 10)}` });
  else if (to - now < CERT_MIN_DAYS * DAY_MS) out.push({ mark: 'FAIL', text: `certificate: expires on ${new Date(to).toISOString().slice(0, 10)}, in ${days} days (renew it: fewer than ${CERT_MIN_DAYS} days left)` });
  else out.push({ mark: 'ok', text: `certificate: valid until ${new Date(to).toISOString().slice(0, 10)} (${days} days)` });
  if (names.length === 0) out.push({ mark: 'warn', text: 'names: none configured (names: in the config, --name): the certificate is not checked against the probe\'s names' });
  return out;
}

/** Can this process bind proto address:port? 'free', 'in use', or why not. */
async function bindable(proto: 'tcp' | 'udp', address: string, port: number): Promise<'free' | 'in use' | string> {
  if (port === 0) return 'free';
  return new Promise((resolve) => {
    const fail = (e: NodeJS.ErrnoException) =>
      resolve(
        e.code === 'EADDRINUSE'
          ? 'in use'
          : e.code === 'EADDRNOTAVAIL'
            ? 'the address is not on this machine'
            : e.code === 'EACCES'
              ? 'not permitted (a port below 1024 needs root or CAP_NET_BIND_SERVICE)'
              : (e.code ?? e.message),
      );
    if (proto === 'tcp') {
      const srv = net.createServer();
      srv.once('error', fail);
      srv.listen({ host: address, port, exclusive: true }, () => srv.close(() => resolve('free')));
    } else {
      const s = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
      s.once('error', fail);
      s.bind({ address, port, exclusive: true }, () => s.close(() => resolve('free')));
    }
  });
}

function httpsJson(addr: ListenAddr, p: string, servername: string | undefined, ca?: string): Promise<{ status: number; body: Record<string, unknown> | null; cert: tls.PeerCertificate | null }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: local(addr.host), port: addr.port, path: p, servername, rejectUnauthorized: false, agent: false, timeout: STEP_MS, ...(ca ? { ca } : {}) },
      (res) => {
        let b = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (b += d.length < 65536 ? d : ''));
        res.on('end', () => {
          let body: Record<string, unknown> | null = null;
          try {
            body = JSON.parse(b) as Record<string, unknown>;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body, cert: (res.socket as tls.TLSSocket).getPeerCertificate?.() ?? null });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${STEP_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function echoAnswers(host: string, port: number, token: string): Promise<boolean> {
  const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  const ec = new EchoClient(token);
  try {
    await new Promise<void>((r, j) => (sock.once('error', j), sock.bind(0, () => r())));
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), STEP_MS);
      sock.on('message', (m) => {
        if (ec.receive(m)) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      sock.send(ec.request(1, Date.now(), 64), port, host);
    });
  } catch {
    return false;
  } finally {
    sock.close();
  }
}

function tcpConnects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: STEP_MS }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
    s.on('timeout', () => (s.destroy(), resolve(false)));
  });
}

function tlsHandshake(host: string, port: number, servername: string | undefined): Promise<string | null> {
  return new Promise((resolve) => {
    const s = tls.connect({ host, port, servername, rejectUnauthorized: false, timeout: STEP_MS }, () => {
      const cn = s.getPeerCertificate()?.subjectaltname ?? '';
      s.destroy();
      resolve(cn);
    });
    s.on('error', () => resolve(null));
    s.on('timeout', () => (s.destroy(), resolve(null)));
  });
}

export async function checkDeployment(built: BuiltConfig, plan: ProbePlan, io: CheckIo): Promise<number> {
  const now = io.now?.() ?? Date.now();
  const c = built.config;
  let faults = 0;
  const say = (mark: Mark, text: string) => {
    if (mark === 'FAIL') faults++;
    io.out(`${mark.padEnd(5)} ${text}`);
  };
  io.out('netready serve --check');
  say('ok', `config: ${c.listen.length} HTTPS listener(s), TURN ${c.turn?.mode ?? 'off'}${c.udpEcho ? `, UDP echo on ${c.udpEcho.ports.length} port(s)` : ''}`);

  // ---- static: certificate, coturn ----------------------------------------------------------------
  if (c.cert) for (const r of certificateFaults(c.cert.certPem, c.names ?? [], now)) say(r.mark, r.text);
  else say('warn', 'certificate: none (--cert/--key): a throw-away CA; checks need its file (--ca) and browsers warn — not for a public probe');
  let startable = true;
  if (plan.managed) {
    if (coturnInstalled()) say('ok', 'coturn: installed');
    else {
      say('FAIL', 'coturn: not installed (Debian package coturn: turnserver not found), needed by --turn managed');
      startable = false;
    }
  }

  // ---- the results store: it opens (its migrations applied, as at start) ----------------------------
  if (c.results) {
    const where = redactPgUrl(c.results.store);
    try {
      const st = await openStore(c.results.store);
      try {
        const i = await st.info();
        say('ok', `store: ${where} opens (${i.backend}, schema v${i.schemaVersion}; ${i.reports} reports, ${i.sites} sites, ${i.invites} invites)`);
      } finally {
        await st.close();
      }
    } catch (e) {
      say('FAIL', `store: ${(e as Error).message}`);
      startable = false;
    }
  }

  // ---- ports: free, or held by a running netready serve ---------------------------------------------
  let running = false;
  const taken: string[] = [];
  for (const r of plan.firewall) {
    const state = await bindable(r.proto, r.address, r.port);
    if (state === 'free') continue;
    if (state !== 'in use') {
      say('FAIL', `port ${r.proto} ${formatHostPort(r.address, r.port)} (${r.what}): ${state}`);
      startable = false;
      continue;
    }
    taken.push(`${r.proto} ${formatHostPort(r.address, r.port)} (${r.what})`);
  }
  if (taken.length) {
    // Held by this probe already running (systemd)? Its HTTPS health says so.
    const first = c.listen.find((l) => l.port !== 0);
    if (first) {
      const h = await httpsJson(first, '/.netready/health', c.names?.[0]).catch(() => null);
      running = h?.status === 200 && h.body?.ok === true && h.body?.server === 'netready';
    }
    if (running) say('ok', `ports: ${taken.length} held by the running netready serve (${formatHostPort(first!.host, first!.port)} answers as netready)`);
    else {
      for (const t of taken) say('FAIL', `port ${t}: in use by another process`);
      startable = false;
    }
  } else say('ok', `ports: all ${plan.firewall.length} free to bind`);

  // ---- live ---------------------------------------------------------------------------------------
  if (!startable && !running) say('skip', 'live checks: the faults above keep the probe from starting');
  else {
    let temp: Awaited<ReturnType<typeof startProbe>> | null = null;
    try {
      if (!running) {
        try {
          temp = await startProbe(c, { plan });
          say('ok', 'start: the probe started (a temporary instance, stopped after the check)');
        } catch (e) {
          say('FAIL', `start: ${(e as Error).message}`);
        }
      }
      if (running || temp) await liveChecks(built, plan, temp, say);
    } finally {
      await temp?.close();
    }
  }

  io.out('firewall: inbound rules the cloud side needs (outbound: none; the TURN relay ports stay on this host)');
  for (const r of plan.firewall) io.out(`  allow ${r.proto} ${formatHostPort(r.address, r.port).padEnd(24)} ${r.what}`);
  io.out(faults ? `${faults} fault${faults === 1 ? '' : 's'}` : 'no faults');
  return faults ? 1 : 0;
}

async function liveChecks(built: BuiltConfig, plan: ProbePlan, temp: Awaited<ReturnType<typeof startProbe>> | null, say: (m: Mark, t: string) => void): Promise<void> {
  const c = built.config;
  const servername = c.names?.[0];
  // Listeners as bound (a temporary instance resolves port 0).
  const listeners = temp ? temp.addresses : c.listen;
  let token: string | null = null;
  for (const l of listeners) {
    const h = await httpsJson(l, '/.netready/health', servername).catch((e: Error) => e);
    if (h instanceof Error || h.status !== 200 || h.body?.server !== 'netready') say('FAIL', `https ${formatHostPort(l.host, l.port)}: ${h instanceof Error ? h.message : `HTTP ${h.status}`}`);
    else say('ok', `https ${formatHostPort(l.host, l.port)}: answers as netready ${(h.body.probe as { version?: string } | undefined)?.version ?? ''}`.trim());
  }
  const l0 = listeners[0];
  if (c.udpEcho && l0) {
    const t = await httpsJson(l0, '/.netready/udp-token', servername).catch(() => null);
    token = typeof t?.body?.token === 'string' ? t.body.token : null;
    if (!token) say('FAIL', 'udp echo: no token from /.netready/udp-token');
    else {
      const ports = c.udpEcho.ports;
      const lost: number[] = [];
      for (const p of ports) if (!(await echoAnswers(local(c.udpEcho.host), p, token))) lost.push(p);
      if (lost.length) say('FAIL', `udp echo: ${lost.length} of ${ports.length} ports do not answer (e.g. ${lost.slice(0, 5).join(', ')})`);
      else say('ok', `udp echo: all ${ports.length} ports answer`);
    }
  }
  if (c.stun) {
    const ok = await stunAlive(local(c.stun.host), c.stun.port, STEP_MS);
    say(ok ? 'ok' : 'FAIL', `stun ${formatHostPort(c.stun.host, c.stun.port)}: ${ok ? 'answers a Binding request' : 'no answer to a Binding request'}`);
  }
  const m = plan.managed;
  if (m) {
    const udp = await stunAlive(m.address, m.port, STEP_MS);
    say(udp ? 'ok' : 'FAIL', `coturn udp ${formatHostPort(m.address, m.port)}: ${udp ? 'answers STUN' : 'no answer to STUN'}`);
    const tcp = await tcpConnects(m.address, m.port);
    say(tcp ? 'ok' : 'FAIL', `coturn tcp ${formatHostPort(m.address, m.port)}: ${tcp ? 'accepts' : 'refuses'} connections`);
    const san = await tlsHandshake(m.address, m.tlsPort, net.isIP(m.urlHost) ? undefined : m.urlHost);
    say(san !== null ? 'ok' : 'FAIL', `coturn tls ${formatHostPort(m.address, m.tlsPort)}: ${san !== null ? `TLS handshake (${san || 'no SAN'})` : 'no TLS handshake'}`);
    if (c.cert && !net.isIP(m.urlHost) && !new X509Certificate(c.cert.certPem).checkHost(m.urlHost))
      say('FAIL', `coturn: the TURN URLs name ${m.urlHost}, which the certificate does not cover (turns: clients check it)`);
    if (net.isIP(m.urlHost)) say('warn', `coturn: the TURN URLs use the address ${m.urlHost} (give turn.name, a name on the certificate, for turns: clients that check it)`);
  }
}
