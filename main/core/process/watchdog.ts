// The orchestrator's side of the watchdog (see watchdog-main.ts).

import { fork, type ChildProcess } from 'node:child_process';
import { childScript } from './child-script.ts';
import { currentNodeRuntime, type NodeRuntime } from './node-runtime.ts';
import type { ProcessTracker } from './supervisor.ts';

/** Messages from the orchestrator to the watchdog. */
export type WatchdogMessage =
  | { type: 'hello'; pid: number; runFile: string | null }
  | { type: 'track'; pid: number }
  | { type: 'untrack'; pid: number }
  | { type: 'goodbye' };

/** The watchdog's entry point. */
export const WATCHDOG_MAIN = childScript('./watchdog-main.ts', import.meta.url);

/** A running watchdog process that kills every tracked tree if this process dies. */
export class Watchdog implements ProcessTracker {
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  /**
   * Starts the watchdog with `runtime` (this Node by default; the Electron binary with
   * ELECTRON_RUN_AS_NODE=1 in the desktop app).
   */
  static start(options: { runFile?: string | null; runtime?: NodeRuntime } = {}): Watchdog {
    const [execPath = process.execPath, ...execArgv] = (options.runtime ?? currentNodeRuntime()).argv;
    const child = fork(WATCHDOG_MAIN, [], {
      execPath,
      execArgv,
      env: { ...process.env, ...options.runtime?.env },
      // Its own session: a terminal's Ctrl-C or hang-up does not reach it.
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      windowsHide: true,
    });
    // The watchdog must never keep the orchestrator alive.
    child.unref();
    child.channel?.unref();
    const watchdog = new Watchdog(child);
    watchdog.send({ type: 'hello', pid: process.pid, runFile: options.runFile ?? null });
    return watchdog;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  track(pid: number): void {
    this.send({ type: 'track', pid });
  }

  untrack(pid: number): void {
    this.send({ type: 'untrack', pid });
  }

  /** Call after every process stopped: the watchdog exits without touching anything. */
  dispose(): void {
    this.send({ type: 'goodbye' });
    if (this.child.connected) this.child.disconnect();
  }

  private send(message: WatchdogMessage): void {
    if (this.child.connected) this.child.send(message);
  }
}
