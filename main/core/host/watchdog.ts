// The orchestrator's side of the watchdog. On POSIX systems the watchdog is a waiting shell
// (watchdog.sh) that runs Node (reap-main.ts) only to reap; on Windows it is a Node process
// (watchdog-main.ts) on an IPC channel. A watchdog that dies is noticed at once and replaced, and
// the new one is handed every pid, so no process is ever left without a guardian while the
// orchestrator lives.

import { fork, spawn, type ChildProcess } from 'node:child_process';
import { Emitter } from '../events.ts';
import { childScript } from '../process/child-script.ts';
import { currentNodeRuntime, type NodeRuntime } from '../process/node-runtime.ts';
import type { ProcessTracker } from '../process/supervisor.ts';

/** Messages from the orchestrator to the watchdog. */
export type WatchdogMessage =
  | { type: 'hello'; pid: number; runFile: string | null; lockFile: string | null; marker: string | null }
  | { type: 'track'; pid: number }
  | { type: 'untrack'; pid: number }
  | { type: 'goodbye' };

/** The Node watchdog's entry point (Windows). */
export const WATCHDOG_MAIN = childScript('./watchdog-main.ts', import.meta.url);
/** The shell watchdog (POSIX) and the reaper it execs. */
export const WATCHDOG_SH = childScript('./watchdog.sh', import.meta.url);
export const REAP_MAIN = childScript('./reap-main.ts', import.meta.url);

/** Replacements allowed within REPLACEMENT_WINDOW_MS before the watchdog is given up on. */
const MAX_REPLACEMENTS = 5;
const REPLACEMENT_WINDOW_MS = 60_000;

/** How long a watchdog told goodbye may take to exit before it is killed. */
const DISPOSE_TIMEOUT_MS = 3000;

/** How to start a watchdog. */
export interface WatchdogOptions {
  /** Removed by the watchdog after it has reaped, if it still names this process. */
  runFile?: string | null;
  /** The stack's lock, released by the watchdog after it has reaped, if it still names this process. */
  lockFile?: string | null;
  /** The stack's SWITCHYARD_RUN id: whatever carries it is reaped too, even processes that escaped every tree. */
  marker?: string | null;
  /** Runs the watchdog or its reaper (this Node by default; the Electron binary with ELECTRON_RUN_AS_NODE=1 in the desktop app). */
  runtime?: NodeRuntime;
  /** The POSIX shell that waits (`/bin/sh`), or null for a Node watchdog (the default on Windows). */
  shell?: string | null;
}

/** A watchdog process died and what was done about it. */
export interface WatchdogReplacement {
  /** The pid of the watchdog that died. */
  died: number | undefined;
  /** How it ended: `killed by SIGKILL`, `exit code 1`. */
  exit: string;
  /** The new watchdog's pid, or null when it could not be replaced (see `reason`). */
  replacement: number | null;
  /** How many pids the new watchdog was handed. */
  handed: number;
  reason: string | null;
}

/** A running watchdog that kills every tracked tree if this process dies; replaced if it dies first. */
export class Watchdog implements ProcessTracker {
  private child: ChildProcess;
  private readonly options: WatchdogOptions;
  private readonly tracked = new Set<number>();
  private readonly replacedAt: number[] = [];
  private disposed = false;
  private readonly _onReplaced = new Emitter<WatchdogReplacement>();
  /** Fires when the watchdog died while this process lives, after a new one was started (or could not be). */
  readonly onReplaced = this._onReplaced.event;

  private constructor(options: WatchdogOptions) {
    this.options = options;
    this.child = this.spawn();
  }

  static start(options: WatchdogOptions = {}): Watchdog {
    return new Watchdog(options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  track(pid: number): void {
    this.tracked.add(pid);
    this.send({ type: 'track', pid });
  }

  untrack(pid: number): void {
    this.tracked.delete(pid);
    this.send({ type: 'untrack', pid });
  }

  /**
   * Call after every process stopped: the watchdog exits without touching anything. Resolves once
   * it has (killed after DISPOSE_TIMEOUT_MS otherwise), so that nothing of the stack outlives its host.
   */
  dispose(): Promise<void> {
    this.disposed = true;
    this._onReplaced.dispose();
    const child = this.child;
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.send({ type: 'goodbye' });
    this.hangUp(child);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, DISPOSE_TIMEOUT_MS);
    });
    return Promise.race([exited, late]).finally(() => clearTimeout(timer));
  }

  private spawn(): ChildProcess {
    const runtime = this.options.runtime ?? currentNodeRuntime();
    const [execPath = process.execPath, ...execArgv] = runtime.argv;
    const shell = this.options.shell === undefined ? (process.platform === 'win32' ? null : '/bin/sh') : this.options.shell;
    const settings = {
      env: { ...process.env, ...runtime.env },
      // Its own session: a terminal's Ctrl-C or hang-up does not reach it.
      detached: process.platform !== 'win32',
      windowsHide: true,
    };
    const child =
      shell === null
        ? fork(WATCHDOG_MAIN, [], { ...settings, execPath, execArgv, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] })
        : spawn(shell, [WATCHDOG_SH, execPath, ...execArgv, REAP_MAIN, ...this.reapArguments()], { ...settings, stdio: ['pipe', 'ignore', 'ignore'] });
    // The watchdog must never keep the orchestrator alive.
    child.unref();
    child.channel?.unref();
    (child.stdin as { unref?: () => void } | null)?.unref?.();
    // A failed start reports through `error` and then `close`; a write to a dying watchdog, through `error`.
    child.on('error', () => {});
    child.stdin?.on('error', () => {});
    child.once('close', (code, signal) => this.onDeath(child, code, signal));
    this.child = child;
    this.send({ type: 'hello', pid: process.pid, runFile: this.options.runFile ?? null, lockFile: this.options.lockFile ?? null, marker: this.options.marker ?? null });
    for (const pid of this.tracked) this.send({ type: 'track', pid });
    return child;
  }

  /** What the shell watchdog's reaper is told up front (the Node watchdog learns it from `hello`). */
  private reapArguments(): string[] {
    const { runFile, lockFile, marker } = this.options;
    return [
      '--pid',
      String(process.pid),
      ...(runFile ? ['--run-file', runFile] : []),
      ...(lockFile ? ['--lock-file', lockFile] : []),
      ...(marker ? ['--marker', marker] : []),
      '--',
    ];
  }

  private onDeath(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.disposed || child !== this.child) return;
    const exit = signal ? `killed by ${signal}` : `exit code ${code ?? 'unknown'}`;
    const now = Date.now();
    while (this.replacedAt.length > 0 && (this.replacedAt[0] as number) < now - REPLACEMENT_WINDOW_MS) this.replacedAt.shift();
    if (this.replacedAt.length >= MAX_REPLACEMENTS) {
      const reason = `it died ${MAX_REPLACEMENTS + 1} times within ${REPLACEMENT_WINDOW_MS / 1000}s`;
      this._onReplaced.fire({ died: child.pid, exit, replacement: null, handed: 0, reason });
      return;
    }
    this.replacedAt.push(now);
    const next = this.spawn();
    const replacement = next.pid ?? null;
    this._onReplaced.fire({ died: child.pid, exit, replacement, handed: this.tracked.size, reason: replacement === null ? 'the new watchdog could not be started' : null });
  }

  private send(message: WatchdogMessage): void {
    const { stdin } = this.child;
    if (stdin) {
      // The shell watchdog reads lines; it learned `hello` from its arguments.
      if (message.type !== 'hello' && stdin.writable) stdin.write(message.type === 'goodbye' ? 'goodbye\n' : `${message.type} ${message.pid}\n`);
    } else if (this.child.connected) this.child.send(message);
  }

  /** Tells the watchdog that nothing more will come: its IPC channel or stdin closes. */
  private hangUp(child: ChildProcess): void {
    if (child.stdin) child.stdin.end();
    else if (child.connected) child.disconnect();
  }
}
