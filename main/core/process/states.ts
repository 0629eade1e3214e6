// The supervisor's transition table: the only place that says which state may follow which.

import type { ProcessState } from '../../../shared/process.ts';

/** For each state, the states a supervisor may move to next. */
export const TRANSITIONS: Readonly<Record<ProcessState, readonly ProcessState[]>> = {
  // Never started, or stopped on request.
  stopped: ['starting', 'waiting', 'blocked'],
  // Not started: what its depends_on names does not stand yet.
  waiting: ['starting', 'blocked', 'stopped'],
  // Not started: what it waits for failed; starts once that is fixed and stands.
  blocked: ['starting', 'waiting', 'stopped'],
  // Spawned; not in rotation until healthy_after checks pass.
  starting: ['ready', 'stopping', 'exited', 'crashed'],
  // Healthy and in rotation.
  ready: ['unhealthy', 'draining', 'stopping', 'exited', 'crashed'],
  // Out of rotation after unhealthy_after failed checks; restarted after restart_after.
  unhealthy: ['ready', 'draining', 'stopping', 'exited', 'crashed'],
  // Out of rotation, finishing in-flight requests before it stops.
  draining: ['stopping', 'exited', 'crashed'],
  // Stop signal sent; the tree is killed when the timeout passes.
  stopping: ['stopped'],
  // Ended on its own with code 0.
  exited: ['backoff', 'failed', 'starting', 'stopped'],
  // Ended on its own with an error code or a signal.
  crashed: ['backoff', 'failed', 'starting', 'stopped'],
  // Waiting out the restart delay.
  backoff: ['starting', 'stopped'],
  // Gave up after a crash loop; only a person restarts it.
  failed: ['starting', 'stopped'],
};

/** Live states a stop can begin from (a process already `stopping` is only waited for). */
export const STOPPABLE_STATES: readonly ProcessState[] = ['starting', 'ready', 'unhealthy', 'draining'];

/** Thrown when code asks for a transition the table does not allow: always a bug in Switchyard. */
export class IllegalTransitionError extends Error {
  constructor(name: string, from: ProcessState, to: ProcessState) {
    super(`${name}: illegal state transition ${from} -> ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Whether the table allows `from -> to`. */
export function canTransition(from: ProcessState, to: ProcessState): boolean {
  return TRANSITIONS[from].includes(to);
}
