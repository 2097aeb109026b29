// tls.handshake HOST:443: the certificate chain must name the host and end at a root of the public
// web PKI (a vendor host) — an untrusted root, or a trusted one that is not public (--ca,
// NODE_EXTRA_CA_CERTS: the inspecting device's root installed on this machine), is TLS
// interception (seed 000: "Do not apply TLS inspection (MITM decryption) to *.opentok.com,
// *.tokbox.com, or *.upscope.io"). The probe may chain to its own CA (--ca).

import type { CheckDef, CheckTask } from './types.js';
import { taskKey } from './types.js';
import { dial } from '../net/dial.js';
import { NetError } from '../shared/errors.js';
import { proxySummary } from '../net/proxy.js';
import { decisionUrl, farEndOf, webPort, withDetails } from './web.js';
import type { TlsHandshakeDetails } from '../shared/evidence.js';

export const tlsHandshake: CheckDef<TlsHandshakeDetails> = {
  id: 'tls.handshake',
  title: 'TLS to each HTTPS host with a trusted, matching certificate',
  plan(profiles): CheckTask[] {
    const seen = new Set<string>();
    return profiles.hosts
      .filter((h) => h.tls && !h.zone && h.tcp.includes(webPort(h)) && !seen.has(`${h.host}:${webPort(h)}`) && seen.add(`${h.host}:${webPort(h)}`))
      .map((h) => {
        const port = webPort(h);
        return {
          key: taskKey('tls.handshake', `${h.host}:${port}`),
          id: 'tls.handshake',
          target: `${h.host}:${port}`,
          dependsOn: [taskKey('tcp.connect', `${h.host}:${port}`)],
          host: h,
          params: { port },
        };
      });
  },
  async run(task, ctx) {
    const h = task.host!;
    const port = Number(task.params.port ?? 443);
    const farEnd = farEndOf(h);
    const choice = await ctx.proxy.forUrl(decisionUrl(h.host, port, true), ctx.signal);
    const base = { host: h.host, port, proxy: proxySummary(choice), farEnd };
    try {
      const d = await dial({ host: h.host, port, tls: true, proxy: choice }, ctx);
      d.socket.destroy();
      const p = d.peer!;
      const details: TlsHandshakeDetails = { ...base, ...(d.route ? { proxy: d.proxy, route: d.route } : {}), protocol: p.protocol, alpn: p.alpn, subject: p.subject, issuer: p.issuer, root: p.root, validTo: p.validTo, sanMatch: true, trusted: true, rootSource: p.rootSource };
      // Trusted, but not by the public web PKI: an inspecting device whose root is installed here.
      // The handshake works (a browser with that root connects), so the check is ok; the verdict
      // raises tls-inspection from `intercepted`.
      if (farEnd === 'vendor' && d.privateRoot) details.intercepted = true;
      return { status: 'ok', metrics: { tlsMs: d.timings.tlsMs ?? 0 }, details };
    } catch (e) {
      if (e instanceof NetError && (e.details.phase === 'dns' || e.details.phase === 'tcp'))
        return { status: 'skipped', reason: `tcp.connect ${h.host}:${port} ${e.kind} (${e.code})`, details: { ...base, cause: e.code } };
      throw withDetails(e, base);
    }
  },
};
