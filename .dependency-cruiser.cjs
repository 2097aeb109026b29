// The layering of /work/wt/shared/design/architecture.md ("Rooms"), checked by dependency-cruiser in
// `npm test` (scripts/test.mjs runs `depcruise src --config .dependency-cruiser.cjs` after the type
// checks). Arrows point down the table only; no import cycles. Every layer may import the shared
// leaf modules (src/shared/, src/assets.ts), which import nothing of ours but each other.

/** A narrow exception's fence: `from` may not import `to` (the exception stays as narrow as it says). */
function fence(name, comment, from, to) {
  return { name, comment, severity: 'error', from, to };
}

/** A rule: files under `from` may import nothing of ours outside `allowed` (regexes on the path). */
function layer(name, from, allowed, comment) {
  return {
    name: `layer-${name}`,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: '^src/', pathNot: [from, '^src/shared/', '^src/assets\\.ts$', ...allowed] },
  };
}

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no import cycles', from: {}, to: { circular: true } },
    {
      name: 'shared-is-a-leaf',
      severity: 'error',
      comment: 'src/shared/ and src/assets.ts import nothing of ours but each other',
      from: { path: '^src/(shared/|assets\\.ts$)' },
      to: { path: '^src/', pathNot: ['^src/shared/', '^src/assets\\.ts$'] },
    },
    layer('profiles', '^src/profiles/', [], 'profiles: the YAML profiles and their loader; nothing of ours'),
    layer('protocol', '^src/protocol/', [], 'protocol: sans-I/O codecs and state machines; nothing of ours'),
    layer('net', '^src/net/', ['^src/protocol/'], 'net: sockets with phase timeouts; protocol/ below it'),
    layer('checks', '^src/checks/', ['^src/net/', '^src/protocol/'], 'checks: net/ and protocol/'),
    layer('engine', '^src/engine/', ['^src/checks/types\\.ts$'], 'engine: the checks\' types only'),
    layer('verdict', '^src/verdict/', ['^src/report/types\\.ts$'], 'verdict: pure; the report types'),
    layer(
      'report',
      '^src/report/',
      [
        '^src/verdict/types',
        // Narrow, on purpose: the renderers show the verdict's facts and merge its changes with the
        // verdict's own pure helpers (one implementation, no copy in report/); verdict never
        // imports report/ code, only report/types.ts, so no cycle.
        '^src/verdict/(facts|input|remedies|thresholds)\\.ts$',
        '^src/profiles/', // only allowlist.ts: see layer-report-allowlist
        '^src/net/discovery/run\\.ts$', // types only: see layer-report-discovery-type-only
      ],
      'report: the report type and renderers; the verdict\'s types',
    ),
    fence(
      'layer-report-allowlist',
      'report/ reads profiles only in allowlist.ts (the allowlist is rendered from the profiles, not from a run)',
      { path: '^src/report/', pathNot: '^src/report/allowlist\\.ts$' },
      { path: '^src/profiles/' },
    ),
    layer(
      'serve',
      '^src/serve/',
      [
        '^src/protocol/',
        '^src/net/',
        // Narrow, on purpose: the report store (serve/store/) keeps uploaded reports, so it reads the
        // report's type and validates uploads against the report schema (report/validate.ts, which
        // imports nothing of serve/). The results pages (serve/results/) render a stored report with
        // the report's own HTML renderer (share links /r/<id>; report/html.ts imports nothing of
        // serve/). No other serve/ file may import report/.
        '^src/report/(types|validate|html)\\.ts$',
      ],
      'serve: the far end; protocol/ and net/',
    ),
    fence('layer-serve-store', 'only the report store (serve/store/) and the results pages (serve/results/) read report/', { path: '^src/serve/', pathNot: '^src/serve/(store|results)/' }, { path: '^src/report/' }),
    fence('layer-serve-results-html', 'only the results pages (serve/results/) render reports', { path: '^src/serve/', pathNot: '^src/serve/results/' }, { path: '^src/report/html\\.ts$' }),
    fence(
      'layer-report-discovery-type-only',
      'report/types.ts carries the discovery record as data: report/ may read net/discovery/run.ts for its types only',
      { path: '^src/report/' },
      { path: '^src/net/discovery/run\\.ts$', dependencyTypesNot: ['type-only', 'type-import'] },
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.gen\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
