// A task's pool: one run of a command to completion (a migration, an asset build), named after the
// task. It is never restarted on its own (restart: never); a person runs it again (`switchyard
// restart migrate`, Run again in the dashboard), and a changed stack file runs it again with its new
// settings. Apps wait for it through depends_on (start-order.ts).

import { HELD_STATES } from '../../../shared/process.ts';
import type { TaskSpec } from '../../../shared/stack.ts';
import type { SourceFilter } from '../logs/log-store.ts';
import type { Supervisor } from '../process/supervisor.ts';
import type { Pool } from './pool.ts';
import { RunSet, type PoolContext, type ProcessSettings } from './run-set.ts';
import type { HoldState } from './start-order.ts';

/** How a task runs: its program, no port, never restarted, stopped as an app is by default. */
export function taskSettings(task: TaskSpec): ProcessSettings {
  return {
    argv: task.argv,
    cwd: task.cwd,
    env: task.env,
    portEnv: null,
    // Never probed: a task serves no port.
    health: { path: null, interval: 1000, startInterval: 1000, timeout: 1000, healthyAfter: 1, unhealthyAfter: 1, restartAfter: 1 },
    restart: 'never',
    backoff: { initial: 0, max: 0 },
    maxRestarts: 0,
    minUptime: 0,
    stop: { signal: 'SIGTERM', timeout: 10_000 },
  };
}

/** The run of one task. */
export class TaskPool implements Pool {
  readonly kind = 'task';
  readonly runs: RunSet;
  private _spec: TaskSpec;
  /** The stack file changed the task since its run was created: the next run is a new one with the new settings. */
  private changed = false;

  constructor(spec: TaskSpec, context: PoolContext) {
    this._spec = spec;
    this.runs = new RunSet({ pool: spec.name, kind: 'task', name: () => this._spec.name, settings: () => taskSettings(this._spec) }, context);
  }

  get name(): string {
    return this._spec.name;
  }

  get spec(): TaskSpec {
    return this._spec;
  }

  /** Runs the task (once: a run that has ended stays ended until a person runs it again). */
  async start(): Promise<void> {
    await this.run().start();
  }

  hold(state: HoldState, reason: string): void {
    this.run().hold(state, reason);
  }

  /** Runs the task again, stopping a run still going; returns its name. */
  async restart(reason: string): Promise<string[]> {
    let run = this.run();
    if (this.changed) {
      this.changed = false;
      run = await this.runs.renew(run);
      await run.start();
    } else await run.restart(reason);
    return [run.name];
  }

  /** A changed stack file's run with the new settings; a run its depends_on still holds only takes them. */
  async reload(): Promise<string[]> {
    if (HELD_STATES.includes(this.run().state)) {
      this.changed = false;
      await this.runs.renew(this.run());
      return [];
    }
    return this.restart('its settings changed');
  }

  /** Takes the task's changed settings; the caller reloads to run it with them. */
  update(next: TaskSpec): void {
    this._spec = next;
    this.changed = true;
  }

  logSources(): SourceFilter {
    return new Set([this.name]);
  }

  async watching(): Promise<void> {}

  dispose(): void {}

  private run(): Supervisor {
    return this.runs.members()[0] ?? (this.runs.add(1)[0] as Supervisor);
  }
}
