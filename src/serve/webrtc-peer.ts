// The WebRTC far end of `netready serve` (issue 5): a werift peer reached through WebSocket
// signalling on /.netready/webrtc (protocol in src/net/webrtc.ts), echoing every data-channel
// message. It gathers host candidates on the address the client reached us at (plus any
// configured host addresses) and a relay candidate on the TURN server serve was configured with
// (--turn-url/--turn-secret; credentials from turnCredentials in turn-creds.ts).
// Bounds: at most maxPeers peer connections at once (others get {"type":"error"} and a close),
// each closed after peerMs, signalling messages up to SIGNAL_MAX_BYTES, echoed messages up to
// maxMessageBytes and at most maxEchoes per peer, offer within offerMs of the upgrade.

import type http from 'node:http';
import net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { RTCPeerConnection, type RTCDataChannel, type RTCIceServer } from 'werift';
import { SIGNAL_MAX_BYTES, closePeer, patchWerift, encodeSignal, parseSignal, type Signal } from '../net/webrtc.js';
import type { ServeModule } from './server.js';
import { parseTurnUrl } from '../protocol/turn-url.js';
import { turnCredentials, type MediaServeOptions } from './turn-creds.js';

export const WEBRTC_PATH = '/.netready/webrtc';

export const WEBRTC_DEFAULTS = {
  maxPeers: 8,
  peerMs: 20_000,
  offerMs: 5_000,
  maxMessageBytes: 16 * 1024,
  maxEchoes: 1_000,
} as const;

export interface WebrtcServeOptions {
  /** The same TURN configuration as mediaServeModule (--turn-url, --turn-secret). */
  turn?: MediaServeOptions['turn'];
  /** Extra host candidate addresses to announce (e.g. a public address behind 1:1 NAT). */
  hostAddresses?: string[];
  maxPeers?: number;
  peerMs?: number;
  offerMs?: number;
  maxMessageBytes?: number;
  maxEchoes?: number;
}

/** The TURN server the serve peer allocates on: werift uses one; prefer UDP, then TCP, then TLS. */
export function serveIceServer(turn: WebrtcServeOptions['turn'], nowMs = Date.now()): RTCIceServer | null {
  if (!turn || !turn.urls.length) return null;
  const parsed = turn.urls.map((u) => ({ u, p: parseTurnUrl(u) }));
  const rank = (p: ReturnType<typeof parseTurnUrl>) => (p.scheme === 'turns' ? 2 : p.transport === 'tcp' ? 1 : 0);
  parsed.sort((a, b) => rank(a.p) - rank(b.p));
  const { p } = parsed[0];
  const host = net.isIPv6(p.host) ? `[${p.host}]` : p.host;
  // Always with the port: werift's default for turns: is 5349, ours (seed 000) is 443.
  const url = `${p.scheme}:${host}:${p.port}?transport=${p.transport}`;
  const c = turnCredentials(turn.secret, { ttlSec: turn.ttlSec, nowMs });
  return { urls: url, username: c.username, credential: c.credential };
}

function unmapped(addr: string | undefined): string | null {
  if (!addr) return null;
  const a = addr.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return net.isIP(a) && a !== '0.0.0.0' && a !== '::' ? a : null;
}

function isLoopback(a: string): boolean {
  return a === '::1' || a.startsWith('127.');
}

export function webrtcServeModule(opts: WebrtcServeOptions = {}): ServeModule {
  for (const u of opts.turn?.urls ?? []) parseTurnUrl(u);
  for (const h of opts.hostAddresses ?? []) if (!net.isIP(h)) throw new Error(`webrtc host address "${h}" is not an IP address`);
  const maxPeers = opts.maxPeers ?? WEBRTC_DEFAULTS.maxPeers;
  const peerMs = opts.peerMs ?? WEBRTC_DEFAULTS.peerMs;
  const offerMs = opts.offerMs ?? WEBRTC_DEFAULTS.offerMs;
  const maxMessageBytes = opts.maxMessageBytes ?? WEBRTC_DEFAULTS.maxMessageBytes;
  const maxEchoes = opts.maxEchoes ?? WEBRTC_DEFAULTS.maxEchoes;
  patchWerift();

  const wss = new WebSocketServer({ noServer: true, maxPayload: SIGNAL_MAX_BYTES, perMessageDeflate: false, clientTracking: false });
  const sessions = new Set<() => Promise<void>>();
  let closing = false;
  let log: (line: string) => void = () => {};

  const session = (ws: WebSocket, localAddress: string | null) => {
    let pc: RTCPeerConnection | null = null;
    let ended = false;
    const send = (s: Signal) => {
      if (ws.readyState === ws.OPEN) ws.send(encodeSignal(s));
    };
    const end = async (reason: string | null) => {
      if (ended) return;
      ended = true;
      clearTimeout(lifeTimer);
      clearTimeout(offerTimer);
      sessions.delete(stop);
      if (reason) send({ type: 'bye', reason });
      ws.close(1000);
      setTimeout(() => ws.terminate(), 1_000).unref();
      const p = pc;
      pc = null;
      if (p) await closePeer(p);
    };
    const stop = () => end('server closing');
    sessions.add(stop);
    const lifeTimer = setTimeout(() => void end(`peer time limit ${peerMs} ms`), peerMs);
    const offerTimer = setTimeout(() => {
      if (!pc) void end(`no offer within ${offerMs} ms`);
    }, offerMs);

    const pending: Signal[] = [];
    const onOffer = async (sdp: string) => {
      const iceServer = serveIceServer(opts.turn);
      const hosts = [...new Set([...(localAddress ? [localAddress] : []), ...(opts.hostAddresses ?? [])])];
      // Host candidates on the address the client reached (plus --webrtc-host addresses), not on
      // every address of the machine: each remote candidate costs a relayed client a
      // CreatePermission and a ChannelBind, one after another in werift, one round trip each —
      // the lab's vendor namespace has ~75 addresses, and at 200 ms RTT the relay-* ICE checks ran
      // out of time before reaching the one that answers. A loopback address is not among werift's
      // interface addresses (its filter would then fall back to all of them), so it is not confined.
      const confine = localAddress && !isLoopback(localAddress) ? localAddress : null;
      pc = new RTCPeerConnection({
        iceServers: iceServer ? [iceServer] : [],
        iceAdditionalHostAddresses: hosts,
        iceUseIpv6: hosts.some((h) => net.isIPv6(h)),
        ...(confine ? { iceInterfaceAddresses: net.isIPv6(confine) ? { udp6: confine } : { udp4: confine } } : {}),
      });
      pc.onIceCandidate.subscribe((c) => {
        if (c?.candidate) send({ type: 'candidate', candidate: { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } });
      });
      pc.onDataChannel.subscribe((dc: RTCDataChannel) => {
        let echoes = 0;
        dc.onMessage.subscribe((m) => {
          const size = typeof m === 'string' ? Buffer.byteLength(m) : m.length;
          if (size > maxMessageBytes || echoes >= maxEchoes || dc.readyState !== 'open') return;
          echoes++;
          dc.send(m);
        });
      });
      pc.connectionStateChange.subscribe((s) => {
        if (s === 'failed') void end('ICE/DTLS failed');
      });
      await pc.setRemoteDescription({ type: 'offer', sdp });
      if (ended) return;
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      if (ended || !pc.localDescription) return;
      send({ type: 'answer', sdp: pc.localDescription.sdp });
      for (const s of pending.splice(0)) if (s.type === 'candidate') await pc.addIceCandidate(s.candidate).catch(() => undefined);
    };

    let offered = false;
    let answered = false;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (ended) return;
      const s = isBinary ? null : parseSignal(data);
      if (!s) {
        send({ type: 'error', message: 'malformed signalling message' });
        void end(null);
        return;
      }
      if (s.type === 'hello') send({ type: 'ready', peerMs, maxMessageBytes });
      else if (s.type === 'offer') {
        if (offered) return;
        offered = true;
        onOffer(s.sdp).then(
          () => {
            answered = true;
          },
          (e: Error) => {
            send({ type: 'error', message: `bad offer: ${e.message}`.slice(0, 200) });
            void end(null);
          },
        );
      } else if (s.type === 'candidate') {
        if (!answered || !pc) {
          if (pending.length < 32) pending.push(s);
        } else void pc.addIceCandidate(s.candidate).catch(() => undefined);
      }
    });
    ws.on('error', () => {});
    ws.once('close', () => void end(null));
  };

  return {
    name: 'webrtc',
    async start(ctx) {
      log = ctx.log;
      return {
        lines: [`webrtc    ${WEBRTC_PATH} (max ${maxPeers} peers, ${peerMs / 1000} s each${opts.turn ? ', relay via TURN' : ''})`],
        async close() {
          closing = true;
          await Promise.all([...sessions].map((s) => s()));
          wss.close();
        },
      };
    },
    upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer, url: URL) {
      if (url.pathname !== WEBRTC_PATH) return false;
      const local = unmapped(socket.localAddress);
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (closing || sessions.size >= maxPeers) {
          ws.send(encodeSignal({ type: 'error', message: `busy: ${maxPeers} peers at once` }));
          ws.close(1013, 'busy');
          setTimeout(() => ws.terminate(), 1_000).unref();
          if (!closing) log(`webrtc: refused a peer (${maxPeers} at once)`);
          return;
        }
        session(ws, local);
      });
      return true;
    },
  };
}
