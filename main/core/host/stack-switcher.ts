// The one stack the desktop app hosts, and switching it for another: the next stack file is checked
// while the current stack runs on, then the current one stops and the next starts; when the next
// cannot start, the previous one is started again, as nginx keeps its old configuration when a
// reload fails. Plain Node: the shell only listens to its events and shows what they say.

import path from 'node:path';
import type { StackSpec } from '../../../shared/stack.ts';
import { loadStack } from '../config/load.ts';
import { formatIssues } from '../config/plan.ts';
import { pathVariable } from '../env/path-variable.ts';
import { Emitter } from '../events.ts';
import { locateStackFile } from '../projects/projects.ts';
import { StackHost, type StackHostOptions } from './stack-host.ts';

/** How a stack is hosted, apart from which one. */
export type HostSettings = Omit<StackHostOptions, 'file' | 'spec'>;

/** What a switcher needs from its owner. */
export interface StackSwitcherOptions {
  /**
   * How each stack is hosted, asked at every open (a preference may have changed meanwhile). Asked
   * before the stack file is checked: its programs are looked for on the PATH of `baseEnv`.
   */
  settings: () => Promise<HostSettings>;
  /** How long a graceful stop may take before everything is killed (default 60 s). */
  stopTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * How an open ended: `opened`, the stack runs; `refused`, nothing was stopped and the current stack
 * (if any) runs on; `restored`, it could not start and the previous one runs again (started anew);
 * `lost`, it could not start (or the switcher closed meanwhile) and no stack runs now.
 */
export type SwitchOutcome = 'opened' | 'refused' | 'restored' | 'lost';

/** Something the person should read: why a stack could not be opened or started. */
export interface SwitchProblem {
  title: string;
  detail: string;
}

/** A stack file that passed every check, ready to be hosted. */
interface CheckedStack {
  file: string;
  spec: StackSpec;
  settings: HostSettings;
}

const DEFAULT_STOP_TIMEOUT_MS = 60_000;

/** Hosts one stack at a time and switches between them; one open at a time. */
export class StackSwitcher {
  private readonly options: StackSwitcherOptions;
  private readonly log: (line: string) => void;
  private host: StackHost | null = null;
  /** The open under way; closing waits for it before stopping what it started. */
  private opening: Promise<SwitchOutcome> | null = null;
  private closing: Promise<void> | null = null;
  /** Killing was asked for: whatever runs or still starts is killed, not stopped gracefully. */
  private killing = false;

  private readonly _onHosted = new Emitter<StackHost>();
  /** A stack is hosted (its control API is open); its processes start next. */
  readonly onHosted = this._onHosted.event;
  private readonly _onStarted = new Emitter<StackHost>();
  /** A hosted stack's processes started: it runs now (a new stack, or the previous one again). */
  readonly onStarted = this._onStarted.event;
  private readonly _onStopping = new Emitter<StackHost>();
  /** A hosted stack begins to stop, for a switch or for good. */
  readonly onStopping = this._onStopping.event;
  private readonly _onClosed = new Emitter<StackHost>();
  /** A stack stopped and let go of its control API, run file and watchdog. */
  readonly onClosed = this._onClosed.event;
  private readonly _onProblem = new Emitter<SwitchProblem>();
  /** An open failed in a way the person should read about. */
  readonly onProblem = this._onProblem.event;

  constructor(options: StackSwitcherOptions) {
    this.options = options;
    this.log = options.log ?? (() => {});
  }

  /** The stack hosted now, running or starting. */
  get current(): StackHost | null {
    return this.host;
  }

  /** An open is under way. */
  get busy(): boolean {
    return this.opening !== null;
  }

  /**
   * Opens `target` (a folder or a stack file) in place of the current stack; never throws. Refused
   * while another open is under way or once the switcher is closing.
   */
  open(target: string): Promise<SwitchOutcome> {
    if (this.opening || this.closing) return Promise.resolve('refused');
    const opening = this.switchTo(target).finally(() => (this.opening = null));
    this.opening = opening;
    return opening;
  }

  /**
   * Refuses further opens, lets an open under way end at its next step, then stops the current
   * stack (gracefully, killing what outlives the stop timeout) and closes it. Safe to call again.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.opening;
      await this.stopCurrent();
    })();
    return this.closing;
  }

  /** Kills every process of the current stack now, and of whatever an open under way still starts. */
  async kill(): Promise<void> {
    this.killing = true;
    await this.host?.kill();
  }

  private async switchTo(target: string): Promise<SwitchOutcome> {
    let previous: { file: string; spec: StackSpec } | null = null;
    try {
      const next = await this.check(target);
      if (!next || this.closing) return 'refused';
      previous = this.host ? { file: this.host.file, spec: this.host.stack.spec } : null;
      await this.stopCurrent();
      if (this.closing) return previous ? 'lost' : 'refused';
      try {
        await this.start(next.file, next.spec, next.settings);
        return 'opened';
      } catch (error) {
        return await this.recover(previous, next, error as Error);
      }
    } catch (error) {
      this.problem('Could not open this stack', (error as Error).message);
      return previous && !this.host ? 'lost' : 'refused';
    }
  }

  /** The stack at `target` if it can be opened; null once the problem was reported. */
  private async check(target: string): Promise<CheckedStack | null> {
    const located = locateStackFile(path.resolve(target));
    if (!located.ok) {
      this.problem('Cannot open this stack', located.problem);
      return null;
    }
    // Run elsewhere (a terminal's `switchyard up`): refused first, before its ports look taken and
    // before the current stack is stopped for it.
    if (this.host?.file !== located.file) await StackHost.refuseIfRunning(located.file);
    const settings = await this.options.settings();
    // The running stack may hold the ports the next one wants; they are checked when it binds them.
    const searchPath = pathVariable(settings.baseEnv ?? process.env);
    const { spec, issues } = await loadStack(located.file, {
      checkPorts: this.host === null,
      inheritedEnv: settings.baseEnv ?? process.env,
      ...(searchPath === undefined ? {} : { searchPath }),
    });
    if (!spec) {
      const dir = path.dirname(located.file);
      this.problem(`${path.basename(located.file)} is not valid`, `${formatIssues(issues, dir)}\n\nFix the errors above, then open it again.`);
      return null;
    }
    return { file: located.file, spec, settings };
  }

  /** The next stack could not start in place of `previous`: that one is started again. */
  private async recover(previous: { file: string; spec: StackSpec } | null, next: CheckedStack, error: Error): Promise<SwitchOutcome> {
    const failed = next.spec.name;
    this.log(`could not start ${failed}: ${error.message}`);
    // Closing: nothing to bring back, and nobody to tell.
    if (this.closing) return previous ? 'lost' : 'refused';
    if (previous) {
      try {
        await this.start(previous.file, previous.spec, next.settings);
        this.problem(`Could not start ${failed}`, `${error.message}\n\n${previous.spec.name} is running again.`);
        return 'restored';
      } catch (again) {
        this.log(`could not start ${previous.spec.name} again: ${(again as Error).message}`);
        if (this.closing) return 'lost';
      }
    }
    this.problem(`Could not start ${failed}`, error.message);
    return 'lost';
  }

  private async start(file: string, spec: StackSpec, settings: HostSettings): Promise<void> {
    const host = await StackHost.open({ ...settings, file, spec });
    if (this.closing) {
      // Closed while the stack was being opened: its processes are not started.
      await host.close();
      throw new Error('the stack switcher is closing');
    }
    this.host = host;
    this._onHosted.fire(host);
    try {
      await host.start();
    } catch (error) {
      await this.stopCurrent();
      throw error;
    }
    this._onStarted.fire(host);
  }

  /** Stops the current stack gracefully (killing what outlives the stop timeout, or all of it once killing was asked for) and closes it. */
  private async stopCurrent(): Promise<void> {
    const host = this.host;
    if (!host) return;
    this._onStopping.fire(host);
    if (this.killing) await host.kill();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS)));
    const outcome = await Promise.race([host.stop().then(() => 'stopped' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.log('the graceful stop took too long: killing every process');
      await host.kill();
    }
    await host.close();
    this.host = null;
    this._onClosed.fire(host);
  }

  private problem(title: string, detail: string): void {
    this._onProblem.fire({ title, detail });
  }
}
