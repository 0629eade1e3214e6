// The first `switchyard up` after an install or an update would strip the types of every module again
// in each of its long-running processes, and Node's type stripper stays loaded in a process that used
// it: 15-30 MiB more each (the core, the proxy) until they restart. `npm install` (`prepare`) runs this
// once instead: it loads what those processes load, with Node's compile cache where they will look for
// it, so that their first start finds every module stripped and compiled.
//
// `node main/cli/warm-start.ts` starts the core's part under the core's V8 flags (the cache keeps a
// folder per set of flags), which starts the proxy's and a static site's as the core starts them.

import { spawnSync } from 'node:child_process';
import { enableCompileCache, getCompileCacheDir } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The flags switchyard.js gives `up` (its lean young generation): the core's cache folder is theirs. */
const CORE_FLAGS = ['--max-semi-space-size=1'];
const AS_CORE = '--as-core';

/** Each exits by itself once its modules are loaded when started without the core (no IPC channel, no settings). */
async function childScripts(): Promise<string[]> {
  const [{ PROXY_MAIN }, { STATIC_MAIN }] = await Promise.all([import('../core/proxy/builtin-engine.ts'), import('../core/static/static-app.ts')]);
  return [PROXY_MAIN, STATIC_MAIN];
}

async function warmCore(): Promise<void> {
  enableCompileCache();
  await import('./main.ts');
  await import('./commands/up.ts');
  const cache = getCompileCacheDir();
  if (cache === undefined) return;
  for (const script of await childScripts()) {
    // As currentNodeRuntime (core/process/node-runtime.ts) starts Switchyard's own processes.
    spawnSync(process.execPath, [script], { stdio: 'ignore', env: { ...process.env, NODE_COMPILE_CACHE: cache }, timeout: 30_000 });
  }
}

if (process.argv.includes(AS_CORE)) {
  await warmCore();
} else {
  const result = spawnSync(process.execPath, [...CORE_FLAGS, fileURLToPath(import.meta.url), AS_CORE], { stdio: 'inherit', timeout: 60_000 });
  process.exitCode = result.status ?? 1;
}
