// seed 000_637c892c7d775e13.txt, "Pre-session validation checklist", in order.
import type { CheckResult } from '../checks/types.js';
import type { Cause, ChecklistId, ChecklistItem, ChecklistStatus } from '../report/types.js';
import type { HostRole } from '../profiles/types.js';
import { isBad, isDeadline, listText, seconds, type VerdictInput } from './input.js';
import { mediaFacts } from './media.js';
import { MIN_BPS, risingDirection } from './thresholds.js';
import { CHECKLIST_TEXT } from '../shared/vocabulary.js';

// The checklist's wording lives with the ids (src/shared/vocabulary.ts): the browser page shows it too.
export { CHECKLIST_TEXT };

export const CHECKLIST_ORDER = Object.keys(CHECKLIST_TEXT) as ChecklistId[];

function item(id: ChecklistId, status: ChecklistStatus, evidence: string[], reason?: string): ChecklistItem {
  const it: ChecklistItem = { id, status, evidence: [...new Set(evidence)].sort() };
  if (reason) it.reason = reason;
  it.text = CHECKLIST_TEXT[id];
  return it;
}

const failText = (rs: CheckResult[]) =>
  listText(rs.map((r) => `${r.id} ${r.target}: ${r.error?.code ?? r.status}`), 3);

/** Pass/fail over a set of results: fail when any failed/timeout, pass when some ok, else not-checked. */
function judge(id: ChecklistId, rs: CheckResult[], none: string, extraFail: string[] = []): ChecklistItem {
  const bad = rs.filter(isBad);
  const evidence = rs.map((r) => r.id);
  if (bad.length || extraFail.length) return item(id, 'fail', evidence, [...extraFail, ...(bad.length ? [failText(bad)] : [])].join('; '));
  const cut = rs.filter(isDeadline);
  if (cut.length) return item(id, 'not-checked', evidence, `the run deadline was reached before ${listText(cut.map((r) => `${r.id} ${r.target}`), 2)} finished`);
  if (rs.some((r) => r.status === 'ok')) return item(id, 'pass', evidence);
  const skipped = rs.find((r) => r.status === 'skipped' && r.reason);
  return item(id, 'not-checked', evidence, skipped ? `not run: ${skipped.reason}` : none);
}

function byRole(input: VerdictInput, roles: HostRole[], ids?: string[]): CheckResult[] {
  return input.results.filter((r) => {
    const role = input.entryOf(r)?.role;
    return !!role && roles.includes(role) && (!ids || ids.includes(r.id));
  });
}

export function buildChecklist(input: VerdictInput, causes: Cause[]): ChecklistItem[] {
  const has = (id: string) => causes.find((c) => c.id === id);
  const out: ChecklistItem[] = [];

  out.push(
    judge(
      'sign-domain-reachable',
      byRole(input, ['sign'], ['dns.resolve', 'tcp.connect', 'tls.handshake', 'http.path']),
      'no OneSpan Sign domain in the profiles',
    ),
  );

  const ws = byRole(input, ['sign', 'video'], ['ws.upgrade']);
  out.push(judge('websocket-upgrade', ws, 'no WebSocket endpoint in the profiles'));

  const cob = byRole(input, ['cobrowse']);
  const inspectedCob = cob.filter((r) => r.id === 'tls.handshake' && r.details?.intercepted === true);
  out.push(
    judge(
      'cobrowse-reachable-uninspected',
      cob,
      'no co-browsing host in the profiles',
      inspectedCob.length ? [`TLS inspection on ${listText(inspectedCob.map((r) => input.hostOf(r)!))}`] : [],
    ),
  );

  // Video domains: the video hosts' own checks; media: UDP 3478 or TURN over TCP/TLS 443.
  {
    const video = byRole(input, ['video'], ['dns.resolve', 'tcp.connect', 'tls.handshake', 'http.path', 'ws.upgrade']);
    const m = mediaFacts(input);
    const mediaEv = [...m.udp, ...m.turnTcp].map((r) => r.id);
    const ev = [...video.map((r) => r.id), ...mediaEv];
    const badVideo = video.filter(isBad);
    if (badVideo.length) out.push(item('video-domains-and-media', 'fail', ev, failText(badVideo)));
    else if (!input.media && video.length === 0) out.push(item('video-domains-and-media', 'not-checked', ev, 'no video profile'));
    else if (!m.ran) out.push(item('video-domains-and-media', 'not-checked', ev, 'media checks not run (needs --probe)'));
    else if (m.udp3478 || m.turnTlsOk) out.push(item('video-domains-and-media', 'pass', ev));
    else out.push(item('video-domains-and-media', 'fail', ev, 'neither UDP 3478 nor TURN over TCP/TLS 443 works'));
  }

  // SSE not buffered + idle hold.
  {
    const sse = byRole(input, ['sign'], ['sse.stream']);
    const idle = input.byId('conn.idle');
    const rs = [...sse, ...idle];
    const bad = rs.filter(isBad);
    if (bad.length) {
      const idleCut = has('proxy-idle-timeout');
      out.push(item('sse-unbuffered-idle', 'fail', rs.map((r) => r.id), idleCut && bad.every((r) => r.id === 'conn.idle') ? idleCut.summary : failText(bad)));
    } else if (rs.some((r) => r.status === 'ok')) {
      const held = idle.map((r) => r.metrics.heldMs).filter((x): x is number => typeof x === 'number');
      const it = item('sse-unbuffered-idle', 'pass', rs.map((r) => r.id));
      if (held.length) it.reason = `held idle ${seconds(Math.min(...held))} (--idle-window); a ≥ 4 h timeout cannot be proved by a short run`;
      out.push(it);
    } else out.push(judge('sse-unbuffered-idle', rs, 'no event stream in the profiles'));
  }

  // VPN: the route check, plus the WebSocket result.
  {
    const vpn = input.byId('vpn.route').filter((r) => r.status !== 'skipped');
    if (vpn.length === 0) out.push(item('vpn-websocket-split-tunnel', 'not-checked', [], 'VPN route check not run (media checks not run)'));
    else {
      const tunnel = has('vpn-full-tunnel');
      const wsBad = ws.filter(isBad);
      if (wsBad.length) out.push(item('vpn-websocket-split-tunnel', 'fail', ['vpn.route', 'ws.upgrade'], failText(wsBad)));
      else if (tunnel) out.push(item('vpn-websocket-split-tunnel', 'warn', ['vpn.route'], tunnel.summary));
      else out.push(item('vpn-websocket-split-tunnel', 'pass', ['vpn.route', ...ws.map((r) => r.id)]));
    }
  }

  out.push(item('camera-mic-policy', 'not-checked', [], 'browser page only'));

  {
    const tp = input.byId('quality.throughput').filter((r) => r.status !== 'skipped');
    const down = tp.map((r) => r.metrics.downBps).find((x) => typeof x === 'number');
    const up = tp.map((r) => r.metrics.upBps).find((x) => typeof x === 'number');
    if (tp.length === 0) out.push(item('bandwidth-3mbps', 'not-checked', [], 'needs --probe'));
    else if (down === undefined || up === undefined) out.push(item('bandwidth-3mbps', 'fail', ['quality.throughput'], failText(tp.filter(isBad)) || 'no throughput measured'));
    else if (down < MIN_BPS || up < MIN_BPS) {
      const measured = `measured ${(down / 1e6).toFixed(1)} Mbps down, ${(up / 1e6).toFixed(1)} Mbps up`;
      const r = tp.find((x) => typeof x.metrics.downBps === 'number')!;
      const unproven = (down >= MIN_BPS || risingDirection(r, 'down')) && (up >= MIN_BPS || risingDirection(r, 'up'));
      if (unproven) out.push(item('bandwidth-3mbps', 'warn', ['quality.throughput'], `${measured}, still climbing when the measurement ended (a lower bound): run with a longer --quality-seconds`));
      else out.push(item('bandwidth-3mbps', 'fail', ['quality.throughput'], measured));
    }
    else out.push(item('bandwidth-3mbps', 'pass', ['quality.throughput']));
  }

  out.push(item('test-session', 'not-checked', [], 'needs a live session'));
  return out;
}
