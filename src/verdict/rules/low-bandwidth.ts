// low-bandwidth (degrading): under 3 Mbps up or down.
// seed 000_637c892c7d775e13.txt "Bandwidth and performance": "Recommended minimum: 3 Mbps up and down
// per participant".
import { cause, type Rule } from '../input.js';
import { factsOf } from '../facts.js';
import { metric, mbps, MIN_BPS, risingDirection } from '../thresholds.js';

export const rule: Rule = {
  id: 'low-bandwidth',
  reads: ['quality.throughput'],
  evaluate(input) {
    const down = metric(input, 'quality.throughput', 'downBps');
    const up = metric(input, 'quality.throughput', 'upBps');
    // A figure still climbing when the time ran out is a lower bound: it proves nothing below 3 Mbps.
    // A measurement that broke (e.g. no data at all one way: THROUGHPUT_NO_DATA) proves no rate
    // either: its other direction may have been starved with it. Only a completed measurement counts.
    const isLow = (m: typeof down, dir: 'down' | 'up') => !!m && m.r.status === 'ok' && m.value < MIN_BPS && !risingDirection(m.r, dir);
    const low = [isLow(down, 'down') ? `${mbps(down!.value)} down` : null, isLow(up, 'up') ? `${mbps(up!.value)} up` : null].filter(
      (x): x is string => !!x,
    );
    if (low.length === 0) return null;
    const r = (down ?? up)!.r;
    return cause(
      'low-bandwidth',
      'degrading',
      `measured ${low.join(', ')} to ${input.hostOf(r) ?? r.target}: under the 3 Mbps up and down per participant of the Virtual Room and RON Network Prerequisites`,
      ['quality.throughput'],
      `Provide at least 3 Mbps up and down per participant (check the uplink, QoS/shaping policies and concurrent use).`,
      [r.target],
      { title: `bandwidth ${low.join(', ')} (need 3 Mbps each way)`, facts: factsOf([r], () => `${low.join(', ')} over HTTPS to the probe`) },
    );
  },
};
