// The limits part of `netready serve --help`: a module of its own so that main.ts can show it
// without loading the serve stack.
export const SERVE_LIMITS_HELP = `
Limits (safe by default):
  connections       at most 4096 in all, 256 from one client address (an IPv6 client: its /64);
                    beyond: HTTP 503 with Retry-After (a connection without a request makes room)
  requests          headers and body within 10 s (408), headers and bodies up to 64 KiB (431/413);
                    an answer that does not read the body closes the connection
  streams           SSE and WebSocket echo up to 10 min; a WebSocket client that does not read its
                    echoes is paused at 256 KiB queued and closed (1008) at 1 MiB or after 30 s paused
  TURN credentials  live 120 s, name the requesting address; 60 a minute per address (429)
  UDP echo          answers only a source that proved its address (a bound token or a cookie
                    challenge smaller than the request); 3000 packets/s per proven source
  STUN              answers never longer than the request, except the 32-byte minimum to a bare
                    20-byte request (browsers), 5/s per source and 200/s in all
  browser results   10 posts a minute per address; reading them needs the admin token
  --turn managed    coturn: relay to this serve's own addresses only, 8 allocations per
                    requester, 256 in all, 4 Mbit/s per session, 200 Mbit/s in all
Secrets: --turn-secret-file FILE or NETREADY_TURN_SECRET (not argv: ps shows it);
--admin-token-file FILE or NETREADY_ADMIN_TOKEN (else one is generated and printed at start).
The deployment guide: docs/deploy-probe.md.`;
