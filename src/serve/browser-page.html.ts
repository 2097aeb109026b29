// The static assets of the browser page (src/serve/browser-page.ts): HTML, CSS and the script,
// as strings so there is no build step and no external CDN. The script is plain ES2020 browser
// JavaScript (no template literals, so it can live in String.raw below); it runs in the
// participant's browser and talks only to the serve that delivered it (same origin).

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netready: browser check for Virtual Room</title>
<link rel="stylesheet" href="/.netready/page.css">
<script src="/.netready/page.js" defer></script>
</head>
<body>
<main>
<h1>netready: browser check</h1>
<p>This page checks what only your browser can tell: whether it is a supported browser, whether
it may use your camera and microphone, whether its WebRTC policy lets video through, and whether
WebSocket and event streams pass your proxy. Nothing leaves this page except to the server that
delivered it.</p>
<p id="nojs" class="warn">If this text stays, your browser could not run the check: use a current
version of Chrome, Edge, Firefox or Safari with JavaScript enabled.</p>
<div class="actions">
<button type="button" id="run" disabled>Run</button>
<button type="button" id="save" disabled>Save</button>
<button type="button" id="load" disabled>Load</button>
<input type="file" id="file" accept="application/json,.json" hidden>
</div>
<p>Your browser may ask for the camera and the microphone: click <strong>Allow</strong>. The
devices are switched off again at once.</p>
<p id="status" role="status" aria-live="polite"></p>
<section id="report" aria-labelledby="report-title" hidden>
<h2 id="report-title">Results</h2>
<p id="source"></p>
<p id="verdict"></p>
<h3>What to fix</h3>
<ul id="causes"></ul>
<h3>Pre-session checklist</h3>
<ul id="checklist"></ul>
<h3>Checks</h3>
<table>
<caption>Every check this page ran, in order</caption>
<thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Measured</th><th scope="col">Why</th></tr></thead>
<tbody id="checks"></tbody>
</table>
<p id="posted"></p>
</section>
</main>
</body>
</html>
`;

export const PAGE_CSS = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.45; }
main { max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
.actions { display: flex; gap: .75rem; margin: 1rem 0; }
button { font-size: 1.05rem; padding: .5rem 1.4rem; cursor: pointer; }
button:disabled { cursor: default; }
button:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-style: italic; padding-bottom: .3rem; }
th, td { border: 1px solid #8884; padding: .35rem .5rem; text-align: left; vertical-align: top; }
.st { font-weight: bold; white-space: nowrap; }
.st-ok, .st-pass { color: #15803d; }
.st-failed, .st-timeout, .st-error, .st-fail, .st-blocking { color: #b91c1c; }
.st-warn, .st-skipped, .st-not-checked, .st-degrading { color: #a16207; }
.warn { color: #a16207; }
#causes li { margin-bottom: .6rem; }
.remedy { display: block; }
`;

export const PAGE_JS = String.raw`'use strict';
(function () {
  var SCHEMA = 'netready/browser@1';
  // seed 000_637c892c7d775e13.txt: "Use a current version of Chrome, Edge, Firefox, or Safari."
  // A page cannot know today's newest release; these floors are the releases of late 2023
  // (Firefox: the 115 ESR line), so anything older is certainly not current.
  var MIN_MAJOR = { Chrome: 120, Edge: 120, Firefox: 115, Safari: 17 };
  var PROMPT_MS = 60000;       // the participant has to find and click Allow
  var FETCH_MS = 4000;
  var WS_OPEN_MS = 5000;
  var ECHO_MS = 3000;
  var ECHOES = 3;
  var GATHER_MS = 8000;        // ICE gathering, bounded even when a TURN server does not answer
  var CONNECT_MS = 10000;      // data channel open, from the offer
  var SSE_COUNT = 6;
  var SSE_INTERVAL_MS = 500;
  var SSE_MS = 10000;
  var SSE_LATE_MS = 2000;      // contract: sse-buffered = first event later than 2 s after it was sent
  var CHECKLIST_TEXT = 'Managed browser policy allows camera and microphone access for the OneSpan Sign domain.';

  var $ = function (id) { return document.getElementById(id); };
  var now = function () { return performance.now(); };
  var r1 = function (n) { return Math.round(n * 10) / 10; };
  var current = null;

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function timeoutError(what, ms) { var e = new Error(what + ' took longer than ' + ms / 1000 + ' s'); e.name = 'NetreadyTimeout'; return e; }
  function withTimeout(p, ms, what) {
    var t;
    return Promise.race([p, new Promise(function (_, rej) { t = setTimeout(function () { rej(timeoutError(what, ms)); }, ms); })])
      .finally(function () { clearTimeout(t); });
  }
  function median(a) { if (!a.length) return null; var s = a.slice().sort(function (x, y) { return x - y; }); var m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; }
  function wsBase() { return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host; }

  function begin(id, target) { return { id: id, target: target, status: 'error', durationMs: 0, metrics: {}, error: null, _t0: now() }; }
  function finish(c, status, o) {
    o = o || {};
    c.status = status;
    c.durationMs = r1(now() - c._t0);
    delete c._t0;
    if (o.metrics) c.metrics = o.metrics;
    c.error = o.code ? { code: o.code, message: String(o.message || o.code).slice(0, 500) } : null;
    if (o.reason) c.reason = o.reason;
    if (o.details) c.details = o.details;
    return c;
  }
  async function fetchJson(path) {
    var ctl = new AbortController();
    var t = setTimeout(function () { ctl.abort(); }, FETCH_MS);
    try {
      var r = await fetch(path, { cache: 'no-store', signal: ctl.signal });
      if (!r.ok) return null;
      return await r.json();
    } catch (e) { return null; } finally { clearTimeout(t); }
  }

  // ---- 1. browser support ---------------------------------------------------------------
  function parseBrowser(ua) {
    var m;
    if ((m = /\b(?:Edg|EdgA|EdgiOS)\/(\d+)(?:\.(\d+))?/.exec(ua))) return { name: 'Edge', major: +m[1], version: m[1] + '.' + (m[2] || '0') };
    if ((m = /\b(OPR|Opera|SamsungBrowser|YaBrowser|Vivaldi)\/(\d+)/.exec(ua))) return { name: m[1], major: +m[2], version: m[2], other: true };
    if ((m = /\b(?:HeadlessChrome|Chrome|CriOS|Chromium)\/(\d+)(?:\.(\d+))?/.exec(ua))) return { name: 'Chrome', major: +m[1], version: m[1] + '.' + (m[2] || '0') };
    if ((m = /\b(?:Firefox|FxiOS)\/(\d+)(?:\.(\d+))?/.exec(ua))) return { name: 'Firefox', major: +m[1], version: m[1] + '.' + (m[2] || '0') };
    if (/Safari\//.test(ua) && (m = /\bVersion\/(\d+)(?:\.(\d+))?/.exec(ua))) return { name: 'Safari', major: +m[1], version: m[1] + '.' + (m[2] || '0') };
    return { name: 'unknown', major: 0, version: '', other: true };
  }
  function checkSupport() {
    var c = begin('browser.support', navigator.userAgent);
    var b = parseBrowser(navigator.userAgent);
    var features = {
      RTCPeerConnection: typeof window.RTCPeerConnection === 'function',
      getUserMedia: !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia),
      WebSocket: typeof window.WebSocket === 'function',
      EventSource: typeof window.EventSource === 'function',
      permissions: !!(navigator.permissions && navigator.permissions.query),
      secureContext: !!window.isSecureContext,
    };
    var missing = ['RTCPeerConnection', 'getUserMedia', 'WebSocket', 'EventSource'].filter(function (f) { return !features[f]; });
    var details = { name: b.name, version: b.version, minimumMajor: MIN_MAJOR[b.name] || null, features: features };
    var metrics = { majorVersion: b.major };
    if (!features.secureContext) return finish(c, 'failed', { code: 'INSECURE_CONTEXT', metrics: metrics, details: details, reason: 'the page is not in a secure context: open it over https:// (camera, microphone and some WebRTC features need it)' });
    if (b.other) return finish(c, 'failed', { code: 'BROWSER_UNSUPPORTED', metrics: metrics, details: details, reason: b.name + ' is not one of Chrome, Edge, Firefox or Safari (seed 000)' });
    if (b.major < MIN_MAJOR[b.name]) return finish(c, 'failed', { code: 'BROWSER_OUTDATED', metrics: metrics, details: details, reason: b.name + ' ' + b.version + ' is older than ' + b.name + ' ' + MIN_MAJOR[b.name] + ': update it' });
    if (missing.length) return finish(c, 'failed', { code: 'BROWSER_FEATURE_MISSING', metrics: metrics, details: details, reason: 'missing: ' + missing.join(', ') + ' (disabled by policy or an extension?)' });
    return finish(c, 'ok', { metrics: metrics, details: details, reason: b.name + ' ' + b.version });
  }

  // ---- 2. camera and microphone ---------------------------------------------------------
  async function checkCapture(kind) {
    var c = begin('browser.' + kind, kind);
    var perm = 'unknown';
    try { perm = (await withTimeout(navigator.permissions.query({ name: kind }), 2000, 'permissions.query')).state; } catch (e) { /* Firefox has no camera/microphone permission query */ }
    var details = { permission: perm };
    if (!window.isSecureContext) return finish(c, 'skipped', { details: details, reason: 'page not in a secure context: open it over https://' });
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
      return finish(c, 'failed', { code: 'CAPTURE_UNAVAILABLE', details: details, reason: 'navigator.mediaDevices.getUserMedia is missing (disabled by policy or an extension?)', message: 'getUserMedia missing' });
    }
    var req = navigator.mediaDevices.getUserMedia(kind === 'camera' ? { video: true } : { audio: true });
    try {
      var stream = await withTimeout(req, PROMPT_MS, 'the ' + kind + ' prompt');
      var tracks = stream.getTracks();
      details.device = tracks[0] ? tracks[0].label : '';
      tracks.forEach(function (t) { t.stop(); });
      try { details.permissionAfter = (await navigator.permissions.query({ name: kind })).state; } catch (e) { /* see above */ }
      return finish(c, 'ok', { metrics: { trackCount: tracks.length }, details: details, reason: 'allowed' + (details.device ? ': ' + details.device : '') });
    } catch (e) {
      req.then(function (s) { s.getTracks().forEach(function (t) { t.stop(); }); }, function () {});
      var name = (e && e.name) || 'Error';
      var msg = name + ': ' + ((e && e.message) || '');
      details.errorName = name;
      if (name === 'NetreadyTimeout') return finish(c, 'timeout', { code: 'CAPTURE_PROMPT_TIMEOUT', message: msg, details: details, reason: 'nobody answered the permission prompt within ' + PROMPT_MS / 1000 + ' s' });
      if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
        details.blocked = true;
        var why = /system/i.test(msg) ? 'denied by the operating system privacy settings' : perm === 'denied' ? 'denied by browser policy or a saved Block for this site' : 'denied at the prompt, by browser policy or by the operating system';
        return finish(c, 'failed', { code: 'CAPTURE_DENIED', message: msg, details: details, reason: why });
      }
      if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
        details.blocked = true;
        return finish(c, 'failed', { code: 'CAPTURE_NOT_READABLE', message: msg, details: details, reason: 'the device could not be started: in use by another application, or blocked by the operating system' });
      }
      if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
        return finish(c, 'failed', { code: 'CAPTURE_NO_DEVICE', message: msg, details: details, reason: 'no ' + kind + ' found on this computer' });
      }
      return finish(c, 'error', { code: 'CAPTURE_ERROR', message: msg, details: details, reason: msg });
    }
  }

  // ---- 3. WebRTC policy and a data-channel round trip --------------------------------------
  function parseCandidate(line, relayProtocol) {
    var f = String(line).replace(/^a=/, '').split(' ');
    var i = f.indexOf('typ');
    var c = { type: i > 0 ? f[i + 1] : 'unknown', protocol: (f[2] || '').toLowerCase() };
    var t = f.indexOf('tcptype');
    if (t > 0) c.tcpType = f[t + 1];
    if (relayProtocol) c.relayProtocol = relayProtocol;
    // Private addresses stay on the page's machine: only the public ones (srflx, relay) are kept.
    if (c.type === 'srflx' || c.type === 'relay') c.address = f[4];
    else c.mdns = /\.local$/i.test(f[4] || '');
    return c;
  }
  async function iceServers() {
    var servers = [];
    var turn = await fetchJson('/.netready/turn');
    if (turn && Array.isArray(turn.urls) && turn.urls.length) servers.push({ urls: turn.urls, username: turn.username, credential: turn.credential });
    var media = await fetchJson('/.netready/media');
    if (media && media.stun && media.stun.host) {
      var h = String(media.stun.host);
      servers.push({ urls: 'stun:' + (h.indexOf(':') >= 0 ? '[' + h + ']' : h) + ':' + media.stun.port });
    }
    return servers;
  }
  function openWs(url) {
    return new Promise(function (resolve, reject) {
      var ws;
      try { ws = new WebSocket(url); } catch (e) { return reject(e); }
      var t = setTimeout(function () { ws.close(); var e = timeoutError('WebSocket open', WS_OPEN_MS); reject(e); }, WS_OPEN_MS);
      ws.onopen = function () { clearTimeout(t); resolve(ws); };
      ws.onerror = function () { clearTimeout(t); var e = new Error('WebSocket to ' + url + ' failed'); e.name = 'WsError'; reject(e); };
      ws.onclose = function (ev) { clearTimeout(t); var e = new Error('WebSocket closed before it opened (code ' + ev.code + ')'); e.name = 'WsError'; reject(e); };
    });
  }
  async function checkWebrtc() {
    var ice = begin('browser.webrtc.ice', location.host);
    var dc = begin('browser.webrtc.datachannel', wsBase() + '/.netready/webrtc');
    if (typeof window.RTCPeerConnection !== 'function') {
      return [
        finish(ice, 'failed', { code: 'WEBRTC_UNAVAILABLE', details: { blocked: true }, reason: 'RTCPeerConnection is missing: WebRTC is disabled by policy or an extension' }),
        finish(dc, 'skipped', { reason: 'no WebRTC in this browser' }),
      ];
    }
    var servers = await iceServers();
    var pc;
    try { pc = new RTCPeerConnection({ iceServers: servers }); } catch (e) {
      return [
        finish(ice, 'failed', { code: 'WEBRTC_UNAVAILABLE', message: e.name + ': ' + e.message, details: { blocked: true }, reason: 'the browser refused to create a peer connection' }),
        finish(dc, 'skipped', { reason: 'no peer connection' }),
      ];
    }
    var cands = [];
    var ws = null;
    var peer = false;
    var answered = false;
    var gatherDone;
    var gathered = new Promise(function (r) { gatherDone = r; });
    var t0 = now();
    var gatherMs = null;
    pc.onicecandidate = function (ev) {
      if (!ev.candidate || !ev.candidate.candidate) { gatherDone(); return; }
      cands.push(parseCandidate(ev.candidate.candidate, ev.candidate.relayProtocol));
      if (peer && ws && ws.readyState === 1) ws.send(JSON.stringify({ type: 'candidate', candidate: { candidate: ev.candidate.candidate, sdpMid: ev.candidate.sdpMid, sdpMLineIndex: ev.candidate.sdpMLineIndex } }));
    };
    pc.onicegatheringstatechange = function () { if (pc.iceGatheringState === 'complete') gatherDone(); };
    var channel = pc.createDataChannel('netready', { ordered: true });
    var opened = new Promise(function (resolve) {
      channel.onopen = function () { resolve(true); };
      pc.onconnectionstatechange = function () { if (pc.connectionState === 'failed') resolve(false); };
    });
    var signalNote = '';
    var answerSeen;
    var answer = new Promise(function (r) { answerSeen = r; });
    try {
      ws = await openWs(wsBase() + '/.netready/webrtc');
      var first = new Promise(function (resolve) {
        ws.onmessage = function (m) {
          var s; try { s = JSON.parse(m.data); } catch (e) { return; }
          if (s.type === 'ready' || s.type === 'hello') return resolve(s.type);
          if (s.type === 'answer') pc.setRemoteDescription({ type: 'answer', sdp: s.sdp }).then(function () { answered = true; answerSeen(true); }, function (e) { signalNote = 'bad answer: ' + e.message; answerSeen(false); });
          else if (s.type === 'candidate') { var add = function () { pc.addIceCandidate(s.candidate).catch(function () {}); }; if (answered) add(); else answer.then(add); }
          else if (s.type === 'error' || s.type === 'bye') { signalNote = s.type + ': ' + (s.message || s.reason || ''); resolve(s.type); answerSeen(false); }
        };
        ws.onclose = function () { resolve('closed'); answerSeen(false); };
      });
      ws.send(JSON.stringify({ type: 'hello' }));
      var kind = await withTimeout(first, 3000, 'WebRTC signalling');
      peer = kind === 'ready';
      if (!peer && !signalNote) signalNote = 'this serve has no WebRTC peer (a plain echo answered)';
    } catch (e) { signalNote = 'signalling: ' + e.message; }
    try {
      var offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      if (peer) ws.send(JSON.stringify({ type: 'offer', sdp: pc.localDescription.sdp }));
    } catch (e) {
      finish(ice, 'error', { code: 'WEBRTC_OFFER_FAILED', message: e.name + ': ' + e.message });
      closeAll();
      return [ice, finish(dc, 'skipped', { reason: 'no offer' })];
    }
    // Candidates sent before the offer (none: gathering starts with setLocalDescription).
    try { await withTimeout(gathered, GATHER_MS, 'ICE gathering'); gatherMs = now() - t0; } catch (e) { /* bounded; what was gathered counts */ }
    var count = function (pred) { return cands.filter(pred).length; };
    var direct = count(function (c) { return c.protocol === 'udp' && (c.type === 'host' || c.type === 'srflx' || c.type === 'prflx'); });
    var types = cands.map(function (c) { return c.type + '/' + (c.relayProtocol || c.protocol); })
      .filter(function (v, i, a) { return a.indexOf(v) === i; });
    var iceMetrics = {
      candidateCount: cands.length,
      hostCandidateCount: count(function (c) { return c.type === 'host'; }),
      udpHostCandidateCount: count(function (c) { return c.type === 'host' && c.protocol === 'udp'; }),
      srflxCandidateCount: count(function (c) { return c.type === 'srflx'; }),
      relayCandidateCount: count(function (c) { return c.type === 'relay'; }),
    };
    if (gatherMs !== null) iceMetrics.gatherMs = r1(gatherMs);
    var iceDetails = { candidateTypes: types, candidates: cands.slice(0, 32), iceServers: servers.map(function (s) { return s.urls; }) };
    if (direct === 0) {
      iceDetails.blocked = true;
      finish(ice, 'failed', { code: 'WEBRTC_NO_UDP_CANDIDATES', metrics: iceMetrics, details: iceDetails,
        reason: cands.length ? 'the browser offered only ' + types.join(', ') + ': no direct UDP (host or server-reflexive) candidate' : 'the browser gathered no ICE candidates at all' });
    } else {
      finish(ice, 'ok', { metrics: iceMetrics, details: iceDetails, reason: 'candidates: ' + types.join(', ') });
    }

    if (!peer) { closeAll(); return [ice, finish(dc, 'skipped', { reason: signalNote || 'no WebRTC peer' })]; }
    if (!cands.length) { closeAll(); return [ice, finish(dc, 'failed', { code: 'WEBRTC_NO_CANDIDATES', reason: 'nothing to connect with: no ICE candidate' })]; }
    var left = Math.max(0, CONNECT_MS - (now() - t0));
    var isOpen = false;
    try { isOpen = await withTimeout(opened, left, 'data channel open'); } catch (e) { /* below */ }
    var dcDetails = { iceConnectionState: pc.iceConnectionState, connectionState: pc.connectionState };
    if (!isOpen) {
      closeAll();
      if (pc.connectionState === 'failed') return [ice, finish(dc, 'failed', { code: 'WEBRTC_CONNECT_FAILED', message: 'ICE/DTLS failed' + (signalNote ? ' (' + signalNote + ')' : ''), details: dcDetails, reason: 'no data channel to the serve: ICE or DTLS failed' })];
      return [ice, finish(dc, 'timeout', { code: 'WEBRTC_CONNECT_TIMEOUT', message: 'data channel not open after ' + CONNECT_MS / 1000 + ' s' + (signalNote ? ' (' + signalNote + ')' : ''), details: dcDetails,
        reason: 'no data channel to the serve within ' + CONNECT_MS / 1000 + ' s (ICE ' + pc.iceConnectionState + ')' })];
    }
    var connectMs = now() - t0;
    var rtts = [];
    var pending = null;
    channel.onmessage = function (m) { if (pending && m.data === pending.text) pending.done(); };
    for (var i = 0; i < ECHOES; i++) {
      var text = 'netready-dc-' + i + '-' + Math.random().toString(36).slice(2);
      var s0 = now();
      try {
        await withTimeout(new Promise(function (done) { pending = { text: text, done: done }; channel.send(text); }), ECHO_MS, 'data channel echo');
        rtts.push(now() - s0);
      } catch (e) { break; }
    }
    pending = null;
    try {
      var stats = await pc.getStats();
      stats.forEach(function (r) {
        if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
          var l = stats.get(r.localCandidateId);
          if (l) dcDetails.selectedLocal = (l.candidateType || '') + '/' + (l.protocol || '');
        }
      });
    } catch (e) { /* getStats is extra evidence only */ }
    closeAll();
    var dm = { connectMs: r1(connectMs), echoCount: rtts.length };
    if (rtts.length) dm.rttMs = r1(median(rtts));
    if (!rtts.length) return [ice, finish(dc, 'failed', { code: 'WEBRTC_NO_ECHO', metrics: dm, details: dcDetails, reason: 'the data channel opened but nothing came back' })];
    return [ice, finish(dc, 'ok', { metrics: dm, details: dcDetails, reason: rtts.length + ' round trips, ' + dm.rttMs + ' ms' })];

    function closeAll() {
      try { channel.close(); } catch (e) { /* closing anyway */ }
      try { pc.close(); } catch (e) { /* closing anyway */ }
      try { if (ws) ws.close(); } catch (e) { /* closing anyway */ }
    }
  }

  // ---- 4. WebSocket and EventSource through the browser's own path -------------------------
  async function checkWebSocket() {
    var url = wsBase() + '/.netready/ws-probe';
    var c = begin('browser.websocket', url);
    var t0 = now();
    var ws;
    try { ws = await openWs(url); } catch (e) {
      var to = e.name === 'NetreadyTimeout';
      return finish(c, to ? 'timeout' : 'failed', { code: to ? 'WS_OPEN_TIMEOUT' : 'WS_OPEN_FAILED', message: e.message, reason: 'the WebSocket upgrade did not complete' });
    }
    var connectMs = now() - t0;
    var rtts = [];
    var pending = null;
    ws.onmessage = function (m) { if (pending && m.data === pending.text) pending.done(); };
    var closed = false;
    ws.onclose = function () { closed = true; };
    for (var i = 0; i < ECHOES && !closed; i++) {
      var text = 'netready-ws-' + i + '-' + Math.random().toString(36).slice(2);
      var s0 = now();
      try {
        await withTimeout(new Promise(function (done) { pending = { text: text, done: done }; ws.send(text); }), ECHO_MS, 'WebSocket echo');
        rtts.push(now() - s0);
      } catch (e) { break; }
    }
    ws.close();
    var m = { connectMs: r1(connectMs), echoCount: rtts.length };
    if (rtts.length) m.rttMs = r1(median(rtts));
    if (!rtts.length) return finish(c, 'failed', { code: 'WS_NO_FRAMES', metrics: m, message: 'upgraded, but no frame came back', reason: 'the upgrade completed but no frames came back' });
    return finish(c, 'ok', { metrics: m, reason: rtts.length + ' echoes, ' + m.rttMs + ' ms' });
  }

  function checkEventSource() {
    var url = '/virtual-room/netready-probe/event?interval=' + SSE_INTERVAL_MS + '&count=' + SSE_COUNT;
    var c = begin('browser.sse', location.origin + url);
    return new Promise(function (resolve) {
      var t0 = now();
      var got = [];
      var opened = false;
      var es;
      var timer;
      var end = function () {
        clearTimeout(timer);
        try { es.close(); } catch (e) { /* closing anyway */ }
        var m = { eventCount: got.length };
        if (!got.length) {
          return resolve(finish(c, 'failed', { code: opened ? 'SSE_NO_EVENTS' : 'SSE_OPEN_FAILED', metrics: m,
            reason: opened ? 'the stream opened but no event arrived within ' + SSE_MS / 1000 + ' s' : 'the event stream could not be opened' }));
        }
        var lags = got.map(function (g) { return g.lag; });
        m.firstEventMs = r1(got[0].at);
        m.firstEventLagMs = r1(got[0].lag);
        m.maxLagMs = r1(Math.max.apply(null, lags));
        if (got[0].lag > SSE_LATE_MS) return resolve(finish(c, 'failed', { code: 'SSE_BUFFERED', metrics: m, reason: 'the first event arrived ' + r1(got[0].lag / 1000) + ' s after it was sent (over ' + SSE_LATE_MS / 1000 + ' s): something buffers the stream' }));
        if (got.length < SSE_COUNT) return resolve(finish(c, 'failed', { code: 'SSE_CUT', metrics: m, reason: 'only ' + got.length + ' of ' + SSE_COUNT + ' events arrived' }));
        resolve(finish(c, 'ok', { metrics: m, reason: got.length + ' events, first after ' + m.firstEventMs + ' ms' }));
      };
      try { es = new EventSource(url); } catch (e) { return resolve(finish(c, 'failed', { code: 'SSE_OPEN_FAILED', message: e.message, reason: 'EventSource refused the URL' })); }
      timer = setTimeout(end, SSE_MS);
      es.onopen = function () { opened = true; };
      es.addEventListener('tick', function (ev) {
        var at = now() - t0;
        var d; try { d = JSON.parse(ev.data); } catch (e) { return; }
        got.push({ at: at, lag: at - (Number(d.offsetMs) || 0) });
        if (got.length >= SSE_COUNT) end();
      });
      es.onerror = function () { if (es.readyState === 2 || !opened) end(); };
    });
  }

  // ---- 5. causes, checklist, the report ----------------------------------------------------
  function causesFrom(checks) {
    var by = {};
    checks.forEach(function (c) { by[c.id] = c; });
    var out = [];
    var add = function (id, evidence, summary, remedy) { out.push({ id: id, severity: 'blocking', summary: summary, evidence: evidence, remedy: remedy }); };
    var cam = by['browser.camera'];
    var mic = by['browser.microphone'];
    var ice = by['browser.webrtc.ice'];
    var ws = by['browser.websocket'];
    var sse = by['browser.sse'];
    // seed 000: camera and microphone must be allowed at the OS, browser-policy and prompt level.
    if (cam && cam.details && cam.details.blocked) add('camera-blocked', ['browser.camera'], 'camera capture refused: ' + cam.reason + ' (' + (cam.error ? cam.error.message : '') + ')',
      'Allow the camera at all three levels: the OS privacy settings (Windows camera privacy, macOS Privacy & Security > Camera), the browser policy (VideoCaptureAllowed, VideoCaptureAllowedUrls for the OneSpan Sign domain), and the site prompt (click Allow; clear a saved Block in the site settings).');
    if (mic && mic.details && mic.details.blocked) add('microphone-blocked', ['browser.microphone'], 'microphone capture refused: ' + mic.reason + ' (' + (mic.error ? mic.error.message : '') + ')',
      'Allow the microphone at all three levels: the OS privacy settings (Windows microphone privacy, macOS Privacy & Security > Microphone), the browser policy (AudioCaptureAllowed, AudioCaptureAllowedUrls for the OneSpan Sign domain), and the site prompt (click Allow; clear a saved Block in the site settings).');
    // seed 000: "Do not disable WebRTC via browser group policy."
    if (ice && ice.details && ice.details.blocked) add('webrtc-policy-blocked', ['browser.webrtc.ice'], 'the browser\'s WebRTC policy stops UDP: ' + ice.reason,
      'Remove the browser policy or extension that restricts WebRTC for participants: Chrome/Edge WebRtcIPHandling (disable_non_proxied_udp), WebRtcUdpPortRange, Firefox media.peerconnection settings, or WebRTC-blocking extensions.');
    if (ws && ws.status !== 'ok') add('websocket-blocked', ['browser.websocket'], 'the browser\'s WebSocket to this server failed: ' + (ws.reason || ''),
      'Let the proxy pass the HTTP/1.1 Upgrade: websocket handshake on port 443 and frames after it (no TLS inspection on the section 1 domains).');
    if (sse && sse.status !== 'ok') {
      var buffered = sse.error && (sse.error.code === 'SSE_BUFFERED');
      add(buffered ? 'sse-buffered' : 'sse-blocked', ['browser.sse'], 'the browser\'s event stream: ' + (sse.reason || ''),
        buffered ? 'Exempt text/event-stream responses on the OneSpan Sign domain from proxy/antivirus/DLP buffering and scanning.' : 'Let the proxy pass long-lived text/event-stream responses on /virtual-room/* of the OneSpan Sign domain.');
    }
    return out;
  }
  function checklistFrom(checks, causes) {
    var cam = checks.filter(function (c) { return c.id === 'browser.camera'; })[0];
    var mic = checks.filter(function (c) { return c.id === 'browser.microphone'; })[0];
    var item = { id: 'camera-mic-policy', status: 'pass', evidence: ['browser.camera', 'browser.microphone'], text: CHECKLIST_TEXT };
    var blocked = causes.filter(function (c) { return c.id === 'camera-blocked' || c.id === 'microphone-blocked'; });
    if (blocked.length) { item.status = 'fail'; item.reason = blocked.map(function (c) { return c.summary; }).join('; '); }
    else if (!cam || !mic) { item.status = 'not-checked'; item.reason = 'not run'; }
    else if (cam.status === 'skipped' || mic.status === 'skipped') { item.status = 'not-checked'; item.reason = (cam.reason || mic.reason); }
    else if (cam.status !== 'ok' || mic.status !== 'ok') { item.status = 'warn'; item.reason = [cam, mic].filter(function (c) { return c.status !== 'ok'; }).map(function (c) { return c.id + ': ' + c.reason; }).join('; '); }
    return [item];
  }

  async function run() {
    var t0 = now();
    var startedAt = new Date().toISOString();
    setBusy(true);
    say('Checking the browser ...');
    var checks = [checkSupport()];
    say('Asking for the camera (click Allow if your browser asks) ...');
    checks.push(await checkCapture('camera'));
    say('Asking for the microphone (click Allow if your browser asks) ...');
    checks.push(await checkCapture('microphone'));
    say('Checking WebRTC, WebSocket and the event stream ...');
    var net = await Promise.all([
      checkWebrtc().catch(function (e) { return [finish(begin('browser.webrtc.ice', location.host), 'error', { code: 'PAGE_ERROR', message: String(e && e.message) })]; }),
      checkWebSocket(),
      checkEventSource(),
    ]);
    checks = checks.concat(net[0], [net[1], net[2]]);
    var causes = causesFrom(checks);
    var b = parseBrowser(navigator.userAgent);
    var doc = {
      schema: SCHEMA,
      userAgent: navigator.userAgent,
      startedAt: startedAt,
      durationMs: r1(now() - t0),
      origin: location.origin,
      browser: { name: b.name, version: b.version },
      checks: checks,
      causes: causes,
      checklist: checklistFrom(checks, causes),
    };
    current = doc;
    render(doc, 'This browser, ' + new Date(startedAt).toLocaleString());
    setBusy(false);
    say('Done. Save keeps the results in a file; they were also sent to the server.');
    await post(doc);
  }

  async function post(doc) {
    var p = $('posted');
    try {
      var ctl = new AbortController();
      var t = setTimeout(function () { ctl.abort(); }, FETCH_MS);
      var r = await fetch('/.netready/browser-results', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(doc), signal: ctl.signal });
      clearTimeout(t);
      var body = await r.json().catch(function () { return {}; });
      p.textContent = r.ok ? 'Sent to the server as result ' + body.id + ': your support contact can fetch it from ' + location.origin + '/.netready/browser-results/' + body.id + ' with the server\'s admin token.'
        : 'The server did not keep the results (HTTP ' + r.status + (body.error ? ': ' + body.error : '') + '); use Save and send the file instead.';
      document.body.setAttribute('data-posted', r.ok ? 'yes' : 'no');
    } catch (e) {
      p.textContent = 'Could not send the results to the server (' + e.message + '); use Save and send the file instead.';
      document.body.setAttribute('data-posted', 'no');
    }
  }

  // ---- rendering (textContent only: a loaded file is untrusted) -----------------------------
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; }
  function fmtMetrics(m) { return Object.keys(m || {}).map(function (k) { return k + ' ' + m[k]; }).join(', '); }
  function render(doc, source) {
    $('report').hidden = false;
    $('source').textContent = source;
    var blocking = doc.causes.filter(function (c) { return c.severity === 'blocking'; });
    $('verdict').textContent = blocking.length ? 'Not ready: ' + blocking.length + ' problem(s) this browser would hit in a Virtual Room session.' : 'Ready: this browser can use the camera, the microphone, WebRTC and the streams Virtual Room needs.';
    $('verdict').className = blocking.length ? 'st st-fail' : 'st st-pass';
    var ul = $('causes');
    ul.textContent = '';
    if (!doc.causes.length) ul.appendChild(el('li', 'Nothing: no problem found.'));
    doc.causes.forEach(function (c) {
      var li = el('li');
      li.setAttribute('data-cause', c.id);
      li.appendChild(el('strong', c.id, 'st st-' + c.severity));
      li.appendChild(document.createTextNode(' (' + c.severity + '): ' + c.summary));
      li.appendChild(el('span', 'Fix: ' + c.remedy, 'remedy'));
      ul.appendChild(li);
    });
    var cl = $('checklist');
    cl.textContent = '';
    doc.checklist.forEach(function (i) {
      var li = el('li');
      li.setAttribute('data-checklist', i.id);
      li.setAttribute('data-status', i.status);
      li.appendChild(el('span', i.status.toUpperCase(), 'st st-' + i.status));
      li.appendChild(document.createTextNode(' ' + i.id + ': ' + (i.text || '') + (i.reason ? ' (' + i.reason + ')' : '')));
      cl.appendChild(li);
    });
    var tb = $('checks');
    tb.textContent = '';
    doc.checks.forEach(function (c) {
      var tr = el('tr');
      tr.setAttribute('data-check', c.id);
      tr.setAttribute('data-status', c.status);
      var th = el('th', c.id);
      th.scope = 'row';
      tr.appendChild(th);
      tr.appendChild(el('td', c.status.toUpperCase() + (c.error ? ' ' + c.error.code : ''), 'st st-' + c.status));
      tr.appendChild(el('td', fmtMetrics(c.metrics)));
      tr.appendChild(el('td', c.reason || (c.error ? c.error.message : '')));
      tb.appendChild(tr);
    });
    $('save').disabled = false;
    document.body.setAttribute('data-state', 'done');
  }

  function problem(doc) {
    if (!doc || typeof doc !== 'object') return 'not a JSON object';
    if (doc.schema !== SCHEMA) return 'not a ' + SCHEMA + ' file (schema: ' + String(doc.schema) + ')';
    if (typeof doc.userAgent !== 'string' || typeof doc.startedAt !== 'string') return 'userAgent or startedAt missing';
    if (!Array.isArray(doc.checks) || !Array.isArray(doc.causes) || !Array.isArray(doc.checklist)) return 'checks, causes or checklist missing';
    var bad = doc.checks.concat(doc.causes, doc.checklist).some(function (x) { return !x || typeof x !== 'object' || typeof x.id !== 'string'; });
    if (bad) return 'an entry without an id';
    if (doc.checks.some(function (c) { return typeof c.status !== 'string'; }) || doc.checklist.some(function (c) { return typeof c.status !== 'string'; })) return 'an entry without a status';
    if (doc.causes.some(function (c) { return typeof c.severity !== 'string' || typeof c.summary !== 'string' || typeof c.remedy !== 'string'; })) return 'a cause without severity, summary or remedy';
    return null;
  }

  function save() {
    if (!current) return;
    var blob = new Blob([JSON.stringify(current, null, 2) + '\n'], { type: 'application/json' });
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'netready-browser-' + current.startedAt.replace(/[:.]/g, '-') + '.json';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
    say('Saved as ' + a.download + '.');
  }

  function load(file) {
    if (!file) return;
    if (file.size > 1024 * 1024) { say('That file is too large to be netready browser results (over 1 MB).', true); return; }
    var reader = new FileReader();
    reader.onload = function () {
      var doc;
      try { doc = JSON.parse(String(reader.result)); } catch (e) { say(file.name + ' is not JSON: ' + e.message, true); return; }
      var p = problem(doc);
      if (p) { say(file.name + ': ' + p, true); return; }
      current = doc;
      render(doc, 'Loaded from ' + file.name + ': a run of ' + doc.userAgent + ' at ' + doc.startedAt);
      $('posted').textContent = '';
      say('Loaded ' + file.name + '.');
    };
    reader.onerror = function () { say('Could not read ' + file.name + '.', true); };
    reader.readAsText(file);
  }

  function say(text, isError) {
    var s = $('status');
    s.textContent = text;
    s.setAttribute('role', isError ? 'alert' : 'status');
    s.className = isError ? 'st st-fail' : '';
  }
  function setBusy(b) {
    $('run').disabled = b;
    $('load').disabled = b;
    if (b) $('save').disabled = true;
    document.body.setAttribute('data-state', b ? 'running' : 'idle');
  }

  function start() {
    $('nojs').hidden = true;
    $('run').disabled = false;
    $('load').disabled = false;
    $('run').addEventListener('click', function () {
      run().catch(function (e) { setBusy(false); say('The check stopped: ' + (e && e.message), true); });
    });
    $('save').addEventListener('click', save);
    $('load').addEventListener('click', function () { $('file').value = ''; $('file').click(); });
    $('file').addEventListener('change', function () { load($('file').files[0]); });
    document.body.setAttribute('data-state', 'idle');
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
`;
