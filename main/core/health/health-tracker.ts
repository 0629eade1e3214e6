// Rise and fall (HAProxy's `rise 2 fall 3`): a worker enters rotation after healthy_after checks
// pass in a row, leaves it after unhealthy_after fail in a row, and is restarted as hung after
// restart_after. A busy result (busy-check.ts) counts toward none of them. Pure: it counts results
// and says what they mean, the supervisor acts on it.

import type { HealthStatus, ProcessState } from '../../../shared/process.ts';
import type { HealthSpec } from '../../../shared/stack.ts';

/** What one more check result means for a worker in its current state. */
export type HealthVerdict =
  /** Starting, and passed healthy_after checks in a row. */
  | 'ready'
  /** Ready, and failed unhealthy_after checks in a row. */
  | 'unhealthy'
  /** Unhealthy, and passed healthy_after checks in a row. */
  | 'healthy-again'
  /** Unhealthy, and failed restart_after checks in a row. */
  | 'hung'
  /** No new state, but the last result changed (passing, failing, busy), which listeners want to see. */
  | 'status-changed'
  | 'nothing';

/** The state a verdict moves a worker to, and how its log line says so. */
export const HEALTH_STEPS = {
  ready: { to: 'ready', says: 'ready' },
  unhealthy: { to: 'unhealthy', says: 'unhealthy' },
  'healthy-again': { to: 'ready', says: 'healthy again' },
} as const;

/** Counts one run's check results. */
export class HealthTracker {
  private spec: Pick<HealthSpec, 'healthyAfter' | 'unhealthyAfter' | 'restartAfter'>;
  private passes = 0;
  private _fails = 0;
  private _status: HealthStatus = 'unknown';

  constructor(spec: Pick<HealthSpec, 'healthyAfter' | 'unhealthyAfter' | 'restartAfter'>) {
    this.spec = spec;
  }

  /** Counts toward changed thresholds from the next result on (the counts so far stay). */
  adopt(spec: Pick<HealthSpec, 'healthyAfter' | 'unhealthyAfter' | 'restartAfter'>): void {
    this.spec = spec;
  }

  /** The last result, or `unknown` before the first of this run. */
  get status(): HealthStatus {
    return this._status;
  }

  /** Failed checks in a row. */
  get fails(): number {
    return this._fails;
  }

  /** Forgets every result: a new run starts unknown. */
  reset(): void {
    this.passes = 0;
    this._fails = 0;
    this._status = 'unknown';
  }

  /** Takes one result of a worker in `state`: a pass (true), a failure (false), or `busy`, which leaves the counts as they are. */
  record(outcome: boolean | 'busy', state: ProcessState): HealthVerdict {
    if (outcome === true) {
      this.passes++;
      this._fails = 0;
    } else if (outcome === false) {
      this._fails++;
      this.passes = 0;
    }
    const status: HealthStatus = outcome === 'busy' ? 'busy' : outcome ? 'passing' : 'failing';
    const changed = status !== this._status;
    this._status = status;
    // Busy moves no worker anywhere: only passes and failures do.
    if (outcome === 'busy') return changed && (state === 'ready' || state === 'unhealthy') ? 'status-changed' : 'nothing';
    const { healthyAfter, unhealthyAfter, restartAfter } = this.spec;
    switch (state) {
      case 'starting':
        // Not in rotation yet: a failing check while it boots is no news.
        return this.passes >= healthyAfter ? 'ready' : 'nothing';
      case 'ready':
        if (this._fails >= unhealthyAfter) return 'unhealthy';
        return changed ? 'status-changed' : 'nothing';
      case 'unhealthy':
        if (this.passes >= healthyAfter) return 'healthy-again';
        if (this._fails >= restartAfter) return 'hung';
        return changed ? 'status-changed' : 'nothing';
      default:
        // Draining or stopping: on its way out whatever the checks say.
        return 'nothing';
    }
  }
}
