// tls.handshake HOST:443: the certificate chain must end at a trusted root (public roots + --ca)
// and name the host. An untrusted root = TLS interception (seed 000: "Do not apply TLS inspection
// (MITM decryption) to *.opentok.com, *.tokbox.com, or *.upscope.io").

import type { CheckDef, CheckTask } from './types.js';
import { taskKey } from './types.js';
import { dial } from '../net/dial.js';
import { NetError } from '../cli/errors.js';
import { proxySummary } from '../net/proxy.js';
import { decisionUrl, withDetails } from '../net/web.js';

export const tlsHandshake: CheckDef = {
  id: 'tls.handshake',
  title: 'TLS to each HTTPS host with a trusted, matching certificate',
  plan(profiles): CheckTask[] {
    return profiles.hosts
      .filter((h) => h.tls && h.tcp.includes(443))
      .map((h) => ({
        key: taskKey('tls.handshake', `${h.host}:443`),
        id: 'tls.handshake',
        target: `${h.host}:443`,
        dependsOn: [taskKey('tcp.connect', `${h.host}:443`)],
        host: h,
        params: { port: 443 },
      }));
  },
  async run(task, ctx) {
    const h = task.host!;
    const choice = await ctx.proxy.forUrl(decisionUrl(h.host, 443, true), ctx.signal);
    const base = { host: h.host, port: 443, proxy: proxySummary(choice) };
    try {
      const d = await dial({ host: h.host, port: 443, tls: true, proxy: choice }, ctx);
      d.socket.destroy();
      const p = d.peer!;
      return {
        status: 'ok',
        metrics: { tlsMs: d.timings.tlsMs ?? 0 },
        details: { ...base, protocol: p.protocol, alpn: p.alpn, subject: p.subject, issuer: p.issuer, root: p.root, validTo: p.validTo, sanMatch: true, trusted: true },
      };
    } catch (e) {
      if (e instanceof NetError && (e.details.phase === 'dns' || e.details.phase === 'tcp'))
        return { status: 'skipped', reason: `tcp.connect ${h.host}:443 ${e.kind} (${e.code})`, details: { ...base, cause: e.code } };
      throw withDetails(e, base);
    }
  },
};
