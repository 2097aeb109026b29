// What a test needs from the machine, as a node:test skip reason: `{ skip: needs('squid', 'curl') }`.
// A missing binary, root or a privileged port skips the test with one line that names the Debian
// package and the command that installs it; it never fails it. Binaries are looked up on PATH
// (like `command -v`), so a run with a PATH that lacks them behaves like a fresh machine. The
// binary → package map is scripts/test-deps.txt, the one list the install script reads too.

import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const INSTALL_COMMAND = 'sudo scripts/install-test-deps.sh';

let packages: Map<string, string> | null = null;

/** binary → Debian package, from scripts/test-deps.txt. */
export function debianPackageOf(bin: string): string {
  if (!packages) {
    packages = new Map();
    const text = readFileSync(new URL('../../scripts/test-deps.txt', import.meta.url), 'utf8');
    for (const line of text.split('\n')) {
      const [pkg, ...bins] = line.replace(/#.*/, '').trim().split(/\s+/);
      for (const b of bins) packages.set(b, pkg);
    }
  }
  const pkg = packages.get(bin);
  // A test that needs a binary the list does not name would skip with no way to install it.
  if (!pkg) throw new Error(`test/support/prereqs: "${bin}" is not in scripts/test-deps.txt; add its Debian package there`);
  return pkg;
}

/** The absolute path of `bin` on PATH, or null (what `command -v` finds). */
export function which(bin: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, bin);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** The path of a binary the fixture starts: found on PATH (the test skipped already when it is not). */
export function binPath(bin: string): string {
  debianPackageOf(bin);
  return which(bin) ?? bin;
}

/** false when every binary is on PATH; otherwise the skip reason naming the packages and the install command. */
export function needs(...bins: string[]): string | false {
  const missing = bins.filter((b) => (debianPackageOf(b), !which(b)));
  if (!missing.length) return false;
  const pkgs = [...new Set(missing.map(debianPackageOf))];
  return `needs ${missing.join(', ')} (Debian package${pkgs.length > 1 ? 's' : ''} ${pkgs.join(', ')}; install: ${INSTALL_COMMAND})`;
}

export const isRoot = process.getuid?.() === 0;

/** false as root; otherwise "needs root (WHY)". */
export function needsRoot(why: string): string | false {
  return isRoot ? false : `needs root (${why})`;
}

/** false when this user may bind `port` (root, or net.ipv4.ip_unprivileged_port_start ≤ port). */
export function needsPrivilegedPort(port: number): string | false {
  if (isRoot) return false;
  let start = 1024;
  try {
    start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch {
    /* not Linux: the classic limit */
  }
  return port >= start ? false : `needs root (binds port ${port} on loopback)`;
}

/** The first skip reason among several, or false. */
export function firstReason(...reasons: (string | false)[]): string | false {
  return reasons.find((r) => r !== false) ?? false;
}
