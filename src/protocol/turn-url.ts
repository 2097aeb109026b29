// A TURN URL (turn:HOST[:PORT][?transport=udp|tcp], turns:HOST[:PORT]) parsed (sans-I/O, pure).

import { UsageError } from '../shared/errors.js';

/** Validate a --turn-url (turn:/turns: URI, RFC 7065). */
export function parseTurnUrl(raw: string): { scheme: 'turn' | 'turns'; host: string; port: number; transport: 'udp' | 'tcp' } {
  const m = /^(turns?):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/.exec(String(raw).trim());
  if (!m) throw new UsageError(`--turn-url "${raw}": expected turn:HOST[:PORT][?transport=udp|tcp] or turns:HOST[:PORT][?transport=tcp]`);
  const scheme = m[1] as 'turn' | 'turns';
  const port = m[3] ? Number(m[3]) : scheme === 'turns' ? 443 : 3478; // seed 000: UDP 3478, TCP/TLS 443
  if (port < 1 || port > 65535) throw new UsageError(`--turn-url "${raw}": port outside 1-65535`);
  const transport = (m[4] as 'udp' | 'tcp' | undefined) ?? (scheme === 'turns' ? 'tcp' : 'udp');
  if (scheme === 'turns' && transport === 'udp') throw new UsageError(`--turn-url "${raw}": turns: runs over TCP (DTLS is not supported)`);
  return { scheme, host: m[2].replace(/^\[|\]$/g, ''), port, transport };
}
