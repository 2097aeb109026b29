// Where a connection for HOST:PORT really goes: --connect-to first (curl semantics, the name is
// kept for SNI and Host), then --resolve for the address; otherwise the system resolver decides.

import type { RunConfig } from '../shared/config.js';

export interface Endpoint {
  /** The name to resolve or the literal address to dial. */
  host: string;
  port: number;
  /** True when --resolve (or --connect-to to a literal address) fixed the address. */
  overridden: boolean;
}

export function mapEndpoint(config: Pick<RunConfig, 'connectTo' | 'resolve'>, host: string, port: number): Endpoint {
  const h = host.toLowerCase();
  let toHost = h;
  let toPort = port;
  for (const c of config.connectTo) {
    if ((c.host === null || c.host === h) && (c.port === null || c.port === port)) {
      if (c.toHost) toHost = c.toHost.toLowerCase();
      if (c.toPort) toPort = c.toPort;
      break;
    }
  }
  const addr = config.resolve[toHost];
  if (addr) return { host: addr, port: toPort, overridden: true };
  return { host: toHost, port: toPort, overridden: toHost !== h };
}
