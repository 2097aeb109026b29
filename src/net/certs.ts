// Throw-away certificate authorities and certificates (ECDSA P-256, @peculiar/x509 on Node's
// webcrypto). Used by `netready serve` (a CA that issues a certificate per SNI name), the demo,
// the lab and tests (expired, wrong-name and interception certificates).

import { webcrypto, X509Certificate as NodeX509, createPrivateKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

const EC_KEY: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN_ALG: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

export interface CertPair {
  certPem: string;
  keyPem: string;
}

export interface CaOptions {
  organization?: string;
  notBefore?: Date;
  notAfter?: Date;
}

export interface IssueOptions {
  /** DNS subjectAltNames; the first one is also the subject CN (unless commonName is given). */
  names: string[];
  /** IP subjectAltNames (v4 or v6). */
  ips?: string[];
  commonName?: string;
  organization?: string;
  /** Validity; may lie in the past to make an expired certificate. Default: now-1h .. now+30d. */
  notBefore?: Date;
  notAfter?: Date;
  /** Issue an intermediate CA instead of a server certificate. */
  isCA?: boolean;
  /** Sign this key instead of generating one (a serve minting many names reuses one key). */
  leafKey?: LeafKey;
}

/** A key pair to certify, and its private key as PEM. */
export interface LeafKey {
  keys: CryptoKeyPair;
  keyPem: string;
}

export async function createLeafKey(): Promise<LeafKey> {
  const keys = await newKeys();
  return { keys, keyPem: await exportKeyPem(keys.privateKey) };
}

// Imported signing keys by PEM text (a CA issues many certificates; importing costs ~0.1 ms but
// keeping a handful avoids it). Bounded.
const keyCache = new Map<string, CryptoKey>();
const KEY_CACHE_MAX = 32;

async function importSigningKey(keyPem: string): Promise<CryptoKey> {
  const hit = keyCache.get(keyPem);
  if (hit) return hit;
  const der = pemBody(keyPem, 'PRIVATE KEY');
  const key = await crypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(keyPem, key);
  return key;
}

function pemBody(pem: string, label: string): Uint8Array<ArrayBuffer> {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`);
  const m = re.exec(pem);
  if (!m) throw new Error(`not a PEM ${label}`);
  const buf = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  const out = new Uint8Array(new ArrayBuffer(buf.length));
  out.set(buf);
  return out;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  return toPem(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function dn(cn: string, o?: string): string {
  const esc = (s: string) => s.replace(/([,+"\\<>;=])/g, '\\$1');
  return o ? `CN=${esc(cn)}, O=${esc(o)}` : `CN=${esc(cn)}`;
}

function serial(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  b[0] &= 0x7f; // positive
  if (b[0] === 0) b[0] = 1;
  return Buffer.from(b).toString('hex');
}

/** A self-signed CA certificate and its key. */
export async function createCA(name: string, opts: CaOptions = {}): Promise<CertPair> {
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: dn(name, opts.organization),
    notBefore: opts.notBefore ?? new Date(now - 3600_000),
    notAfter: opts.notAfter ?? new Date(now + 365 * DAY_MS),
    keys,
    signingAlgorithm: SIGN_ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

/** A certificate for `names`/`ips` signed by `ca`. */
export async function issueCert(ca: CertPair, opts: IssueOptions): Promise<CertPair> {
  const names = opts.names ?? [];
  const ips = opts.ips ?? [];
  // An IP given among names goes to the IP SANs (browsers and Node match IPs only there).
  const dnsNames = names.filter((n) => isIP(n) === 0);
  const ipNames = [...ips, ...names.filter((n) => isIP(n) !== 0)];
  const cn = opts.commonName ?? dnsNames[0] ?? ipNames[0] ?? 'netready';
  const caCert = new x509.X509Certificate(ca.certPem);
  const signingKey = await importSigningKey(ca.keyPem);
  const keys = opts.leafKey?.keys ?? (await newKeys());
  const now = Date.now();
  const san: x509.JsonGeneralName[] = [
    ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...ipNames.map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(!!opts.isCA, undefined, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  if (opts.isCA) {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true));
  } else {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true));
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]));
  }
  if (san.length) extensions.push(new x509.SubjectAlternativeNameExtension(san));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: dn(cn, opts.organization),
    issuer: caCert.subject,
    notBefore: opts.notBefore ?? new Date(now - 3600_000),
    notAfter: opts.notAfter ?? new Date(now + 30 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: SIGN_ALG,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: opts.leafKey?.keyPem ?? (await exportKeyPem(keys.privateKey)) };
}

/** Node KeyObject for a PEM private key. */
export function pemToKeyObject(keyPem: string): KeyObject {
  return createPrivateKey(keyPem);
}

/** Node's parsed view of a PEM certificate (the first one in the text). */
export function parseCertPem(certPem: string): NodeX509 {
  return new NodeX509(certPem);
}

/** Every certificate in a PEM bundle, as PEM blocks. */
export function splitPemBundle(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)?.map((s) => s + '\n') ?? [];
}
