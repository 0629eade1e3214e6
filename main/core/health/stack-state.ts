// The stack's state at a glance (the tray icon and its tooltip) and crash-loop reports (a system
// notification): both read what the supervisors publish, and neither spawns or counts anything.

import type { ProcessInfo, ProcessState } from '../../../shared/process.ts';
import { Emitter, type Disposable } from '../events.ts';
import { formatMs, isCrashLoop, type CrashEpisode } from '../process/restart-policy.ts';

/** The whole stack in one word. */
export type StackState = 'stopped' | 'starting' | 'running' | 'degraded' | 'failing';

/** What the tray shows: a state for the icon and a short line for the tooltip or menu. */
export interface StackSummary {
  state: StackState;
  /** Processes in `ready`. */
  ready: number;
  /** Processes expected to serve: all but those that exited cleanly (`exited`) or are on their way out (`draining`, `stopping`). */
  total: number;
  /** `running · 6 of 6 ready`, `degraded · api-2 unhealthy`, `failing · api-3 crashed (restarting)`. */
  label: string;
}

/** States of a process that is crashing or has given up, most severe first. */
const FAILING: readonly ProcessState[] = ['failed', 'crashed', 'backoff', 'blocked'];
/** A process on its way out (a stop, a scale-down, the old worker of a reload): not a problem in itself. */
const LEAVING: readonly ProcessState[] = ['draining', 'stopping'];

/**
 * Sums up the stack. The first rule that matches wins:
 * 1. no processes → stopped;
 * 2. any failed, crashed, backing off or blocked by what it depends on → failing (the most severe one is named);
 * 3. any unhealthy → degraded;
 * 4. all at rest (stopped, or exited cleanly) → stopped; all at rest or leaving → stopped, labelled "stopping";
 * 5. any starting or waiting for what it depends on → starting;
 * 6. some stopped while others run (a person stopped one) → degraded;
 * 7. otherwise every expected process is ready → running.
 */
export function summarizeStack(processes: readonly ProcessInfo[]): StackSummary {
  const count = (states: readonly ProcessState[]) => processes.filter((p) => states.includes(p.state)).length;
  const ready = count(['ready']);
  const leaving = count(LEAVING);
  const total = processes.length - leaving - count(['exited']);
  const summary = (state: StackState, detail: string): StackSummary => ({ state, ready, total, label: `${state} · ${detail}` });
  const readyOfTotal = `${ready} of ${total} ready`;

  if (processes.length === 0) return summary('stopped', 'no processes');
  const failing = mostSevere(processes, FAILING);
  if (failing) return summary('failing', named(failing, processes, FAILING, describeFailing));
  const unhealthy = mostSevere(processes, ['unhealthy']);
  if (unhealthy) return summary('degraded', named(unhealthy, processes, ['unhealthy'], (p) => `${p.name} unhealthy`));
  const resting = count(['stopped', 'exited']);
  if (resting === processes.length) return { state: 'stopped', ready, total, label: 'stopped' };
  if (resting + leaving === processes.length) return { state: 'stopped', ready, total, label: `stopping · ${leaving} still running` };
  if (count(['starting', 'waiting']) > 0) return summary('starting', readyOfTotal);
  const stopped = mostSevere(processes, ['stopped']);
  if (stopped) return summary('degraded', named(stopped, processes, ['stopped'], (p) => `${p.name} stopped`));
  return summary('running', leaving > 0 ? `${readyOfTotal}, ${leaving} stopping` : readyOfTotal);
}

/** The first process in the most severe of `states`, in the order the states are listed. */
function mostSevere(processes: readonly ProcessInfo[], states: readonly ProcessState[]): ProcessInfo | undefined {
  for (const state of states) {
    const found = processes.find((p) => p.state === state);
    if (found) return found;
  }
  return undefined;
}

/** `api-3 crashed (restarting)`, with `and 2 more` when others share the trouble. */
function named(first: ProcessInfo, processes: readonly ProcessInfo[], states: readonly ProcessState[], describe: (p: ProcessInfo) => string): string {
  const others = processes.filter((p) => p !== first && states.includes(p.state)).length;
  return others > 0 ? `${describe(first)} and ${others} more` : describe(first);
}

function describeFailing(p: ProcessInfo): string {
  if (p.state === 'failed') return `${p.name} failed`;
  if (p.state === 'crashed') return `${p.name} crashed`;
  if (p.state === 'blocked') return `${p.name} ${p.reason ?? 'blocked'}`;
  // Backing off: it ended on its own and waits to be restarted; exit code 0 under `restart: always` is no crash.
  return `${p.name} ${p.lastExit?.code === 0 ? 'exited' : 'crashed'} (restarting)`;
}

/** An app whose processes keep crashing, or one that Switchyard stopped restarting. */
export interface CrashLoop {
  app: string;
  /** The process whose crash (or failure) completed the report. */
  process: string;
  /** Its quick exits in a row (restart-policy.ts). */
  crashes: number;
  /** How long those exits took, first to last. */
  windowMs: number;
  /** The supervisor gave up (`failed`): only a person restarts it now. */
  gaveUp: boolean;
  /** One line for a notification: the app, the count and how the last run ended. */
  message: string;
}

/** One state change of one run, with its crash-loop episode (`Stack.onProcessChange` gives these). */
export interface RunChange {
  info: ProcessInfo;
  episode: CrashEpisode;
}

/** What was last heard of a run that is not stopped. */
interface RunRecord {
  app: string;
  episode: CrashEpisode;
  failed: boolean;
}

/**
 * Turns the supervisors' crash-loop episodes into reports, at most one loop report and one give-up
 * report per app while its runs keep looping, so a looping app does not spam notifications. What a
 * crash loop is, and which exits count (not a stop, a crash while draining, or a kill a person asked
 * for), is the supervisor's to say (restart-policy.ts): the tray and the supervisor agree.
 */
export class CrashLoopDetector implements Disposable {
  /** Run id → what was last heard of it; a run leaves when it stops. */
  private readonly runs = new Map<string, RunRecord>();
  private readonly _onCrashLoop = new Emitter<CrashLoop>();
  /** Fires with each report `observe` returns. */
  readonly onCrashLoop = this._onCrashLoop.event;

  /** Takes one state change; returns the report it completes, if any. */
  observe(change: RunChange): CrashLoop | null {
    const { info, episode } = change;
    const previous = this.runs.get(info.id);
    if (info.state === 'stopped') {
      // A stop ends the run's trouble as far as a person is told: a later start may report again.
      this.runs.delete(info.id);
      return null;
    }
    const record: RunRecord = { app: info.app, episode, failed: info.state === 'failed' };
    this.runs.set(info.id, record);
    let report: CrashLoop | null = null;
    if (record.failed && !previous?.failed) {
      if (!this.othersOf(info, (other) => other.failed)) report = gaveUp(info, episode);
    } else if (this.entersLoop(info, episode, previous)) {
      if (!this.othersOf(info, (other) => isCrashLoop(other.episode))) report = looping(info, episode);
    }
    if (report) this._onCrashLoop.fire(report);
    return report;
  }

  dispose(): void {
    this._onCrashLoop.dispose();
  }

  /** Whether this change is the exit that makes the run's episode a crash loop (once per episode). */
  private entersLoop(info: ProcessInfo, episode: CrashEpisode, previous: RunRecord | undefined): boolean {
    if (info.state !== 'crashed' && info.state !== 'exited') return false;
    if (!isCrashLoop(episode)) return false;
    return !previous || previous.episode.since !== episode.since || !isCrashLoop(previous.episode);
  }

  /** Whether another run of the same app, as last heard, matches: its trouble was told already. */
  private othersOf(info: ProcessInfo, matches: (other: RunRecord) => boolean): boolean {
    for (const [id, other] of this.runs) if (id !== info.id && other.app === info.app && matches(other)) return true;
    return false;
  }
}

/** How long an episode has lasted, to the run's last exit. */
function windowOf(info: ProcessInfo, episode: CrashEpisode): number {
  const since = episode.since ?? info.lastExit?.at ?? 0;
  return Math.max(0, (info.lastExit?.at ?? since) - since);
}

function looping(info: ProcessInfo, episode: CrashEpisode): CrashLoop {
  const windowMs = windowOf(info, episode);
  return {
    app: info.app,
    process: info.name,
    crashes: episode.exits,
    windowMs,
    gaveUp: false,
    message: `${info.app} keeps crashing: ${episode.exits} crashes in ${formatMs(windowMs)}; last: ${info.name} ${lastExitText(info)}`,
  };
}

function gaveUp(info: ProcessInfo, episode: CrashEpisode): CrashLoop {
  const crashes = episode.exits;
  const after = crashes > 0 ? ` after ${crashes} crash${crashes === 1 ? '' : 'es'}` : '';
  return {
    app: info.app,
    process: info.name,
    crashes,
    windowMs: windowOf(info, episode),
    gaveUp: true,
    message: `${info.app}: ${info.name} failed${after} and will not be restarted; last: ${lastExitText(info)}`,
  };
}

/** `exit code 3`, `killed by SIGSEGV`, or the supervisor's reason when the program never ran. */
function lastExitText(info: ProcessInfo): string {
  if (info.lastExit?.signal) return `killed by ${info.lastExit.signal}`;
  if (info.lastExit?.code !== null && info.lastExit?.code !== undefined) return `exit code ${info.lastExit.code}`;
  return info.reason ?? 'no exit status';
}
