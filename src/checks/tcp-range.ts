// tcp.range RANGE:PORT — a published IP range tried as a firewall allowlisting by address sees it:
// a TCP connection to the range's first host address on each TCP port of its port set.
// seed 002_366555b85f8bab97.txt (OpenTok, August 23, 2013): "TCP ports 5560, 443, 3478, and 80 …
// 212.118.226.32/27 70.42.47.64/26 72.5.167.128/26"; "TCP ports 80 and 443 (outbound) 216.151.209.20
// 216.151.209.15". One result per range and port, reported per range: a firewall rule written for
// addresses either lets the range through or not. The document is historical (the profile says so):
// a range that no longer answers is a finding about the document as much as about the network, so
// the verdict raises no cause from it and lists each range in a note.

import type { CheckDef, CheckTask } from './types.js';
import { taskKey } from './types.js';
import type { TcpRangeDetails } from '../shared/evidence.js';
import { dial } from '../net/dial.js';
import { NetError } from '../shared/errors.js';
import { proxySummary } from '../net/proxy.js';
import { decisionUrl, r1, withDetails } from './web.js';

/** The first host address of an IPv4 range (the network address + 1; a /32 or /31 is itself). */
export function firstHostAddress(cidr: string): string | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr.trim());
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return null;
  let n = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  n -= n % size; // the network address
  if (size > 2) n += 1;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export const tcpRange: CheckDef<TcpRangeDetails> = {
  id: 'tcp.range',
  title: 'Published IP ranges answer on their TCP ports (firewalls that allowlist by address)',
  plan(profiles): CheckTask[] {
    const tasks: CheckTask[] = [];
    const seen = new Set<string>();
    for (const h of profiles.hosts) {
      for (const range of h.ipRanges ?? []) {
        const address = firstHostAddress(range);
        if (!address) continue;
        for (const port of h.tcp) {
          const target = `${range}:${port}`;
          if (seen.has(target)) continue;
          seen.add(target);
          tasks.push({ key: taskKey('tcp.range', target), id: 'tcp.range', target, dependsOn: [], host: h, params: { range, address, port } });
        }
      }
    }
    return tasks;
  },
  async run(task, ctx) {
    const address = String(task.params.address);
    const port = Number(task.params.port);
    const choice = await ctx.proxy.forUrl(decisionUrl(address, port, port === 443), ctx.signal);
    const details: TcpRangeDetails = { range: task.params.range, rangeAddress: address, port, proxy: proxySummary(choice), source: task.host?.source };
    // Plain HTTP goes through a proxy as a GET, not a tunnel the check could open.
    if (choice.kind === 'http' && port === 80) return { status: 'skipped', reason: 'plain HTTP goes through the proxy', details };
    try {
      const d = await dial({ host: address, port, proxy: choice }, ctx);
      d.socket.destroy();
      return { status: 'ok', metrics: { connectMs: r1(d.timings.connectMs + (d.timings.proxyMs ?? 0)) }, details: { ...details, via: d.via } };
    } catch (e) {
      if (e instanceof NetError) throw withDetails(e, details);
      throw e;
    }
  },
};
