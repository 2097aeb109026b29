// A separate writer process for the store's concurrency tests: opens the store named on the command
// line and puts N reports as fast as it can, across a few shared sites, then prints one JSON line
// {ok, failed: {code: count}}. Used as: node --import tsx test/serve/store-writer.ts SPEC WORKER N
import { openStore, StoreError } from '../../src/serve/store/index.js';
import { golden, rerun } from './store-docs.js';

const [spec, workerArg, nArg] = process.argv.slice(2);
const worker = Number(workerArg);
const n = Number(nArg);
const docs = [golden('clean'), golden('dns-blocked'), golden('udp-blocked')];
const T0 = Date.parse('2026-10-01T00:00:00.000Z');
const store = await openStore(spec);
let ok = 0;
const failed: Record<string, number> = {};
for (let i = 0; i < n; i++) {
  try {
    await store.put(rerun(docs[(worker + i) % docs.length], T0 + i * 60_000 + worker), { site: `site-${i % 5}` });
    ok++;
  } catch (e) {
    const code = e instanceof StoreError ? e.code : String(e);
    failed[code] = (failed[code] ?? 0) + 1;
  }
}
await store.close();
process.stdout.write(JSON.stringify({ ok, failed }) + '\n');
