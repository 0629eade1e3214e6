// Periodic work on the clock's beat. A core at rest wakes for health checks, the proxy's heartbeat
// and metrics; each wake-up costs a process that is otherwise asleep more than the work it does. Work
// kept on the multiples of its period (every 5 s check at :00, :05, :10 …) starts in one wake-up
// for every worker with that period, and with any other period that shares the beat.

/**
 * Milliseconds until the beat of `period` that lies between half a period and a period and a half
 * from `now`: work repeated at this delay stays on the beat (a round's own duration is absorbed, as
 * long as it is under half a period), and never runs twice within half a period.
 */
export function untilBeat(period: number, now = Date.now()): number {
  const delay = untilNextBeat(period, now);
  return delay < period / 2 ? delay + period : delay;
}

/** Milliseconds until the next beat of `period` from `now`, however near. */
export function untilNextBeat(period: number, now = Date.now()): number {
  return period - (now % period);
}
