// websocket-blocked (blocking): the WebSocket upgrade does not complete.
// seed 000_637c892c7d775e13.txt, proxy requirements: "Must support the Upgrade: websocket
// handshake (HTTP/1.1) on port 443"; checklist item 2.
import { allowNames, cause, code, isBad, listText, onProbe, type Rule } from '../input.js';
import { explained, probePathText } from './shared.js';

export const rule: Rule = {
  id: 'websocket-blocked',
  evaluate(input) {
    const skip = explained(input);
    const all = input.byId('ws.upgrade').filter((r) => isBad(r) && !skip.has(r) && code(r) !== 'PROXY_AUTH_REQUIRED' && !input.probeFault(r));
    // The probe's echo stands for the vendors' WebSocket path only where no vendor upgrade passed.
    const vendorOk = input.byId('ws.upgrade').some((r) => r.status === 'ok' && !onProbe(input, r));
    const bad = all.filter((r) => !onProbe(input, r) || !vendorOk);
    if (bad.length === 0) return null;
    const probeOnly = bad.every((r) => onProbe(input, r));
    const hosts = [...new Set(bad.map((r) => input.hostOf(r)!))];
    const why = bad.map((r) => {
      const c = code(r);
      if (c === 'WS_NO_UPGRADE') {
        const st = r.details?.status;
        return typeof st === 'number' ? `answered ${st} instead of 101` : 'no 101 Switching Protocols';
      }
      if (c === 'WS_NO_FRAMES') return onProbe(input, r) ? '101, then the echo of a text frame did not come back' : '101, then no pong';
      return c ?? r.status;
    });
    const inspected = bad.some((r) => r.details?.inspected === true);
    return cause(
      'websocket-blocked',
      'blocking',
      `WebSocket upgrade to ${listText(hosts)} does not complete (${listText(why)})` +
        (inspected ? ' through a TLS-inspecting proxy' : '') +
        (probeOnly ? ` — ${probePathText(input, bad)}` : ''),
      ['ws.upgrade'],
      `Let the proxy pass the HTTP/1.1 "Upgrade: websocket" handshake on TCP 443 to ${listText(allowNames(input, hosts), 8)}` +
        (inspected ? ' and exempt these hosts from TLS inspection' : '') +
        ` (Virtual Room and RON Network Prerequisites, proxy requirements: "Must support the Upgrade: websocket handshake (HTTP/1.1) on port 443").`,
      bad.map((r) => r.target),
    );
  },
};
