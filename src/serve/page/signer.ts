// The signer's invite page script (/i/<token>, served as /.netready/signer.js by
// src/serve/results/signer.ts). The measurements are the browser page's own (page.ts, loaded
// before this in its 'signer' mode: window.netreadyMeasure); this script is the signer's side of
// it: ONE camera+microphone request, a preview and a level meter, a plain outcome announced in a
// live region, Try again, and the result sent to the organisation only after the signer agrees
// (what is sent is shown first). Every text comes from the one catalogue the serve passes in
// (src/serve/results/signer-i18n.ts), switchable without reloading.
//
// Browser TypeScript, a plain script like page.ts (type-checked by ./tsconfig.json, transpiled by
// scripts/build-page.ts): the serve wraps it as (function (NETREADY_SIGNER) { ... })(values).

declare const NETREADY_SIGNER: {
  catalogue: Record<string, Record<string, string>>;
  langNames: Record<string, string>;
  org: string | null;
};

(function () {
  type Results = import('../../shared/browser.js').BrowserResults;
  type Measure = (capture: Promise<MediaStream> | undefined, progress: (text: string) => void) => Promise<Results>;
  type OutcomeKey = 'ready' | 'camera' | 'mic' | 'device' | 'network' | 'browser';

  const CAT = NETREADY_SIGNER.catalogue;
  const $ = (id: string) => document.getElementById(id) as HTMLElement;
  let lang = document.documentElement.lang in CAT ? document.documentElement.lang : 'en';
  let stream: MediaStream | null = null;
  let audio: AudioContext | null = null;
  let meterTimer = 0;
  let result: Results | null = null;
  let outcome: OutcomeKey | null = null;

  const org = () => NETREADY_SIGNER.org || CAT[lang].yourOrganisation;
  function t(key: string, vars: Record<string, string> = {}): string {
    const all: Record<string, string> = { org: org(), ...vars };
    return (CAT[lang][key] || CAT.en[key] || key).replace(/\{(\w+)\}/g, (m, k: string) => (k in all ? all[k] : m));
  }

  /** Every element with data-i18n (and data-i18n-value for a {value}) in the current language. */
  function paint(): void {
    document.documentElement.lang = lang;
    document.title = t('title');
    const els = document.querySelectorAll<HTMLElement>('[data-i18n]');
    for (let i = 0; i < els.length; i++) {
      const el = els[i];
      const v = el.getAttribute('data-i18n-value');
      el.textContent = t(el.getAttribute('data-i18n') || '', v !== null ? { value: v } : {});
    }
    const labels = document.querySelectorAll<HTMLElement>('[data-i18n-label]');
    for (let i = 0; i < labels.length; i++) labels[i].setAttribute('aria-label', t(labels[i].getAttribute('data-i18n-label') || ''));
  }

  function setText(id: string, key: string, value?: string): void {
    const el = $(id);
    el.setAttribute('data-i18n', key);
    if (value !== undefined) el.setAttribute('data-i18n-value', value);
    else el.removeAttribute('data-i18n-value');
    el.textContent = t(key, value !== undefined ? { value } : {});
  }

  function stopDevices(): void {
    if (meterTimer) clearInterval(meterTimer);
    meterTimer = 0;
    if (audio) audio.close().catch(() => {});
    audio = null;
    if (stream) stream.getTracks().forEach((tr) => tr.stop());
    stream = null;
    ($('preview') as HTMLVideoElement).srcObject = null;
  }

  function showDevices(s: MediaStream): void {
    const video = $('preview') as HTMLVideoElement;
    if (s.getVideoTracks().length) {
      video.srcObject = s;
      video.hidden = false;
      video.play().catch(() => {});
    }
    const meter = $('mic') as HTMLMeterElement;
    if (!s.getAudioTracks().length) return;
    try {
      const Ctx = window.AudioContext || (window as unknown as { webkitAudioContext: typeof AudioContext }).webkitAudioContext;
      audio = new Ctx();
      const an = audio.createAnalyser();
      an.fftSize = 512;
      audio.createMediaStreamSource(s).connect(an);
      const buf = new Uint8Array(an.fftSize);
      meter.hidden = false;
      meterTimer = window.setInterval(() => {
        an.getByteTimeDomainData(buf);
        let sum = 0;
        for (let i = 0; i < buf.length; i++) sum += ((buf[i] - 128) / 128) ** 2;
        meter.value = Math.min(100, Math.round(Math.sqrt(sum / buf.length) * 300));
      }, 100);
    } catch (e) {
      /* no Web Audio: the preview alone */
    }
  }

  function outcomeOf(doc: Results): OutcomeKey {
    const ids = doc.causes.map((c) => c.id as string);
    const check = (id: string) => doc.checks.filter((c) => c.id === id)[0];
    const support = check('browser.support');
    if (support && support.status === 'failed') return 'browser';
    if (ids.indexOf('camera-blocked') >= 0) return 'camera';
    if (ids.indexOf('microphone-blocked') >= 0) return 'mic';
    const cam = check('browser.camera');
    const mic = check('browser.microphone');
    if ((cam && cam.status !== 'ok') || (mic && mic.status !== 'ok')) return 'device';
    return doc.causes.some((c) => c.severity === 'blocking') ? 'network' : 'ready';
  }

  function showOutcome(o: OutcomeKey): void {
    const box = $('outcome');
    box.className = 'outcome o-' + (o === 'ready' ? 'ready' : 'blocked');
    setText('outcome-title', o + 'Title');
    setText('outcome-text', o + 'Text');
    box.hidden = false;
  }

  function fillConsent(doc: Results): void {
    const cam = doc.checks.filter((c) => c.id === 'browser.camera')[0];
    const mic = doc.checks.filter((c) => c.id === 'browser.microphone')[0];
    const dev = (c: typeof cam | undefined) => (c && c.details && typeof c.details.device === 'string' && c.details.device ? (c.details.device as string) : '');
    const b = doc.browser;
    setText('c-outcome', 'consentOutcome', t((outcome || 'ready') + 'Title'));
    setText('c-browser', 'consentBrowser', b ? b.name + ' ' + b.version : doc.userAgent);
    setText('c-camera', 'consentCamera', dev(cam) || t('none'));
    setText('c-mic', 'consentMic', dev(mic) || t('none'));
    setText('c-checks', 'consentChecks', doc.checks.map((c) => c.id.replace(/^browser\./, '') + ' ' + c.status).join(', '));
    $('c-raw').textContent = JSON.stringify(doc, null, 2);
    $('consent').hidden = false;
    ($('send') as HTMLButtonElement).disabled = false;
    $('sent').textContent = '';
  }

  function fillDetails(doc: Results): void {
    const body = $('tech-checks');
    body.textContent = '';
    doc.checks.forEach((c) => {
      const tr = document.createElement('tr');
      [c.id, c.status, c.reason || (c.error ? c.error.code : '')].forEach((v) => {
        const td = document.createElement('td');
        td.textContent = String(v || '');
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    $('tech').hidden = false;
  }

  async function run(): Promise<void> {
    const measure = (window as unknown as { netreadyMeasure?: Measure }).netreadyMeasure;
    if (!measure) throw new Error('the measurement script did not load');
    stopDevices();
    result = null;
    outcome = null;
    ($('start') as HTMLButtonElement).hidden = true;
    $('again').hidden = true;
    $('outcome').hidden = true;
    $('consent').hidden = true;
    $('tech').hidden = true;
    document.body.setAttribute('data-state', 'running');
    setText('status', 'asking');
    // ONE permission prompt: camera and microphone together; the tracks stay on for the preview.
    const capture =
      navigator.mediaDevices && navigator.mediaDevices.getUserMedia ? navigator.mediaDevices.getUserMedia({ audio: true, video: true }) : undefined;
    if (capture)
      capture.then(
        (s) => {
          stream = s;
          showDevices(s);
          setText('status', 'running');
        },
        () => setText('status', 'running'),
      );
    const doc = await measure(capture, () => {});
    result = doc;
    outcome = outcomeOf(doc);
    $('status').textContent = '';
    $('status').removeAttribute('data-i18n');
    showOutcome(outcome);
    fillConsent(doc);
    fillDetails(doc);
    $('again').hidden = false;
    document.body.setAttribute('data-state', 'done');
    document.body.setAttribute('data-outcome', outcome);
  }

  async function send(): Promise<void> {
    if (!result) return;
    const btn = $('send') as HTMLButtonElement;
    btn.disabled = true;
    setText('sent', 'sending');
    try {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), 15000);
      const r = await fetch(location.pathname.replace(/\/+$/, '') + '/results', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(result), signal: ctl.signal });
      clearTimeout(timer);
      const body = (await r.json().catch(() => ({}))) as { error?: string };
      if (!r.ok) throw new Error('HTTP ' + r.status + (body.error ? ': ' + body.error : ''));
      setText('sent', 'sent');
      document.body.setAttribute('data-sent', 'yes');
    } catch (e) {
      btn.disabled = false;
      const el = $('sent');
      el.setAttribute('data-i18n', 'sendFailed');
      el.textContent = t('sendFailed', { reason: String((e as Error).message || e) });
      document.body.setAttribute('data-sent', 'no');
    }
  }

  function start(): void {
    $('nojs').hidden = true;
    const sel = $('lang') as HTMLSelectElement;
    sel.value = lang;
    sel.addEventListener('change', () => {
      lang = sel.value in CAT ? sel.value : 'en';
      try {
        history.replaceState(null, '', location.pathname + '?lang=' + lang);
      } catch (e) {
        /* a sandboxed frame */
      }
      paint();
    });
    const go = () =>
      run().catch((e) => {
        $('status').textContent = String((e as Error).message || e);
        $('again').hidden = false;
        document.body.setAttribute('data-state', 'failed');
      });
    const startBtn = $('start') as HTMLButtonElement;
    startBtn.disabled = false;
    startBtn.addEventListener('click', go);
    $('again').addEventListener('click', go);
    $('send').addEventListener('click', () => void send());
    window.addEventListener('pagehide', stopDevices);
    document.body.setAttribute('data-state', 'idle');
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
