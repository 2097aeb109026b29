// Scenario files (lab/scenarios/*.yaml): one customer network each. Validated with valibot; a
// broken file is a UsageError naming the file and the field (exit 2).

import { readFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';
import * as v from 'valibot';
import { UsageError } from '../src/shared/errors.js';
import { parseYamlDoc } from '../src/shared/yaml-doc.js';

const Port = v.pipe(v.number(), v.integer(), v.minValue(1, 'a port 1-65535'), v.maxValue(65535, 'a port 1-65535'));
const PortSpec = v.union(
  [Port, v.pipe(v.string(), v.regex(/^\d{1,5}(-\d{1,5})?$/, 'a port or range "A-B"'))],
  'a port number or "A-B" range',
);
const Percent = v.pipe(v.number('a number'), v.minValue(0, '0-100'), v.maxValue(100, '0-100'));
const Dir = <T extends v.GenericSchema>(s: T) => v.optional(v.strictObject({ up: v.optional(s), down: v.optional(s) }, 'an object { up?, down? }'));
const CauseId = v.pipe(v.string('a cause id'), v.regex(/^[a-z0-9-]+$/, 'a kebab-case cause id'));
const Tier = v.nullable(v.picklist(['optimal', 'recommended-minimum', 'absolute-minimum', 'none'], 'optimal|recommended-minimum|absolute-minimum|none|null'));

const FirewallRule = v.strictObject({
  action: v.picklist(['drop', 'reject', 'accept'], 'drop|reject|accept'),
  proto: v.optional(v.picklist(['tcp', 'udp', 'icmp', 'any'], 'tcp|udp|icmp|any'), 'any'),
  ports: v.optional(v.array(PortSpec, 'a list of ports/ranges')),
  /** Profile host names or lab addresses (198.18.0.0/15); empty = every destination. */
  hosts: v.optional(v.array(v.string('a host name or address'))),
  /** Whose traffic: the client's (default), the proxy host's, or any. */
  from: v.optional(v.picklist(['client', 'proxy', 'any'], 'client|proxy|any'), 'client'),
});

const Squid = v.strictObject({
  kind: v.literal('squid'),
  port: Port,
  /** basic auth: every request without credentials gets 407 */
  auth: v.optional(v.boolean()),
  /** ssl-bump every CONNECT, re-signed by the squid's own CA (TLS inspection) */
  bump: v.optional(v.boolean()),
  /** cut idle tunnels after this many seconds (read_timeout + client_idle_pconn_timeout) */
  idleTimeoutS: v.optional(v.pipe(v.number(), v.minValue(1))),
  /** hard cap on a connection's life (client_lifetime; not for opaque CONNECT tunnels) */
  lifetimeS: v.optional(v.pipe(v.number(), v.minValue(1))),
  /** urlpath_regex deny (needs bump for HTTPS) */
  denyPathRegex: v.optional(v.array(v.string())),
  /** dstdom_regex + ssl::server_name_regex deny (CONNECT host and SNI) */
  denyHostRegex: v.optional(v.array(v.string())),
  /** http_reply_access deny by reply content type, e.g. ^text/event-stream (needs bump for HTTPS) */
  denyReplyMimeRegex: v.optional(v.array(v.string())),
  /** dstdomain deny list (exact host names) */
  denyHosts: v.optional(v.array(v.string())),
});
const Mitm = v.strictObject({ kind: v.literal('mitmproxy'), port: Port });
const Proxy = v.variant('kind', [Squid, Mitm], 'kind: squid|mitmproxy');

const Nginx = v.strictObject({
  /** profile host names whose DNS answer points at this nginx instead of the vendor */
  hosts: v.pipe(v.array(v.string()), v.minLength(1, 'at least one host')),
  /** gzip on for text/event-stream: SSE arrives in batches / late */
  bufferSse: v.optional(v.boolean()),
  /** proxy_read_timeout: idle streams are cut after this many seconds */
  readTimeoutS: v.optional(v.pipe(v.number(), v.minValue(1))),
});

/** The real-like vendor origin (lab/origin.ts) on every vendor host; `netready serve` runs only on
 * probe.lab.test. These knobs change what the origins do, never make them cooperate. */
const Vendor = v.strictObject({
  /** hosts whose origin refuses every WebSocket upgrade itself (401 JSON with its own certificate) */
  refuseUpgrade: v.optional(v.array(v.string('a lab host name'))),
  /** the status of that refusal (default 401) */
  refuseStatus: v.optional(v.picklist([401, 403], '401 or 403')),
  /** seconds after which the origin closes an idle unauthenticated WebSocket (Close 1008; default 45) */
  wsCloseAfterS: v.optional(v.pipe(v.number('a number of seconds'), v.minValue(1, 'at least 1 s'), v.maxValue(3600, 'at most 3600 s'))),
  /** pathname -> HTTP status on every vendor HTTPS host, e.g. { "/graphql": 404 } (a POST-only route) */
  pathStatus: v.optional(
    v.record(
      v.pipe(v.string(), v.regex(/^\//, 'a path starting with /')),
      v.pipe(v.number('an HTTP status'), v.integer(), v.minValue(200, 'an HTTP status 200-599'), v.maxValue(599, 'an HTTP status 200-599')),
    ),
  ),
});

export const ScenarioSchema = v.strictObject({
  description: v.pipe(v.string('a description'), v.minLength(3)),
  /** seed rows / cause ids this scenario stands for */
  covers: v.optional(v.array(v.string())),
  pending: v.optional(v.string('a reason')),
  /** profiles whose host names the lab DNS answers (default: every built-in profile) */
  profiles: v.optional(v.array(v.string())),
  /** profile parameters, e.g. signDomain */
  params: v.optional(v.record(v.string(), v.union([v.string(), v.boolean()]))),
  /** extra names the lab DNS answers with a vendor address */
  extraHosts: v.optional(v.array(v.string())),
  dns: v.optional(
    v.strictObject({
      nxdomain: v.optional(v.array(v.string())),
      timeout: v.optional(v.array(v.string())),
    }),
  ),
  firewall: v.optional(v.array(FirewallRule, 'a list of rules')),
  udp: v.optional(v.picklist(['on', 'off', 'only-3478'], 'on|off|only-3478'), 'on'),
  link: v.optional(
    v.strictObject({
      rateKbit: Dir(v.pipe(v.number(), v.minValue(8), v.maxValue(10_000_000))),
      lossPercent: Dir(Percent),
      delayMs: Dir(v.pipe(v.number('a number of ms'), v.minValue(0, '0-5000 ms'), v.maxValue(5000, '0-5000 ms'))),
      /** one way, added on top of delayMs: uniform random 0..N ms per packet, FIFO (no reordering) */
      jitterMs: Dir(v.pipe(v.number('a number of ms'), v.minValue(0, '0-1000 ms'), v.maxValue(1000, '0-1000 ms'))),
      /** jitter that lets a later packet overtake an earlier one (netem's default): each packet is
       * held exactly delay + U, so a dense stream keeps the whole spread */
      jitterReorder: v.optional(v.boolean('true or false')),
      mtu: v.optional(v.pipe(v.number(), v.integer(), v.minValue(576), v.maxValue(9000))),
    }),
  ),
  proxies: v.optional(v.array(Proxy)),
  /** an intercepting proxy in the router: TCP to these ports from the client is redirected to a
   * squid that bumps (TLS inspection) — the client configures nothing */
  transparent: v.optional(
    v.strictObject({
      ports: v.optional(v.array(v.picklist([80, 443])), [443]),
      hosts: v.optional(v.array(v.string())),
    }),
  ),
  nginx: v.optional(Nginx),
  vendor: v.optional(Vendor),
  /**
   * a PAC file ({pacFile}): a PAC answer returned for every URL, e.g. "PROXY {proxy}:3128", or a
   * whole script (text with a FindProxyForURL function); {proxy} is the proxy host's address
   */
  pac: v.optional(v.string()),
  /**
   * WPAD: the client's resolv.conf gets `search DOMAIN`, the lab's resolver answers wpad.DOMAIN with
   * a small web server in the lab (198.18.2.4:80) serving `pac` (same forms as the pac knob) as
   * /wpad.dat — what a browser set to "automatically detect settings" finds. DOMAIN must end in .lab.test.
   */
  wpad: v.optional(
    v.strictObject({
      domain: v.pipe(v.string('a search domain'), v.regex(/^([a-z0-9-]+\.)+lab\.test$/, 'a domain under lab.test, e.g. corp.lab.test')),
      pac: v.pipe(v.string('a PAC answer or script'), v.minLength(1)),
    }),
  ),
  /** a VPN-like ipip tunnel in the client; these hosts are routed through it */
  vpn: v.optional(v.strictObject({ hosts: v.array(v.string()) })),
  /**
   * a stand-in for the Personal Certificate Client in the client, on 127.0.0.1:PORT (seed 003: one
   * of the six agent ports), with a valid, expired or wrong-name certificate for localhost.esignlive.com
   */
  pccAgent: v.optional(
    v.strictObject({
      port: v.picklist([26666, 31222, 32444, 44555, 47777, 48888], 'one of the six seed 003 agent ports'),
      cert: v.picklist(['valid', 'expired', 'wrong-name'], 'valid | expired | wrong-name'),
    }),
  ),
  /** argv of `netready check` run in the client; placeholders {labCa} {reportFile} {proxy} {pacFile} {signDomain} */
  check: v.optional(v.array(v.string())),
  expect: v.optional(
    v.strictObject({
      ready: v.optional(v.boolean()),
      /** the report's outcome (contract: ready | not-ready | incomplete) */
      outcome: v.optional(v.picklist(['ready', 'not-ready', 'incomplete'], 'ready|not-ready|incomplete')),
      /** the checklist ids the report must list as unverified, exactly ([] = none) */
      unverified: v.optional(v.array(v.string('a checklist id'))),
      tier: v.optional(Tier),
      causes: v.optional(v.array(CauseId)),
      notCauses: v.optional(v.array(CauseId)),
      /** cause id -> regular expression its summary or remedy must match (case-insensitive) */
      causeText: v.optional(v.record(CauseId, v.pipe(v.string(), v.minLength(1)))),
      /** exit code of netready check (default: from outcome 0/1/4, else 0 when ready, 1 when not) */
      exitCode: v.optional(v.number()),
      /** the report's durationMs must be at most this many seconds (e.g. --deadline + 1) */
      maxSeconds: v.optional(v.pipe(v.number('a number of seconds'), v.minValue(1, 'at least 1 s'))),
      /** host -> regular expression the report's route to it must match: "ROUTE (SOURCE)[ carried by ENTRY]" (context.routes) */
      routes: v.optional(v.record(v.pipe(v.string(), v.minLength(1)), v.pipe(v.string(), v.minLength(1)))),
      /** regular expressions, each matching at least one of the report's notes */
      notes: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
      /** "check.id" or "check.id target" -> the status every such result must have (at least one) */
      checks: v.optional(v.record(v.pipe(v.string(), v.minLength(1)), v.picklist(['ok', 'failed', 'timeout', 'skipped', 'error'], 'ok|failed|timeout|skipped|error'))),
    }),
  ),
});

export type Scenario = v.InferOutput<typeof ScenarioSchema> & { file: string; name: string };

export function parseScenario(text: string, file: string): Scenario {
  const s = parseYamlDoc(ScenarioSchema, text, `scenario ${file}`);
  if (!s.pending && (!s.check || !s.expect))
    throw new UsageError(`scenario ${file}: field check/expect: a runnable scenario needs both (or pending: "reason")`);
  if (s.proxies) {
    const ports = s.proxies.map((p) => p.port);
    if (new Set(ports).size !== ports.length) throw new UsageError(`scenario ${file}: field proxies: two proxies on one port`);
  }
  for (const [field, re] of [...Object.entries(s.expect?.routes ?? {}).map(([h, r]) => [`routes.${h}`, r]), ...(s.expect?.notes ?? []).map((r, i) => [`notes.${i}`, r])]) {
    try {
      new RegExp(re, 'i');
    } catch {
      throw new UsageError(`scenario ${file}: field expect.${field}: not a regular expression: ${re}`);
    }
  }
  for (const [id, re] of Object.entries(s.expect?.causeText ?? {})) {
    try {
      new RegExp(re, 'i');
    } catch {
      throw new UsageError(`scenario ${file}: field expect.causeText.${id}: not a regular expression: ${re}`);
    }
  }
  for (const r of s.firewall ?? [])
    for (const p of r.ports ?? []) {
      const [a, b] = String(p).split('-').map(Number);
      if (a < 1 || a > 65535 || (b !== undefined && (b < a || b > 65535)))
        throw new UsageError(`scenario ${file}: field firewall.ports: "${p}" is not a port range within 1-65535`);
    }
  return { ...s, file, name: basename(file).replace(/\.ya?ml$/, '') };
}

export function loadScenario(file: string): Scenario {
  if (!existsSync(file)) throw new UsageError(`scenario ${file}: no such file`);
  return parseScenario(readFileSync(file, 'utf8'), file);
}
