// The certificates `netready serve` presents: the given --cert/--key for every name, or a
// throw-away CA that issues a certificate per SNI name (the vendor stand-in of the demo and the
// lab). Minting is bounded: one leaf key for every name (a signature per name, no key generation),
// a cache of the last SNI_CACHE_MAX names, and at most MINT_RATE new names per second (burst
// MINT_BURST); past that, or for a name that is not a host name, the default certificate answers.
// A flood of random SNI names therefore costs a cache miss, not a key pair each.

import tls from 'node:tls';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createCA, createLeafKey, issueCert, type CertPair } from '../net/certs.js';
import { RateLimiter } from './rate-limit.js';

export const SNI_CACHE_MAX = 512;
export const MINT_RATE = 5;
export const MINT_BURST = 64;
const HOST_NAME_RE = /^[a-z0-9_*]([a-z0-9_.*-]{0,251}[a-z0-9_.])?$/;

export interface ServeCertificates {
  defaultPair: CertPair;
  /** The throw-away CA (PEM), when one was generated. */
  caPem: string | null;
  caFile?: string;
  sniCallback?: (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => void;
  stats: { minted: number; default: number };
  /** Removes the CA file. */
  close(): void;
}

/** A wildcard listener is reached on loopback. */
export function localHostFor(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

export async function serveCertificates(o: { certPem?: string; keyPem?: string; hosts: string[]; writeCaFile?: boolean; mint?: { ratePerSec: number; burst: number } }): Promise<ServeCertificates> {
  const stats = { minted: 0, default: 0 };
  if (o.certPem && o.keyPem) return { defaultPair: { certPem: o.certPem, keyPem: o.keyPem }, caPem: null, stats, close() {} };
  if (o.hosts.length === 0) return { defaultPair: { certPem: '', keyPem: '' }, caPem: null, stats, close() {} };

  const ca = await createCA('netready throw-away CA', { organization: 'netready serve' });
  const leafKey = await createLeafKey();
  const names = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  for (const h of o.hosts.map(localHostFor)) {
    if (net.isIP(h)) ips.add(h);
    else names.add(h.toLowerCase());
  }
  const defaultPair = await issueCert(ca, { names: [...names], ips: [...ips], leafKey });

  const cache = new Map<string, Promise<tls.SecureContext>>();
  const mints = new RateLimiter({ ratePerSec: o.mint?.ratePerSec ?? MINT_RATE, burst: o.mint?.burst ?? MINT_BURST, maxSources: 1 });
  const contextFor = (name: string): Promise<tls.SecureContext> | null => {
    const hit = cache.get(name);
    if (hit) {
      cache.delete(name); // most recently used last
      cache.set(name, hit);
      return hit;
    }
    if (!mints.allow('mint', Date.now())) return null;
    if (cache.size >= SNI_CACHE_MAX) cache.delete(cache.keys().next().value as string);
    stats.minted++;
    const p = issueCert(ca, { names: [name], leafKey }).then((pair) => tls.createSecureContext({ cert: pair.certPem, key: pair.keyPem }));
    p.catch(() => cache.delete(name));
    cache.set(name, p);
    return p;
  };
  const sniCallback = (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => {
    const name = servername.toLowerCase().replace(/\.$/, '');
    const p = HOST_NAME_RE.test(name) && !net.isIP(name) ? contextFor(name) : null;
    if (!p) {
      stats.default++;
      return cb(null, undefined); // the default certificate
    }
    p.then(
      (ctx) => cb(null, ctx),
      (e: Error) => cb(e),
    );
  };

  let caFile: string | undefined;
  let caDir: string | undefined;
  if (o.writeCaFile) {
    caDir = mkdtempSync(path.join(os.tmpdir(), 'netready-serve-'));
    caFile = path.join(caDir, 'netready-ca.pem');
    writeFileSync(caFile, ca.certPem, { mode: 0o644 });
  }
  return {
    defaultPair,
    caPem: ca.certPem,
    ...(caFile ? { caFile } : {}),
    sniCallback,
    stats,
    close() {
      if (caDir) rmSync(caDir, { recursive: true, force: true });
    },
  };
}
