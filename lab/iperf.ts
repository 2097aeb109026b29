// iperf3 in a lab, as the selftest and the bench use it: each try runs a fresh one-off server
// (`-s -1`, random port) in the vendor namespace and the client in the client namespace.
// iperf3 -R -u now and then ends without its summary (the final results exchange over a lossy
// control connection), and a persistent server that saw such a run may refuse the next one as
// busy: a run whose JSON `accept` refuses is tried again, with a new server, up to `tries` times.

import { join } from 'node:path';
import type { LabState } from './lab.js';
import { runAsync, startDaemon, killPids, sleep } from './sh.js';

export type IperfJson = Record<string, unknown>;

export async function iperfJson(st: LabState, addr: string, args: string[], accept: (j: IperfJson) => boolean = () => true, tries = 3): Promise<IperfJson | null> {
  for (let attempt = 1; attempt <= tries; attempt++) {
    const port = 5201 + Math.floor(Math.random() * 500);
    const pid = startDaemon(st.ns.vendor, ['iperf3', '-s', '-B', addr, '-p', String(port), '-1'], join(st.tmpDir, `iperf3-${port}.log`));
    try {
      await sleep(300);
      const r = await runAsync(['iperf3', '-c', addr, '-p', String(port), '-J', ...args], { ns: st.ns.client, timeoutMs: 30_000 });
      let j: IperfJson | null = null;
      try {
        j = JSON.parse(r.stdout) as IperfJson;
      } catch {
        j = null;
      }
      if (j && accept(j)) return j;
    } finally {
      await killPids([pid], 500);
    }
  }
  return null;
}

/** UDP loss of a run (end.sum): percent and packets, or null without a summary. */
export function udpLossOf(j: IperfJson | null): { lossPct: number; packets: number } | null {
  const s = (j?.end as { sum?: { lost_percent?: number; packets?: number } } | undefined)?.sum;
  return typeof s?.lost_percent === 'number' && typeof s.packets === 'number' && s.packets > 0 ? { lossPct: s.lost_percent, packets: s.packets } : null;
}

/** TCP goodput of a run (end.sum_received), bits per second, or null. */
export function tcpBpsOf(j: IperfJson | null): number | null {
  return (j?.end as { sum_received?: { bits_per_second?: number } } | undefined)?.sum_received?.bits_per_second ?? null;
}
