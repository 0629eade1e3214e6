// One supervisor per process: it spawns, watches health, restarts with backoff, gives up on a
// crash loop, and stops gracefully. Every state change goes through `transition`, which checks
// the table in states.ts; what follows an exit is restart-policy.ts's to say, what health checks
// mean is the HealthTracker's.

import { HELD_STATES, LIVE_STATES, type ExitInfo, type ProcessInfo, type ProcessRole, type ProcessState } from '../../../shared/process.ts';
import { Emitter } from '../events.ts';
import { HealthProbe, type ProbeResult } from '../health/health-probe.ts';
import { HEALTH_STEPS, HealthTracker } from '../health/health-tracker.ts';
import type { TreeSample } from '../metrics/metrics-sampler.ts';
import { OutputPump } from './output-pump.ts';
import { ProcessFamily } from './process-family.ts';
import { processCommand, processEnvironment, type ProcessSpec, type Spawned, type SupervisorDeps } from './process-spec.ts';
import { newRunMarker, signalProcess } from './process-tree.ts';
import { CALM, decideAfterExit, describeExit, formatMs, type CrashEpisode } from './restart-policy.ts';
import { RunTree } from './run-tree.ts';
import type { SpawnExit } from './spawner.ts';
import { newRunId } from './run-id.ts';
import { IllegalTransitionError, STOPPABLE_STATES, canTransition } from './states.ts';
import type { CheckResult, StateChange } from './supervisor-events.ts';

export type { ProcessSpec, ProcessTracker, Spawned, SupervisorDeps } from './process-spec.ts';
export type { CheckResult, StateChange } from './supervisor-events.ts';

/** Supervises one process through its whole life. */
export class Supervisor {
  private _spec: ProcessSpec;
  private readonly deps: SupervisorDeps;
  private _state: ProcessState = 'stopped';
  private pid: number | null = null;
  private port: number | null = null;
  private startedAt: number | null = null;
  /** Increases with every spawn; callbacks from an older run are ignored. */
  private run = 0;
  /** Restarts the supervisor decided on: after a crash, or of a hung worker. */
  private restarts = 0;
  /** Restarts a person asked for (restart, start after a stop): not a sign of trouble. */
  private manualRestarts = 0;
  private episode: CrashEpisode = CALM;
  /** The run whose exit a person asked for (`expectKill`). */
  private killAskedFor: number | null = null;
  private readonly health: HealthTracker;
  private reason: string | null = null;
  private lastExit: ExitInfo | null = null;
  private lastStderr: string[] = [];
  private output: OutputPump | null = null;
  private probe: HealthProbe | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private exitWaiters: (() => void)[] = [];
  /** What the latest run started, kept after it ended for the kill of any straggler. */
  private tree: RunTree | null = null;
  private readonly family = new ProcessFamily(() => this._spec);
  private _role: ProcessRole = 'member';
  private readonly _id: string;
  /** The name this run is shown by: its spec's name until a successor takes it, then its run id. */
  private label: string;

  private readonly _onStateChange = new Emitter<StateChange>();
  /** Fires after every transition. */
  readonly onStateChange = this._onStateChange.event;
  private readonly _onSpawn = new Emitter<Spawned>();
  /** Fires when a process of this supervisor has been spawned, before its first health check. */
  readonly onSpawn = this._onSpawn.event;
  private readonly _onCheck = new Emitter<CheckResult>();
  /** Fires after every health check, once its verdict is acted on. */
  readonly onCheck = this._onCheck.event;

  constructor(spec: ProcessSpec, deps: SupervisorDeps) {
    this._spec = spec;
    this.deps = deps;
    this.health = new HealthTracker(spec.health);
    this._id = newRunId(spec.app);
    this.label = spec.name;
  }

  /** This run's id (ProcessInfo.id): its own, where its name is shared with its predecessor during a reload. */
  get id(): string {
    return this._id;
  }

  get spec(): ProcessSpec {
    return this._spec;
  }

  get name(): string {
    return this._spec.name;
  }

  /**
   * Takes its pool's current settings (a changed stack file): the next check, exit or stop follows
   * them at once; what it runs with (command, folder, environment, health path) from its next start
   * on, be that a restart, a restart after backoff or a person's start.
   */
  adopt(spec: ProcessSpec): void {
    this._spec = spec;
    this.health.adopt(spec.health);
    this.probe?.adopt(spec.health);
  }

  get role(): ProcessRole {
    return this._role;
  }

  /** The pool moves a run between roles (a surge takes the name, a member leaves); listeners hear of it. */
  setRole(role: ProcessRole): void {
    if (role === this._role) return;
    this._role = role;
    this.emit(this._state, this._state);
  }

  /**
   * A reload's successor took this run's name: from now on it is shown by its run id and leaves, so
   * the last word under `api-2` is the successor's.
   */
  handNameOver(): void {
    this.label = this._id;
    this.setRole('leaving');
  }

  get state(): ProcessState {
    return this._state;
  }

  /** Increases with every spawn; a message from an older run is from a process that is gone. */
  get currentRun(): number {
    return this.run;
  }

  get currentPid(): number | null {
    return this.pid;
  }

  /** The loopback address and port the worker answers on, once it has passed a check. */
  get endpoint(): { host: string; port: number } | null {
    return this.port === null ? null : { host: this.probe?.answeringHost ?? '127.0.0.1', port: this.port };
  }

  info(): ProcessInfo {
    return {
      id: this._id,
      name: this.label,
      role: this._role,
      app: this.spec.app,
      kind: this.spec.kind,
      worker: this.spec.worker,
      state: this._state,
      health: this.health.status,
      pid: this.pid,
      port: this.port,
      restarts: this.restarts,
      manualRestarts: this.manualRestarts,
      startedAt: this.startedAt,
      cpu: this.family.cpu,
      memory: this.family.memory,
      children: this.family.children,
      warnings: this.family.warnings,
      lastExit: this.lastExit,
      lastStderr: this.lastStderr,
      reason: this.reason,
    };
  }

  /** The last stderr lines of the current run so far, or of the last one that ended. */
  recentStderr(): string[] {
    return this.output?.lastStderr() ?? this.lastStderr;
  }

  /** Records a metrics sample of this process tree (from the MetricsSampler); children that came and went are logged. */
  recordUsage(sample: TreeSample | null): void {
    for (const line of this.family.observe(sample)) this.system(line);
  }

  /**
   * The current run is about to be killed because a person asked (a kill from the dashboard): its
   * restart policy decides what follows, but its exit counts toward no crash loop.
   */
  expectKill(): void {
    this.killAskedFor = this.run;
  }

  /** Shows why a run that has not started waits (pools/start-order.ts); one that is alive or has run is left alone. */
  hold(state: 'waiting' | 'blocked', reason: string): void {
    if (this._state !== 'stopped' && !HELD_STATES.includes(this._state)) return;
    if (this._state !== state) return this.transition(state, reason);
    if (this.reason === reason) return;
    // Still held, for another reason (it now waits for the next dependency): no transition, as a health change is none.
    this.reason = reason;
    this.emit(state, state);
  }

  /** Starts the process unless it is already alive. Resolves once it is spawned (not yet ready). */
  async start(): Promise<void> {
    if (LIVE_STATES.includes(this._state)) return;
    this.clearBackoff();
    const run = ++this.run;
    this.health.reset();
    this.transition('starting', null);
    let port: number | null = null;
    if (this.spec.fixedPort !== undefined) {
      port = this.spec.fixedPort;
      this.port = port;
    } else if (this.spec.portEnv !== null) {
      port = await this.deps.ports.allocate();
      // A stop may have arrived while the port was being found.
      if (run !== this.run || this._state !== 'starting') {
        this.deps.ports.release(port);
        return;
      }
      this.port = port;
    }
    const marker = newRunMarker(this.deps.marker);
    const env = processEnvironment(this.spec, port, marker);
    const command = processCommand(this.spec, env);
    if (command.unexpanded.length > 0) this.system(`${command.unexpanded.join(', ')} in the command: not defined in its environment, so passed as empty text`);
    const child = this.deps.spawner({
      argv: command.argv,
      cwd: this.spec.cwd,
      env,
      ...(this.spec.ipc ? { ipc: true } : {}),
    });
    this.pid = child.pid ?? null;
    this.startedAt = Date.now();
    this.tree = this.pid === null ? null : new RunTree(this.pid, marker);
    if (this.pid !== null) this.deps.tracker?.track(this.pid);
    this.output = new OutputPump(child, this.deps.logs.writer(this.spec.name));
    void child.exited.then((exit) => this.onExit(run, exit));
    if (this.pid === null) return;
    this.system(`started pid ${this.pid}${port === null ? '' : ` on port ${port}`}`);
    this._onSpawn.fire({ run, pid: this.pid, child });
    if (port === null) {
      // Nothing to probe: a process that serves no port is ready once it runs; a task is done only when it exits.
      if (this.spec.kind !== 'task') this.transition('ready', null);
      return;
    }
    const check = this.spec.check?.({ run, pid: this.pid, child }) ?? port;
    this.probe = new HealthProbe(check, this.spec.health, (result, number) => this.onProbe(run, result, number), () => this._state === 'starting');
    this.probe.start();
  }

  /**
   * Sends `signal` to the main process only, for the server's own graceful reload. For up to `grace`
   * ms its health is checked at the starting pace until a check passes, and, as while it starts,
   * failing checks are no news: a server re-reading its code may not answer for a moment.
   * Returns the number of checks begun before the signal (a check numbered higher began after it),
   * or null when there is no process to signal.
   */
  signal(signal: NodeJS.Signals, grace: number): number | null {
    const before = this.probe?.checksBegun ?? 0;
    if (this.pid === null || !signalProcess(this.pid, signal)) return null;
    this.system(`sent ${signal} to pid ${this.pid} (reload)`);
    this.probe?.hurry(grace);
    return before;
  }

  /**
   * Stops gracefully: the configured signal to the main process, which stops its own children as a
   * master does; after the timeout the whole tree is killed (run-tree.ts). With `drain`, the process
   * first leaves rotation and `drain` is awaited.
   */
  stop(options: { drain?: () => Promise<void> } = {}): Promise<void> {
    if (this.stopping) return this.stopping;
    if (!STOPPABLE_STATES.includes(this._state)) {
      this.clearBackoff();
      this.run++;
      if (this._state !== 'stopped') this.transition('stopped', null);
      return Promise.resolve();
    }
    this.stopping = this.stopAlive(options.drain).finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  /** Stops (if alive) and starts again; a person's restart also clears a crash loop. */
  async restart(reason = 'restart requested', cause: 'requested' | 'hung' = 'requested'): Promise<void> {
    this.system(reason);
    const wasAlive = this.pid !== null;
    // A process at rest (exited, crashed, failed, backing off) starts straight away; a live one stops first.
    if (LIVE_STATES.includes(this._state)) await this.stop();
    this.episode = CALM;
    if (wasAlive || this.lastExit) {
      if (cause === 'hung') this.restarts++;
      else this.manualRestarts++;
    }
    await this.start();
  }

  /** Kills the whole tree at once, without the graceful signal (the second Ctrl-C). */
  async kill(): Promise<void> {
    const alive = this.pid !== null;
    const tree = this.tree;
    const stopped = this.stop();
    if (alive) await tree?.kill();
    else tree?.killEscaped();
    return stopped;
  }

  private async stopAlive(drain: (() => Promise<void>) | undefined): Promise<void> {
    if (drain && (this._state === 'ready' || this._state === 'unhealthy')) {
      this.transition('draining', 'leaving rotation');
      await drain();
    }
    // It may have ended on its own while draining; onExit then finished the stop.
    if (!STOPPABLE_STATES.includes(this._state)) return;
    this.probe?.stop();
    const tree = this.pid === null ? null : this.tree;
    this.transition('stopping', `stopping with ${this.spec.stop.signal}`);
    if (tree === null) {
      // Still finding a port: the start will see the new run number and give up.
      this.run++;
      this.transition('stopped', null);
      return;
    }
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    const { signal, timeout } = this.spec.stop;
    await tree.stop(signal, timeout, exited, () => this.system(`did not stop within ${timeout}ms; killing its process tree`));
  }

  private onExit(run: number, exit: SpawnExit): void {
    if (run !== this.run && this._state !== 'stopping') return;
    const pid = this.pid;
    if (pid !== null) this.deps.tracker?.untrack(pid);
    this.probe?.stop();
    this.probe = null;
    const now = Date.now();
    const uptime = this.startedAt === null ? 0 : now - this.startedAt;
    this.lastExit = { code: exit.code, signal: exit.signal, at: now, uptime };
    this.lastStderr = this.output?.lastStderr() ?? [];
    if (this.port !== null && this.spec.fixedPort === undefined) this.deps.ports.release(this.port);
    this.pid = null;
    this.port = null;
    this.startedAt = null;
    this.family.reset();
    this.health.reset();
    const waiters = this.exitWaiters.splice(0);

    if (this._state === 'stopping') {
      this.system(`stopped (${describeExit(exit)})`);
      this.transition('stopped', null);
      for (const resolve of waiters) resolve();
      return;
    }
    if (pid !== null) void this.tree?.reap();

    const clean = exit.code === 0;
    const ended = clean ? 'exited' : 'crashed';
    const reason = describeExit(exit);
    if (this.stopping) {
      // Ended on its own while draining for a requested stop: the stop is complete.
      this.system(`${ended} while draining: ${reason}`);
      this.transition(ended, reason);
      this.transition('stopped', null);
      for (const resolve of waiters) resolve();
      return;
    }
    const cannotStart = exit.error ? `could not start ${this.spec.argv[0]}: ${exit.error.message}` : null;
    const askedFor = this.killAskedFor === run;
    const { next, episode } = decideAfterExit(this.spec, { code: exit.code, signal: exit.signal, at: now, cannotStart, askedFor }, uptime, this.episode);
    this.episode = episode;
    if (cannotStart !== null) {
      this.system(cannotStart);
      this.transition('crashed', cannotStart);
    } else {
      this.system(`${ended}: ${reason} after ${formatMs(uptime)}`);
      this.transition(ended, reason);
    }
    switch (next.action) {
      case 'rest':
        return;
      case 'fail':
        if (cannotStart === null) this.system(next.reason);
        this.transition('failed', next.reason);
        return;
      case 'backoff':
        this.transition('backoff', `restarting in ${formatMs(next.delay)}`);
        this.backoffTimer = setTimeout(() => {
          this.backoffTimer = null;
          this.restarts++;
          void this.start();
        }, next.delay);
    }
  }

  private onProbe(run: number, result: ProbeResult, check: number): void {
    if (run !== this.run) return;
    const verdict = !result.ok && this.probe?.hurried ? 'nothing' : this.health.record(result.busy ? 'busy' : result.ok, this._state);
    switch (verdict) {
      case 'ready':
      case 'unhealthy':
      case 'healthy-again': {
        const step = HEALTH_STEPS[verdict];
        this.system(`${step.says}: ${result.detail}`);
        this.transition(step.to, result.detail);
        break;
      }
      case 'hung':
        void this.restart(`hung: ${this.health.fails} health checks failed in a row (restart_after ${this.spec.health.restartAfter}); last: ${result.detail}`, 'hung');
        break;
      case 'status-changed':
        // Busy is news worth a line (why it stays in rotation while its checks time out); passing and failing show in the UI.
        if (result.busy) this.system(`busy: ${result.detail}`);
        this.emit(this._state, this._state);
        break;
      case 'nothing':
        break;
    }
    this._onCheck.fire({ run, check, ok: result.ok, detail: result.detail });
  }

  private transition(to: ProcessState, reason: string | null): void {
    const from = this._state;
    if (!canTransition(from, to)) throw new IllegalTransitionError(this.spec.name, from, to);
    this._state = to;
    this.reason = reason;
    this.emit(from, to);
  }

  private emit(from: ProcessState, to: ProcessState): void {
    this._onStateChange.fire({ from, to, info: this.info(), episode: this.episode });
  }

  private clearBackoff(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
  }

  private system(text: string): void {
    this.deps.logs.append(this.spec.name, 'system', text);
  }
}
