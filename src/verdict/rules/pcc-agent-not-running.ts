// pcc-agent-not-running.
// The Personal Certificate Client causes, from the `pcc.agent` summary result (target "pcc").
// seed 003_606ee1d65ee49d3b.txt: ports 26666, 31222, 32444, 44555, 47777, 48888; the certificate
// "is issued to localhost.esignlive.com"; "bypass the proxy server for the address localhost.esignlive.com".
import type { Rule } from '../input.js';

import { pccRule, PORTS } from './pcc-common.js';

export const rule: Rule = pccRule('pcc-agent-not-running', ['PCC_NOT_RUNNING'], (_r, host) => [
  `no Personal Certificate Client answers on ${host} ports ${PORTS}`,
  `Install or start the OneSpan Personal Certificate Client on this computer (Corporate Edition via the MSI / group policy) ` +
    `and let it listen on one of ports ${PORTS} (Personal Certificate Client: Communicating via WebSocket).`,
  { title: 'no Personal Certificate Client answers on this computer' },
]);
