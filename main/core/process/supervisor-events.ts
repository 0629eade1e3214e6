// What a supervisor tells its listeners: every change of a run's state, health or role, and every
// health check, numbered so that a wait can ask for one begun after a moment (a reload signal).

import type { ProcessInfo, ProcessState } from '../../../shared/process.ts';
import type { CrashEpisode } from './restart-policy.ts';

/** A state change, with the snapshot after it. */
export interface StateChange {
  /** The state this run left; equal to `to` when only its health or role changed. */
  from: ProcessState;
  to: ProcessState;
  info: ProcessInfo;
  /** The run's quick exits in a row (restart-policy.ts): a crash loop by the same measure as the supervisor's own. */
  episode: CrashEpisode;
}

/** One health check of a run. */
export interface CheckResult {
  /** The supervisor's run it checked (`Supervisor.currentRun`). */
  run: number;
  /** Its number within the run; one numbered above what `Supervisor.signal` returned began after the signal. */
  check: number;
  ok: boolean;
  detail: string;
}
