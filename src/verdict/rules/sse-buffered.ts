// sse-buffered (blocking): events arrive late or in batches (first event > 2 s late).
// seed 000_637c892c7d775e13.txt, proxy requirements: "Must not buffer streaming responses.
// Antivirus or DLP proxies that hold responses for scanning break Server-Sent Events — the client
// appears connected but receives no events."
import { cause, code, isBad, listText, seconds, type Rule } from '../input.js';
import { explained } from './shared.js';
import { BUFFER_CODES } from './sse-blocked.js';

export const rule: Rule = {
  id: 'sse-buffered',
  evaluate(input) {
    const skip = explained(input);
    const bad = input.byId('sse.stream').filter((r) => isBad(r) && !skip.has(r) && BUFFER_CODES.has(code(r) ?? ''));
    if (bad.length === 0) return null;
    const hosts = [...new Set(bad.map((r) => input.hostOf(r)!))];
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
      `room events on ${listText(hosts)} are held back by a buffering proxy (${listText(what)}; limit 2.0 s)`,
      ['sse.stream'],
      `Turn off response buffering/scanning for text/event-stream on https://${hosts[0]}/virtual-room/* ` +
        `(antivirus, DLP or proxy "scan before delivery" features; seed 000 proxy requirements).`,
      bad.map((r) => r.target),
    );
  },
};
