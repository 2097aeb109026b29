// Shared by the dialer tests: a dial context with short phase timeouts, and "rejects with this code".
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { defaultConfig, type RunConfig } from '../../src/shared/config.js';
import { NetError } from '../../src/shared/errors.js';
import type { DialContext } from '../../src/net/dial.js';

export function ctx(over: Partial<RunConfig> = {}, signal = new AbortController().signal): DialContext {
  const config = defaultConfig({ timeouts: { resolveMs: 2000, connectMs: 1000, tlsMs: 2000, firstByteMs: 2000, streamMs: 3000 }, ...over });
  return { signal, config, timeouts: config.timeouts, now: () => performance.now() };
}

export async function rejectsCode(p: Promise<unknown>, code: string): Promise<NetError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof NetError, `expected NetError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}
