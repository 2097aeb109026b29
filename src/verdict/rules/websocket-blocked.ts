// websocket-blocked (blocking): the WebSocket upgrade does not complete.
// seed 000_637c892c7d775e13.txt, proxy requirements: "Must support the Upgrade: websocket
// handshake (HTTP/1.1) on port 443"; checklist item 2.
import { cause, code, isBad, listText, onProbe, type Rule } from '../input.js';
import { factsOf, resultText } from '../facts.js';
import { changes, ruleNames, websocketHowto } from '../remedies.js';
import { explained, probePathText } from './shared.js';

export const rule: Rule = {
  id: 'websocket-blocked',
  reads: ['ws.upgrade'],
  evaluate(input) {
    const skip = explained(input);
    const all = input.byId('ws.upgrade').filter((r) => isBad(r) && !skip.has(r) && code(r) !== 'PROXY_AUTH_REQUIRED' && !input.probeFault(r));
    // The probe's echo stands for the vendors' WebSocket path only where no vendor upgrade passed.
    const vendorOk = input.byId('ws.upgrade').some((r) => r.status === 'ok' && !onProbe(input, r));
    const bad = all.filter((r) => !onProbe(input, r) || !vendorOk);
    if (bad.length === 0) return null;
    const probeOnly = bad.every((r) => onProbe(input, r));
    const hosts = [...new Set(bad.map((r) => input.hostOf(r)!))];
    // The check's own words for what went wrong (a 101 with a wrong accept is no "101 instead of 101").
    const why = [...new Set(bad.map(resultText))];
    const inspected = bad.some((r) => r.details?.inspected === true);
    // What the vendor hosts need; measured only on the probe: the vendors' WebSocket domains.
    const vendorHosts = [...input.hosts.values()].filter((h) => (h.role === 'sign' || h.role === 'video' || h.role === 'cobrowse') && h.ws.length > 0).map((h) => h.host.toLowerCase());
    const names = ruleNames(input, probeOnly ? vendorHosts : bad.filter((r) => !onProbe(input, r)).map((r) => input.hostOf(r)!));
    return cause(
      'websocket-blocked',
      'blocking',
      `WebSocket upgrade to ${listText(hosts)} does not complete (${listText(why)})` +
        (inspected ? ' through a TLS-inspecting proxy' : '') +
        (probeOnly ? ` — ${probePathText(input, bad)}` : ''),
      ['ws.upgrade'],
      `Let the proxy pass the HTTP/1.1 "Upgrade: websocket" handshake and the frames after it on TCP 443 to ${listText(names)}` +
        (inspected ? ' and exempt these hosts from TLS inspection' : '') +
        ` (Virtual Room and RON Network Prerequisites, proxy requirements: "Must support the Upgrade: websocket handshake (HTTP/1.1) on port 443").`,
      bad.map((r) => r.target),
      {
        title: `WebSocket to ${hosts.length === 1 ? hosts[0] : `${hosts.length} hosts`}: ${why[0]}`,
        facts: factsOf(bad),
        changes: [...changes(names, 'TCP 443', 'allow WebSocket upgrade', 'websocket-blocked'), ...(inspected ? changes(names, 'TCP 443', 'bypass inspection', 'websocket-blocked') : [])],
        howto: websocketHowto(names, inspected),
      },
    );
  },
};
