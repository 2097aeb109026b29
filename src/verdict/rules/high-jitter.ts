// high-jitter (degrading): jitter above 30 ms on the path media takes.
// Jitter 30 ms: the contract's cause table (common WebRTC guidance; not in a seed).
// The remedy fits the path it was measured on: QoS marks UDP media; over TURN/TLS (TCP) the jitter
// comes from retransmission and head-of-line blocking, which QoS on UDP cannot touch — there the
// fix is UDP (seed 000_637c892c7d775e13.txt: "TCP retransmission degrades real-time media").
import { cause, type Rule } from '../input.js';
import { factsOf } from '../facts.js';
import { trainMetric, viaText, MAX_JITTER_MS } from '../thresholds.js';
import { qualityCauseParts } from './shared.js';

export const rule: Rule = {
  id: 'high-jitter',
  reads: ['quality.udp-train', 'quality.relay-train'],
  evaluate(input) {
    const j = trainMetric(input, 'jitterMs');
    if (!j || j.value <= MAX_JITTER_MS) return null;
    const p = qualityCauseParts('high-jitter', j.path);
    return cause(
      'high-jitter',
      'degrading',
      `jitter ${j.value.toFixed(1)} ms to ${input.hostOf(j.r) ?? j.r.target}${viaText(j.path)} (limit 30 ms)`,
      [j.r.id],
      p.remedy('Prioritise real-time traffic (QoS for UDP media, DSCP 46/EF) and relieve congested links or Wi-Fi.'),
      [j.r.target],
      { title: `jitter ${j.value.toFixed(1)} ms (limit 30 ms)${viaText(j.path)}`, facts: factsOf([j.r], () => `jitter ${j.value.toFixed(1)} ms${viaText(j.path)}`), changes: p.changes, howto: p.howto },
    );
  },
};
