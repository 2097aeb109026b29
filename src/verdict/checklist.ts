// seed 000_637c892c7d775e13.txt, "Pre-session validation checklist", in order.
import type { CheckResult } from '../shared/results.js';
import type { Cause, ChecklistId, ChecklistItem, ChecklistStatus } from '../report/types.js';
import type { HostRole } from '../shared/profile-types.js';
import { isBad, isDeadline, listText, nonexistentName, onProbe, seconds, uniq, type VerdictInput } from './input.js';
import { factLine, factsOf } from './facts.js';
import { hostsText } from './remedies.js';
import { computeTier, mediaFacts } from './media.js';
import { mbps, MIN_BPS, risingDirection } from './thresholds.js';
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

/**
 * Why a row fails, from its own failing results: each named under the cause that explains it (whose
 * facts list every target), the rest as facts.
 */
function failReason(input: VerdictInput, bad: CheckResult[], causes: Cause[]): string {
  const byCause = new Map<Cause, CheckResult[]>();
  const rest: CheckResult[] = [];
  for (const r of bad) {
    const c = causes.find((x) => x.facts?.some((f) => f.check === r.id && f.targets.includes(r.target)));
    if (c) byCause.set(c, [...(byCause.get(c) ?? []), r]);
    else rest.push(r);
  }
  const parts = [...byCause].map(([c, rs]) => {
    const hosts = uniq(rs.map((r) => input.hostOf(r) ?? r.target));
    return `${c.id} (${hosts.length === 1 ? hosts[0] : hostsText(input, hosts)})`;
  });
  for (const f of factsOf(rest)) parts.push(factLine(f));
  return parts.join('; ');
}

/**
 * Why what needs the probe (the cooperating far end) was not verified: no --probe, the probe not
 * reached (with its error), or the probe not handing out what the check needed.
 */
export function probeUnverifiedReason(input: VerdictInput, what: string): string {
  const reach = input.byId('probe.reach')[0];
  const url = input.raw.options?.probe ?? input.raw.probe?.url ?? reach?.target ?? null;
  if (!url && !reach) return `no probe (--probe): measuring ${what} needs a cooperating far end (a netready serve)`;
  if (reach && reach.status !== 'ok' && reach.status !== 'skipped')
    return `the probe ${url} could not be reached (${reach.error?.code ?? reach.status}${reach.error ? `: ${reach.error.message}` : ''})`;
  const fault = input.results.find(input.probeFault);
  if (fault) return `the probe ${url} did not answer for ${what} (${fault.error?.code}: ${fault.error?.message})`;
  const cut = input.results.find((r) => isDeadline(r) && onProbe(input, r));
  if (cut || input.raw.deadlineHit) return `the run deadline was reached before measuring ${what} finished`;
  return `${what}: not measured`;
}

/**
 * Pass/fail over a row's own results: fail when any failed/timeout (or is in `alsoBad`), pass when
 * some ok (with `passNote`: what the pass covers and what it does not), else not-checked.
 */
function judge(input: VerdictInput, causes: Cause[], id: ChecklistId, rs: CheckResult[], none: string, passNote?: () => string | undefined, alsoBad: CheckResult[] = []): ChecklistItem {
  const bad = [...rs.filter(isBad), ...alsoBad];
  const evidence = rs.map((r) => r.id);
  if (bad.length) return item(id, 'fail', evidence, failReason(input, bad, causes));
  const cut = rs.filter(isDeadline);
  if (cut.length) return item(id, 'not-checked', evidence, `the run deadline was reached before ${listText(cut.map((r) => `${r.id} ${r.target}`))} finished`);
  if (rs.some((r) => r.status === 'ok')) return item(id, 'pass', evidence, passNote?.());
  const skipped = rs.find((r) => r.status === 'skipped' && r.reason);
  return item(id, 'not-checked', evidence, skipped ? `not run: ${skipped.reason}` : none);
}

function byRole(input: VerdictInput, roles: HostRole[], ids?: string[]): CheckResult[] {
  return input.results.filter((r) => {
    const role = input.entryOf(r)?.role;
    return !!role && roles.includes(role) && (!ids || ids.includes(r.id));
  });
}

/** "/graphql 400, /transaction/x 302": what the origin answered (any status counts: contract, vendor hosts). */
function answered(rs: CheckResult[]): string {
  return uniq(rs.filter((r) => r.id === 'http.path' && r.status === 'ok' && typeof r.details?.status === 'number').map((r) => String(r.details?.status))).join(', ');
}

export function buildChecklist(input: VerdictInput, causes: Cause[]): ChecklistItem[] {
  const has = (id: string) => causes.find((c) => c.id === id);
  const out: ChecklistItem[] = [];
  const tier = computeTier(input);

  // 1. The Sign domain on 443, the Virtual Room path included: its own reachability results.
  const sign = byRole(input, ['sign'], ['dns.resolve', 'tcp.connect', 'tls.handshake', 'http.path']);
  out.push(
    judge(input, causes, 'sign-domain-reachable', sign, 'no OneSpan Sign domain in the profiles', () => {
      const a = answered(sign);
      return a ? `the origin answered (${a}; any status counts)` : undefined;
    }),
  );

  // 2. WebSocket upgrade to the Sign domain and the Vonage signalling hosts (checklist item 2).
  const ws = byRole(input, ['sign', 'video'], ['ws.upgrade']);
  out.push(judge(input, causes, 'websocket-upgrade', ws, 'no WebSocket endpoint in the profiles', () => `101, then a frame back, on ${listText(uniq(ws.filter((r) => r.status === 'ok').map((r) => r.target)))}`));

  // 3. Co-browsing hosts reachable (their WebSockets included) and not inspected.
  const cob = byRole(input, ['cobrowse']);
  const inspectedCob = cob.filter((r) => r.id === 'tls.handshake' && r.details?.intercepted === true && r.status === 'ok');
  out.push(
    judge(input, causes, 'cobrowse-reachable-uninspected', cob, 'no co-browsing host in the profiles', () => {
      const hosts = uniq(cob.filter((r) => r.id === 'tls.handshake' && r.status === 'ok').map((r) => input.hostOf(r)!));
      return hosts.length ? `${hosts.length} host${hosts.length === 1 ? '' : 's'} reached with their own certificates (no inspection)` : undefined;
    }, inspectedCob),
  );

  // 4. Video domains (their reachability; their WebSockets are row 2's) and a media path: UDP 3478 or TURN over TCP/TLS 443.
  {
    const video = byRole(input, ['video'], ['dns.resolve', 'dns.zone', 'tcp.connect', 'tls.handshake', 'http.path']).filter((r) => !nonexistentName(input, r));
    const m = mediaFacts(input);
    const mediaEv = [...m.udp, ...m.turnTcp].map((r) => r.id);
    const ev = [...video.map((r) => r.id), ...mediaEv];
    const badVideo = video.filter(isBad);
    const tested = uniq(video.filter((r) => r.status === 'ok').map((r) => (r.id === 'dns.zone' ? `the ${input.hostOf(r)} zone` : input.hostOf(r)!)));
    if (badVideo.length) out.push(item('video-domains-and-media', 'fail', ev, failReason(input, badVideo, causes)));
    else if (!input.media && video.length === 0) out.push(item('video-domains-and-media', 'not-checked', ev, 'no video profile'));
    else if (!m.ran) out.push(item('video-domains-and-media', 'not-checked', ev, probeUnverifiedReason(input, 'the media path (UDP 3478, TURN over TCP/TLS 443)')));
    else if (m.udp3478 || m.turnTlsOk) {
      const path = m.udp3478 ? 'UDP 3478' : 'TURN over TCP/TLS 443';
      out.push(item('video-domains-and-media', 'pass', ev, `the wildcards were tested through ${listText(tested) || 'no name'}; ${path} measured on the path to the probe (the Vonage media servers' path may differ)`));
    } else out.push(item('video-domains-and-media', 'fail', ev, failReason(input, [...m.udp, ...m.turnTcp].filter((r) => r.status !== 'ok'), causes) || 'neither UDP 3478 nor TURN over TCP/TLS 443 works'));
  }

  // 5. SSE not buffered + idle hold. The Sign domain's event path must not be refused on the way (its
  // origin answers, even 401); buffering and idle cuts need a cooperating far end: the probe.
  {
    const signSse = byRole(input, ['sign'], ['sse.stream']);
    const probeSse = input.byId('sse.stream').filter((r) => onProbe(input, r));
    const idle = input.byId('conn.idle');
    const rs = [...signSse, ...probeSse, ...idle];
    const ids = rs.map((r) => r.id);
    const bad = rs.filter((r) => isBad(r) && !input.probeFault(r));
    const measured = [...probeSse, ...idle].filter(input.evidence);
    if (bad.length) out.push(item('sse-unbuffered-idle', 'fail', ids, failReason(input, bad, causes)));
    else if (signSse.length === 0 && probeSse.length === 0 && idle.length === 0) out.push(item('sse-unbuffered-idle', 'not-checked', ids, 'no event stream in the profiles'));
    else if (!probeSse.some((r) => r.status === 'ok'))
      out.push(item('sse-unbuffered-idle', 'not-checked', ids, probeUnverifiedReason(input, 'event-stream buffering and idle cuts')));
    else {
      // A short hold proves only its own length: seed 000 asks for "≥ 4 hours".
      const held = idle.filter((r) => r.status === 'ok').map((r) => r.metrics.heldMs).filter((x): x is number => typeof x === 'number');
      const minHeld = held.length ? Math.min(...held) : 0;
      const notRuledOut = minHeld >= 300_000 ? 'cuts after that (the requirement is ≥ 4 h) not ruled out' : minHeld >= 60_000 ? '5-minute and longer cuts not ruled out (--thorough holds 5.5 min)' : '60 s and 5-minute cuts not ruled out (--thorough holds 5.5 min)';
      const proved = held.length ? `events arrive unbuffered; no idle cut within ${seconds(minHeld)}; ${notRuledOut}` : 'events arrive unbuffered; idle cuts not measured';
      out.push(item('sse-unbuffered-idle', 'warn', [...new Set([...ids, ...measured.map((r) => r.id)])], proved));
    }
  }

  // 6. VPN: the route check decides; a WebSocket failure counts here only where a tunnel carries the traffic.
  {
    const vpn = input.byId('vpn.route').filter((r) => r.status !== 'skipped');
    const tunnels = vpn.filter((r) => r.status === 'ok' && r.details?.viaTunnel === true);
    const wsBad = ws.filter(isBad);
    if (vpn.length === 0) out.push(item('vpn-websocket-split-tunnel', 'not-checked', [], 'VPN route check not run (media checks not run)'));
    else if (tunnels.length && wsBad.length)
      out.push(item('vpn-websocket-split-tunnel', 'fail', ['vpn.route', 'ws.upgrade'], `media hosts route through ${listText(uniq(tunnels.map((r) => String(r.details?.interface ?? '?'))))} and ${failReason(input, wsBad, causes)}`));
    else if (tunnels.length) out.push(item('vpn-websocket-split-tunnel', 'warn', ['vpn.route'], has('vpn-full-tunnel')?.summary ?? 'media hosts route through a tunnel'));
    else if (vpn.some(isBad)) out.push(item('vpn-websocket-split-tunnel', 'not-checked', ['vpn.route'], failReason(input, vpn.filter(isBad), causes)));
    else {
      const ifaces = uniq(vpn.map((r) => String(r.details?.interface ?? '?')));
      out.push(item('vpn-websocket-split-tunnel', 'pass', ['vpn.route'], `no tunnel on the route to the media hosts (${listText(ifaces)})`));
    }
  }

  // 7. Only the browser can tell (netready serve's browser page).
  const signHost = [...input.hosts.values()].find((h) => h.role === 'sign')?.host;
  out.push(
    item(
      'camera-mic-policy',
      'not-checked',
      [],
      `browser page only (netready serve's page, in the participant's browser)${signHost ? `; Chrome/Edge policy VideoCaptureAllowedUrls and AudioCaptureAllowedUrls must include https://${signHost}` : ''}`,
    ),
  );

  // 8. Bandwidth, measured to the probe over HTTPS; with no media path it carries no video.
  {
    const tp = input.byId('quality.throughput').filter((r) => r.status !== 'skipped' && !input.probeFault(r));
    const down = tp.map((r) => r.metrics.downBps).find((x) => typeof x === 'number');
    const up = tp.map((r) => r.metrics.upBps).find((x) => typeof x === 'number');
    const secs = tp.map((r) => r.details?.seconds).find((x) => typeof x === 'number');
    const measured = down !== undefined && up !== undefined ? `${mbps(down)} down, ${mbps(up)} up to the probe (HTTPS${secs ? `, ${secs} s` : ''})` : '';
    if (tp.length === 0) out.push(item('bandwidth-3mbps', 'not-checked', [], probeUnverifiedReason(input, 'bandwidth')));
    // No figure is no evidence of a slow link: the measurement itself did not get through.
    else if (down === undefined || up === undefined) out.push(item('bandwidth-3mbps', 'not-checked', ['quality.throughput'], `no throughput figure: ${failReason(input, tp.filter(isBad), causes) || 'nothing measured'}`));
    else if (down < MIN_BPS || up < MIN_BPS) {
      const r = tp.find((x) => typeof x.metrics.downBps === 'number')!;
      const unproven = (down >= MIN_BPS || risingDirection(r, 'down')) && (up >= MIN_BPS || risingDirection(r, 'up'));
      if (unproven) out.push(item('bandwidth-3mbps', 'warn', ['quality.throughput'], `${measured}, still climbing when the measurement ended (a lower bound): run with a longer --quality-seconds`));
      else out.push(item('bandwidth-3mbps', 'fail', ['quality.throughput'], measured));
    } else if (tier === 'none') out.push(item('bandwidth-3mbps', 'warn', ['quality.throughput'], `${measured}, but no media path exists to carry video (media-unreachable)`));
    else out.push(item('bandwidth-3mbps', 'pass', ['quality.throughput'], measured));
  }

  out.push(item('test-session', 'not-checked', [], 'needs a live session (one host, one participant)'));
  return out;
}
