// A static site runs as a pool of one Switchyard-owned process (static-main.ts), supervised and
// reloaded like an app's workers (pools/static-pool.ts).

import type { StaticSiteSpec } from '../../../shared/stack.ts';
import type { ProcessSettings } from '../pools/run-set.ts';
import { childScript } from '../process/child-script.ts';
import type { NodeRuntime } from '../process/node-runtime.ts';

/** The static server's entry point. */
export const STATIC_MAIN = childScript('./static-main.ts', import.meta.url);

/**
 * How the process that serves `site` runs, under `node`. Its `env` holds the site's settings only:
 * the runtime's variables are the supervisor's `runtimeEnv`, set after scrubbing.
 */
export function staticServerSettings(site: StaticSiteSpec, cwd: string, node: NodeRuntime): ProcessSettings {
  return {
    argv: [...node.argv, STATIC_MAIN],
    cwd,
    portEnv: 'PORT',
    env: { SWITCHYARD_STATIC_ROOT: site.root, SWITCHYARD_STATIC_SPA: site.spa ? '1' : '0' },
    // The proxy answers the site's routes from its folder itself; this server only serves its own
    // port, so a check every 5 s once it is ready (like an app's default) is enough.
    health: { path: null, interval: 5000, startInterval: 20, timeout: 1000, healthyAfter: 1, unhealthyAfter: 3, restartAfter: 10 },
    restart: 'always',
    backoff: { initial: 200, max: 5000 },
    maxRestarts: 10,
    minUptime: 2000,
    // Longer than static-main's own 10 s drain, so a slow download finishes before anything is killed.
    stop: { signal: 'SIGTERM', timeout: 11_000 },
  };
}
