// Which addresses are not on the public internet: loopback, private (RFC 1918, IPv6 ULA),
// link-local, CGNAT (RFC 6598), benchmarking (RFC 2544, the lab's 198.18.0.0/15), multicast and
// reserved. A probe on a public address answers none of them over UDP: a packet "from" such an
// address reached it from the internet only with a spoofed source, and the answer would land in
// the probe's own network (its cloud neighbours).

import { isIPv4, isIPv6 } from 'node:net';

const V4_RANGES: Array<[number, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
].map(([a, bits]) => [v4(a as string), bits as number]);

function v4(a: string): number {
  return a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export function isNonPublic(address: string): boolean {
  const a = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '').replace(/%.*$/, '');
  if (isIPv4(a)) {
    const n = v4(a);
    return V4_RANGES.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
  }
  if (!isIPv6(a)) return false;
  if (a === '::1' || a === '::') return true;
  const first = parseInt(a.split(':')[0] || '0', 16);
  return (first & 0xfe00) === 0xfc00 /* fc00::/7 */ || (first & 0xffc0) === 0xfe80 /* fe80::/10 */ || (first & 0xff00) === 0xff00 /* ff00::/8 */;
}

/**
 * May a UDP responder bound to `local` answer `remote`? Always, unless it is on a public address
 * (or a wildcard one that the caller resolves as public) and `remote` is not.
 */
export function mayAnswer(local: string, remote: string): boolean {
  if (local === '0.0.0.0' || local === '::' || isNonPublic(local)) return true;
  return !isNonPublic(remote);
}
