// The browser page is built from real source files (src/serve/page/: index.html, page.css and
// page.ts, browser TypeScript) into plain strings the serve delivers (assets.gen.ts): the committed
// build is the build of the current sources, the script type-checks against the DOM and the shared
// types (cause ids, the browser@1 document), and what is served is one plain script given the values
// it shares with the verdict. Its behaviour in a real Chromium: browser-page.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ASSETS_FILE, PAGE_DIR, pageAssetsSource } from '../../scripts/build-page.js';
import { PAGE_JS } from '../../src/serve/browser-page.js';
import { PAGE_SHARED } from '../../src/shared/browser.js';
import { SSE_LATE_MS } from '../../src/protocol/sse-timing.js';
import { CHECKLIST_TEXT } from '../../src/verdict/checklist.js';

test('assets.gen.ts is the build of the current page sources (run `npm run page` after editing them)', () => {
  assert.equal(fs.readFileSync(ASSETS_FILE, 'utf8'), pageAssetsSource(), 'src/serve/page/assets.gen.ts is stale: run npm run page');
});

test('page.ts type-checks as browser code (DOM, no Node types) against the shared types', () => {
  const configFile = fileURLToPath(new URL('tsconfig.json', PAGE_DIR));
  const cfg = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) });
  assert.ok(cfg);
  assert.deepEqual(cfg.options.types, [], 'no Node types in the page');
  const program = ts.createProgram(cfg.fileNames, cfg.options);
  const problems = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  assert.deepEqual(problems, []);
});

test('the served script is one plain script (no module, no bundler) carrying the values shared with the verdict', () => {
  assert.doesNotThrow(() => new vm.Script(PAGE_JS, { filename: 'page.js' }), 'parses as a classic script');
  assert.doesNotMatch(PAGE_JS, /^\s*(import|export)\b|\brequire\(/m);
  assert.doesNotMatch(PAGE_JS, /\b(https?|wss?):\/\/[\w[]/, 'no external resource (no CDN): only the page\'s own origin');
  assert.ok(PAGE_JS.includes(JSON.stringify(PAGE_SHARED)));
  assert.equal(PAGE_SHARED.sseLateMs, SSE_LATE_MS, 'the page and sse.stream share the buffering threshold');
  assert.equal(PAGE_SHARED.cameraMicPolicyText, CHECKLIST_TEXT['camera-mic-policy'], 'the page and the verdict word the checklist item alike');
  // Run it against a stand-in document: it must read only NETREADY and the browser globals it
  // guards, and wait for the DOM (no throw at load).
  const listeners: string[] = [];
  const context = vm.createContext({ document: { readyState: 'loading', addEventListener: (ev: string) => listeners.push(ev) } });
  new vm.Script(PAGE_JS).runInContext(context);
  assert.deepEqual(listeners, ['DOMContentLoaded']);
});
