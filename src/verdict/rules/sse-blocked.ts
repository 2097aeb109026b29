// sse-blocked (blocking): the room event stream cannot be opened.
// seed 000_637c892c7d775e13.txt, row 2 and persistent connections: /virtual-room/{id}/event is a
// Server-Sent Events stream "which proxies must pass through without buffering".
// Evidence: the Sign domain's event path refused on the way (its origin answering, even 401, is
// fine), or the probe's event stream not arriving as one (measured on the probe's path).
import { cause, code, isBad, listText, onProbe, type Rule } from '../input.js';
import { explained, probePathText } from './shared.js';

/** SSE_BUFFERED and SSE_NO_EVENTS (stream open, nothing delivered) belong to sse-buffered. */
export const BUFFER_CODES = new Set(['SSE_BUFFERED', 'SSE_NO_EVENTS']);

export const rule: Rule = {
  id: 'sse-blocked',
  evaluate(input) {
    const skip = explained(input);
    const bad = input
      .byId('sse.stream')
      .filter((r) => isBad(r) && !skip.has(r) && !BUFFER_CODES.has(code(r) ?? '') && code(r) !== 'PROXY_AUTH_REQUIRED' && !input.probeFault(r));
    if (bad.length === 0) return null;
    const hosts = [...new Set(bad.filter((r) => !onProbe(input, r)).map((r) => input.hostOf(r)!))];
    const probe = bad.filter((r) => onProbe(input, r));
    const sign = [...input.hosts.values()].find((h) => h.role === 'sign')?.host ?? 'the OneSpan Sign domain';
    const why = bad.map((r) => {
      const c = code(r);
      if (c === 'SSE_NO_STREAM') {
        const st = r.details?.status;
        const ct = r.details?.contentType;
        return `no event stream (status ${st ?? '?'}${typeof ct === 'string' ? `, ${ct}` : ''})`;
      }
      return c ?? r.status;
    });
    const where = hosts.length ? `on ${listText(hosts)}` : `(${probePathText(input, probe)})`;
    return cause(
      'sse-blocked',
      'blocking',
      `the room event stream ${where} cannot be opened (${listText(why)})`,
      ['sse.stream'],
      `Allow long-lived text/event-stream responses for https://${hosts[0] ?? sign}/virtual-room/* through the proxy ` +
        `and exclude them from antivirus/DLP response scanning (Virtual Room and RON Network Prerequisites, row 2: ` +
        `"proxies must pass through without buffering").`,
      bad.map((r) => r.target),
    );
  },
};
