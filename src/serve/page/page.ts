// The browser page's script (served as /.netready/page.js by src/serve/browser-page.ts). It runs in
// the participant's browser and talks only to the serve that delivered it (same origin): what only
// a browser can tell — its support, camera and microphone permission, its WebRTC policy, WebSocket
// and EventSource through its own proxy — with its own causes and checklist item, Save/Load of the
// results (schema netready/browser@1) and a POST of them to the serve.
//
// Browser TypeScript, type-checked by ./tsconfig.json (DOM, no Node types) and transpiled to ES2017
// by scripts/build-page.ts into ./assets.gen.ts (`npm run page`); a test holds the two equal. A
// plain script (no import/export): the serve wraps it as (function (NETREADY) { ... })(PAGE_SHARED),
// so the cause ids, the checklist text and the SSE threshold come from one place, shared with the
// verdict (src/shared/browser.ts); the types below come from there too.

declare const NETREADY: import('../../shared/browser.js').PageShared;

type BrowserCheck = import('../../shared/browser.js').BrowserCheck;
type BrowserCause = import('../../shared/browser.js').BrowserCause;
type BrowserCauseId = import('../../shared/browser.js').BrowserCauseId;
type BrowserChecklistItem = import('../../shared/browser.js').BrowserChecklistItem;
type BrowserResults = import('../../shared/browser.js').BrowserResults;
type CheckStatus = BrowserCheck['status'];

(function () {
  const SCHEMA = NETREADY.schema;
  // seed 000_637c892c7d775e13.txt: "Use a current version of Chrome, Edge, Firefox, or Safari."
  // A page cannot know today's newest release; these floors are the releases of late 2023
  // (Firefox: the 115 ESR line), so anything older is certainly not current.
  const MIN_MAJOR: Record<string, number> = { Chrome: 120, Edge: 120, Firefox: 115, Safari: 17 };
  const PROMPT_MS = 60000; // the participant has to find and click Allow
  const FETCH_MS = 4000;
  const WS_OPEN_MS = 5000;
  const ECHO_MS = 3000;
  const ECHOES = 3;
  const GATHER_MS = 8000; // ICE gathering, bounded even when a TURN server does not answer
  const CONNECT_MS = 10000; // data channel open, from the offer
  const SSE_COUNT = 6;
  const SSE_INTERVAL_MS = 500;
  const SSE_MS = 10000;
  const SSE_LATE_MS = NETREADY.sseLateMs; // contract: sse-buffered = first event later than 2 s after it was sent
  const CHECKLIST_TEXT = NETREADY.cameraMicPolicyText;

  const $ = (id: string) => document.getElementById(id) as HTMLElement;
  const button = (id: string) => $(id) as HTMLButtonElement;
  const now = () => performance.now();
  const r1 = (n: number) => Math.round(n * 10) / 10;
  let current: BrowserResults | null = null;

  type Pending = BrowserCheck & { _t0?: number };
  interface Finish {
    metrics?: Record<string, number>;
    code?: string;
    message?: string;
    reason?: string;
    details?: Record<string, unknown>;
  }

  function timeoutError(what: string, ms: number): Error {
    const e = new Error(what + ' took longer than ' + ms / 1000 + ' s');
    e.name = 'NetreadyTimeout';
    return e;
  }
  function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let t: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      p,
      new Promise<never>((_, rej) => {
        t = setTimeout(() => rej(timeoutError(what, ms)), ms);
      }),
    ]).finally(() => clearTimeout(t));
  }
  function median(a: number[]): number | null {
    if (!a.length) return null;
    const s = a.slice().sort((x, y) => x - y);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
  function wsBase(): string {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
  }
  const errText = (e: unknown, key: 'name' | 'message') => String((e as Error | null)?.[key] ?? '');

  function begin(id: string, target: string): Pending {
    return { id, target, status: 'error', durationMs: 0, metrics: {}, error: null, _t0: now() };
  }
  function finish(c: Pending, status: CheckStatus, o: Finish = {}): BrowserCheck {
    c.status = status;
    c.durationMs = r1(now() - (c._t0 ?? now()));
    delete c._t0;
    if (o.metrics) c.metrics = o.metrics;
    c.error = o.code ? { code: o.code, message: String(o.message || o.code).slice(0, 500) } : null;
    if (o.reason) c.reason = o.reason;
    if (o.details) c.details = o.details;
    return c;
  }
  async function fetchJson(path: string): Promise<Record<string, unknown> | null> {
    const ctl = new AbortController();
    const t = setTimeout(() => ctl.abort(), FETCH_MS);
    try {
      const r = await fetch(path, { cache: 'no-store', signal: ctl.signal });
      if (!r.ok) return null;
      return (await r.json()) as Record<string, unknown>;
    } catch (e) {
      return null;
    } finally {
      clearTimeout(t);
    }
  }

  /**
   * ECHOES messages one after another over a data channel or a WebSocket, each to come back within
   * ECHO_MS (the first that does not ends the round; so does `stop`): their round-trip times.
   */
  async function echoRound(tag: string, what: string, send: (text: string) => void, listen: (onData: (data: unknown) => void) => void, stop: () => boolean = () => false): Promise<number[]> {
    const rtts: number[] = [];
    let pending: { text: string; done: () => void } | null = null;
    listen((data) => {
      if (pending && data === pending.text) pending.done();
    });
    for (let i = 0; i < ECHOES && !stop(); i++) {
      const text = 'netready-' + tag + '-' + i + '-' + Math.random().toString(36).slice(2);
      const s0 = now();
      try {
        await withTimeout(
          new Promise<void>((done) => {
            pending = { text, done };
            send(text);
          }),
          ECHO_MS,
          what,
        );
        rtts.push(now() - s0);
      } catch (e) {
        break;
      }
    }
    pending = null;
    return rtts;
  }

  // ---- 1. browser support ---------------------------------------------------------------
  interface Browser {
    name: string;
    major: number;
    version: string;
    other?: boolean;
  }
  function parseBrowser(ua: string): Browser {
    let m: RegExpExecArray | null;
    if ((m = /\b(?:Edg|EdgA|EdgiOS)\/(\d+)(?:\.(\d+))?/.exec(ua))) return { name: 'Edge', major: +m[1], version: m[1] + '.' + (m[2] || '0') };
    if ((m = /\b(OPR|Opera|SamsungBrowser|YaBrowser|Vivaldi)\/(\d+)/.exec(ua))) return { name: m[1], major: +m[2], version: m[2], other: true };
    if ((m = /\b(?:HeadlessChrome|Chrome|CriOS|Chromium)\/(\d+)(?:\.(\d+))?/.exec(ua))) return { name: 'Chrome', major: +m[1], version: m[1] + '.' + (m[2] || '0') };
    if ((m = /\b(?:Firefox|FxiOS)\/(\d+)(?:\.(\d+))?/.exec(ua))) return { name: 'Firefox', major: +m[1], version: m[1] + '.' + (m[2] || '0') };
    if (/Safari\//.test(ua) && (m = /\bVersion\/(\d+)(?:\.(\d+))?/.exec(ua))) return { name: 'Safari', major: +m[1], version: m[1] + '.' + (m[2] || '0') };
    return { name: 'unknown', major: 0, version: '', other: true };
  }
  function checkSupport(): BrowserCheck {
    const c = begin('browser.support', navigator.userAgent);
    const b = parseBrowser(navigator.userAgent);
    const features: Record<string, boolean> = {
      RTCPeerConnection: typeof window.RTCPeerConnection === 'function',
      getUserMedia: !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia),
      WebSocket: typeof window.WebSocket === 'function',
      EventSource: typeof window.EventSource === 'function',
      permissions: !!(navigator.permissions && navigator.permissions.query),
      secureContext: !!window.isSecureContext,
    };
    const missing = ['RTCPeerConnection', 'getUserMedia', 'WebSocket', 'EventSource'].filter((f) => !features[f]);
    const details = { name: b.name, version: b.version, minimumMajor: MIN_MAJOR[b.name] || null, features };
    const metrics = { majorVersion: b.major };
    if (!features.secureContext)
      return finish(c, 'failed', { code: 'INSECURE_CONTEXT', metrics, details, reason: 'the page is not in a secure context: open it over https:// (camera, microphone and some WebRTC features need it)' });
    if (b.other) return finish(c, 'failed', { code: 'BROWSER_UNSUPPORTED', metrics, details, reason: b.name + ' is not one of Chrome, Edge, Firefox or Safari (Virtual Room and RON Network Prerequisites)' });
    if (b.major < MIN_MAJOR[b.name]) return finish(c, 'failed', { code: 'BROWSER_OUTDATED', metrics, details, reason: b.name + ' ' + b.version + ' is older than ' + b.name + ' ' + MIN_MAJOR[b.name] + ': update it' });
    if (missing.length) return finish(c, 'failed', { code: 'BROWSER_FEATURE_MISSING', metrics, details, reason: 'missing: ' + missing.join(', ') + ' (disabled by policy or an extension?)' });
    return finish(c, 'ok', { metrics, details, reason: b.name + ' ' + b.version });
  }

  // ---- 2. camera and microphone ---------------------------------------------------------
  // `given`: one getUserMedia({audio, video}) the caller asked for (the signer page: one prompt, and
  // the tracks stay on for its preview); else this check asks for the one device and stops it.
  async function checkCapture(kind: 'camera' | 'microphone', given?: Promise<MediaStream>): Promise<BrowserCheck> {
    const c = begin('browser.' + kind, kind);
    let perm = 'unknown';
    try {
      perm = (await withTimeout(navigator.permissions.query({ name: kind as PermissionName }), 2000, 'permissions.query')).state;
    } catch (e) {
      /* Firefox has no camera/microphone permission query */
    }
    const details: Record<string, unknown> = { permission: perm };
    if (!window.isSecureContext) return finish(c, 'skipped', { details, reason: 'page not in a secure context: open it over https://' });
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
      return finish(c, 'failed', { code: 'CAPTURE_UNAVAILABLE', details, reason: 'navigator.mediaDevices.getUserMedia is missing (disabled by policy or an extension?)', message: 'getUserMedia missing' });
    }
    const req = given || navigator.mediaDevices.getUserMedia(kind === 'camera' ? { video: true } : { audio: true });
    try {
      const stream = await withTimeout(req, PROMPT_MS, 'the ' + kind + ' prompt');
      const tracks = given ? (kind === 'camera' ? stream.getVideoTracks() : stream.getAudioTracks()) : stream.getTracks();
      details.device = tracks[0] ? tracks[0].label : '';
      if (given && !tracks.length) return finish(c, 'failed', { code: 'CAPTURE_NO_DEVICE', message: 'no ' + kind + ' track', details, reason: 'no ' + kind + ' found on this device' });
      if (!given) tracks.forEach((t) => t.stop());
      try {
        details.permissionAfter = (await navigator.permissions.query({ name: kind as PermissionName })).state;
      } catch (e) {
        /* see above */
      }
      return finish(c, 'ok', { metrics: { trackCount: tracks.length }, details, reason: 'allowed' + (details.device ? ': ' + details.device : '') });
    } catch (e) {
      if (!given)
        req.then(
          (s) => s.getTracks().forEach((t) => t.stop()),
          () => {},
        );
      const name = errText(e, 'name') || 'Error';
      const msg = name + ': ' + errText(e, 'message');
      details.errorName = name;
      if (name === 'NetreadyTimeout') return finish(c, 'timeout', { code: 'CAPTURE_PROMPT_TIMEOUT', message: msg, details, reason: 'nobody answered the permission prompt within ' + PROMPT_MS / 1000 + ' s' });
      if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
        details.blocked = true;
        const why = /system/i.test(msg)
          ? 'denied by the operating system privacy settings'
          : perm === 'denied'
            ? 'denied by browser policy or a saved Block for this site'
            : 'denied at the prompt, by browser policy or by the operating system';
        return finish(c, 'failed', { code: 'CAPTURE_DENIED', message: msg, details, reason: why });
      }
      if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
        details.blocked = true;
        return finish(c, 'failed', { code: 'CAPTURE_NOT_READABLE', message: msg, details, reason: 'the device could not be started: in use by another application, or blocked by the operating system' });
      }
      if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
        return finish(c, 'failed', { code: 'CAPTURE_NO_DEVICE', message: msg, details, reason: 'no ' + kind + ' found on this computer' });
      }
      return finish(c, 'error', { code: 'CAPTURE_ERROR', message: msg, details, reason: msg });
    }
  }

  // ---- 3. WebRTC policy and a data-channel round trip --------------------------------------
  interface Candidate {
    type: string;
    protocol: string;
    tcpType?: string;
    relayProtocol?: string;
    address?: string;
    mdns?: boolean;
  }
  function parseCandidate(line: string, relayProtocol: string | undefined): Candidate {
    const f = String(line).replace(/^a=/, '').split(' ');
    const i = f.indexOf('typ');
    const c: Candidate = { type: i > 0 ? f[i + 1] : 'unknown', protocol: (f[2] || '').toLowerCase() };
    const t = f.indexOf('tcptype');
    if (t > 0) c.tcpType = f[t + 1];
    if (relayProtocol) c.relayProtocol = relayProtocol;
    // Private addresses stay on the page's machine: only the public ones (srflx, relay) are kept.
    if (c.type === 'srflx' || c.type === 'relay') c.address = f[4];
    else c.mdns = /\.local$/i.test(f[4] || '');
    return c;
  }
  async function iceServers(): Promise<RTCIceServer[]> {
    const servers: RTCIceServer[] = [];
    const turn = await fetchJson('/.netready/turn');
    if (turn && Array.isArray(turn.urls) && turn.urls.length) servers.push({ urls: turn.urls as string[], username: turn.username as string, credential: turn.credential as string });
    const media = await fetchJson('/.netready/media');
    const stun = media && (media.stun as { host?: unknown; port?: unknown } | null);
    if (stun && stun.host) {
      const h = String(stun.host);
      servers.push({ urls: 'stun:' + (h.indexOf(':') >= 0 ? '[' + h + ']' : h) + ':' + stun.port });
    }
    return servers;
  }
  function openWs(url: string): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        return reject(e);
      }
      const t = setTimeout(() => {
        ws.close();
        reject(timeoutError('WebSocket open', WS_OPEN_MS));
      }, WS_OPEN_MS);
      ws.onopen = () => {
        clearTimeout(t);
        resolve(ws);
      };
      ws.onerror = () => {
        clearTimeout(t);
        const e = new Error('WebSocket to ' + url + ' failed');
        e.name = 'WsError';
        reject(e);
      };
      ws.onclose = (ev) => {
        clearTimeout(t);
        const e = new Error('WebSocket closed before it opened (code ' + ev.code + ')');
        e.name = 'WsError';
        reject(e);
      };
    });
  }
  async function checkWebrtc(): Promise<BrowserCheck[]> {
    const ice = begin('browser.webrtc.ice', location.host);
    const dc = begin('browser.webrtc.datachannel', wsBase() + '/.netready/webrtc');
    if (typeof window.RTCPeerConnection !== 'function') {
      return [
        finish(ice, 'failed', { code: 'WEBRTC_UNAVAILABLE', details: { blocked: true }, reason: 'RTCPeerConnection is missing: WebRTC is disabled by policy or an extension' }),
        finish(dc, 'skipped', { reason: 'no WebRTC in this browser' }),
      ];
    }
    const servers = await iceServers();
    let pc: RTCPeerConnection;
    try {
      pc = new RTCPeerConnection({ iceServers: servers });
    } catch (e) {
      return [
        finish(ice, 'failed', { code: 'WEBRTC_UNAVAILABLE', message: errText(e, 'name') + ': ' + errText(e, 'message'), details: { blocked: true }, reason: 'the browser refused to create a peer connection' }),
        finish(dc, 'skipped', { reason: 'no peer connection' }),
      ];
    }
    const cands: Candidate[] = [];
    let ws: WebSocket | null = null;
    let peer = false;
    let answered = false;
    let gatherDone!: () => void;
    const gathered = new Promise<void>((r) => (gatherDone = r));
    const t0 = now();
    let gatherMs: number | null = null;
    pc.onicecandidate = (ev) => {
      if (!ev.candidate || !ev.candidate.candidate) {
        gatherDone();
        return;
      }
      cands.push(parseCandidate(ev.candidate.candidate, (ev.candidate as RTCIceCandidate & { relayProtocol?: string }).relayProtocol));
      if (peer && ws && ws.readyState === 1)
        ws.send(JSON.stringify({ type: 'candidate', candidate: { candidate: ev.candidate.candidate, sdpMid: ev.candidate.sdpMid, sdpMLineIndex: ev.candidate.sdpMLineIndex } }));
    };
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete') gatherDone();
    };
    const channel = pc.createDataChannel('netready', { ordered: true });
    const opened = new Promise<boolean>((resolve) => {
      channel.onopen = () => resolve(true);
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === 'failed') resolve(false);
      };
    });
    const closeAll = () => {
      try {
        channel.close();
      } catch (e) {
        /* closing anyway */
      }
      try {
        pc.close();
      } catch (e) {
        /* closing anyway */
      }
      try {
        if (ws) ws.close();
      } catch (e) {
        /* closing anyway */
      }
    };
    let signalNote = '';
    let answerSeen!: (v: boolean) => void;
    const answer = new Promise<boolean>((r) => (answerSeen = r));
    try {
      const sock = await openWs(wsBase() + '/.netready/webrtc');
      ws = sock;
      const first = new Promise<string>((resolve) => {
        sock.onmessage = (m) => {
          let s: { type?: string; sdp?: string; candidate?: RTCIceCandidateInit; message?: string; reason?: string };
          try {
            s = JSON.parse(m.data);
          } catch (e) {
            return;
          }
          if (s.type === 'ready' || s.type === 'hello') return resolve(s.type);
          if (s.type === 'answer')
            pc.setRemoteDescription({ type: 'answer', sdp: s.sdp }).then(
              () => {
                answered = true;
                answerSeen(true);
              },
              (e) => {
                signalNote = 'bad answer: ' + errText(e, 'message');
                answerSeen(false);
              },
            );
          else if (s.type === 'candidate') {
            const add = () => {
              pc.addIceCandidate(s.candidate).catch(() => {});
            };
            if (answered) add();
            else answer.then(add);
          } else if (s.type === 'error' || s.type === 'bye') {
            signalNote = s.type + ': ' + (s.message || s.reason || '');
            resolve(s.type);
            answerSeen(false);
          }
        };
        sock.onclose = () => {
          resolve('closed');
          answerSeen(false);
        };
      });
      sock.send(JSON.stringify({ type: 'hello' }));
      const kind = await withTimeout(first, 3000, 'WebRTC signalling');
      peer = kind === 'ready';
      if (!peer && !signalNote) signalNote = 'this serve has no WebRTC peer (a plain echo answered)';
    } catch (e) {
      signalNote = 'signalling: ' + errText(e, 'message');
    }
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      if (peer && ws) ws.send(JSON.stringify({ type: 'offer', sdp: pc.localDescription!.sdp }));
    } catch (e) {
      finish(ice, 'error', { code: 'WEBRTC_OFFER_FAILED', message: errText(e, 'name') + ': ' + errText(e, 'message') });
      closeAll();
      return [ice, finish(dc, 'skipped', { reason: 'no offer' })];
    }
    // Candidates sent before the offer (none: gathering starts with setLocalDescription).
    try {
      await withTimeout(gathered, GATHER_MS, 'ICE gathering');
      gatherMs = now() - t0;
    } catch (e) {
      /* bounded; what was gathered counts */
    }
    const count = (pred: (c: Candidate) => boolean) => cands.filter(pred).length;
    const direct = count((c) => c.protocol === 'udp' && (c.type === 'host' || c.type === 'srflx' || c.type === 'prflx'));
    const types = cands.map((c) => c.type + '/' + (c.relayProtocol || c.protocol)).filter((v, i, a) => a.indexOf(v) === i);
    const iceMetrics: Record<string, number> = {
      candidateCount: cands.length,
      hostCandidateCount: count((c) => c.type === 'host'),
      udpHostCandidateCount: count((c) => c.type === 'host' && c.protocol === 'udp'),
      srflxCandidateCount: count((c) => c.type === 'srflx'),
      relayCandidateCount: count((c) => c.type === 'relay'),
    };
    if (gatherMs !== null) iceMetrics.gatherMs = r1(gatherMs);
    const iceDetails: Record<string, unknown> = { candidateTypes: types, candidates: cands.slice(0, 32), iceServers: servers.map((s) => s.urls) };
    if (direct === 0) {
      iceDetails.blocked = true;
      finish(ice, 'failed', {
        code: 'WEBRTC_NO_UDP_CANDIDATES',
        metrics: iceMetrics,
        details: iceDetails,
        reason: cands.length ? 'the browser offered only ' + types.join(', ') + ': no direct UDP (host or server-reflexive) candidate' : 'the browser gathered no ICE candidates at all',
      });
    } else {
      finish(ice, 'ok', { metrics: iceMetrics, details: iceDetails, reason: 'candidates: ' + types.join(', ') });
    }

    if (!peer) {
      closeAll();
      return [ice, finish(dc, 'skipped', { reason: signalNote || 'no WebRTC peer' })];
    }
    if (!cands.length) {
      closeAll();
      return [ice, finish(dc, 'failed', { code: 'WEBRTC_NO_CANDIDATES', reason: 'nothing to connect with: no ICE candidate' })];
    }
    const left = Math.max(0, CONNECT_MS - (now() - t0));
    let isOpen = false;
    try {
      isOpen = await withTimeout(opened, left, 'data channel open');
    } catch (e) {
      /* below */
    }
    const dcDetails: Record<string, unknown> = { iceConnectionState: pc.iceConnectionState, connectionState: pc.connectionState };
    if (!isOpen) {
      closeAll();
      if (pc.connectionState === 'failed')
        return [
          ice,
          finish(dc, 'failed', { code: 'WEBRTC_CONNECT_FAILED', message: 'ICE/DTLS failed' + (signalNote ? ' (' + signalNote + ')' : ''), details: dcDetails, reason: 'no data channel to the serve: ICE or DTLS failed' }),
        ];
      return [
        ice,
        finish(dc, 'timeout', {
          code: 'WEBRTC_CONNECT_TIMEOUT',
          message: 'data channel not open after ' + CONNECT_MS / 1000 + ' s' + (signalNote ? ' (' + signalNote + ')' : ''),
          details: dcDetails,
          reason: 'no data channel to the serve within ' + CONNECT_MS / 1000 + ' s (ICE ' + pc.iceConnectionState + ')',
        }),
      ];
    }
    const connectMs = now() - t0;
    const rtts = await echoRound(
      'dc',
      'data channel echo',
      (text) => channel.send(text),
      (onData) => {
        channel.onmessage = (m) => onData(m.data);
      },
    );
    try {
      const stats = await pc.getStats();
      stats.forEach((r) => {
        if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
          const l = stats.get(r.localCandidateId);
          if (l) dcDetails.selectedLocal = (l.candidateType || '') + '/' + (l.protocol || '');
        }
      });
    } catch (e) {
      /* getStats is extra evidence only */
    }
    closeAll();
    const dm: Record<string, number> = { connectMs: r1(connectMs), echoCount: rtts.length };
    if (rtts.length) dm.rttMs = r1(median(rtts)!);
    if (!rtts.length) return [ice, finish(dc, 'failed', { code: 'WEBRTC_NO_ECHO', metrics: dm, details: dcDetails, reason: 'the data channel opened but nothing came back' })];
    return [ice, finish(dc, 'ok', { metrics: dm, details: dcDetails, reason: rtts.length + ' round trips, ' + dm.rttMs + ' ms' })];
  }

  // ---- 4. WebSocket and EventSource through the browser's own path -------------------------
  async function checkWebSocket(): Promise<BrowserCheck> {
    const url = wsBase() + '/.netready/ws-probe';
    const c = begin('browser.websocket', url);
    const t0 = now();
    let ws: WebSocket;
    try {
      ws = await openWs(url);
    } catch (e) {
      const to = errText(e, 'name') === 'NetreadyTimeout';
      return finish(c, to ? 'timeout' : 'failed', { code: to ? 'WS_OPEN_TIMEOUT' : 'WS_OPEN_FAILED', message: errText(e, 'message'), reason: 'the WebSocket upgrade did not complete' });
    }
    const connectMs = now() - t0;
    let closed = false;
    ws.onclose = () => {
      closed = true;
    };
    const rtts = await echoRound(
      'ws',
      'WebSocket echo',
      (text) => ws.send(text),
      (onData) => {
        ws.onmessage = (m) => onData(m.data);
      },
      () => closed,
    );
    ws.close();
    const m: Record<string, number> = { connectMs: r1(connectMs), echoCount: rtts.length };
    if (rtts.length) m.rttMs = r1(median(rtts)!);
    if (!rtts.length) return finish(c, 'failed', { code: 'WS_NO_FRAMES', metrics: m, message: 'upgraded, but no frame came back', reason: 'the upgrade completed but no frames came back' });
    return finish(c, 'ok', { metrics: m, reason: rtts.length + ' echoes, ' + m.rttMs + ' ms' });
  }

  function checkEventSource(): Promise<BrowserCheck> {
    const url = '/virtual-room/netready-probe/event?interval=' + SSE_INTERVAL_MS + '&count=' + SSE_COUNT;
    const c = begin('browser.sse', location.origin + url);
    return new Promise((resolve) => {
      const t0 = now();
      const got: { at: number; lag: number }[] = [];
      let opened = false;
      let es: EventSource;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const end = () => {
        clearTimeout(timer);
        try {
          es.close();
        } catch (e) {
          /* closing anyway */
        }
        const m: Record<string, number> = { eventCount: got.length };
        if (!got.length) {
          return resolve(
            finish(c, 'failed', {
              code: opened ? 'SSE_NO_EVENTS' : 'SSE_OPEN_FAILED',
              metrics: m,
              reason: opened ? 'the stream opened but no event arrived within ' + SSE_MS / 1000 + ' s' : 'the event stream could not be opened',
            }),
          );
        }
        const lags = got.map((g) => g.lag);
        m.firstEventMs = r1(got[0].at);
        m.firstEventLagMs = r1(got[0].lag);
        m.maxLagMs = r1(Math.max(...lags));
        if (got[0].lag > SSE_LATE_MS)
          return resolve(
            finish(c, 'failed', {
              code: 'SSE_BUFFERED',
              metrics: m,
              reason: 'the first event arrived ' + r1(got[0].lag / 1000) + ' s after it was sent (over ' + SSE_LATE_MS / 1000 + ' s): something buffers the stream',
            }),
          );
        if (got.length < SSE_COUNT) return resolve(finish(c, 'failed', { code: 'SSE_CUT', metrics: m, reason: 'only ' + got.length + ' of ' + SSE_COUNT + ' events arrived' }));
        resolve(finish(c, 'ok', { metrics: m, reason: got.length + ' events, first after ' + m.firstEventMs + ' ms' }));
      };
      try {
        es = new EventSource(url);
      } catch (e) {
        return resolve(finish(c, 'failed', { code: 'SSE_OPEN_FAILED', message: errText(e, 'message'), reason: 'EventSource refused the URL' }));
      }
      timer = setTimeout(end, SSE_MS);
      es.onopen = () => {
        opened = true;
      };
      es.addEventListener('tick', (ev) => {
        const at = now() - t0;
        let d: { offsetMs?: unknown };
        try {
          d = JSON.parse((ev as MessageEvent).data);
        } catch (e) {
          return;
        }
        got.push({ at, lag: at - (Number(d.offsetMs) || 0) });
        if (got.length >= SSE_COUNT) end();
      });
      es.onerror = () => {
        if (es.readyState === 2 || !opened) end();
      };
    });
  }

  // ---- 5. causes, checklist, the report ----------------------------------------------------
  function causesFrom(checks: BrowserCheck[]): BrowserCause[] {
    const by: Record<string, BrowserCheck> = {};
    checks.forEach((c) => {
      by[c.id] = c;
    });
    const out: BrowserCause[] = [];
    const add = (id: BrowserCauseId, evidence: string[], summary: string, remedy: string) => {
      out.push({ id, severity: 'blocking', summary, evidence, remedy });
    };
    const cam = by['browser.camera'];
    const mic = by['browser.microphone'];
    const ice = by['browser.webrtc.ice'];
    const ws = by['browser.websocket'];
    const sse = by['browser.sse'];
    // seed 000: camera and microphone must be allowed at the OS, browser-policy and prompt level.
    if (cam && cam.details && cam.details.blocked)
      add(
        'camera-blocked',
        ['browser.camera'],
        'camera capture refused: ' + cam.reason + ' (' + (cam.error ? cam.error.message : '') + ')',
        'Allow the camera at all three levels: the OS privacy settings (Windows camera privacy, macOS Privacy & Security > Camera), the browser policy (VideoCaptureAllowed, VideoCaptureAllowedUrls for the OneSpan Sign domain), and the site prompt (click Allow; clear a saved Block in the site settings).',
      );
    if (mic && mic.details && mic.details.blocked)
      add(
        'microphone-blocked',
        ['browser.microphone'],
        'microphone capture refused: ' + mic.reason + ' (' + (mic.error ? mic.error.message : '') + ')',
        'Allow the microphone at all three levels: the OS privacy settings (Windows microphone privacy, macOS Privacy & Security > Microphone), the browser policy (AudioCaptureAllowed, AudioCaptureAllowedUrls for the OneSpan Sign domain), and the site prompt (click Allow; clear a saved Block in the site settings).',
      );
    // seed 000: "Do not disable WebRTC via browser group policy."
    if (ice && ice.details && ice.details.blocked)
      add(
        'webrtc-policy-blocked',
        ['browser.webrtc.ice'],
        "the browser's WebRTC policy stops UDP: " + ice.reason,
        'Remove the browser policy or extension that restricts WebRTC for participants: Chrome/Edge WebRtcIPHandling (disable_non_proxied_udp), WebRtcUdpPortRange, Firefox media.peerconnection settings, or WebRTC-blocking extensions.',
      );
    if (ws && ws.status !== 'ok')
      add(
        'websocket-blocked',
        ['browser.websocket'],
        "the browser's WebSocket to this server failed: " + (ws.reason || ''),
        'Let the proxy pass the HTTP/1.1 Upgrade: websocket handshake on port 443 and frames after it (no TLS inspection on the section 1 domains).',
      );
    if (sse && sse.status !== 'ok') {
      const buffered = sse.error && sse.error.code === 'SSE_BUFFERED';
      add(
        buffered ? 'sse-buffered' : 'sse-blocked',
        ['browser.sse'],
        "the browser's event stream: " + (sse.reason || ''),
        buffered
          ? 'Exempt text/event-stream responses on the OneSpan Sign domain from proxy/antivirus/DLP buffering and scanning.'
          : 'Let the proxy pass long-lived text/event-stream responses on /virtual-room/* of the OneSpan Sign domain.',
      );
    }
    return out;
  }
  function checklistFrom(checks: BrowserCheck[], causes: BrowserCause[]): BrowserChecklistItem[] {
    const cam = checks.filter((c) => c.id === 'browser.camera')[0];
    const mic = checks.filter((c) => c.id === 'browser.microphone')[0];
    const item: BrowserChecklistItem = { id: 'camera-mic-policy', status: 'pass', evidence: ['browser.camera', 'browser.microphone'], text: CHECKLIST_TEXT };
    const blocked = causes.filter((c) => c.id === 'camera-blocked' || c.id === 'microphone-blocked');
    if (blocked.length) {
      item.status = 'fail';
      item.reason = blocked.map((c) => c.summary).join('; ');
    } else if (!cam || !mic) {
      item.status = 'not-checked';
      item.reason = 'not run';
    } else if (cam.status === 'skipped' || mic.status === 'skipped') {
      item.status = 'not-checked';
      item.reason = cam.reason || mic.reason;
    } else if (cam.status !== 'ok' || mic.status !== 'ok') {
      item.status = 'warn';
      item.reason = [cam, mic]
        .filter((c) => c.status !== 'ok')
        .map((c) => c.id + ': ' + c.reason)
        .join('; ');
    }
    return [item];
  }

  async function run(): Promise<void> {
    setBusy(true);
    const doc = await measure(undefined, say);
    current = doc;
    render(doc, 'This browser, ' + new Date(doc.startedAt).toLocaleString());
    setBusy(false);
    say('Done. Save keeps the results in a file; they were also sent to the server.');
    await post(doc);
  }

  /**
   * Every check, and the document they make (no rendering, nothing sent): the IT page's Run, and
   * the signer's invite page (window.netreadyMeasure), which passes its one camera+microphone
   * request as `capture`.
   */
  async function measure(capture: Promise<MediaStream> | undefined, progress: (text: string) => void): Promise<BrowserResults> {
    const t0 = now();
    const startedAt = new Date().toISOString();
    progress('Checking the browser ...');
    let checks = [checkSupport()];
    progress('Asking for the camera (click Allow if your browser asks) ...');
    checks.push(await checkCapture('camera', capture));
    progress('Asking for the microphone (click Allow if your browser asks) ...');
    checks.push(await checkCapture('microphone', capture));
    progress('Checking WebRTC, WebSocket and the event stream ...');
    const net = await Promise.all([
      checkWebrtc().catch((e) => [finish(begin('browser.webrtc.ice', location.host), 'error', { code: 'PAGE_ERROR', message: String(e && e.message) })]),
      checkWebSocket(),
      checkEventSource(),
    ]);
    checks = checks.concat(net[0], [net[1], net[2]]);
    const causes = causesFrom(checks);
    const b = parseBrowser(navigator.userAgent);
    const doc: BrowserResults = {
      schema: SCHEMA,
      userAgent: navigator.userAgent,
      startedAt,
      durationMs: r1(now() - t0),
      origin: location.origin,
      browser: { name: b.name, version: b.version },
      checks,
      causes,
      checklist: checklistFrom(checks, causes),
    };
    return doc;
  }

  async function post(doc: BrowserResults): Promise<void> {
    const p = $('posted');
    try {
      const ctl = new AbortController();
      const t = setTimeout(() => ctl.abort(), FETCH_MS);
      const r = await fetch('/.netready/browser-results', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(doc), signal: ctl.signal });
      clearTimeout(t);
      const body = (await r.json().catch(() => ({}))) as { id?: number; error?: string };
      p.textContent = r.ok
        ? 'Sent to the server as result ' + body.id + ': your support contact can fetch it from ' + location.origin + '/.netready/browser-results/' + body.id + " with the server's admin token."
        : 'The server did not keep the results (HTTP ' + r.status + (body.error ? ': ' + body.error : '') + '); use Save and send the file instead.';
      document.body.setAttribute('data-posted', r.ok ? 'yes' : 'no');
    } catch (e) {
      p.textContent = 'Could not send the results to the server (' + errText(e, 'message') + '); use Save and send the file instead.';
      document.body.setAttribute('data-posted', 'no');
    }
  }

  // ---- rendering (textContent only: a loaded file is untrusted) -----------------------------
  function el(tag: string, text?: unknown, cls?: string): HTMLElement {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function fmtMetrics(m: Record<string, number> | undefined): string {
    return Object.keys(m || {})
      .map((k) => k + ' ' + m![k])
      .join(', ');
  }
  function render(doc: BrowserResults, source: string): void {
    $('report').hidden = false;
    $('source').textContent = source;
    const blocking = doc.causes.filter((c) => c.severity === 'blocking');
    $('verdict').textContent = blocking.length
      ? 'Not ready: ' + blocking.length + ' problem(s) this browser would hit in a Virtual Room session.'
      : 'Ready: this browser can use the camera, the microphone, WebRTC and the streams Virtual Room needs.';
    $('verdict').className = blocking.length ? 'st st-fail' : 'st st-pass';
    const ul = $('causes');
    ul.textContent = '';
    if (!doc.causes.length) ul.appendChild(el('li', 'Nothing: no problem found.'));
    doc.causes.forEach((c) => {
      const li = el('li');
      li.setAttribute('data-cause', c.id);
      li.appendChild(el('strong', c.id, 'st st-' + c.severity));
      li.appendChild(document.createTextNode(' (' + c.severity + '): ' + c.summary));
      li.appendChild(el('span', 'Fix: ' + c.remedy, 'remedy'));
      ul.appendChild(li);
    });
    const cl = $('checklist');
    cl.textContent = '';
    doc.checklist.forEach((i) => {
      const li = el('li');
      li.setAttribute('data-checklist', i.id);
      li.setAttribute('data-status', i.status);
      li.appendChild(el('span', i.status.toUpperCase(), 'st st-' + i.status));
      li.appendChild(document.createTextNode(' ' + i.id + ': ' + (i.text || '') + (i.reason ? ' (' + i.reason + ')' : '')));
      cl.appendChild(li);
    });
    const tb = $('checks');
    tb.textContent = '';
    doc.checks.forEach((c) => {
      const tr = el('tr');
      tr.setAttribute('data-check', c.id);
      tr.setAttribute('data-status', c.status);
      const th = el('th', c.id) as HTMLTableCellElement;
      th.scope = 'row';
      tr.appendChild(th);
      tr.appendChild(el('td', c.status.toUpperCase() + (c.error ? ' ' + c.error.code : ''), 'st st-' + c.status));
      tr.appendChild(el('td', fmtMetrics(c.metrics)));
      tr.appendChild(el('td', c.reason || (c.error ? c.error.message : '')));
      tb.appendChild(tr);
    });
    button('save').disabled = false;
    document.body.setAttribute('data-state', 'done');
  }

  /** A loaded file is untrusted: the first thing wrong with it, or null. */
  function problem(doc: unknown): string | null {
    if (!doc || typeof doc !== 'object') return 'not a JSON object';
    const d = doc as Record<string, unknown>;
    if (d.schema !== SCHEMA) return 'not a ' + SCHEMA + ' file (schema: ' + String(d.schema) + ')';
    if (typeof d.userAgent !== 'string' || typeof d.startedAt !== 'string') return 'userAgent or startedAt missing';
    if (!Array.isArray(d.checks) || !Array.isArray(d.causes) || !Array.isArray(d.checklist)) return 'checks, causes or checklist missing';
    const all = (d.checks as unknown[]).concat(d.causes, d.checklist) as (Record<string, unknown> | null)[];
    const bad = all.some((x) => !x || typeof x !== 'object' || typeof x.id !== 'string');
    if (bad) return 'an entry without an id';
    const entries = (a: unknown) => a as Record<string, unknown>[];
    if (entries(d.checks).some((c) => typeof c.status !== 'string') || entries(d.checklist).some((c) => typeof c.status !== 'string')) return 'an entry without a status';
    if (entries(d.causes).some((c) => typeof c.severity !== 'string' || typeof c.summary !== 'string' || typeof c.remedy !== 'string')) return 'a cause without severity, summary or remedy';
    return null;
  }

  function save(): void {
    if (!current) return;
    const blob = new Blob([JSON.stringify(current, null, 2) + '\n'], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'netready-browser-' + current.startedAt.replace(/[:.]/g, '-') + '.json';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    say('Saved as ' + a.download + '.');
  }

  function load(file: File | undefined): void {
    if (!file) return;
    if (file.size > 1024 * 1024) {
      say('That file is too large to be netready browser results (over 1 MB).', true);
      return;
    }
    const reader = new FileReader();
    reader.onload = () => {
      let doc: unknown;
      try {
        doc = JSON.parse(String(reader.result));
      } catch (e) {
        say(file.name + ' is not JSON: ' + errText(e, 'message'), true);
        return;
      }
      const p = problem(doc);
      if (p) {
        say(file.name + ': ' + p, true);
        return;
      }
      const loaded = doc as BrowserResults;
      current = loaded;
      render(loaded, 'Loaded from ' + file.name + ': a run of ' + loaded.userAgent + ' at ' + loaded.startedAt);
      $('posted').textContent = '';
      say('Loaded ' + file.name + '.');
    };
    reader.onerror = () => say('Could not read ' + file.name + '.', true);
    reader.readAsText(file);
  }

  function say(text: string, isError?: boolean): void {
    const s = $('status');
    s.textContent = text;
    s.setAttribute('role', isError ? 'alert' : 'status');
    s.className = isError ? 'st st-fail' : '';
  }
  function setBusy(b: boolean): void {
    button('run').disabled = b;
    button('load').disabled = b;
    if (b) button('save').disabled = true;
    document.body.setAttribute('data-state', b ? 'running' : 'idle');
  }

  function start(): void {
    $('nojs').hidden = true;
    button('run').disabled = false;
    button('load').disabled = false;
    $('run').addEventListener('click', () => {
      run().catch((e) => {
        setBusy(false);
        say('The check stopped: ' + (e && e.message), true);
      });
    });
    $('save').addEventListener('click', save);
    const file = $('file') as HTMLInputElement;
    $('load').addEventListener('click', () => {
      file.value = '';
      file.click();
    });
    file.addEventListener('change', () => load(file.files ? file.files[0] : undefined));
    document.body.setAttribute('data-state', 'idle');
  }
  // The signer's invite page loads this script for its measurements only (src/serve/results/signer.ts).
  if (NETREADY.mode === 'signer') (window as unknown as { netreadyMeasure: typeof measure }).netreadyMeasure = measure;
  else if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
