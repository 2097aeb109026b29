// Throw-away CAs and certificates: quick, verifiable by real TLS, and able to be expired or wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createCA, issueCert, parseCertPem, pemToKeyObject, splitPemBundle, type CertPair } from '../../src/net/certs.js';

async function handshake(pair: CertPair, ca: string, servername?: string, host = '127.0.0.1'): Promise<{ authorized: boolean; error: string | null; cert: tls.PeerCertificate }> {
  const srv = tls.createServer({ cert: pair.certPem, key: pair.keyPem }, (s) => s.end());
  await new Promise<void>((r) => srv.listen(0, host, r));
  try {
    return await new Promise((resolve, reject) => {
      const s = tls.connect({ host, port: (srv.address() as net.AddressInfo).port, ca, servername, rejectUnauthorized: false }, () => {
        let error = s.authorizationError ? String(s.authorizationError) : null;
        if (!error) {
          const idErr = tls.checkServerIdentity(servername ?? host, s.getPeerCertificate());
          if (idErr) error = (idErr as NodeJS.ErrnoException).code ?? idErr.message;
        }
        resolve({ authorized: s.authorized && !error, error, cert: s.getPeerCertificate() });
        s.destroy();
      });
      s.on('error', reject);
    });
  } finally {
    srv.close();
  }
}

test('a CA and a server certificate verify over real TLS, by name and by IP', async () => {
  const ca = await createCA('Unit CA', { organization: 'netready' });
  const pair = await issueCert(ca, { names: ['a.test', 'b.test'], ips: ['127.0.0.1', '::1'] });
  const byName = await handshake(pair, ca.certPem, 'b.test');
  assert.equal(byName.authorized, true, String(byName.error));
  assert.equal(byName.cert.subject.CN, 'a.test');
  assert.equal(byName.cert.issuer.CN, 'Unit CA');
  assert.equal(byName.cert.issuer.O, 'netready');
  assert.match(byName.cert.subjectaltname ?? '', /DNS:a\.test, DNS:b\.test, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
  assert.equal((await handshake(pair, ca.certPem)).authorized, true);
  const x = parseCertPem(pair.certPem);
  assert.equal(x.checkIssued(parseCertPem(ca.certPem)), true);
  assert.equal(x.ca, false);
  assert.equal(parseCertPem(ca.certPem).ca, true);
  assert.equal(pemToKeyObject(pair.keyPem).asymmetricKeyType, 'ec');
  assert.equal(splitPemBundle(pair.certPem + ca.certPem).length, 2);
});

test('expired, wrong-name and foreign-CA certificates fail verification the way clients see it', async () => {
  const ca = await createCA('Unit CA');
  const other = await createCA('Other CA');
  const expired = await issueCert(ca, { names: ['a.test'], notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  assert.equal((await handshake(expired, ca.certPem, 'a.test')).error, 'CERT_HAS_EXPIRED');
  const wrong = await issueCert(ca, { names: ['other.test'] });
  assert.equal((await handshake(wrong, ca.certPem, 'a.test')).error, 'ERR_TLS_CERT_ALTNAME_INVALID');
  const foreign = await issueCert(other, { names: ['a.test'] });
  assert.equal((await handshake(foreign, ca.certPem, 'a.test')).error, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
});

test('an intermediate CA issues certificates that chain to the root', async () => {
  const root = await createCA('Root');
  const mid = await issueCert(root, { names: [], commonName: 'Intercepting Proxy CA', isCA: true });
  const leaf = await issueCert(mid, { names: ['a.test'] });
  const r = await handshake({ certPem: leaf.certPem + mid.certPem, keyPem: leaf.keyPem }, root.certPem, 'a.test');
  assert.equal(r.authorized, true, String(r.error));
});

test('certificates are quick: under 50 ms each', async () => {
  const ca = await createCA('Speed CA');
  const n = 20;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await issueCert(ca, { names: [`h${i}.test`] });
  const per = (performance.now() - t0) / n;
  assert.ok(per < 50, `${per.toFixed(1)} ms per certificate`);
});
