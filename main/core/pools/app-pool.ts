// An app's pool: its workers (`api-1`, `api-2`, …), scaled by number, reloaded surge-first,
// reloaded again when files matching its `watch:` globs change, and recycled after max_requests.

import { HELD_STATES } from '../../../shared/process.ts';
import type { AppSpec } from '../../../shared/stack.ts';
import { SwitchyardError } from '../errors.ts';
import type { SourceFilter } from '../logs/log-store.ts';
import type { Supervisor } from '../process/supervisor.ts';
import { GlobWatcher } from '../reload/glob-watcher.ts';
import { ReloadQueue } from '../reload/reload-queue.ts';
import { rollingReload } from '../reload/rolling-reload.ts';
import { signalReload } from '../reload/signal-reload.ts';
import type { Pool } from './pool.ts';
import { Recycler, RequestLimits } from './recycler.ts';
import { memberId, RunSet, type PoolContext } from './run-set.ts';
import type { HoldState } from './start-order.ts';
import { parseWorkerName, workerName } from './worker-names.ts';

/** Most workers an app may be scaled to. */
export const MAX_REPLICAS = 256;

/** What an app pool needs besides the stack's context. */
export interface AppPoolOptions {
  /** Reload when watched files change (`up` asks; tests and embedders may not). */
  watch: boolean;
  /** Whether the stack is stopping, so that no reload starts after it has. */
  stopping: () => boolean;
}

/** The workers of one app. */
export class AppPool implements Pool {
  readonly kind = 'app';
  readonly runs: RunSet;
  private _spec: AppSpec;
  private readonly context: PoolContext;
  private readonly options: AppPoolOptions;
  private readonly reloads: ReloadQueue;
  private readonly recycler: Recycler;
  private watcher: GlobWatcher | null = null;

  constructor(spec: AppSpec, context: PoolContext, options: AppPoolOptions) {
    this._spec = spec;
    this.context = context;
    this.options = options;
    const limits = new RequestLimits();
    this.runs = new RunSet(
      { pool: spec.name, kind: 'worker', name: (n) => workerName(spec.name, n), settings: () => this._spec, requestLimit: (run) => limits.of(run, this._spec) },
      context,
    );
    this.reloads = new ReloadQueue((replace) => this.reloadNow(null, replace), options.stopping);
    this.recycler = new Recycler({
      serving: (run) => this.runs.serving(run),
      reloadsIdle: () => this.reloads.idle(),
      replace: (run) => this.reload(run),
      stopping: options.stopping,
      note: context.note,
    });
  }

  get name(): string {
    return this._spec.name;
  }

  get spec(): AppSpec {
    return this._spec;
  }

  /** Starts its workers, those its depends_on held included. */
  async start(): Promise<void> {
    this.fill();
    this.watch();
    await Promise.all(this.runs.members().map((supervisor) => supervisor.start()));
  }

  hold(state: HoldState, reason: string): void {
    this.fill();
    for (const supervisor of this.runs.members()) supervisor.hold(state, reason);
  }

  async restart(reason: string): Promise<string[]> {
    const members = this.runs.members();
    await Promise.all(members.map((supervisor) => supervisor.restart(reason)));
    return members.map((supervisor) => supervisor.name);
  }

  /**
   * Reloads every worker, or `only`: by the app's reload signal where it has one, else surge-first.
   * `replace` asks for new processes whatever the signal: a signal cannot give a running server a
   * new command or environment.
   */
  reload(only: Supervisor | null, replace = false): Promise<string[]> {
    return this.reloads.run(() => this.reloadNow(only, replace), replace);
  }

  private reloadNow(only: Supervisor | null, replace: boolean): Promise<string[]> {
    const target = this.runs.reloadTarget(only?.name ?? this.name, only);
    const signal = this._spec.reload?.signal;
    return signal && !replace ? signalReload(target, signal) : rollingReload(target);
  }

  /** The proxy sent `member` its limit of `requests`: replace its run surge-first, unless it has restarted since. */
  recycle(run: Supervisor, member: string, requests: number): void {
    if (memberId(run) === member) this.recycler.request(run, requests);
  }

  /** Adds workers (started at once) or removes the highest-numbered ones (drained, then stopped); returns the names after. */
  async scale(replicas: number): Promise<string[]> {
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
      throw new SwitchyardError('bad-request', `replicas must be a whole number from 0 to ${MAX_REPLICAS}, got ${replicas}`);
    }
    const members = this.runs.members();
    if (replicas > members.length) {
      const added = this.runs.add(replicas - members.length);
      // Workers added to an app its depends_on still holds wait with the others.
      const held = members.map((supervisor) => supervisor.info()).find((info) => HELD_STATES.includes(info.state));
      if (held?.reason) for (const supervisor of added) supervisor.hold(held.state as HoldState, held.reason);
      else await Promise.all(added.map((supervisor) => supervisor.start()));
    } else if (replicas < members.length) {
      await this.runs.remove(members.slice(replicas));
    }
    return this.runs.members().map((supervisor) => supervisor.name);
  }

  /**
   * Takes the settings of a changed stack file: running workers take its health timings, restart and
   * stop settings at once. Only what a process runs with needs new processes (the caller reloads for
   * that); the new replica count is the caller's to scale to.
   */
  update(next: AppSpec): void {
    const watchChanged = JSON.stringify(next.watch) !== JSON.stringify(this._spec.watch);
    this._spec = next;
    this.runs.adoptSettings();
    // Workers its depends_on still holds have not run: they start with what the file says now.
    for (const held of this.runs.members().filter((supervisor) => HELD_STATES.includes(supervisor.state))) void this.runs.renew(held);
    if (watchChanged) {
      this.watcher?.dispose();
      this.watcher = null;
      this.watch();
    }
  }

  /** The app's own lines (reloads, scaling) and its workers', present, removed or yet to come. */
  logSources(): SourceFilter {
    const name = this.name;
    return (source) => source === name || parseWorkerName(source)?.app === name;
  }

  async watching(): Promise<void> {
    await this.watcher?.ready;
  }

  dispose(): void {
    this.watcher?.dispose();
    this.watcher = null;
  }

  /** A line in the app's own log: what happened to the app as a whole. */
  note(text: string): void {
    this.context.note(this.name, text);
  }

  /** Creates the workers it is short of (held or not yet started). */
  private fill(): void {
    this.runs.add(Math.max(0, this._spec.replicas - this.runs.members().length));
  }

  private watch(): void {
    if (!this.options.watch || this._spec.watch.length === 0 || this.watcher) return;
    this.watcher = new GlobWatcher(this._spec.cwd, this._spec.watch, (paths) => {
      if (this.options.stopping()) return;
      const shown = paths.length > 3 ? `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more` : paths.join(', ');
      this.note(`${shown} changed: reloading ${this.name}`);
      this.reload(null).then(
        (replaced) => this.note(`reloaded ${replaced.join(', ')}`),
        (error: Error) => this.note(error.message),
      );
    });
  }
}
