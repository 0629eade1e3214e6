// The Node runtime that runs Switchyard's own processes (the proxy, each static site, the watchdog):
// plain Node from the CLI; inside the desktop app, the Electron binary told to behave as Node.

import { getCompileCacheDir } from 'node:module';

/** How to start a Node process of Switchyard's own. */
export interface NodeRuntime {
  /** The executable and its flags, before the script (`[process.execPath]` by default). */
  readonly argv: readonly string[];
  /**
   * Variables set for Switchyard's own processes only, after the environment is scrubbed
   * (`ELECTRON_RUN_AS_NODE=1` in the desktop app). User processes never get them.
   */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The Node that runs this process, as it is. When this process caches compiled code (the CLI turns
 * the cache on), its own processes share that cache: each starts without stripping types again,
 * which costs about 18 MiB of memory for as long as the process lives, and starts faster.
 */
export function currentNodeRuntime(): NodeRuntime {
  const cache = getCompileCacheDir?.();
  return { argv: [process.execPath], env: cache ? { NODE_COMPILE_CACHE: cache } : {} };
}
