// sse-buffered (blocking): events arrive late or in batches (first event > 2 s late).
// seed 000_637c892c7d775e13.txt, proxy requirements: "Must not buffer streaming responses.
// Antivirus or DLP proxies that hold responses for scanning break Server-Sent Events — the client
// appears connected but receives no events."
import { cause, code, isBad, listText, onProbe, type Rule } from '../input.js';
import { factsOf, resultText } from '../facts.js';
import { changes, signDomain, sseHowto } from '../remedies.js';
import { explained, probePathText } from './shared.js';
import { BUFFER_CODES } from './sse-blocked.js';

export const rule: Rule = {
  id: 'sse-buffered',
  reads: ['sse.stream'],
  evaluate(input) {
    const skip = explained(input);
    const bad = input.byId('sse.stream').filter((r) => isBad(r) && !skip.has(r) && BUFFER_CODES.has(code(r) ?? ''));
    if (bad.length === 0) return null;
    const probe = bad.filter((r) => onProbe(input, r));
    const hosts = [...new Set(bad.filter((r) => !onProbe(input, r)).map((r) => input.hostOf(r)!))];
    const sign = hosts[0] ?? signDomain(input) ?? 'the OneSpan Sign domain';
    const what = [...new Set(bad.map(resultText))];
    return cause(
      'sse-buffered',
      'blocking',
      `event streams are held back by a buffering proxy (${listText(what)}; limit 2.0 s)` +
        (hosts.length ? ` on ${listText(hosts)}` : '') +
        (probe.length ? ` — ${probePathText(input, probe)}` : ''),
      ['sse.stream'],
      `Turn off response buffering/scanning for text/event-stream on https://${sign}/virtual-room/* ` +
        `(antivirus, DLP or proxy "scan before delivery" features; Virtual Room and RON Network Prerequisites, proxy ` +
        `requirements: "Must not buffer streaming responses").`,
      bad.map((r) => r.target),
      {
        title: `event streams held back by a buffering proxy${hosts.length ? '' : ' (probe path)'}`,
        facts: factsOf(bad),
        changes: changes([sign], 'TCP 443', 'exempt from scanning', 'sse-buffered', 'no buffering of text/event-stream on /virtual-room/*'),
        howto: sseHowto(sign),
      },
    );
  },
};
