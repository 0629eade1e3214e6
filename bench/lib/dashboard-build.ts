// The dashboard the bench loads is the built one (renderer/dist), which a fresh clone does not have
// and which an edit to the renderer or to shared/ leaves behind: the bench builds it itself then,
// with the project's own vite config, rather than measure a page that is missing or out of date.

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { viteBuild } from './vite-build.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RENDERER = path.join(ROOT, 'renderer');
const BUILT_INDEX = path.join(RENDERER, 'dist', 'index.html');
/** What the built page is made of: the renderer (less its output) and the contract it imports. */
const SOURCES = [RENDERER, path.join(ROOT, 'shared')];
/** Tests sit beside the components but are not in the build. */
const TEST_FILE = /\.test\.tsx?$/;

/** Why the built dashboard needs building, or null when it is newer than every source file. */
export function dashboardBuildReason(): string | null {
  const built = mtime(BUILT_INDEX);
  if (built === null) return `${path.relative(ROOT, BUILT_INDEX)} is missing`;
  const newer = newestSource();
  if (newer && newer.mtime > built) return `${path.relative(ROOT, newer.file)} changed after the last build`;
  return null;
}

/** Builds renderer/dist when it is missing or older than its sources; says so, as it takes a few seconds. */
export async function ensureDashboardBuilt(): Promise<void> {
  const reason = dashboardBuildReason();
  if (reason === null) return;
  console.log(`\nDashboard: building renderer/dist first (${reason})`);
  await viteBuild('renderer/vite.config.ts', 'the dashboard');
  if (mtime(BUILT_INDEX) === null) throw new Error(`vite finished but wrote no ${path.relative(ROOT, BUILT_INDEX)}`);
}

function mtime(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

function newestSource(): { file: string; mtime: number } | null {
  let newest: { file: string; mtime: number } | null = null;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'dist' && entry.name !== 'node_modules') walk(file);
      } else if (entry.isFile() && !TEST_FILE.test(entry.name)) {
        const time = mtime(file);
        if (time !== null && (newest === null || time > newest.mtime)) newest = { file, mtime: time };
      }
    }
  };
  for (const dir of SOURCES) walk(dir);
  return newest;
}
