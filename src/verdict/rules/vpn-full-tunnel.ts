// vpn-full-tunnel.
// Quality causes from quality.throughput / quality.udp-train / vpn.route (docs/evidence.md).
// Thresholds, seed 000_637c892c7d775e13.txt "Bandwidth and performance": "3 Mbps up and down per
// participant", "Round-trip latency ... under 150 ms", "Packet loss above 3% degrades WebRTC quality".
// Jitter 30 ms: the contract's cause table (common WebRTC guidance; not in a seed).
// VPN: "Full-tunnel VPNs add latency and often push media onto the slower TCP fallback path. Split
// tunneling for *.tokbox.com and *.opentok.com is strongly recommended."
import { cause, listText, type Rule } from '../input.js';


export const rule: Rule = {
  id: 'vpn-full-tunnel',
  evaluate(input) {
    const tun = input.byId('vpn.route').filter((r) => r.status === 'ok' && r.details?.viaTunnel === true);
    if (tun.length === 0) return null;
    const ifaces = [...new Set(tun.map((r) => r.details?.interface).filter((x): x is string => typeof x === 'string'))];
    const hosts = [...new Set(tun.map((r) => input.hostOf(r) ?? r.target))];
    return cause(
      'vpn-full-tunnel',
      'degrading',
      `media hosts ${listText(hosts)} are routed through the VPN tunnel interface ${listText(ifaces) || '(unknown)'}`,
      ['vpn.route'],
      `Configure split tunnelling so *.tokbox.com and *.opentok.com (and the media servers' UDP) go out locally, ` +
        `not through the VPN (Virtual Room and RON Network Prerequisites, VPN requirements).`,
      hosts,
    );
  },
};
