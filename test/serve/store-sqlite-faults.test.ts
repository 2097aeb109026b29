// SQLite store faults: a file another process holds locked, a corrupt file, a file that is not a
// store, several processes writing one file at once. Each gets a clear, typed answer and nothing
// stored is lost.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore, StoreBusyError, StoreCorruptError, StoreError, StoreOpenError } from '../../src/serve/store/index.js';
import { removeDir, tempDir } from '../support/proc.js';
import { assertConsistent, golden, rerun, writerProcess } from './store-backends.js';

const dir = tempDir('store-faults');
after(() => removeDir(dir));
let n = 0;
const freshFile = () => path.join(dir, `f${++n}.db`);

/**
 * Another process holding a lock on `file` (node:sqlite in a child): 'write' = an open BEGIN
 * IMMEDIATE (the write lock; WAL readers go on), 'exclusive' = locking_mode EXCLUSIVE (nobody else
 * may even read). Resolves once the lock is held; release() commits and ends the process.
 */
async function lockHolder(file: string, kind: 'write' | 'exclusive'): Promise<{ release(): Promise<void>; child: ChildProcess }> {
  const code = `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(${JSON.stringify(file)});
    if (${JSON.stringify(kind)} === 'exclusive') { db.exec('PRAGMA locking_mode = EXCLUSIVE'); db.exec('BEGIN EXCLUSIVE'); db.exec('COMMIT'); }
    else { db.exec('BEGIN IMMEDIATE'); db.exec("UPDATE schema_migrations SET name = name"); }
    process.stdout.write('held\\n');
    process.stdin.on('data', () => { if (${JSON.stringify(kind)} === 'write') db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'pipe'] });
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.on('exit', () => clearTimeout(kill));
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('held') && resolve());
    child.on('exit', (c) => reject(new Error(`lock holder exited ${c}: ${err}`)));
  });
  return {
    child,
    async release() {
      const done = new Promise((r) => child.once('exit', r));
      child.stdin!.write('release\n');
      await done;
    },
  };
}

async function newStoreFile(reports = 0): Promise<string> {
  const file = freshFile();
  const s = await openStore(`sqlite:${file}`);
  for (let i = 0; i < reports; i++) await s.put(rerun(golden('clean'), Date.parse('2026-11-01T00:00:00Z') + i * 1000), { site: `s${i % 3}` });
  await s.close();
  return file;
}

describe('SQLite store: a locked file', () => {
  it('opens while another process holds the write lock, answers writes "busy" (retryable) and reads on; nothing lost', async () => {
    const file = await newStoreFile(2);
    const holder = await lockHolder(file, 'write');
    let store;
    try {
      store = await openStore(`sqlite:${file}`, { busyTimeoutMs: 400 });
      await assert.rejects(store.put(golden('dns-blocked'), { site: 'blocked-site' }), (e) => {
        assert.ok(e instanceof StoreBusyError, String(e));
        assert.equal(e.code, 'STORE_BUSY');
        assert.equal(e.retryable, true);
        assert.ok(e.retryAfterMs! > 0);
        assert.equal(e.message, `${file} is locked by another writer; try again`);
        return true;
      });
      assert.equal((await store.list()).rows.length, 2, 'readers are not blocked by the writer (WAL)');
    } finally {
      await holder.release();
    }
    const r = await store.put(golden('dns-blocked'), { site: 'blocked-site' });
    assert.equal(r.duplicate, false, 'the refused write had stored nothing');
    assert.equal((await store.info()).reports, 3);
    await store.close();
    await assertConsistent(`sqlite:${file}`);
  });

  it('waits for a lock released within the busy timeout, without blocking the event loop', async () => {
    const file = await newStoreFile(0);
    const holder = await lockHolder(file, 'write');
    const store = await openStore(`sqlite:${file}`, { busyTimeoutMs: 20_000 });
    const order: string[] = [];
    const put = store.put(golden('clean'), { site: 'x' }).then(() => order.push('put'));
    // Timers run while the write waits (the wait is not one long synchronous call).
    await new Promise((r) => setTimeout(r, 150));
    order.push('timer');
    await holder.release();
    await put;
    assert.deepEqual(order, ['timer', 'put']);
    assert.equal((await store.info()).reports, 1);
    await store.close();
  });

  it('refuses to open a file another process holds exclusively: one line naming the file', async () => {
    const file = await newStoreFile(1);
    const holder = await lockHolder(file, 'exclusive');
    try {
      await assert.rejects(openStore(`sqlite:${file}`, { busyTimeoutMs: 300 }), (e) => {
        assert.ok(e instanceof StoreOpenError, String(e));
        assert.equal(e.code, 'STORE_LOCKED');
        assert.equal(e.message, `${file} is locked by another process (still locked after the busy timeout)`);
        assert.equal(e.exitCode, 2);
        return true;
      });
    } finally {
      await holder.release();
    }
    const s = await openStore(`sqlite:${file}`);
    assert.equal((await s.info()).reports, 1, 'usable once the lock is gone, nothing lost');
    await s.close();
  });
});

describe('SQLite store: a corrupt or foreign file', () => {
  it('refuses garbage bytes at open, in one line naming the file, and leaves the file as it was', async () => {
    const file = freshFile();
    const garbage = Buffer.alloc(64 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
    writeFileSync(file, garbage);
    await assert.rejects(openStore(`sqlite:${file}`), (e) => {
      assert.ok(e instanceof StoreOpenError, String(e));
      assert.equal(e.code, 'STORE_CORRUPT');
      assert.equal(e.message, `${file} is not a usable SQLite store (file is not a database): corrupt, or another kind of file`);
      return true;
    });
    assert.ok(readFileSync(file).equals(garbage), 'untouched');
    const text = freshFile();
    writeFileSync(text, 'reports go here\n'.repeat(100));
    await assert.rejects(openStore(`sqlite:${text}`), (e) => e instanceof StoreOpenError && e.code === 'STORE_CORRUPT');
  });

  it('answers a store damaged on disk with a typed "corrupt" error naming the file (at open or on reading)', async () => {
    const file = await newStoreFile(40);
    // Keep the header page, overwrite the rest with garbage.
    const size = readFileSync(file).length;
    const fd = openSync(file, 'r+');
    const junk = Buffer.alloc(size - 4096, 0xa5);
    writeSync(fd, junk, 0, junk.length, 4096);
    closeSync(fd);
    let err: unknown = null;
    try {
      const s = await openStore(`sqlite:${file}`);
      try {
        await s.list({}, { limit: 1000 });
        await s.latestBySite();
      } finally {
        await s.close();
      }
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof StoreError, `a typed error, got ${String(err)}`);
    assert.equal(err.code, 'STORE_CORRUPT');
    assert.ok(err instanceof StoreOpenError || err instanceof StoreCorruptError);
    assert.ok(err.message.startsWith(file), err.message);
    assert.ok(!err.message.includes('\n'));
  });

  it('will not take over a SQLite database that is not a netready store', async () => {
    const file = freshFile();
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as unknown as { DatabaseSync: new (f: string) => { exec(s: string): void; close(): void } };
    const db = new DatabaseSync(file);
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES (\'kept\')');
    db.close();
    const before = readFileSync(file);
    await assert.rejects(openStore(`sqlite:${file}`), (e) => {
      assert.ok(e instanceof StoreOpenError);
      assert.equal(e.message, `${file} is a SQLite database but not a netready store (it has tables customers): choose another file`);
      return true;
    });
    assert.ok(readFileSync(file).equals(before), 'untouched');
  });

  it('names a missing directory, and a directory given as the file', async () => {
    const missing = path.join(dir, 'no-such-dir', 'store.db');
    await assert.rejects(openStore(`sqlite:${missing}`), (e) => e instanceof StoreOpenError && e.message === `${missing}: the directory ${path.dirname(missing)} does not exist`);
    const d = path.join(dir, 'a-dir');
    mkdirSync(d);
    await assert.rejects(openStore(`sqlite:${d}`), (e) => e instanceof StoreOpenError && e.message === `${d} is a directory, not a store file`);
  });
});

describe('SQLite store: several processes writing one file', () => {
  it('stores every report from 4 writer processes and this one, and keeps the per-site view right', async () => {
    const file = await newStoreFile(0);
    const spec = `sqlite:${file}`;
    const here = await openStore(spec);
    const local = (async () => {
      for (let i = 0; i < 20; i++) await here.put(rerun(golden('tls-inspection'), Date.parse('2026-10-01T00:00:00Z') + i * 60_000 + 7), { site: `site-${i % 5}` });
    })();
    const results = await Promise.all([0, 1, 2, 3].map((w) => writerProcess(spec, w, 25)));
    await local;
    await here.close();
    for (const r of results) assert.deepEqual(r, { ok: 25, failed: {} });
    const c = await assertConsistent(spec);
    assert.deepEqual(c, { reports: 120, sites: 5 });
  });
});

describe('SQLite store: the serve keeps running while it writes', () => {
  it('lets timers run between queued writes (they are not one chain of synchronous work)', async () => {
    const file = await newStoreFile(0);
    const store = await openStore(`sqlite:${file}`);
    const order: string[] = [];
    const puts = Array.from({ length: 20 }, (_x, i) => store.put(rerun(golden('pcc-clean'), Date.parse('2026-11-01T00:00:00Z') + i * 1000), { site: 's' }).then(() => order.push('put')));
    setTimeout(() => order.push('timer'), 0);
    await Promise.all(puts);
    const at = order.indexOf('timer');
    assert.ok(at >= 0 && at < order.length - 1, `the timer ran before the last write finished (at ${at} of ${order.length})`);
    assert.equal((await store.info()).reports, 20);
    await store.close();
  });
});
