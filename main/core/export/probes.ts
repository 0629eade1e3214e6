// Health timings shared by the exports.
import type { HealthSpec } from '../../../shared/stack.ts';

/**
 * How long a starting container has before its failed checks count: as long as Switchyard gives a
 * reload's new worker to pass one, restart_after × (interval + timeout) (a minute with the defaults).
 */
export function startDeadline(health: HealthSpec): number {
  return health.restartAfter * (health.interval + health.timeout);
}
