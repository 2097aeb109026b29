// packet-loss (degrading): loss above 3 % on the path media takes.
// seed 000_637c892c7d775e13.txt "Bandwidth and performance": "Packet loss above 3% degrades WebRTC
// quality regardless of bandwidth".
import { cause, type Rule } from '../input.js';
import { factsOf } from '../facts.js';
import { trainMetric, viaText, MAX_LOSS_RATIO } from '../thresholds.js';
import { qualityCauseParts } from './shared.js';

export const rule: Rule = {
  id: 'packet-loss',
  reads: ['quality.udp-train', 'quality.relay-train'],
  evaluate(input) {
    const loss = trainMetric(input, 'lossRatio');
    if (!loss || loss.value <= MAX_LOSS_RATIO) return null;
    const p = qualityCauseParts('packet-loss', loss.path);
    const pct = `${(loss.value * 100).toFixed(1)} %`;
    return cause(
      'packet-loss',
      'degrading',
      `${pct} packet loss to ${input.hostOf(loss.r) ?? loss.r.target}${viaText(loss.path)} (above 3 % degrades WebRTC: Virtual Room and RON Network Prerequisites)`,
      [loss.r.id],
      p.remedy('Find the lossy hop (Wi-Fi, a saturated uplink, a policer): loss above 3 % degrades video regardless of bandwidth.'),
      [loss.r.target],
      { title: `${pct} packet loss (limit 3 %)${viaText(loss.path)}`, facts: factsOf([loss.r], () => `${pct} of the packets lost (one way)${viaText(loss.path)}`), changes: p.changes, howto: p.howto },
    );
  },
};
