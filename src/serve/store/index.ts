// The results store (issue 15): `openStore('sqlite:PATH' | 'postgres://…')` → Store.
// Phase 2 imports from here only.

import { StoreOpenError } from './errors.js';
import { openPostgresDriver, redactPgUrl } from './postgres.js';
import { openSqliteDriver } from './sqlite.js';
import { createStore } from './store.js';
import type { Store, StoreOptions } from './types.js';

export type StoreSpec = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** `sqlite:PATH` (the embedded default) or `postgres://…` / `postgresql://…`. */
export function parseStoreSpec(spec: string): StoreSpec {
  const s = spec.trim();
  if (/^sqlite:/i.test(s)) {
    const p = s.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!p) throw new StoreOpenError('STORE_SPEC', `--store "${s}": expected sqlite:PATH (a file name)`);
    return { kind: 'sqlite', path: p };
  }
  if (/^postgres(ql)?:\/\//i.test(s)) {
    try {
      const u = new URL(s);
      if (!u.hostname && !u.searchParams.get('host')) throw new Error('no host');
    } catch {
      throw new StoreOpenError('STORE_SPEC', `--store "${redactPgUrl(s)}": not a valid PostgreSQL URL (expected postgres://USER:PASSWORD@HOST:PORT/DATABASE)`);
    }
    return { kind: 'postgres', url: s };
  }
  throw new StoreOpenError('STORE_SPEC', `--store "${redactPgUrl(s)}": expected sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
}

/** Opens (and migrates) a store. Throws StoreOpenError with one line naming the file or URL. */
export async function openStore(spec: string | StoreSpec, opts: StoreOptions = {}): Promise<Store> {
  const sp = typeof spec === 'string' ? parseStoreSpec(spec) : spec;
  const driver = sp.kind === 'sqlite' ? await openSqliteDriver(sp.path, opts) : await openPostgresDriver(sp.url, opts);
  return createStore(driver, opts);
}

export { csvLines, csvLine, CSV_COLUMNS } from './csv.js';
export { redactor, REDACTED } from './redact.js';
export { deriveOutcome, DEFAULT_MAX_DOC_BYTES } from './prepare.js';
export { DEFAULTS as STORE_DEFAULTS } from './store.js';
export { LATEST_VERSION as STORE_SCHEMA_VERSION } from './schema.js';
export * from './errors.js';
export type * from './types.js';
export { OUTCOMES, SOURCES } from './types.js';
