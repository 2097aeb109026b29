// The files netready reads at run time: the built-in profiles (src/profiles/*.yaml), the report
// schema (schema/report.v1.json) and package.json (the version). They come from the package
// directory — src/, dist/ and the bundle's build/ are each one level below it — or, in the
// standalone executable (`npm run build:exe`), from its embedded assets, under the same names.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sea from 'node:sea';

/** Inside the standalone executable (a Node single executable application). */
export const inExecutable = sea.isSea();

/** Where asset `name` (a path relative to the package directory) lives on disk. */
export function assetPath(name: string): string {
  return fileURLToPath(new URL(`../${name}`, import.meta.url));
}

/** The text of asset `name`, or null when there is none. */
export function readAsset(name: string): string | null {
  if (inExecutable) return sea.getAssetKeys().includes(name) ? sea.getAsset(name, 'utf8') : null;
  const file = assetPath(name);
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

/** The bytes of asset `name` (in the executable: its embedded copy), or null when there is none. */
export function readAssetBytes(name: string): Uint8Array | null {
  if (inExecutable) return sea.getAssetKeys().includes(name) ? new Uint8Array(sea.getAsset(name)) : null;
  const file = assetPath(name);
  return existsSync(file) ? readFileSync(file) : null;
}

/** The names of the assets directly in directory `dir` (e.g. "src/profiles"), sorted. */
export function assetNames(dir: string): string[] {
  const prefix = `${dir.replace(/\/$/, '')}/`;
  const names = inExecutable
    ? sea.getAssetKeys().filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
    : existsSync(assetPath(dir))
      ? readdirSync(assetPath(dir)).map((f) => prefix + f)
      : [];
  return names.sort();
}
