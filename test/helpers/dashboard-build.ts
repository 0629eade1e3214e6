// The browser tests run the built dashboard (renderer/dist), which `npm test` builds first. Run on
// their own after a change to the page's sources, they would test the previous build: they say so.

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RENDERER = fileURLToPath(new URL('../../renderer/', import.meta.url));

/** Why renderer/dist cannot be trusted (absent, or older than a source of the page), or null when it can. */
export function dashboardBuildProblem(): string | null {
  let built: number;
  try {
    built = statSync(path.join(RENDERER, 'dist', 'index.html')).mtimeMs;
  } catch {
    return 'the dashboard is not built: run `npm run build` first (`npm test` does)';
  }
  const newer = sources(path.join(RENDERER, 'src')).find((file) => statSync(file).mtimeMs > built);
  return newer ? `the built dashboard is older than ${path.relative(RENDERER, newer)}: run \`npm run build\` first (\`npm test\` does)` : null;
}

/** The page's own source files (its tests are not part of the build). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.test\.tsx?$/.test(entry.name) ? [] : [full];
  });
}
