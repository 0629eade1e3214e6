// When a reload may call a worker ready again, how long it waits for that, and how it says that it
// did not happen: the reload fails naming the worker and its last stderr lines, as nginx refuses a
// configuration it cannot load and keeps the old one.

import type { HealthSpec } from '../../../shared/stack.ts';
import { SwitchyardError } from '../errors.ts';
import type { Supervisor } from '../process/supervisor.ts';

/** States from which a worker will not become ready without a restart. */
const GAVE_UP = new Set(['failed', 'exited', 'crashed', 'stopped', 'backoff']);

/** States in which a worker serves (or is about to): a reload keeps it up until its successor is. */
export const SERVING = new Set(['ready', 'unhealthy', 'starting']);

/**
 * How long a reload waits for a worker to pass its health check: as long as the health settings
 * give a ready worker that fails every check before it is restarted as hung, `restart_after` checks
 * of `interval` plus `timeout` each (1 minute with the defaults). A worker that took longer would
 * not be kept running once ready either.
 */
export function readyTimeout(health: HealthSpec): number {
  return health.restartAfter * (health.interval + health.timeout);
}

/** Waits until `supervisor` is ready; otherwise says what happened instead. */
export function untilReady(supervisor: Supervisor, timeout: number): Promise<'ready' | string> {
  if (supervisor.state === 'ready') return Promise.resolve('ready');
  return settle(supervisor, timeout, (finish) => supervisor.onStateChange(({ to }) => to === 'ready' && finish('ready')));
}

/**
 * Waits for a health check begun after check number `after` (`Supervisor.signal`) to pass, as the sign that a server
 * reloaded by a signal serves again; a worker without a port has no check, and is taken at its word.
 */
export function untilPassedAfter(supervisor: Supervisor, after: number, timeout: number): Promise<'ready' | string> {
  if (supervisor.spec.portEnv === null && supervisor.state === 'ready') return Promise.resolve('ready');
  const run = supervisor.currentRun;
  return settle(supervisor, timeout, (finish) => supervisor.onCheck((check) => check.run === run && check.check > after && check.ok && finish('ready')));
}

/** Resolves with the first of: what `watch` finishes with, the worker giving up, the timeout. */
function settle(supervisor: Supervisor, timeout: number, watch: (finish: (outcome: string) => void) => { dispose(): void }): Promise<'ready' | string> {
  return new Promise((resolve) => {
    let done = false;
    const watching = watch(finish);
    const states = supervisor.onStateChange(({ to, info }) => {
      if (GAVE_UP.has(to)) finish(`${to}${info.reason ? ` (${info.reason})` : ''}`);
    });
    const timer = setTimeout(() => finish(`did not pass a health check within ${formatSeconds(timeout)}`), timeout);
    function finish(outcome: string): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      watching.dispose();
      states.dispose();
      resolve(outcome);
    }
  });
}

/**
 * Starts a worker that is not serving (crashed, backing off, failed, stopped) again with its pool's
 * current settings and waits until it is ready: there is nothing to keep up while its successor boots.
 */
export async function restartResting(appName: string, worker: Supervisor): Promise<void> {
  await worker.restart(`reload of ${appName}: starting it with the current settings`);
  const outcome = await untilReady(worker, readyTimeout(worker.spec.health));
  if (outcome !== 'ready') throw reloadFailure(appName, worker.name, `it was not serving, so it was started again with the current settings, and ${outcome}`, worker.recentStderr());
}

/** The error of a reload that stopped at `worker`: what happened, and the worker's last stderr lines. */
export function reloadFailure(appName: string, worker: string, what: string, stderr: readonly string[], replaced: readonly string[] = []): SwitchyardError {
  const before = replaced.length > 0 ? ` (already reloaded: ${replaced.join(', ')})` : '';
  const lines = stderr.length > 0 ? `\n${worker}'s last stderr lines:\n${stderr.map((line) => `  ${line}`).join('\n')}` : `\n${worker} wrote nothing to stderr.`;
  return new SwitchyardError('internal', `reload of ${appName} stopped at ${worker}: ${what}${before}.${lines}\nSee \`switchyard logs ${worker}\`.`);
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}
