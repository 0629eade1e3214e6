// A rolling, surge-first reload (what nginx and gunicorn do on HUP, without uvicorn's dip):
// for each worker in turn, start its replacement, wait until it is healthy and in rotation, then
// drain the old one and stop it. Capacity never drops below the app's replica count.

import { SwitchyardError } from '../errors.ts';
import type { Supervisor } from '../process/supervisor.ts';

/** What a rolling reload needs from the pool it replaces workers in. */
export interface ReloadTarget {
  /** App or static site name, for messages. */
  readonly name: string;
  /** The workers to replace, in order. */
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

/** States from which a new worker will not become ready without a person's help. */
const GAVE_UP = new Set(['failed', 'exited', 'crashed', 'stopped']);

/** Replaces every worker of `target`, one at a time; returns the names replaced. */
export async function rollingReload(target: ReloadTarget, readyTimeout: number): Promise<string[]> {
  const replaced: string[] = [];
  for (const old of target.workers()) {
    // Scaled away since the reload began: nothing to replace.
    if (!target.holds(old)) continue;
    if (old.state !== 'ready' && old.state !== 'unhealthy' && old.state !== 'starting') {
      // Not serving anyway (crashed, backing off, failed): nothing to keep up, so start it fresh.
      await old.restart(`reload of ${target.name}`);
      replaced.push(old.name);
      continue;
    }
    const fresh = target.replacement(old);
    await fresh.start();
    const outcome = await untilReady(fresh, readyTimeout);
    if (outcome !== 'ready') {
      target.discard(fresh);
      await fresh.stop();
      throw new SwitchyardError(
        'internal',
        `reload of ${target.name} stopped at ${old.name}: its replacement ${outcome}; the old worker keeps serving${
          replaced.length > 0 ? ` (already replaced: ${replaced.join(', ')})` : ''
        }. See \`switchyard logs ${old.name}\`.`,
      );
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

/** Waits until `supervisor` is ready; otherwise says what happened instead. */
export function untilReady(supervisor: Supervisor, timeout: number): Promise<'ready' | string> {
  if (supervisor.state === 'ready') return Promise.resolve('ready');
  return new Promise((resolve) => {
    const subscription = supervisor.onStateChange(({ to, info }) => {
      if (to === 'ready') finish('ready');
      else if (GAVE_UP.has(to)) finish(`${to}${info.reason ? `: ${info.reason}` : ''}`);
    });
    const timer = setTimeout(() => finish(`was not healthy within ${timeout / 1000}s`), timeout);
    function finish(outcome: string): void {
      clearTimeout(timer);
      subscription.dispose();
      resolve(outcome);
    }
  });
}
