// Builds with one of the project's vite configs, as `npm run build` does, for a bench that measures
// built output a fresh clone or an edit may have left missing or out of date.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VITE = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

/** Runs `vite build --config config` (a path from the project's root); rejects with vite's error output. */
export async function viteBuild(config: string, what: string): Promise<void> {
  // The vite script run by this Node, not `npx`, so the build uses the same Node 24 as the bench.
  const child = spawn(process.execPath, [VITE, 'build', '--config', path.join(ROOT, config), '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
  const code = await new Promise<number | string>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve(exitCode ?? signal ?? 'unknown'));
  });
  if (code !== 0) throw new Error(`building ${what} failed (vite exited with ${code}); \`npm run build\` shows the same error:\n${stderr.trim()}`);
}
