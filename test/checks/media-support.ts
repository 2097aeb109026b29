// Test helpers for the media checks: a probe (plain HTTP server with the media API) and a context.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { defaultConfig, type RunConfig } from '../../src/shared/config.js';
import { DIRECT } from '../../src/net/proxy.js';
import type { CheckContext, CheckTask } from '../../src/checks/types.js';
import { createMediaHandler, type MediaHttpOptions } from '../../src/serve/turn-creds.js';

export async function startProbe(opts: MediaHttpOptions): Promise<{ url: string; close(): Promise<void> }> {
  const handler = createMediaHandler(opts);
  const srv = http.createServer((req, res) => {
    if (!handler(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

export function makeCtx(over: Partial<RunConfig> = {}, extra: Partial<CheckContext> = {}): CheckContext {
  const config = defaultConfig(over);
  return {
    signal: AbortSignal.timeout(20_000),
    config,
    timeouts: config.timeouts,
    proxy: DIRECT,
    result: () => undefined,
    now: () => performance.now(),
    ...extra,
  };
}

export function task(id: string, target: string, params: Record<string, unknown> = {}): CheckTask {
  return { key: `${id} ${target}`, id, target, dependsOn: [], params };
}

/** What the engine hands a quality task it started after quality.throughput (CheckContext.waited). */
export function waitedThroughput(slowerBps: number | null): Pick<CheckContext, 'waited'> {
  const metrics: Record<string, number> = slowerBps === null ? {} : { downBps: slowerBps, upBps: slowerBps };
  return { waited: { 'quality.throughput p': { id: 'quality.throughput', target: 'p', status: slowerBps === null ? 'failed' : 'ok', durationMs: 1, metrics, error: null } } };
}
