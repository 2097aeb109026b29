// sse-buffered (blocking): events arrive late or in batches (first event > 2 s late).
// seed 000_637c892c7d775e13.txt, proxy requirements: "Must not buffer streaming responses.
// Antivirus or DLP proxies that hold responses for scanning break Server-Sent Events — the client
// appears connected but receives no events."
import { cause, code, isBad, listText, onProbe, seconds, type Rule } from '../input.js';
import { explained, probePathText } from './shared.js';
import { BUFFER_CODES } from './sse-blocked.js';

export const rule: Rule = {
  id: 'sse-buffered',
  evaluate(input) {
    const skip = explained(input);
    const bad = input.byId('sse.stream').filter((r) => isBad(r) && !skip.has(r) && BUFFER_CODES.has(code(r) ?? ''));
    if (bad.length === 0) return null;
    const probe = bad.filter((r) => onProbe(input, r));
    const hosts = [...new Set(bad.filter((r) => !onProbe(input, r)).map((r) => input.hostOf(r)!))];
    const sign = [...input.hosts.values()].find((h) => h.role === 'sign')?.host ?? 'the OneSpan Sign domain';
    const what = bad.map((r) => {
      if (code(r) === 'SSE_NO_EVENTS') return 'the stream opened but no event arrived';
      const d = r.metrics.firstEventDelayMs;
      const b = r.metrics.batchedCount;
      const parts: string[] = [];
      if (typeof d === 'number') parts.push(`first event ${seconds(d)} late`);
      if (typeof b === 'number' && b > 0) parts.push(`${b} events batched`);
      return parts.join(', ') || 'events delayed';
    });
    return cause(
      'sse-buffered',
      'blocking',
      `event streams are held back by a buffering proxy (${listText(what)}; limit 2.0 s)` +
        (hosts.length ? ` on ${listText(hosts)}` : '') +
        (probe.length ? ` — ${probePathText(input, probe)}` : ''),
      ['sse.stream'],
      `Turn off response buffering/scanning for text/event-stream on https://${hosts[0] ?? sign}/virtual-room/* ` +
        `(antivirus, DLP or proxy "scan before delivery" features; Virtual Room and RON Network Prerequisites, proxy ` +
        `requirements: "Must not buffer streaming responses").`,
      bad.map((r) => r.target),
    );
  },
};
