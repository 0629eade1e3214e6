// A worker's health check that tells a busy worker from a dead one. `gunicorn -w 3` with three slow
// requests answers nothing else until one ends, its health check included; behind nginx the next
// requests wait in its listen backlog and are served. So a check that times out while the proxy has
// requests in flight on the worker is `busy`: neither a pass nor a failure, and the worker stays in
// rotation. A worker that has answered nothing for longer than its routes' timeout is stalled, not
// busy, so a hung worker under steady traffic is still found and restarted.

import type { MemberLoad } from '../../../shared/proxy.ts';
import type { HealthSpec } from '../../../shared/stack.ts';
import { formatMs } from '../process/restart-policy.ts';
import { probeWorker, type ProbeCheck, type ProbeResult } from './health-probe.ts';

/** What the proxy has under way on the worker; null when there is no proxy or it cannot say. */
export type LoadQuestion = () => Promise<MemberLoad | null> | null;

/** The result a check becomes, given what the proxy had under way on the worker when it timed out. */
export function busyVerdict(result: ProbeResult, load: MemberLoad | null): ProbeResult {
  if (!result.timedOut || load === null || load.inFlight === 0) return result;
  const requests = `${load.inFlight} request${load.inFlight === 1 ? '' : 's'} in flight`;
  if (load.silentFor >= load.patience) {
    return { ...result, detail: `${result.detail}; ${requests}, but no answer for ${formatMs(load.silentFor)} (its routes' timeout is ${formatMs(load.patience)}): stalled` };
  }
  return { ...result, busy: true, detail: `${result.detail} with ${requests}; not counted as a failure` };
}

/** Probes the worker on `port` as `spec()` says now; a timeout asks `load` what the proxy has under way on it. */
export function busyAwareCheck(port: number, spec: () => HealthSpec, load: LoadQuestion): ProbeCheck {
  return async (host) => {
    const result = await probeWorker(port, spec(), host);
    if (!result.timedOut) return result;
    return busyVerdict(result, await load());
  };
}
