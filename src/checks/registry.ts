// Every check, in plan order. Adding a capability = adding a file and a line here.
import type { AnyCheckDef } from './types.js';
import { proxyConfig } from './proxy-config.js';
import { probeReach } from './probe-reach.js';
import { dnsResolve } from './dns-resolve.js';
import { dnsZone } from './dns-zone.js';
import { tcpConnect } from './tcp-connect.js';
import { tcpRange } from './tcp-range.js';
import { tlsHandshake } from './tls-handshake.js';
import { httpPath } from './http-path.js';
import { wsUpgrade } from './ws-upgrade.js';
import { sseStream } from './sse-stream.js';
import { connIdle } from './conn-idle.js';
import { stunBinding } from './stun-binding.js';
import { udpRange } from './udp-range.js';
import { turnAllocate } from './turn-allocate.js';
import { webrtcIce } from './webrtc-ice.js';
import { vpnRoute } from './vpn-route.js';
import { pccAgent } from './pcc-agent.js';
import { qualityUdpTrain } from './quality-udp-train.js';
import { qualityThroughput } from './quality-throughput.js';
import { qualityRelayTrain } from './quality-relay-train.js';

export const CHECKS: AnyCheckDef[] = [proxyConfig, probeReach, dnsResolve, dnsZone, tcpConnect, tcpRange, tlsHandshake, httpPath, wsUpgrade, sseStream, connIdle, stunBinding, udpRange, turnAllocate, webrtcIce, vpnRoute, pccAgent, qualityUdpTrain, qualityThroughput, qualityRelayTrain];
