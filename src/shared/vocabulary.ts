// The ids every layer shares, in one place (a leaf module: it imports nothing of netready's).
// Cause, checklist and status ids are the outside contract's (../shared/design/contract.md):
// src/report/types.ts and src/checks/types.ts take their types from here, and so does the browser
// page served by `netready serve` (src/serve/page/), which reports some of the same causes.

/** Check statuses: ok, failed (the network said no), timeout, skipped (with a reason), error (a netready bug). */
export const CHECK_STATUSES = ['ok', 'failed', 'timeout', 'skipped', 'error'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export const SEVERITIES = ['blocking', 'degrading'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CHECKLIST_STATUSES = ['pass', 'fail', 'warn', 'not-checked'] as const;
export type ChecklistStatus = (typeof CHECKLIST_STATUSES)[number];

export const CAUSE_IDS = [
  'dns-blocked',
  'tcp-blocked',
  'path-filtered',
  'keyword-filtered',
  'tls-inspection',
  'websocket-blocked',
  'sse-blocked',
  'sse-buffered',
  'proxy-idle-timeout',
  'proxy-auth-required',
  'pac-required',
  'udp-blocked',
  'udp-range-blocked',
  'turn-tls-blocked',
  'media-unreachable',
  'low-bandwidth',
  'high-latency',
  'packet-loss',
  'high-jitter',
  'vpn-full-tunnel',
  'ocsp-unreachable',
  'webrtc-policy-blocked',
  'camera-blocked',
  'microphone-blocked',
  'pcc-agent-not-running',
  'pcc-cert-invalid',
  'pcc-proxy-not-bypassed',
] as const;
export type CauseId = (typeof CAUSE_IDS)[number];

/** seed 000_637c892c7d775e13.txt, "Pre-session validation checklist", in order and in its words. */
export const CHECKLIST_TEXT = {
  'sign-domain-reachable':
    'OneSpan Sign domain reachable on port 443, including the Virtual Room path — for example, curl -s -o /dev/null -w \'%{http_code}\' https://<your-domain>/virtual-room/probe/existence returns any HTTP status code.',
  'websocket-upgrade':
    'WebSocket upgrade succeeds through the proxy on port 443 (test against the OneSpan Sign domain or *.media.prod.tokbox.com).',
  'cobrowse-reachable-uninspected':
    '*.upscope.io (including assets-proxy.upscope.io) and cobrowsingapi.com are reachable and excluded from TLS inspection.',
  'video-domains-and-media':
    '*.opentok.com and *.tokbox.com reachable using wildcards; UDP 3478 open, or TURN over TCP 443 confirmed working.',
  'sse-unbuffered-idle':
    'Proxy does not buffer text/event-stream responses; idle timeout ≥ 4 hours for section 1 domains.',
  'vpn-websocket-split-tunnel':
    'VPN passes WebSocket traffic on port 443; split tunneling configured for *.tokbox.com and *.opentok.com where possible.',
  'camera-mic-policy': 'Managed browser policy allows camera and microphone access for the OneSpan Sign domain.',
  'bandwidth-3mbps': 'At least 3 Mbps up and down per participant confirmed from the corporate network.',
  'test-session': 'Test session completed with one host and one participant before the real session.',
} as const;
export type ChecklistId = keyof typeof CHECKLIST_TEXT;
export const CHECKLIST_IDS = Object.keys(CHECKLIST_TEXT) as ChecklistId[];
