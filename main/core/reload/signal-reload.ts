// A reload by the server's own signal (`reload: { signal: SIGHUP }`): gunicorn, uWSGI and php-fpm
// replace their own workers gracefully on a signal to their master. Each worker's main process gets
// the signal in turn; its reload is done when a health check begun after the signal passes.

import type { ReloadSignal } from '../../../shared/stack.ts';
import { SERVING, readyTimeout, reloadFailure, restartResting, untilPassedAfter } from './readiness.ts';
import type { ReloadTarget } from './rolling-reload.ts';

/** Signals every worker of `target`, one at a time; returns the names reloaded. */
export async function signalReload(target: ReloadTarget, signal: ReloadSignal): Promise<string[]> {
  const reloaded: string[] = [];
  for (const worker of target.workers()) {
    if (!target.holds(worker)) continue;
    if (!SERVING.has(worker.state)) {
      // No server to ask: it starts again, as a rolling reload would start it.
      await restartResting(target.name, worker);
      reloaded.push(worker.name);
      continue;
    }
    const after = worker.checksBegun;
    const grace = readyTimeout(worker.spec.health);
    if (!worker.signal(signal, grace)) {
      throw reloadFailure(target.name, worker.name, `${signal} could not be sent: it is ${worker.state}`, worker.recentStderr(), reloaded);
    }
    const outcome = await untilPassedAfter(worker, after, grace);
    if (outcome !== 'ready') {
      throw reloadFailure(target.name, worker.name, `after ${signal} it ${outcome}`, worker.recentStderr(), reloaded);
    }
    reloaded.push(worker.name);
  }
  return reloaded;
}
