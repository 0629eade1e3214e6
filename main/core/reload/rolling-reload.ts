// A rolling, surge-first reload (what nginx and gunicorn do on HUP, without uvicorn's dip):
// for each worker in turn, start its replacement, wait until it is healthy and in rotation, then
// drain the old one and stop it. Capacity never drops below the app's replica count. Every
// replacement runs with the pool's current settings.

import { readyTimeout, reloadFailure, untilReady } from './readiness.ts';
import { reloadEach, type ReloadTarget } from './reload-target.ts';

export type { ReloadTarget } from './reload-target.ts';

/**
 * Replaces every worker of `target`, one at a time; returns the names replaced. A replacement that
 * does not become ready (readiness.ts) stops the reload, which rejects naming it; the old worker
 * keeps serving.
 */
export function rollingReload(target: ReloadTarget): Promise<string[]> {
  return reloadEach(target, async (old, replaced) => {
    const fresh = target.replacement(old);
    await fresh.start();
    const outcome = await untilReady(fresh, readyTimeout(fresh.spec.health));
    if (outcome !== 'ready') {
      target.discard(fresh);
      await fresh.stop();
      throw reloadFailure(target.name, old.name, `its replacement ${outcome}; the old worker keeps serving`, fresh.recentStderr(), replaced);
    }
    if (!target.holds(old)) {
      // Scaled away while its replacement started: the replacement has no place to take.
      target.discard(fresh);
      await fresh.stop();
      return false;
    }
    target.swap(old, fresh);
    await target.retire(old);
    return true;
  });
}
