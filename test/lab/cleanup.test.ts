// The lab leaves nothing behind — passed, failed or interrupted — and never touches the root
// namespace's routes, NAT or nft tables. Needs root and network namespaces; skipped otherwise.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { up, down, listLabNamespaces, STATE_DIR, REPO, type LabState } from '../../lab/lab.js';
import { parseScenario } from '../../lab/scenario.js';
import { runScenario } from '../../lab/runner.js';
import { alive, sleep } from '../../lab/sh.js';
import { needs, needsRoot } from '../support/prereqs.js';

function canRunLab(): string | null {
  const missing = needsRoot('network namespaces, nftables, tc') || needs('ip', 'tc', 'ss', 'sysctl', 'dnsmasq', 'squid', 'nginx', 'nft', 'socat', 'dig', 'openssl');
  if (missing) return missing;
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) return 'needs iproute2 with network namespace support';
  return null;
}
const skip = canRunLab();
const ROOT_LINKS = skip ? '' : spawnSync('sh', ['-c', "ip -o link show | awk -F': ' '{print $2}' | sort"], { encoding: 'utf8' }).stdout;
if (skip) console.log(`# lab cleanup tests skipped: ${skip}`);

function sh(cmd: string): string {
  return spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout ?? '';
}

/** The root namespace's routes, NAT/filter rules and interfaces. */
function rootSnapshot(): Record<string, string> {
  return {
    routes: sh('ip route show table all'),
    nft: sh('nft list ruleset'),
    iptablesLegacy: sh('iptables-legacy-save 2>/dev/null | grep -v "^#"'),
    links: sh("ip -o link show | awk -F': ' '{print $2}' | sort"),
    forwarding: sh('sysctl -n net.ipv4.ip_forward'),
  };
}

function assertGone(st: Pick<LabState, 'id' | 'ns' | 'procs' | 'etcNetns' | 'tmpDir'>): void {
  const left = listLabNamespaces().filter((n) => n.startsWith(`nrl-${st.id}-`));
  assert.deepEqual(left, [], `namespaces left: ${left.join(' ')}`);
  for (const ns of Object.values(st.ns)) assert.ok(!existsSync(`/etc/netns/${ns}`), `/etc/netns/${ns} left`);
  const live = st.procs.filter((p) => alive(p.pid));
  assert.deepEqual(live, [], `lab processes left: ${live.map((p) => `${p.name}:${p.pid}`).join(' ')}`);
  assert.ok(!existsSync(st.tmpDir), `temp dir ${st.tmpDir} left`);
  assert.ok(!existsSync(join(STATE_DIR, `${st.id}.json`)), 'state file left');
  // interfaces are created inside the namespaces: the root namespace's list is as it was
  assert.equal(sh("ip -o link show | awk -F': ' '{print $2}' | sort"), ROOT_LINKS, 'root namespace interfaces changed');
  assert.ok(!/nrl/.test(sh('nft list tables')), 'an nrl nft table in the root namespace');
}

// Every kind of knob and daemon, so each has to be cleaned up.
const FULL = `
description: cleanup test with every knob
dns: { nxdomain: [cobrowsingapi.com], timeout: [anvil.opentok.com] }
firewall: [{ action: reject, proto: tcp, ports: [443], hosts: [config.opentok.com] }]
udp: only-3478
link: { rateKbit: { up: 5000, down: 5000 }, lossPercent: { up: 1 }, delayMs: { up: 5, down: 5 }, mtu: 1400 }
proxies: [{ kind: squid, port: 3128, bump: true }, { kind: mitmproxy, port: 8080 }]
transparent: { hosts: [js.upscope.io] }
nginx: { hosts: [code.upscope.io], bufferSse: true }
pac: "PROXY {proxy}:3128"
vpn: { hosts: [api.upscope.io] }
check: [--profile, onespan-virtual-room, --ca, "{labCa}", --json, "{reportFile}", --deadline, "5", --idle-window, "1"]
expect: { ready: true }
`;

test('lab up and down leaves nothing and never touches the root namespace', { skip: skip ?? false, timeout: 90_000 }, async () => {
  const before = rootSnapshot();
  const st = await up(parseScenario(FULL, 'cleanup-full.yaml'));
  try {
    assert.ok(st.procs.length >= 7, `daemons recorded: ${st.procs.map((p) => p.name).join(' ')}`);
    for (const p of st.procs) assert.ok(alive(p.pid), `${p.name} is running`);
    // the lab works: the client resolves a lab name through the lab's dnsmasq
    const dig = spawnSync('ip', ['netns', 'exec', st.ns.client, 'dig', '+short', '+time=2', '+tries=1', 'apps.esignlive.com'], { encoding: 'utf8' });
    assert.equal(dig.stdout.trim(), st.hosts['apps.esignlive.com']);
    // the client has no way out of the lab: the router has no route beyond 198.18.0.0/15
    const routes = spawnSync('ip', ['-n', st.ns.router, 'route'], { encoding: 'utf8' }).stdout;
    assert.ok(!/default/.test(routes), `router has a default route: ${routes}`);
    for (const line of routes.trim().split('\n')) assert.match(line, /^198\.1[89]\./, `router route outside the lab: ${line}`);
    // while the lab is up, the root namespace is exactly as before
    assert.deepEqual(rootSnapshot(), before);
  } finally {
    await down(st);
  }
  assertGone(st);
  assert.deepEqual(rootSnapshot(), before);
});

test('a scenario that fails is torn down', { skip: skip ?? false, timeout: 90_000 }, async () => {
  // expect ready: true behind a firewall that blocks everything: the scenario fails
  const sc = parseScenario(
    `description: failing scenario
firewall: [{ action: reject, proto: any }]
proxies: [{ kind: squid, port: 3128 }]
check: [--profile, onespan-virtual-room, --ca, "{labCa}", --json, "{reportFile}", --deadline, "5", --idle-window, "1"]
expect: { ready: true }
`,
    'cleanup-failing.yaml',
  );
  mkdirSync(STATE_DIR, { recursive: true });
  const before = new Set(readdirSync(STATE_DIR).filter((f) => f.endsWith('.json')));
  let seen: LabState | null = null;
  const watcher = setInterval(() => {
    for (const f of readdirSync(STATE_DIR).filter((f) => f.endsWith('.json') && !before.has(f))) {
      try {
        const s = JSON.parse(readFileSync(join(STATE_DIR, f), 'utf8')) as LabState;
        if (s.scenarioFile === 'cleanup-failing.yaml' && (!seen || s.procs.length >= seen.procs.length)) seen = s;
      } catch {
        /* being written */
      }
    }
  }, 20);
  const o = await runScenario(sc).finally(() => clearInterval(watcher));
  assert.equal(o.status, 'fail');
  assert.ok(seen, 'the lab was up');
  assertGone(seen);
});

test('a lab whose up fails half-way is torn down', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const sc = parseScenario(
    `description: up fails after the namespaces and dnsmasq exist
firewall: [{ action: drop, proto: tcp, hosts: [no-such-host.example] }]
pending: never run
`,
    'cleanup-upfail.yaml',
  );
  let st: LabState | null = null;
  await assert.rejects(up(sc, { onState: (s) => (st = s) }), /no-such-host\.example/);
  assert.ok(st);
  assertGone(st);
});

test('SIGINT during `npm run lab -- test` tears the lab down', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nrl-test-'));
  const file = join(dir, 'interrupted.yaml');
  writeFileSync(file, FULL);
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'lab', 'cli.ts'), 'test', file], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // wait until the lab is half built (a few daemons recorded), then interrupt
    let st: LabState | null = null;
    const until = Date.now() + 60_000;
    while (!st && Date.now() < until) {
      for (const f of existsSync(STATE_DIR) ? readdirSync(STATE_DIR) : []) {
        try {
          const s = JSON.parse(readFileSync(join(STATE_DIR, f), 'utf8')) as LabState;
          if (s.scenarioFile === file && s.procs.length >= 3) st = s;
        } catch {
          /* being written */
        }
      }
      if (!st) await sleep(20);
    }
    assert.ok(st, `the lab came up: ${out}`);
    child.kill('SIGINT');
    // keep reading the state file until down removes it: its last version holds every PID
    let done = false;
    const code = await Promise.race([
      exited.then((c) => ((done = true), c)),
      (async () => {
        const f = join(STATE_DIR, `${st!.id}.json`);
        while (!done) {
          try {
            const s = JSON.parse(readFileSync(f, 'utf8')) as LabState;
            if (s.procs.length >= st!.procs.length) st = s;
          } catch {
            /* gone or being written */
          }
          await sleep(10);
        }
        return -1;
      })(),
    ]);
    assert.equal(code, 130, out);
    // the state file as it was last written holds every PID the lab started
    assertGone(st);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
