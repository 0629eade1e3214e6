// What `npm install` runs (warm-start.ts) leaves Node's compile cache holding every module the core
// and the proxy load: started afterwards on that cache, as `up` starts them, neither has anything
// left to strip and compile, so neither writes a new entry.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PROXY_MAIN } from '../../main/core/proxy/builtin-engine.ts';

const WARM_START = fileURLToPath(new URL('../../main/cli/warm-start.ts', import.meta.url));

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Every file under `dir` with its size and mtime, to see whether anything was written. */
function entries(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((file) => path.join(dir, file))
    .filter((file) => statSync(file).isFile())
    .map((file) => `${file} ${statSync(file).size} ${statSync(file).mtimeMs}`)
    .sort();
}

describe('warm-start', () => {
  it('fills the compile cache with what the core and the proxy load, so their first start compiles nothing', () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'switchyard-warm-start-'));
    folders.push(cache);
    const env = { ...process.env, NODE_COMPILE_CACHE: cache };
    expect(spawnSync(process.execPath, [WARM_START], { env, stdio: 'ignore' }).status).toBe(0);
    // One folder per Node version and set of V8 flags: the core's, and inside it the proxy's (the core hands its own folder down).
    const [coreFolder] = readdirSync(cache);
    if (coreFolder === undefined) throw new Error('warm-start wrote no cache');
    const coreCache = path.join(cache, coreFolder);
    const before = entries(cache);
    expect(before.length).toBeGreaterThan(100);

    const proxy = spawnSync(process.execPath, [PROXY_MAIN], { env: { ...process.env, NODE_COMPILE_CACHE: coreCache }, encoding: 'utf8' });
    // Without the core's IPC channel it exits once its modules are loaded.
    expect(proxy.stderr).toMatch(/needs an IPC channel/);
    // The core's modules, loaded again under the core's flags (the `up` command's whole module graph).
    const core = spawnSync(process.execPath, ['--max-semi-space-size=1', WARM_START, '--as-core'], { env, stdio: 'ignore' });
    expect(core.status).toBe(0);
    expect(entries(cache)).toEqual(before);
  });
});
