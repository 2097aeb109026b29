// GNOME's proxy settings for real: a private dconf database (XDG_CONFIG_HOME in a temp dir, written
// by the real gsettings through dconf's D-Bus service under `dbus-run-session`), read back by
// readGnome through the real command runner. Skipped, with the Debian package, where a piece is
// missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGnome } from '../../../src/net/discovery/linux-desktop.js';
import { createSystemRunner } from '../../../src/net/discovery/runner.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'nr-dconf-'));
const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_RUNTIME_DIR: dir, XDG_DATA_HOME: join(dir, 'data'), DBUS_SESSION_BUS_ADDRESS: '' };

/** Run gsettings commands inside a private session bus (dconf's writer needs one). */
function gsettings(...cmds: string[][]): { status: number | null; err: string } {
  const script = cmds.map((c) => ['gsettings', ...c].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')).join(' && ');
  const r = spawnSync('dbus-run-session', ['--', 'sh', '-c', script], { env, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, err: (r.stderr ?? '').replace(/^dbus-daemon\[\d+\].*\n?/gm, '') };
}

function why(): string | null {
  if (process.platform !== 'linux') return 'Linux only';
  if (!has('gsettings')) return 'needs gsettings (Debian package libglib2.0-bin)';
  if (!has('dbus-run-session')) return 'needs dbus-run-session (Debian package dbus-daemon)';
  if (spawnSync('gsettings', ['list-keys', 'org.gnome.system.proxy'], { env }).status !== 0) return 'needs the schema org.gnome.system.proxy (Debian package gsettings-desktop-schemas)';
  const w = gsettings(['set', 'org.gnome.system.proxy', 'mode', 'manual']);
  const r = spawnSync('gsettings', ['get', 'org.gnome.system.proxy', 'mode'], { env, encoding: 'utf8' });
  if (w.status !== 0 || r.stdout.trim() !== "'manual'") return `needs dconf as the GSettings backend (Debian packages dconf-gsettings-backend, dconf-service): ${w.err.trim() || r.stdout.trim()}`;
  return null;
}
let skip: string | null = null;
before(() => {
  skip = why();
  if (skip) console.log(`# GNOME dconf tests skipped: ${skip}`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const run = createSystemRunner(10_000, env);

test('real gsettings: manual, auto with a PAC URL, auto = WPAD, none — read back through the reader', async (t) => {
  if (skip) return t.skip(skip);
  let w = gsettings(
    ['set', 'org.gnome.system.proxy', 'mode', 'manual'],
    ['set', 'org.gnome.system.proxy.https', 'host', 'proxy.corp.example'],
    ['set', 'org.gnome.system.proxy.https', 'port', '3128'],
    ['set', 'org.gnome.system.proxy', 'ignore-hosts', "['localhost', '*.corp.example', '10.0.0.0/8']"],
  );
  assert.equal(w.status, 0, w.err);
  const m = await readGnome(run);
  assert.equal(m.state, 'configured', JSON.stringify(m));
  assert.deepEqual([m.manual?.https?.host, m.manual?.https?.port, m.manual?.http], ['proxy.corp.example', 3128, null]);
  assert.deepEqual(m.manual?.bypass.entries, ['localhost', '*.corp.example', '10.0.0.0/8']);
  assert.deepEqual(m.where, ['gsettings list-recursively org.gnome.system.proxy']);

  w = gsettings(['set', 'org.gnome.system.proxy', 'mode', 'auto'], ['set', 'org.gnome.system.proxy', 'autoconfig-url', 'http://pac.corp.example/proxy.pac']);
  assert.equal(w.status, 0, w.err);
  const a = await readGnome(run);
  assert.deepEqual([a.state, a.pacUrl?.url, a.autoDetect, a.manual], ['configured', 'http://pac.corp.example/proxy.pac', null, null]);

  w = gsettings(['set', 'org.gnome.system.proxy', 'autoconfig-url', '']);
  assert.equal(w.status, 0, w.err);
  const wpad = await readGnome(run);
  assert.deepEqual([wpad.state, wpad.pacUrl], ['configured', null]);
  assert.match(wpad.autoDetect?.from ?? '', /empty autoconfig-url/);

  w = gsettings(['set', 'org.gnome.system.proxy', 'mode', 'none']);
  assert.equal(w.status, 0, w.err);
  const none = await readGnome(run);
  assert.deepEqual([none.state, none.manual, none.pacUrl, none.autoDetect], ['nothing-configured', null, null, null]);
});
