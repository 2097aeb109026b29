// seed 000_637c892c7d775e13.txt, "Troubleshooting" table, in order: each symptom predicted from causes.
import type { Cause, CauseId, Symptom, SymptomId } from '../report/types.js';
import type { HostRole } from '../shared/profile-types.js';
import { hostFromTarget, type VerdictInput } from './input.js';

export const SYMPTOM_TEXT: Record<SymptomId, string> = {
  'room-never-loads': 'Signing ceremony loads but Virtual Room never finishes loading',
  'room-state-stale': 'Participants join but do not see state changes (joins, recording banner, verification status)',
  'video-connect-hangs': '"Connecting to video…" hangs or fails immediately',
  'video-freezes': 'Video connects, then tiles go black or freeze, or audio only',
  'video-poor-quality': 'Video works but quality is poor or drops repeatedly',
  'captions-missing': 'Live captions never appear',
  'cobrowse-blank': 'Co-browsing is blank or not syncing',
  'cobrowse-partial': 'Co-browsing loads partially (missing styles or images)',
  'office-only-failure': 'Works at home, fails in the office',
};

const SYMPTOM_ORDER = Object.keys(SYMPTOM_TEXT) as SymptomId[];

/** Proxy/firewall causes ("Proxy or firewall restriction"), as opposed to line quality or the local agent. */
const NETWORK_POLICY: CauseId[] = [
  'dns-blocked', 'tcp-blocked', 'path-filtered', 'keyword-filtered', 'tls-inspection', 'websocket-blocked',
  'sse-blocked', 'sse-buffered', 'proxy-idle-timeout', 'proxy-auth-required', 'pac-required', 'udp-blocked',
  'udp-range-blocked', 'turn-tls-blocked', 'media-unreachable', 'vpn-full-tunnel', 'webrtc-policy-blocked',
];

/** Hosts of the assets a partial co-browse page misses (styles, images). */
const ASSET_HOSTS = /^(assets-proxy|cdn)\./;

export function buildSymptoms(input: VerdictInput, causes: Cause[]): Symptom[] {
  const rolesOf = (c: Cause): Set<HostRole | undefined> =>
    new Set((c.targets ?? []).map((t) => input.hosts.get(hostFromTarget(t) ?? t)?.role));
  const hostsOf = (c: Cause) => (c.targets ?? []).map((t) => hostFromTarget(t) ?? t);
  const hit = new Map<SymptomId, CauseId[]>();
  const add = (s: SymptomId, c: CauseId) => {
    const l = hit.get(s) ?? [];
    if (!l.includes(c)) l.push(c);
    hit.set(s, l);
  };
  for (const c of causes) {
    const roles = rolesOf(c);
    const onSign = roles.has('sign');
    const onVideo = roles.has('video') || roles.has('media');
    const onCob = roles.has('cobrowse');
    switch (c.id) {
      case 'path-filtered':
        add('room-never-loads', c.id);
        break;
      case 'sse-blocked':
      case 'sse-buffered':
        add('room-never-loads', c.id);
        add('room-state-stale', c.id);
        add('captions-missing', c.id);
        break;
      case 'dns-blocked':
      case 'tcp-blocked':
      case 'tls-inspection':
      case 'websocket-blocked':
        if (onVideo) add('video-connect-hangs', c.id);
        if (onSign && c.id !== 'tls-inspection') add('room-never-loads', c.id);
        if (onCob) add('cobrowse-blank', c.id);
        break;
      case 'keyword-filtered': {
        const hosts = hostsOf(c).filter((h) => input.hosts.get(h)?.role === 'cobrowse');
        if (hosts.some((h) => ASSET_HOSTS.test(h))) add('cobrowse-partial', c.id);
        if (hosts.some((h) => !ASSET_HOSTS.test(h))) add('cobrowse-blank', c.id);
        if (onVideo) add('video-connect-hangs', c.id);
        if (onSign) add('room-never-loads', c.id);
        break;
      }
      case 'proxy-auth-required':
        if (onVideo || roles.size === 0) add('video-connect-hangs', c.id);
        if (onCob) add('cobrowse-blank', c.id);
        break;
      case 'pac-required':
        add('video-connect-hangs', c.id);
        break;
      case 'media-unreachable':
        add('video-freezes', c.id);
        break;
      case 'turn-tls-blocked':
        if (c.severity === 'blocking') add('video-freezes', c.id);
        break;
      case 'udp-blocked':
        add('video-poor-quality', c.id);
        if (causes.some((o) => o.id === 'turn-tls-blocked')) add('video-freezes', c.id);
        break;
      case 'vpn-full-tunnel':
      case 'proxy-idle-timeout':
      case 'low-bandwidth':
      case 'high-latency':
      case 'packet-loss':
      case 'high-jitter':
        add('video-poor-quality', c.id);
        break;
      default:
        break;
    }
    if (NETWORK_POLICY.includes(c.id)) add('office-only-failure', c.id);
  }
  return SYMPTOM_ORDER.filter((s) => hit.has(s)).map((s) => ({ id: s, text: SYMPTOM_TEXT[s], causes: hit.get(s)! }));
}
