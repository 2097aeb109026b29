// pcc-cert-invalid.
// The Personal Certificate Client causes, from the `pcc.agent` summary result (target "pcc").
// seed 003_606ee1d65ee49d3b.txt: ports 26666, 31222, 32444, 44555, 47777, 48888; the certificate
// "is issued to localhost.esignlive.com"; "bypass the proxy server for the address localhost.esignlive.com".
import type { Rule } from '../input.js';
import { code } from '../input.js';
import { pccRule } from './pcc-common.js';

export const rule: Rule = pccRule('pcc-cert-invalid', ['PCC_CERT_EXPIRED', 'PCC_CERT_NAME'], (r, host) => {
  const port = r.details?.port;
  const where = typeof port === 'number' ? ` on port ${port}` : '';
  const summary =
    code(r) === 'PCC_CERT_EXPIRED'
      ? `the Personal Certificate Client certificate${where} expired${typeof r.details?.validTo === 'string' ? ` on ${r.details.validTo}` : ''}`
      : `the Personal Certificate Client certificate${where} is not issued to ${host}`;
  return [
    summary,
    `Install the current Personal Certificate Client release, which ships a renewed certificate for ${host} ` +
      `(Personal Certificate Client: Communicating via WebSocket: the certificate is renewed with each release; Corporate Edition installs it with the updated installer, e.g. by group policy).`,
    { title: code(r) === 'PCC_CERT_EXPIRED' ? 'the Personal Certificate Client certificate expired' : `the Personal Certificate Client certificate is not for ${host}` },
  ];
});
