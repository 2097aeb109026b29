// Rules declare the checks they read (Rule.reads): held to what each rule does (its own source, the
// ids it asks the input for and the checks its causes cite, over every raw fixture), and every check
// a rule reads is planned by some profile — or is one that runs only against the probe.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RULES } from '../../src/verdict/rules/index.js';
import { buildInput, PROBE_ONLY_CHECKS } from '../../src/verdict/input.js';
import { CHECKS } from '../../src/checks/registry.js';
import { withProbeHost } from '../../src/checks/probe-reach.js';
import { CHECK_IDS } from '../../src/shared/check-ids.js';
import { loadProfiles } from '../../src/profiles/load.js';
import { assetNames } from '../../src/assets.js';
import { defaultConfig } from '../../src/shared/config.js';
import type { RawRun } from '../../src/report/types.js';

const FIXTURE_DIRS = ['raw', 'recorded'].map((d) => fileURLToPath(new URL(`../fixtures/${d}/`, import.meta.url)));
const RULES_DIR = fileURLToPath(new URL('../../src/verdict/rules/', import.meta.url));
const ID_LITERAL = new RegExp(`'(${CHECK_IDS.map((i) => i.replace('.', '\\.')).join('|')})'`, 'g');

function fixtures(): { name: string; raw: RawRun }[] {
  return FIXTURE_DIRS.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => ({ name: f, raw: JSON.parse(readFileSync(d + f, 'utf8')) as RawRun })));
}

test('the registry holds one check per id of the shared list, in its order', () => {
  assert.deepEqual(CHECKS.map((c) => c.id), [...CHECK_IDS]);
});

test('every check id a rule names in its own source is in its reads', () => {
  for (const rule of RULES) {
    const file = RULES_DIR + `${rule.id}.ts`;
    let src: string;
    try {
      src = readFileSync(file, 'utf8');
    } catch {
      continue; // made by a shared factory (pcc-common.ts)
    }
    const named = [...src.matchAll(ID_LITERAL)].map((m) => m[1]);
    const missing = [...new Set(named.filter((id) => !rule.reads.includes(id as never)))];
    assert.deepEqual(missing, [], `${rule.id}: names ${missing.join(', ')} but does not declare it in reads`);
  }
});

test('over every raw fixture, a rule asks only for the checks it reads, and its causes cite only those', () => {
  const fx = fixtures();
  assert.ok(fx.length >= 30, `${fx.length} fixtures`);
  let asked = 0;
  for (const rule of RULES) {
    for (const { name, raw } of fx) {
      const input = buildInput(raw);
      const byId = input.byId;
      input.byId = (id, prefix) => {
        asked++;
        assert.ok(rule.reads.includes(id), `${rule.id} asked for ${id} (fixture ${name}) but does not declare it in reads`);
        return byId(id, prefix);
      };
      const c = rule.evaluate(input);
      for (const id of c?.evidence ?? []) assert.ok(rule.reads.includes(id as never), `${rule.id}'s cause cites ${id} (fixture ${name}), not in its reads`);
      for (const f of c?.facts ?? []) assert.ok(rule.reads.includes(f.check as never), `${rule.id}'s fact is about ${f.check} (fixture ${name}), not in its reads`);
    }
  }
  assert.ok(asked > 100, 'the spy saw the rules ask');
});

test('every check a rule reads is planned by some profile (with a probe), or runs only against the probe', () => {
  const config = defaultConfig({
    probe: 'https://probe.lab:8443',
    qualityMs: 2000,
    probeInfo: { stun: { host: 'probe.lab', port: 3478 }, udpEcho: { host: 'probe.lab', ports: [40000] }, turn: { urls: ['turn:probe.lab:3478?transport=udp', 'turns:probe.lab:443?transport=tcp'] } },
  });
  const planned = new Set<string>();
  const names = assetNames('src/profiles').filter((n) => n.endsWith('.yaml')).map((n) => n.replace(/^.*\//, '').replace(/\.yaml$/, ''));
  assert.ok(names.length >= 3, names.join(','));
  for (const name of names) {
    const profiles = withProbeHost(loadProfiles([name], {}), config); // as check-command plans
    for (const def of CHECKS) for (const t of def.plan(profiles, { ...config, profiles: [name] })) planned.add(t.id);
  }
  const read = new Set(RULES.flatMap((r) => r.reads));
  const unplanned = [...read].filter((id) => !planned.has(id) && !PROBE_ONLY_CHECKS.has(id));
  assert.deepEqual(unplanned, [], `read by a rule but planned by no profile: ${unplanned.join(', ')}`);
});
