// seed 000_637c892c7d775e13.txt, "Pre-session validation checklist", in order.
import type { CheckResult } from '../checks/types.js';
import type { Cause, ChecklistId, ChecklistItem, ChecklistStatus } from '../report/types.js';
import type { HostRole } from '../profiles/types.js';
import { isBad, isDeadline, listText, nonexistentName, onProbe, seconds, type VerdictInput } from './input.js';
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

/**
 * Why what needs the probe (the cooperating far end) was not verified: no --probe, the probe not
 * reached (with its error), or the probe not handing out what the check needed.
 */
export function probeUnverifiedReason(input: VerdictInput, what: string): string {
  const reach = input.byId('probe.reach')[0];
  const url = input.raw.options?.probe ?? input.raw.probe?.url ?? reach?.target ?? null;
  if (!url && !reach) return `no probe (--probe): ${what} needs a cooperating far end (a netready serve)`;
  if (reach && reach.status !== 'ok' && reach.status !== 'skipped')
    return `the probe ${url} could not be reached (${reach.error?.code ?? reach.status}${reach.error ? `: ${reach.error.message}` : ''})`;
  const fault = input.results.find(input.probeFault);
  if (fault) return `the probe ${url} did not answer what ${what} needs (${fault.error?.code}: ${fault.error?.message})`;
  const cut = input.results.find((r) => isDeadline(r) && onProbe(input, r));
  if (cut || input.raw.deadlineHit) return `the run deadline was reached before ${what} finished`;
  return `${what} was not measured`;
}

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
    const video = byRole(input, ['video'], ['dns.resolve', 'dns.zone', 'tcp.connect', 'tls.handshake', 'http.path', 'ws.upgrade']).filter((r) => !nonexistentName(input, r));
    const m = mediaFacts(input);
    const mediaEv = [...m.udp, ...m.turnTcp].map((r) => r.id);
    const ev = [...video.map((r) => r.id), ...mediaEv];
    const badVideo = video.filter(isBad);
    if (badVideo.length) out.push(item('video-domains-and-media', 'fail', ev, failText(badVideo)));
    else if (!input.media && video.length === 0) out.push(item('video-domains-and-media', 'not-checked', ev, 'no video profile'));
    else if (!m.ran) out.push(item('video-domains-and-media', 'not-checked', ev, probeUnverifiedReason(input, 'the media path (UDP 3478, TURN over TCP/TLS 443)')));
    else if (m.udp3478 || m.turnTlsOk) out.push(item('video-domains-and-media', 'pass', ev));
    else out.push(item('video-domains-and-media', 'fail', ev, 'neither UDP 3478 nor TURN over TCP/TLS 443 works'));
  }

  // SSE not buffered + idle hold. The Sign domain's event path must not be refused on the way (its
  // origin answers, even 401); buffering and idle cuts need a cooperating far end: the probe.
  {
    const signSse = byRole(input, ['sign'], ['sse.stream']);
    const probeSse = input.byId('sse.stream').filter((r) => onProbe(input, r));
    const idle = input.byId('conn.idle');
    const rs = [...signSse, ...probeSse, ...idle];
    const ids = rs.map((r) => r.id);
    const bad = rs.filter((r) => isBad(r) && !input.probeFault(r));
    const measured = [...probeSse, ...idle].filter(input.evidence);
    if (bad.length) {
      const idleCut = has('proxy-idle-timeout');
      out.push(item('sse-unbuffered-idle', 'fail', ids, idleCut && bad.every((r) => r.id === 'conn.idle') ? idleCut.summary : failText(bad)));
    } else if (signSse.length === 0 && probeSse.length === 0 && idle.length === 0) out.push(item('sse-unbuffered-idle', 'not-checked', ids, 'no event stream in the profiles'));
    else if (!probeSse.some((r) => r.status === 'ok'))
      out.push(item('sse-unbuffered-idle', 'not-checked', ids, probeUnverifiedReason(input, 'measuring event-stream buffering and idle cuts')));
    else {
      // A short hold proves only its own length: seed 000 asks for "≥ 4 hours".
      const held = idle.filter((r) => r.status === 'ok').map((r) => r.metrics.heldMs).filter((x): x is number => typeof x === 'number');
      const minHeld = held.length ? Math.min(...held) : 0;
      const notRuledOut = minHeld >= 300_000 ? 'cuts after that (the requirement is ≥ 4 h) not ruled out' : minHeld >= 60_000 ? '5-minute and longer cuts not ruled out (--thorough holds 5.5 min)' : '60 s and 5-minute cuts not ruled out (--thorough holds 5.5 min)';
      const proved = held.length ? `events arrive unbuffered; no idle cut within ${seconds(minHeld)}; ${notRuledOut}` : 'events arrive unbuffered; idle cuts not measured';
      out.push(item('sse-unbuffered-idle', 'warn', [...new Set([...ids, ...measured.map((r) => r.id)])], proved));
    }
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
    const tp = input.byId('quality.throughput').filter((r) => r.status !== 'skipped' && !input.probeFault(r));
    const down = tp.map((r) => r.metrics.downBps).find((x) => typeof x === 'number');
    const up = tp.map((r) => r.metrics.upBps).find((x) => typeof x === 'number');
    if (tp.length === 0) out.push(item('bandwidth-3mbps', 'not-checked', [], probeUnverifiedReason(input, 'measuring bandwidth')));
    // No figure is no evidence of a slow link: the measurement itself did not get through.
    else if (down === undefined || up === undefined) out.push(item('bandwidth-3mbps', 'not-checked', ['quality.throughput'], `no throughput figure: ${failText(tp.filter(isBad)) || 'nothing measured'}`));
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
