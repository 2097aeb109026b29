// pcc-proxy-not-bypassed.
// The Personal Certificate Client causes, from the `pcc.agent` summary result (target "pcc").
// seed 003_606ee1d65ee49d3b.txt: ports 26666, 31222, 32444, 44555, 47777, 48888; the certificate
// "is issued to localhost.esignlive.com"; "bypass the proxy server for the address localhost.esignlive.com".
import type { Rule } from '../input.js';

import { pccRule, PORTS } from './pcc-common.js';
import { changes, proxyBypassHowto } from '../remedies.js';
import { detailsOf } from '../../shared/evidence.js';

export const rule: Rule = pccRule('pcc-proxy-not-bypassed', ['PCC_PROXY_NOT_BYPASSED'], (r, host) => {
  const p = detailsOf(r, 'pcc.agent').proxy;
  return [
    `${p?.display ?? 'a proxy'}${p?.from ? ` (${p.from})` : ''} applies to ${host}, so the browser's requests to the local agent go to the proxy`,
    `Add ${host} to the proxy bypass list (browser/OS proxy exceptions, NO_PROXY, or the PAC file's DIRECT rules) (Personal Certificate Client: Communicating via WebSocket, "Using an External Proxy").`,
    { title: `the proxy is not bypassed for ${host}`, changes: changes([host], `TCP ${PORTS}`, 'bypass proxy', 'pcc-proxy-not-bypassed'), howto: proxyBypassHowto(host) },
  ];
});
