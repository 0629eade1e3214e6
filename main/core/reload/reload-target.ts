// What a reload needs from the pool it reloads, and the walk every kind of reload makes over its
// workers: one at a time, skipping those scaled away meanwhile, starting those that were not
// serving again instead of reloading them.

import type { Supervisor } from '../process/supervisor.ts';
import { SERVING, restartResting } from './readiness.ts';

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
 * Reloads the workers of `target` one at a time with `reloadServing`, which resolves false for a
 * worker it did not reload after all; returns the names reloaded.
 */
export async function reloadEach(target: ReloadTarget, reloadServing: (worker: Supervisor, reloaded: readonly string[]) => Promise<boolean>): Promise<string[]> {
  const reloaded: string[] = [];
  for (const worker of target.workers()) {
    // Scaled away since the reload began: nothing to reload.
    if (!target.holds(worker)) continue;
    if (!SERVING.has(worker.state)) {
      // Not serving anyway (crashed, backing off, failed): nothing to keep up, so start it fresh.
      await restartResting(target.name, worker);
      reloaded.push(worker.name);
    } else if (await reloadServing(worker, reloaded)) reloaded.push(worker.name);
  }
  return reloaded;
}
