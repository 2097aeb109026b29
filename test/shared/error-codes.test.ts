// One list of error codes (src/shared/error-codes.ts): docs/evidence.md's table is generated from it,
// every listed code is emitted somewhere in src/, and every code the document names is listed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, isErrorCode } from '../../src/shared/error-codes.js';
import { NetError } from '../../src/shared/errors.js';
import { EVIDENCE_FILE, errorTable, withTable } from '../../scripts/error-table.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const LIST_FILE = join(SRC, 'shared', 'error-codes.ts');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.gen.ts') && p !== LIST_FILE ? [p] : [];
  });
}

test('docs/evidence.md holds the generated error-code table (scripts/error-table.ts --write)', () => {
  const doc = readFileSync(EVIDENCE_FILE, 'utf8');
  assert.ok(doc.includes(errorTable()), 'docs/evidence.md: the error-code table is stale: run node --import tsx scripts/error-table.ts --write');
  assert.equal(withTable(doc), doc);
});

test('every listed code is emitted (appears as a literal) in src/', () => {
  const text = sources(SRC).map((f) => readFileSync(f, 'utf8')).join('\n');
  const never = Object.keys(ERROR_CODES).filter((c) => !text.includes(`'${c}'`));
  assert.deepEqual(never, [], `listed but never emitted: ${never.join(', ')}`);
});

test('every UPPER_SNAKE code docs/evidence.md names is in the list', () => {
  const doc = readFileSync(EVIDENCE_FILE, 'utf8');
  // Environment variables the document names are not error codes.
  const ENV = new Set(['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'ALL_PROXY', 'NETREADY_TEST_DISCOVERY']);
  const named = [...doc.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((m) => m[1]).filter((c) => !ENV.has(c));
  const unknown = [...new Set(named.filter((c) => !isErrorCode(c)))];
  assert.deepEqual(unknown, [], `named in docs/evidence.md but not in src/shared/error-codes.ts: ${unknown.join(', ')}`);
});

test('a free string is not an error code', () => {
  assert.equal(isErrorCode('TCP_REFUSED'), true);
  assert.equal(isErrorCode('NOT_A_CODE'), false);
  assert.equal(isErrorCode('toString'), false);
  // @ts-expect-error a free string is not an ErrorCode: the type check fails if this compiles
  const e = new NetError('NOT_A_CODE', 'x');
  assert.equal(e.code, 'NOT_A_CODE');
});
