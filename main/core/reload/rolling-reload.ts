// A rolling, surge-first reload (what nginx and gunicorn do on HUP, without uvicorn's dip):
// for each worker in turn, start its replacement, wait until it is healthy and in rotation, then
// drain the old one and stop it. Capacity never drops below the app's replica count. Every
// replacement runs with the pool's current settings.

import type { Supervisor } from '../process/supervisor.ts';
import { SERVING, readyTimeout, reloadFailure, restartResting, untilReady } from './readiness.ts';

/** What a reload needs from the pool it reloads workers in. */
export interface ReloadTarget {
  /** App or static site name, for messages. */
  readonly name: string;
  /** The workers to reload, in order. */
  workers(): Supervisor[];
  /** A new, unstarted worker with the same number as `old`; it counts as a member from the start. */
  replacement(old: Supervisor): Supervisor;
  /** Whether `old` is still one of the pool's workers (a scale-down may have removed it meanwhile). */
  holds(old: Supervisor): boolean;
  /** The replacement takes `old`'s place in the pool; `old` is still listed until it has stopped. */
  swap(old: Supervisor, fresh: Supervisor): void;
  /** A replacement that never became healthy leaves again. */
  discard(fresh: Supervisor): void;
  /** Drains `old` through the proxy and stops it. */
  retire(old: Supervisor): Promise<void>;
}

/**
 * Replaces every worker of `target`, one at a time; returns the names replaced. A replacement that
 * does not become ready (readiness.ts) stops the reload, which rejects naming it; the old worker
 * keeps serving.
 */
export async function rollingReload(target: ReloadTarget): Promise<string[]> {
  const replaced: string[] = [];
  for (const old of target.workers()) {
    // Scaled away since the reload began: nothing to replace.
    if (!target.holds(old)) continue;
    if (!SERVING.has(old.state)) {
      // Not serving anyway (crashed, backing off, failed): nothing to keep up, so start it fresh.
      await restartResting(target.name, old);
      replaced.push(old.name);
      continue;
    }
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
      continue;
    }
    target.swap(old, fresh);
    await target.retire(old);
    replaced.push(old.name);
  }
  return replaced;
}
