// Every error code a check (or the browser page) can put in a result's `error.code`, with its
// one-line meaning (a leaf module: it imports nothing of netready's). NetError's code is typed by
// this list, so a free string fails the type check; docs/evidence.md's "Error codes" table is
// generated from it (`node --import tsx scripts/error-table.ts --write`, held equal by a test).

export const ERROR_CODES = {
  // -- the run -------------------------------------------------------------------------------
  DEADLINE_EXCEEDED: 'the run deadline (or a cancellation) stopped the check while it ran',
  DEADLINE_NOT_STARTED: 'the run deadline came before the check could start',
  INTERNAL_ERROR: 'a netready bug: the check threw something other than a network error',
  PLAN_CYCLE: 'a planned task depends on tasks that can never finish (a netready bug)',
  // -- DNS -----------------------------------------------------------------------------------
  DNS_NXDOMAIN: 'the name does not exist (NXDOMAIN)',
  DNS_NO_ADDRESS: 'the name exists but has no address of the family asked for',
  DNS_SERVFAIL: 'the resolver failed to answer (SERVFAIL)',
  DNS_REFUSED: 'the resolver refused the query',
  DNS_TIMEOUT: 'no DNS answer within the resolve timeout',
  // -- TCP -----------------------------------------------------------------------------------
  TCP_REFUSED: 'the far end (or a firewall) refused the TCP connection',
  TCP_RESET: 'the TCP connection was reset',
  TCP_UNREACHABLE: 'no route to the address (host or network unreachable)',
  TCP_TIMEOUT: 'no TCP connection within the connect timeout (SYNs dropped)',
  CONN_RESET: 'the connection was reset after it was established',
  CONN_CLOSED: 'the connection closed before the exchange ended',
  CONN_ERROR: 'the connection failed with another socket error',
  CLOSED: 'the media transport closed before the exchange ended',
  // -- proxy ---------------------------------------------------------------------------------
  PROXY_AUTH_REQUIRED: 'the proxy asked for credentials (407)',
  PROXY_CONNECT_REFUSED: 'the proxy refused the CONNECT (a status other than 200 or 407)',
  PROXY_UNREACHABLE: 'the proxy itself could not be reached',
  PROXY_TIMEOUT: 'the proxy did not answer the CONNECT within the timeout',
  PAC_FAILED: 'the PAC file could not be fetched, compiled or run',
  // -- TLS -----------------------------------------------------------------------------------
  TLS_CERT_UNTRUSTED: 'the certificate chain does not end at a trusted root (often TLS inspection)',
  TLS_CERT_EXPIRED: 'the server certificate has expired (or is not yet valid)',
  TLS_NAME_MISMATCH: 'the server certificate does not name the host',
  TLS_PROTOCOL: 'no TLS version or cipher in common',
  TLS_HANDSHAKE_FAILED: 'the TLS handshake failed for another reason',
  TLS_TIMEOUT: 'no TLS handshake within the TLS timeout',
  // -- HTTP, WebSocket, SSE --------------------------------------------------------------------
  HTTP_BLOCKED_BY_PROXY: 'a proxy or filter answered instead of the server (block page, 403)',
  HTTP_PROTOCOL: 'the answer was not HTTP',
  FIRST_BYTE_TIMEOUT: 'no answer within the first-byte timeout',
  WS_NO_UPGRADE: 'the WebSocket upgrade was refused (no 101)',
  WS_NO_FRAMES: 'the WebSocket opened but frames did not flow',
  SSE_BUFFERED: 'server-sent events arrived late and together (a proxy buffers the stream)',
  SSE_NO_EVENTS: 'the event stream opened but no event arrived',
  SSE_NO_STREAM: 'the answer was not an event stream',
  SSE_CUT: 'the event stream ended before all events arrived (browser page)',
  SSE_OPEN_FAILED: 'the browser could not open the event stream (browser page)',
  IDLE_CUT: 'an idle connection was cut before the hold ended',
  // -- the probe -----------------------------------------------------------------------------
  PROBE_UNREACHABLE: 'the probe could not be reached (details.cause: the dialer\'s code)',
  PROBE_TIMEOUT: 'the probe did not answer in time',
  PROBE_PROTOCOL: 'the probe answered something unexpected',
  PROBE_NOT_SERVE: 'the address answers, but is not a netready serve',
  PROBE_MISSING: 'the check needs a --probe and none was given',
  // -- UDP, STUN, TURN -------------------------------------------------------------------------
  UDP_UNREACHABLE: 'the UDP port was unreachable (ICMP)',
  UDP_RANGE_BLOCKED: 'none of the sampled UDP ports of the range echoed',
  UDP_RANGE_PARTIAL: 'some of the sampled UDP ports of the range did not echo',
  UDP_NO_ECHO: 'no UDP echo came back',
  STUN_NO_RESPONSE: 'no STUN binding response',
  STUN_ERROR: 'the STUN server answered with an error',
  TURN_AUTH_FAILED: 'the TURN server refused the credentials (401)',
  TURN_FORBIDDEN: 'the TURN server refused the peer (403)',
  TURN_ALLOCATE_FAILED: 'the TURN server refused the allocation',
  TURN_NO_RESPONSE: 'no answer from the TURN server',
  TURN_PROTOCOL: 'the TURN server\'s answer was truncated or garbled',
  TURN_NO_RELAY: 'allocated, but nothing came back through the relay',
  TURN_NO_CHANNEL: 'ChannelBind or ChannelData failed',
  TURN_OPEN_RELAY: 'the TURN server allocated without credentials (an open relay)',
  TURN_INTEGRITY: 'the TURN server\'s answer failed MESSAGE-INTEGRITY',
  TURN_PEER_FORBIDDEN: 'the TURN server refused the permission for the peer (403)',
  TURN_PERMISSION_FAILED: 'CreatePermission failed',
  TURN_CHANNEL_FAILED: 'ChannelBind failed',
  TURN_REFRESH_FAILED: 'the Refresh that frees the allocation failed',
  TURN_UNREACHABLE: 'no relay candidate: the TURN server was not reached',
  // -- WebRTC ----------------------------------------------------------------------------------
  ICE_FAILED: 'ICE failed: no candidate pair worked',
  ICE_TIMEOUT: 'ICE did not connect in time',
  ICE_NO_CANDIDATES: 'ICE gathered no candidate',
  ICE_WRONG_TRANSPORT: 'ICE connected, but over another transport than the one tested',
  DTLS_FAILED: 'the DTLS handshake failed',
  DTLS_TIMEOUT: 'no DTLS handshake in time',
  DATACHANNEL_TIMEOUT: 'the data channel did not open in time',
  DATACHANNEL_NO_ECHO: 'the data channel opened but no message came back',
  SIGNALLING_FAILED: 'the WebRTC signalling exchange failed',
  SIGNALLING_TIMEOUT: 'the WebRTC signalling exchange timed out',
  SIGNALLING_REFUSED: 'the probe refused the WebRTC signalling',
  SIGNALLING_CLOSED: 'the signalling connection closed early',
  // -- quality ---------------------------------------------------------------------------------
  THROUGHPUT_NO_DATA: 'too little data came through to measure a rate',
  // -- route (VPN) -----------------------------------------------------------------------------
  NO_ROUTE: 'the OS has no route to the address',
  ROUTE_UNREADABLE: 'the route command\'s output was not understood',
  ROUTE_UNAVAILABLE: 'the route command is missing',
  ROUTE_TIMEOUT: 'the route command did not answer in time',
  // -- the local signing agent (pcc.agent) ----------------------------------------------------
  PCC_NOT_RUNNING: 'no local signing agent answers on its ports',
  PCC_CERT_EXPIRED: 'the agent\'s certificate has expired',
  PCC_CERT_NAME: 'the agent\'s certificate does not name localhost.esignlive.com',
  PCC_PROXY_NOT_BYPASSED: 'a proxy applies to the agent\'s local host name',
  PCC_DNS_NO_LOOPBACK: 'the agent\'s host name does not resolve to 127.0.0.1',
  // -- the browser page ------------------------------------------------------------------------
  BROWSER_UNSUPPORTED: 'the browser is not one the vendor supports',
  BROWSER_OUTDATED: 'the browser is older than the vendor supports',
  BROWSER_FEATURE_MISSING: 'the browser lacks a feature the session needs',
  INSECURE_CONTEXT: 'the page is not in a secure context (camera and WebRTC need https)',
  CAPTURE_DENIED: 'camera or microphone permission was denied',
  CAPTURE_NO_DEVICE: 'no camera or microphone was found',
  CAPTURE_NOT_READABLE: 'the device is in use or cannot be read',
  CAPTURE_PROMPT_TIMEOUT: 'the permission prompt was not answered in time',
  CAPTURE_UNAVAILABLE: 'the browser offers no media capture here',
  CAPTURE_ERROR: 'media capture failed for another reason',
  WEBRTC_UNAVAILABLE: 'the browser has no WebRTC (RTCPeerConnection missing or blocked)',
  WEBRTC_OFFER_FAILED: 'the browser could not create the WebRTC offer',
  WEBRTC_NO_CANDIDATES: 'the browser gathered no ICE candidate',
  WEBRTC_NO_UDP_CANDIDATES: 'the browser gathered no UDP candidate',
  WEBRTC_CONNECT_FAILED: 'the browser\'s WebRTC connection failed',
  WEBRTC_CONNECT_TIMEOUT: 'the browser\'s WebRTC connection timed out',
  WEBRTC_NO_ECHO: 'the browser\'s data channel got no echo',
  PAGE_ERROR: 'the browser page hit an unexpected error (a netready bug)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether `s` is a known error code (for results read from JSON). */
export function isErrorCode(s: string): s is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, s);
}
