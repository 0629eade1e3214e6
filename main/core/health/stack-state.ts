// The stack's state at a glance (the tray icon and its tooltip) and crash-loop detection (a system
// notification): both read the process snapshots the supervisors publish, and neither spawns anything.

import type { ProcessInfo, ProcessState } from '../../../shared/process.ts';
import { Emitter, type Disposable } from '../events.ts';

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
const FAILING: readonly ProcessState[] = ['failed', 'crashed', 'backoff'];
/** A process on its way out (a stop, a scale-down, the old worker of a reload): not a problem in itself. */
const LEAVING: readonly ProcessState[] = ['draining', 'stopping'];

/**
 * Sums up the stack. The first rule that matches wins:
 * 1. no processes → stopped;
 * 2. any failed, crashed or backing off → failing (the most severe one is named);
 * 3. any unhealthy → degraded;
 * 4. all at rest (stopped, or exited cleanly) → stopped; all at rest or leaving → stopped, labelled "stopping";
 * 5. any starting → starting;
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
  if (count(['starting']) > 0) return summary('starting', readyOfTotal);
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
  // Backing off: it ended on its own and waits to be restarted; exit code 0 under `restart: always` is no crash.
  return `${p.name} ${p.lastExit?.code === 0 ? 'exited' : 'crashed'} (restarting)`;
}

/** An app whose processes keep crashing, or one that Switchyard stopped restarting. */
export interface CrashLoop {
  app: string;
  /** The process whose crash (or failure) completed the report. */
  process: string;
  /** Crashes counted: those within the window for a loop, the whole episode for a give-up. */
  crashes: number;
  /** How long those crashes took, first to last. */
  windowMs: number;
  /** The supervisor gave up (`failed`): only a person restarts it now. */
  gaveUp: boolean;
  /** One line for a notification: the app, the count and how the last run ended. */
  message: string;
}

/** When a run of crashes is a crash loop, and when it is over. */
export interface CrashLoopOptions {
  /** Crashes of an app's processes within `windowMs` that make a loop (default 3). */
  threshold?: number;
  /** Default 60 s. */
  windowMs?: number;
  /** A crash after this long without one starts a new episode (default `windowMs`). */
  quietMs?: number;
  /** A crash after all the app's processes were ready for this long starts a new episode (default 10 s). */
  settleMs?: number;
}

/** How long a crash asked for with `expectKill` may take to arrive. */
const EXPECTED_KILL_MS = 5_000;

/** Crash history of one app in the current episode. */
interface AppRecord {
  /** Crash times within the window, until a loop is reported. */
  recent: number[];
  /** Set once a loop (or a give-up) was reported: how many crashes the episode has had, and since when. */
  episode: { since: number; crashes: number } | null;
  gaveUp: boolean;
  lastCrashAt: number | null;
  /** When every known process of the app became ready, or null while one is not. */
  readySince: number | null;
}

/** One state change of one process, from its own supervisor (`Stack.onProcessChange` gives these). */
export interface ProcessTransition {
  /** The state this very process left: during a reload the old and the new worker share a name, not a state. */
  from: ProcessState;
  info: ProcessInfo;
}

/**
 * Turns process state changes into crash-loop reports, at most one loop report and one give-up
 * report per app and episode, so a looping app does not spam notifications. Counts entries into
 * `crashed` (exit code ≠ 0 or a signal) only: stops end in `stopped`, a clean exit is `exited`, and a
 * crash while draining for a stop is the stop's. A kill a person asked for is excused with `expectKill`.
 */
export class CrashLoopDetector implements Disposable {
  private readonly snapshot: () => readonly ProcessInfo[];
  private readonly threshold: number;
  private readonly windowMs: number;
  private readonly quietMs: number;
  private readonly settleMs: number;
  private readonly apps = new Map<string, AppRecord>();
  /** Process → the time until which its next crash is one a person asked for. */
  private readonly expectedKills = new Map<string, number>();
  private readonly _onCrashLoop = new Emitter<CrashLoop>();
  /** Fires with each report `observe` returns. */
  readonly onCrashLoop = this._onCrashLoop.event;

  /**
   * @param snapshot the stack's processes now, one per name (`Stack.processes`): whether an app is
   * all ready is read from it, so a reload's leaving worker does not speak for its successor.
   */
  constructor(snapshot: () => readonly ProcessInfo[], options: CrashLoopOptions = {}) {
    this.snapshot = snapshot;
    this.threshold = options.threshold ?? 3;
    this.windowMs = options.windowMs ?? 60_000;
    this.quietMs = options.quietMs ?? this.windowMs;
    this.settleMs = options.settleMs ?? 10_000;
  }

  /** Takes one state change; returns the report it completes, if any. */
  observe(change: ProcessTransition, now = Date.now()): CrashLoop | null {
    const { from, info } = change;
    let report: CrashLoop | null = null;
    // A health-only change (or the same snapshot again) is no new crash.
    if (info.state !== from) {
      if (info.state === 'crashed') {
        const excused = from === 'draining' || this.takeExpectedKill(info.name, now);
        if (!excused) report = this.crash(info, now);
      } else if (info.state === 'failed') {
        report = this.fail(info, now);
      } else if (from === 'failed') {
        // Only a person starts a failed process again: whatever crashes next is a new episode.
        this.apps.set(info.app, newRecord());
      }
    }
    this.updateReadiness(info.app, now);
    if (report) this._onCrashLoop.fire(report);
    return report;
  }

  /** The next crash of process `name` is a kill a person asked for (`Stack.killWorker`): it does not count. */
  expectKill(name: string, now = Date.now()): void {
    this.expectedKills.set(name, now + EXPECTED_KILL_MS);
  }

  /** Drops what is kept about a process that left the stack (scaled down, app removed), and about apps with none left. */
  forget(name: string, now = Date.now()): void {
    this.expectedKills.delete(name);
    const present = new Set(this.snapshot().map((p) => p.app));
    for (const app of [...this.apps.keys()]) {
      if (present.has(app)) this.updateReadiness(app, now);
      else this.apps.delete(app);
    }
  }

  dispose(): void {
    this._onCrashLoop.dispose();
  }

  private crash(info: ProcessInfo, now: number): CrashLoop | null {
    const current = this.currentRecord(info.app, now);
    current.lastCrashAt = now;
    if (current.episode) {
      current.episode.crashes++;
      return null;
    }
    current.recent = [...current.recent.filter((at) => now - at < this.windowMs), now];
    if (current.recent.length < this.threshold) return null;
    const since = current.recent[0] ?? now;
    current.episode = { since, crashes: current.recent.length };
    current.recent = [];
    const crashes = current.episode.crashes;
    return {
      app: info.app,
      process: info.name,
      crashes,
      windowMs: now - since,
      gaveUp: false,
      message: `${info.app} keeps crashing: ${crashes} crashes in ${formatMs(now - since)}; last: ${info.name} ${lastExitText(info)}`,
    };
  }

  private fail(info: ProcessInfo, now: number): CrashLoop | null {
    const current = this.currentRecord(info.app, now);
    if (current.gaveUp) return null;
    current.gaveUp = true;
    const crashes = current.episode?.crashes ?? current.recent.length;
    const since = current.episode?.since ?? current.recent[0] ?? now;
    current.episode ??= { since, crashes };
    current.recent = [];
    const after = crashes > 0 ? ` after ${crashes} crash${crashes === 1 ? '' : 'es'}` : '';
    return {
      app: info.app,
      process: info.name,
      crashes,
      windowMs: now - since,
      gaveUp: true,
      message: `${info.app}: ${info.name} failed${after} and will not be restarted; last: ${lastExitText(info)}`,
    };
  }

  /** The app's record, fresh when its episode is over: after a quiet period, or once the app had been all ready for a while. */
  private currentRecord(app: string, now: number): AppRecord {
    const record = this.recordOf(app);
    const quiet = record.lastCrashAt !== null && now - record.lastCrashAt >= this.quietMs;
    const settled = record.readySince !== null && now - record.readySince >= this.settleMs;
    if (!quiet && !settled) return record;
    const fresh = newRecord();
    this.apps.set(app, fresh);
    return fresh;
  }

  private updateReadiness(app: string, now: number): void {
    const record = this.recordOf(app);
    const allReady = this.snapshot().every((p) => p.app !== app || p.state === 'ready');
    record.readySince = allReady ? (record.readySince ?? now) : null;
  }

  private takeExpectedKill(name: string, now: number): boolean {
    const until = this.expectedKills.get(name);
    if (until === undefined) return false;
    this.expectedKills.delete(name);
    return now <= until;
  }

  private recordOf(app: string): AppRecord {
    let record = this.apps.get(app);
    if (!record) {
      record = newRecord();
      this.apps.set(app, record);
    }
    return record;
  }
}

function newRecord(): AppRecord {
  return { recent: [], episode: null, gaveUp: false, lastCrashAt: null, readySince: null };
}

/** `exit code 3`, `killed by SIGSEGV`, or the supervisor's reason when the program never ran. */
function lastExitText(info: ProcessInfo): string {
  if (info.lastExit?.signal) return `killed by ${info.lastExit.signal}`;
  if (info.lastExit?.code !== null && info.lastExit?.code !== undefined) return `exit code ${info.lastExit.code}`;
  return info.reason ?? 'no exit status';
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
