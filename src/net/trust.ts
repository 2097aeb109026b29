// What netready trusts, and where a trusted chain ends. Contract ("--ca": trusted, but not public
// — a vendor host chaining to one is inspected; "--public-roots": the roots treated as the public
// web PKI). seed 000_637c892c7d775e13.txt: "Do not apply TLS inspection (MITM decryption) to
// *.opentok.com, *.tokbox.com, or *.upscope.io" — an inspecting device's root is often installed
// on the machine (so the chain is trusted there), which is exactly when it must still be seen.
//
// The trust set is the public roots (Node's bundled Mozilla roots, or --public-roots) plus --ca
// plus NODE_EXTRA_CA_CERTS. A verified chain is then classified by the root it ends at.

import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { RunConfig } from '../shared/config.js';

/** Where the root of a trusted chain came from. */
export type RootSource = 'public' | 'ca' | 'extra';

/** The words reports use for a root source. */
export const ROOT_SOURCE_TEXT: Record<RootSource, string> = {
  public: 'the public web PKI',
  ca: 'a --ca file',
  extra: 'NODE_EXTRA_CA_CERTS',
};

export interface TrustStore {
  /** Every trusted root, PEM (for a SecureContext). */
  ca: string[];
  context: tls.SecureContext;
  /** The source of a root by its SHA-256 fingerprint (as Node prints it), or null when unknown. */
  sourceOf(fingerprint256: string | undefined): RootSource | null;
}

/** Split PEM text into its certificates (a bundle file holds many). */
export function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function fingerprints(pems: string[]): Set<string> {
  const out = new Set<string>();
  for (const p of pems) {
    try {
      out.add(new X509Certificate(p).fingerprint256);
    } catch {
      /* not a certificate: it cannot be a chain's root either */
    }
  }
  return out;
}

/** NODE_EXTRA_CA_CERTS as Node loaded it (Node ≥ 22.15 / 23.5 exposes it). */
function extraRoots(): string[] {
  const get = (tls as unknown as { getCACertificates?: (t: string) => string[] }).getCACertificates;
  return typeof get === 'function' ? get('extra') : [];
}

let cache: { key: RunConfig['caPem']; pub: RunConfig['publicRootsPem']; store: TrustStore } | null = null;

/** The run's trust store (one per configuration: parsing ~150 roots per connection would cost ms each). */
export function trustStore(config: Pick<RunConfig, 'caPem' | 'publicRootsPem'>): TrustStore {
  if (cache && cache.key === config.caPem && cache.pub === config.publicRootsPem) return cache.store;
  const publicPems = config.publicRootsPem ? config.publicRootsPem.flatMap(splitPem) : [...tls.rootCertificates];
  const caPems = config.caPem.flatMap(splitPem);
  const extra = extraRoots();
  const ca = [...publicPems, ...caPems, ...extra];
  let sets: { pub: Set<string>; ca: Set<string>; extra: Set<string> } | null = null;
  const store: TrustStore = {
    ca,
    context: tls.createSecureContext({ ca, minVersion: 'TLSv1.2' }),
    sourceOf(fp) {
      if (!fp) return null;
      // Computed on first use: only runs that verify a chain pay for the fingerprints (~20 ms).
      sets ??= { pub: fingerprints(publicPems), ca: fingerprints(caPems), extra: fingerprints(extra) };
      if (sets.pub.has(fp)) return 'public';
      if (sets.ca.has(fp)) return 'ca';
      if (sets.extra.has(fp)) return 'extra';
      return null;
    },
  };
  cache = { key: config.caPem, pub: config.publicRootsPem, store };
  return store;
}
