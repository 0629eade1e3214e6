// A reload by the server's own signal (`reload: { signal: SIGHUP }`): gunicorn, uWSGI and php-fpm
// replace their own workers gracefully on a signal to their master. Each worker's main process gets
// the signal in turn; its reload is done when a health check begun after the signal passes.

import type { ReloadSignal } from '../../../shared/stack.ts';
import { readyTimeout, reloadFailure, untilPassedAfter } from './readiness.ts';
import { reloadEach, type ReloadTarget } from './reload-target.ts';

/** Signals every worker of `target`, one at a time; returns the names reloaded. */
export function signalReload(target: ReloadTarget, signal: ReloadSignal): Promise<string[]> {
  return reloadEach(target, async (worker, reloaded) => {
    const grace = readyTimeout(worker.spec.health);
    const after = worker.signal(signal, grace);
    if (after === null) {
      throw reloadFailure(target.name, worker.name, `${signal} could not be sent: it is ${worker.state}`, worker.recentStderr(), reloaded);
    }
    const outcome = await untilPassedAfter(worker, after, grace);
    if (outcome !== 'ready') throw reloadFailure(target.name, worker.name, `after ${signal} it ${outcome}`, worker.recentStderr(), reloaded);
    return true;
  });
}
