// The builtin proxy tells the core it is alive instead of being asked. A ping costs an idle core two
// wake-ups (send, then the answer); a heartbeat costs one, and sent on the same beat as the workers'
// checks (5 s, the default health interval) it mostly arrives while the core is awake for them anyway.

import type { HealthSpec } from '../../../../shared/stack.ts';
import { untilBeat, untilNextBeat } from '../../batching/beat.ts';

/** Between two heartbeats, on the clock's beat (every multiple of it). */
export const HEARTBEAT_INTERVAL_MS = 5000;

/**
 * The builtin proxy's health, read from its heartbeats: checked on the same beat, each check passes
 * while a message came within `interval + timeout`. A stopped or blocked proxy fails its second check
 * after its last heartbeat (10-15 s after it stopped: it leaves ready) and is restarted after 4
 * (20-25 s, as with the former ping every 2 s and restart after 10 misses).
 */
export const HEARTBEAT_HEALTH: HealthSpec = {
  path: null,
  interval: HEARTBEAT_INTERVAL_MS,
  startInterval: 20,
  timeout: 2000,
  healthyAfter: 1,
  unhealthyAfter: 2,
  restartAfter: 4,
};

/** Calls `beat` on every multiple of the interval for as long as the process lives; the timer keeps it alive no longer. */
export function startHeartbeat(beat: () => void): void {
  const schedule = (delay: number) => {
    setTimeout(() => {
      beat();
      schedule(untilBeat(HEARTBEAT_INTERVAL_MS));
    }, delay).unref();
  };
  // The first on the next beat however near: untilBeat's first delay may be 1.5 intervals, a silence
  // longer than the core's checks allow (interval + timeout) when one of them falls just before it.
  schedule(untilNextBeat(HEARTBEAT_INTERVAL_MS));
}
