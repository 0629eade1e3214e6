// `check` is run often and waited on, and from source it loads about 200 modules (zod alone is 100,
// most of them locales it never uses): resolving and linking them cost more than the check itself.
// `npm install` and `npm run build` bundle it into dist/cli/check.cjs (check.vite.config.ts), with a
// list of the files it was built from. The CLI runs that file only while each of those files is as
// it was then, so an edited source is never shadowed by an old build: it runs from source instead.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as CheckModule from './commands/check.ts';

/** Where the bundled command and the list of its inputs are written. */
export const PREBUILT_DIR = fileURLToPath(new URL('../../dist/cli/', import.meta.url));
/** The bundled check command, in PREBUILT_DIR. */
export const CHECK_BUNDLE = 'check.cjs';
/** The stamps of the bundle and of every file it was built from, in PREBUILT_DIR. */
export const CHECK_INPUTS = 'check.inputs.json';

/** A file a build read (or wrote), as it was: its path from the list's folder, size and mtime. */
export type FileStamp = [file: string, size: number, mtimeMs: number];

/** The stamp of `file` for a list kept in `dir`. */
export function stampOf(dir: string, file: string): FileStamp {
  const info = statSync(file);
  return [path.relative(dir, file).split(path.sep).join('/'), info.size, info.mtimeMs];
}

/**
 * The files a bundled module stands for: its own sources, and for a package the package.json that
 * `npm install` rewrites with every version it installs (stamping each of its files would cost more
 * stats than it saves).
 */
export function inputFiles(moduleIds: Iterable<string>): string[] {
  const files = new Set<string>();
  const marker = `${path.sep}node_modules${path.sep}`;
  for (const moduleId of moduleIds) {
    if (!path.isAbsolute(moduleId)) continue; // a bundler's own helper modules
    // vite writes ids with forward slashes on Windows too.
    const id = path.normalize(moduleId);
    const at = id.lastIndexOf(marker);
    if (at === -1) {
      files.add(id);
      continue;
    }
    const [scope, name] = id.slice(at + marker.length).split(path.sep);
    const packageDir = id.slice(0, at + marker.length) + (scope?.startsWith('@') ? path.join(scope, name ?? '') : (scope ?? ''));
    files.add(path.join(packageDir, 'package.json'));
  }
  return [...files].sort();
}

/** Whether every file in the list `listFile` is as stamped there; false when the list is missing or unreadable. */
export function isCurrent(listFile: string): boolean {
  let stamps: FileStamp[];
  try {
    stamps = JSON.parse(readFileSync(listFile, 'utf8')) as FileStamp[];
  } catch {
    return false;
  }
  const dir = path.dirname(listFile);
  return (
    Array.isArray(stamps) &&
    stamps.length > 0 &&
    stamps.every(([file, size, mtimeMs]) => {
      const info = statSync(path.join(dir, file), { throwIfNoEntry: false });
      return info !== undefined && info.size === size && info.mtimeMs === mtimeMs;
    })
  );
}

/** The check command: the bundle in `dir` when it is current, the source otherwise. */
export async function importCheck(dir = PREBUILT_DIR): Promise<typeof CheckModule> {
  if (isCurrent(path.join(dir, CHECK_INPUTS))) return createRequire(import.meta.url)(path.join(dir, CHECK_BUNDLE)) as typeof CheckModule;
  return import('./commands/check.ts');
}
