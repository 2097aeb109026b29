// sse-blocked (blocking): the room event stream cannot be opened.
// seed 000_637c892c7d775e13.txt, row 2 and persistent connections: /virtual-room/{id}/event is a
// Server-Sent Events stream "which proxies must pass through without buffering".
// Evidence: the Sign domain's event path refused on the way (its origin answering, even 401, is
// fine), or the probe's event stream not arriving as one (measured on the probe's path).
import { cause, code, isBad, listText, onProbe, type Rule } from '../input.js';
import { factsOf, resultText } from '../facts.js';
import { changes, signDomain, sseHowto } from '../remedies.js';
import { explained, probePathText } from './shared.js';

/** SSE_BUFFERED and SSE_NO_EVENTS (stream open, nothing delivered) belong to sse-buffered. */
export const BUFFER_CODES = new Set(['SSE_BUFFERED', 'SSE_NO_EVENTS']);

export const rule: Rule = {
  id: 'sse-blocked',
  reads: ['sse.stream'],
  evaluate(input) {
    const skip = explained(input);
    const bad = input
      .byId('sse.stream')
      .filter((r) => isBad(r) && !skip.has(r) && !BUFFER_CODES.has(code(r) ?? '') && code(r) !== 'PROXY_AUTH_REQUIRED' && !input.probeFault(r));
    if (bad.length === 0) return null;
    const hosts = [...new Set(bad.filter((r) => !onProbe(input, r)).map((r) => input.hostOf(r)!))];
    const probe = bad.filter((r) => onProbe(input, r));
    const sign = hosts[0] ?? signDomain(input) ?? 'the OneSpan Sign domain';
    const why = [...new Set(bad.map(resultText))];
    const where = hosts.length ? `on ${listText(hosts)}` : `(${probePathText(input, probe)})`;
    return cause(
      'sse-blocked',
      'blocking',
      `the room event stream ${where} cannot be opened (${listText(why)})`,
      ['sse.stream'],
      `Allow long-lived text/event-stream responses for https://${sign}/virtual-room/* through the proxy ` +
        `and exclude them from antivirus/DLP response scanning (Virtual Room and RON Network Prerequisites, row 2: ` +
        `"proxies must pass through without buffering").`,
      bad.map((r) => r.target),
      {
        title: `the room event stream cannot be opened${hosts.length ? '' : ' (probe path)'}`,
        facts: factsOf(bad),
        changes: [...changes([sign], 'TCP 443', 'allow paths', 'sse-blocked', '/virtual-room/* as a long-lived text/event-stream'), ...changes([sign], 'TCP 443', 'exempt from scanning', 'sse-blocked')],
        howto: sseHowto(sign),
      },
    );
  },
};
