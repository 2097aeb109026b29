// Every check id (layer.noun), in plan order (a leaf module: it imports nothing of netready's).
// The registry (src/checks/registry.ts) holds one check per id; rules name the ids they read.

export const CHECK_IDS = [
  'proxy.config',
  'probe.reach',
  'dns.resolve',
  'dns.zone',
  'tcp.connect',
  'tcp.range',
  'tls.handshake',
  'http.path',
  'ws.upgrade',
  'sse.stream',
  'conn.idle',
  'stun.binding',
  'udp.range',
  'turn.allocate',
  'webrtc.ice',
  'vpn.route',
  'pcc.agent',
  'quality.udp-train',
  'quality.throughput',
  'quality.relay-train',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];
