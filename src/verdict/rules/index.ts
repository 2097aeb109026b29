// Every rule, in the contract's cause order. Adding a cause = a file and a line here.
import type { Rule } from '../input.js';
import { rule as dnsBlocked } from './dns-blocked.js';
import { rule as tcpBlocked } from './tcp-blocked.js';
import { rule as pathFiltered } from './path-filtered.js';
import { rule as keywordFiltered } from './keyword-filtered.js';
import { rule as tlsInspection } from './tls-inspection.js';
import { rule as websocketBlocked } from './websocket-blocked.js';
import { rule as sseBlocked } from './sse-blocked.js';
import { rule as sseBuffered } from './sse-buffered.js';
import { rule as proxyIdleTimeout } from './proxy-idle-timeout.js';
import { rule as proxyAuthRequired } from './proxy-auth-required.js';
import { rule as pacRequired } from './pac-required.js';
import { rule as udpBlocked } from './udp-blocked.js';
import { rule as udpRangeBlocked } from './udp-range-blocked.js';
import { rule as turnTlsBlocked } from './turn-tls-blocked.js';
import { rule as mediaUnreachable } from './media-unreachable.js';
import { rule as lowBandwidth } from './low-bandwidth.js';
import { rule as highLatency } from './high-latency.js';
import { rule as packetLoss } from './packet-loss.js';
import { rule as highJitter } from './high-jitter.js';
import { rule as vpnFullTunnel } from './vpn-full-tunnel.js';
import { rule as ocspUnreachable } from './ocsp-unreachable.js';
import { rule as notRunning } from './pcc-agent-not-running.js';
import { rule as certInvalid } from './pcc-cert-invalid.js';
import { rule as proxyNotBypassed } from './pcc-proxy-not-bypassed.js';

export const RULES: readonly Rule[] = [
  dnsBlocked,
  tcpBlocked,
  pathFiltered,
  keywordFiltered,
  tlsInspection,
  websocketBlocked,
  sseBlocked,
  sseBuffered,
  proxyIdleTimeout,
  proxyAuthRequired,
  pacRequired,
  udpBlocked,
  udpRangeBlocked,
  turnTlsBlocked,
  mediaUnreachable,
  lowBandwidth,
  highLatency,
  packetLoss,
  highJitter,
  vpnFullTunnel,
  ocspUnreachable,
  notRunning,
  certInvalid,
  proxyNotBypassed,
];
