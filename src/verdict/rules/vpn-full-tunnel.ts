// vpn-full-tunnel (degrading): media hosts are routed through a VPN tunnel interface.
// seed 000_637c892c7d775e13.txt, VPN requirements: "Full-tunnel VPNs add latency and often push media
// onto the slower TCP fallback path. Split tunneling for *.tokbox.com and *.opentok.com is strongly
// recommended."
import { cause, listText, type Rule } from '../input.js';
import { detailsOf } from '../../shared/evidence.js';
import { factsOf } from '../facts.js';
import { changes, MEDIA_ANY, splitTunnelHowto, VONAGE_WILDCARDS } from '../remedies.js';

export const rule: Rule = {
  id: 'vpn-full-tunnel',
  reads: ['vpn.route'],
  evaluate(input) {
    const tun = input.byId('vpn.route').filter((r) => r.status === 'ok' && detailsOf(r, 'vpn.route').viaTunnel === true);
    if (tun.length === 0) return null;
    const ifaces = [...new Set(tun.map((r) => detailsOf(r, 'vpn.route').interface).filter((x): x is string => typeof x === 'string'))];
    const hosts = [...new Set(tun.map((r) => input.hostOf(r) ?? r.target))];
    return cause(
      'vpn-full-tunnel',
      'degrading',
      `media hosts ${listText(hosts)} are routed through the VPN tunnel interface ${listText(ifaces) || '(unknown)'}`,
      ['vpn.route'],
      `Configure split tunnelling so ${listText(VONAGE_WILDCARDS)} (and the media servers' UDP) go out locally, ` +
        `not through the VPN (Virtual Room and RON Network Prerequisites, VPN requirements).`,
      hosts,
      {
        title: `media hosts routed through the VPN tunnel ${ifaces[0] ?? ''}`.trimEnd(),
        facts: factsOf(tun),
        changes: [...changes(VONAGE_WILDCARDS, 'TCP 443', 'split tunnel', 'vpn-full-tunnel'), ...changes([MEDIA_ANY], 'UDP 3478, UDP 1025-65535', 'split tunnel', 'vpn-full-tunnel')],
        howto: splitTunnelHowto(),
      },
    );
  },
};
