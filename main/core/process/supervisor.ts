// One supervisor per process: it spawns, watches health, restarts with backoff, gives up on a
// crash loop, and stops gracefully. Every state change goes through `transition`, which checks
// the table in states.ts.

import { LIVE_STATES, type ExitInfo, type HealthStatus, type ProcessInfo, type ProcessKind, type ProcessRole, type ProcessState } from '../../../shared/process.ts';
import type { AppSpec } from '../../../shared/stack.ts';
import { Emitter } from '../events.ts';
import { HealthProbe, type ProbeCheck, type ProbeResult } from '../health/health-probe.ts';
import { LineSplitter } from '../logs/line-splitter.ts';
import type { LogStore } from '../logs/log-store.ts';
import { RingBuffer } from '../logs/ring-buffer.ts';
import type { PortAllocator } from './port-allocator.ts';
import { newRunId } from './run-id.ts';
import { RUN_MARKER_VARIABLE, groupHasLiveMembers, isAlive, killMarked, killTree, markedProcesses, signalGroup, signalProcess } from './process-tree.ts';
import type { SpawnExit, SpawnedProcess, Spawner } from './spawner.ts';
import { IllegalTransitionError, STOPPABLE_STATES, canTransition } from './states.ts';

/** What a supervisor runs: an app's settings plus the identity of this one process. */
export type ProcessSpec = Pick<
  AppSpec,
  'argv' | 'cwd' | 'env' | 'portEnv' | 'health' | 'restart' | 'backoff' | 'maxRestarts' | 'minUptime' | 'stop'
> & {
  /** `api-2`, `proxy`, `web`. */
  name: string;
  app: string;
  kind: ProcessKind;
  worker: number;
  /** A port the process binds itself (the proxy's listen port) instead of one allocated for it. */
  fixedPort?: number;
  /** Open a Node IPC channel to it (Switchyard's own processes only). */
  ipc?: boolean;
  /**
   * Variables of the runtime that runs Switchyard's own processes (the proxy, static sites), set
   * after the environment is scrubbed; user processes never have any.
   */
  runtimeEnv?: Readonly<Record<string, string>>;
  /**
   * A health check of the process's own instead of probing its port: the proxy's port may be
   * answered by the kernel's accept queue of a stopped process, or by another instance.
   */
  check?: (spawned: Spawned) => ProbeCheck;
};

/** A process that has just been spawned, with its channel when it has one. */
export interface Spawned {
  /** Which run of the supervisor this is; compare with a later one to ignore stale messages. */
  run: number;
  pid: number;
  child: SpawnedProcess;
}

/** Told about every pid so that it can kill them if the orchestrator dies (the watchdog). */
export interface ProcessTracker {
  track(pid: number): void;
  untrack(pid: number): void;
}

/** What a supervisor needs from its surroundings. */
export interface SupervisorDeps {
  spawner: Spawner;
  logs: LogStore;
  ports: PortAllocator;
  tracker?: ProcessTracker;
  /**
   * The stack's id. Every process is started with `SWITCHYARD_RUN=<id>.<n>`, which its descendants
   * inherit, so that those that escaped its group are still found and stopped.
   */
  marker?: string;
}

/** Numbers the runs of every supervisor in this process, so that each run's marker is its own. */
let runsStarted = 0;


/** A state change, with the snapshot after it. */
export interface StateChange {
  from: ProcessState;
  to: ProcessState;
  info: ProcessInfo;
}

/** How many stderr lines a crashed or failed process reports. */
export const STDERR_TAIL_LINES = 20;

/**
 * Variables no process inherits (they would turn an Electron binary into Node); Switchyard's own
 * processes get back what their runtime needs through `runtimeEnv`.
 */
const SCRUBBED_ENV = ['ELECTRON_RUN_AS_NODE', 'ELECTRON_NO_ATTACH_CONSOLE'];

/** Supervises one process through its whole life. */
export class Supervisor {
  readonly spec: ProcessSpec;
  private readonly deps: SupervisorDeps;
  private _state: ProcessState = 'stopped';
  private pid: number | null = null;
  private port: number | null = null;
  private startedAt: number | null = null;
  /** Increases with every spawn; callbacks from an older run are ignored. */
  private run = 0;
  private restarts = 0;
  private quickExits = 0;
  private passes = 0;
  private fails = 0;
  private health: HealthStatus = 'unknown';
  private reason: string | null = null;
  private lastExit: ExitInfo | null = null;
  private lastStderr: string[] = [];
  private stderrTail = new RingBuffer<string>(STDERR_TAIL_LINES);
  private probe: HealthProbe | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private exitWaiters: (() => void)[] = [];
  private descendants = new Set<number>();
  /** The current run's SWITCHYARD_RUN value, when the stack has a marker. */
  private runMarker: string | null = null;
  private usage: { cpu: number; memory: number } | null = null;
  private _role: ProcessRole = 'member';
  private readonly _id: string;

  private readonly _onStateChange = new Emitter<StateChange>();
  /** Fires after every transition. */
  readonly onStateChange = this._onStateChange.event;
  private readonly _onSpawn = new Emitter<Spawned>();
  /** Fires when a process of this supervisor has been spawned, before its first health check. */
  readonly onSpawn = this._onSpawn.event;

  constructor(spec: ProcessSpec, deps: SupervisorDeps) {
    this.spec = spec;
    this.deps = deps;
    this._id = newRunId(spec.app);
  }

  /** This run's id (ProcessInfo.id): its own, where its name is shared with its predecessor during a reload. */
  get id(): string {
    return this._id;
  }

  get name(): string {
    return this.spec.name;
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
      name: this.spec.name,
      role: this._role,
      app: this.spec.app,
      kind: this.spec.kind,
      worker: this.spec.worker,
      state: this._state,
      health: this.health,
      pid: this.pid,
      port: this.port,
      restarts: this.restarts,
      startedAt: this.startedAt,
      cpu: this.usage?.cpu ?? null,
      memory: this.usage?.memory ?? null,
      lastExit: this.lastExit,
      lastStderr: this.lastStderr,
      reason: this.reason,
    };
  }

  /** Records a metrics sample of this process tree (from the MetricsSampler). */
  recordUsage(usage: { cpu: number; memory: number } | null, descendants: readonly number[]): void {
    this.usage = usage;
    // Remembered so that a descendant that left the process group can still be killed after the worker died.
    this.descendants = new Set(descendants);
  }

  /** Starts the process unless it is already alive. Resolves once it is spawned (not yet ready). */
  async start(): Promise<void> {
    if (LIVE_STATES.includes(this._state)) return;
    this.clearBackoff();
    const run = ++this.run;
    this.passes = 0;
    this.fails = 0;
    this.health = 'unknown';
    this.stderrTail.clear();
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
    this.runMarker = this.deps.marker === undefined ? null : `${this.deps.marker}.${++runsStarted}`;
    const child = this.deps.spawner({
      argv: this.spec.argv,
      cwd: this.spec.cwd,
      env: this.environment(port),
      ...(this.spec.ipc ? { ipc: true } : {}),
    });
    this.pid = child.pid ?? null;
    this.startedAt = Date.now();
    if (this.pid !== null) this.deps.tracker?.track(this.pid);
    this.drain(child);
    void child.exited.then((exit) => this.onExit(run, exit));
    if (this.pid === null) return;
    this.system(`started pid ${this.pid}${port === null ? '' : ` on port ${port}`}`);
    this._onSpawn.fire({ run, pid: this.pid, child });
    if (port === null) {
      // Nothing to probe: a process that serves no port is ready once it runs.
      this.transition('ready', null);
      return;
    }
    const check = this.spec.check?.({ run, pid: this.pid, child }) ?? port;
    this.probe = new HealthProbe(check, this.spec.health, (result) => this.onProbe(run, result));
    this.probe.start();
  }

  /**
   * Stops gracefully: the configured signal to the process group, then after the timeout the whole
   * tree is killed. With `drain`, the process first leaves rotation and `drain` is awaited.
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
  async restart(reason = 'restart requested'): Promise<void> {
    this.system(reason);
    const wasAlive = this.pid !== null;
    // A process at rest (exited, crashed, failed, backing off) starts straight away; a live one stops first.
    if (LIVE_STATES.includes(this._state)) await this.stop();
    this.quickExits = 0;
    if (wasAlive || this.lastExit) this.restarts++;
    await this.start();
  }

  /** Kills the whole tree at once, without the graceful signal (the second Ctrl-C). */
  async kill(): Promise<void> {
    const pid = this.pid;
    const stopped = this.stop();
    if (pid !== null) await killTree(pid, this.descendants);
    this.killEscaped();
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
    const pid = this.pid;
    this.transition('stopping', `stopping with ${this.spec.stop.signal}`);
    if (pid === null) {
      // Still finding a port: the start will see the new run number and give up.
      this.run++;
      this.transition('stopped', null);
      return;
    }
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    const deadline = Date.now() + this.spec.stop.timeout;
    signalGroup(pid, this.spec.stop.signal);
    // Descendants that left the group do not get the group's signal; they get their own.
    for (const escaped of this.escaped(pid)) signalProcess(escaped, this.spec.stop.signal);
    const timer = setTimeout(() => {
      this.system(`did not stop within ${this.spec.stop.timeout}ms; killing its process tree`);
      void killTree(pid, this.descendants);
      this.killEscaped();
    }, this.spec.stop.timeout);
    await exited;
    clearTimeout(timer);
    // The main process is gone; what it started got the same signal and has the rest of the timeout.
    while (Date.now() < deadline && (groupHasLiveMembers(pid) || this.escaped(pid).length > 0)) await new Promise((r) => setTimeout(r, 50));
    await this.reapLeftovers(pid);
  }

  /** Live descendants of this run outside the process group of `pid`, found by their marker. */
  private escaped(pid: number): number[] {
    if (this.runMarker === null) return [];
    return markedProcesses(this.runMarker)
      .filter((each) => each.pgid !== pid)
      .map((each) => each.pid);
  }

  /** SIGKILLs whatever carries this run's marker. */
  private killEscaped(): void {
    if (this.runMarker !== null) killMarked(this.runMarker);
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
    this.lastStderr = this.stderrTail.last();
    if (this.port !== null && this.spec.fixedPort === undefined) this.deps.ports.release(this.port);
    this.pid = null;
    this.port = null;
    this.startedAt = null;
    this.usage = null;
    this.health = 'unknown';
    const waiters = this.exitWaiters.splice(0);

    if (this._state === 'stopping') {
      this.system(`stopped (${describeExit(exit)})`);
      this.transition('stopped', null);
      for (const resolve of waiters) resolve();
      return;
    }
    if (pid !== null) void this.reapLeftovers(pid);

    const clean = exit.code === 0;
    const reason = describeExit(exit);
    if (this.stopping) {
      // Ended on its own while draining for a requested stop: the stop is complete.
      this.system(`${clean ? 'exited' : 'crashed'} while draining: ${reason}`);
      this.transition(clean ? 'exited' : 'crashed', reason);
      this.transition('stopped', null);
      for (const resolve of waiters) resolve();
      return;
    }
    if (exit.error) {
      // Retrying a program that cannot be started only repeats the same error.
      const reason = `could not start ${this.spec.argv[0]}: ${exit.error.message}`;
      this.system(reason);
      this.transition('crashed', reason);
      this.transition('failed', reason);
      return;
    }

    this.system(`${clean ? 'exited' : 'crashed'}: ${reason} after ${formatMs(uptime)}`);
    this.transition(clean ? 'exited' : 'crashed', reason);
    const policy = this.spec.restart;
    if (policy === 'never' || (policy === 'on-failure' && clean)) return;

    this.quickExits = uptime < this.spec.minUptime ? this.quickExits + 1 : 0;
    if (this.quickExits > this.spec.maxRestarts) {
      const why = `crash loop: exited ${this.quickExits} times in a row, each within ${formatMs(this.spec.minUptime)} (max_restarts ${this.spec.maxRestarts}); last: ${reason}`;
      this.system(why);
      this.transition('failed', why);
      return;
    }
    const delay = Math.min(this.spec.backoff.initial * 2 ** Math.max(0, this.quickExits - 1), this.spec.backoff.max);
    this.transition('backoff', `restarting in ${formatMs(delay)}`);
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = null;
      this.restarts++;
      void this.start();
    }, delay);
  }

  private onProbe(run: number, result: ProbeResult): void {
    if (run !== this.run) return;
    if (result.ok) {
      this.passes++;
      this.fails = 0;
    } else {
      this.fails++;
      this.passes = 0;
    }
    const health: HealthStatus = result.ok ? 'passing' : 'failing';
    const { healthyAfter, unhealthyAfter, restartAfter } = this.spec.health;
    const changed = health !== this.health;
    this.health = health;
    switch (this._state) {
      case 'starting':
        if (this.passes >= healthyAfter) {
          this.system(`ready: ${result.detail}`);
          this.transition('ready', result.detail);
        }
        return;
      case 'ready':
        if (this.fails >= unhealthyAfter) {
          this.system(`unhealthy: ${result.detail}`);
          this.transition('unhealthy', result.detail);
        } else if (changed) this.emit(this._state, this._state);
        return;
      case 'unhealthy':
        if (this.passes >= healthyAfter) {
          this.system(`healthy again: ${result.detail}`);
          this.transition('ready', result.detail);
        } else if (this.fails >= restartAfter) {
          void this.restart(`hung: ${this.fails} health checks failed in a row (restart_after ${restartAfter}); last: ${result.detail}`);
        } else if (changed) this.emit(this._state, this._state);
        return;
      default:
        return;
    }
  }

  private transition(to: ProcessState, reason: string | null): void {
    const from = this._state;
    if (!canTransition(from, to)) throw new IllegalTransitionError(this.spec.name, from, to);
    this._state = to;
    this.reason = reason;
    this.emit(from, to);
  }

  private emit(from: ProcessState, to: ProcessState): void {
    this._onStateChange.fire({ from, to, info: this.info() });
  }

  private environment(port: number | null): Record<string, string> {
    const env: Record<string, string> = { ...this.spec.env };
    for (const key of SCRUBBED_ENV) delete env[key];
    Object.assign(env, this.spec.runtimeEnv);
    if (this.spec.portEnv !== null && port !== null && this.spec.fixedPort === undefined) env[this.spec.portEnv] = String(port);
    if (this.runMarker !== null) env[RUN_MARKER_VARIABLE] = this.runMarker;
    env.SWITCHYARD_APP = this.spec.app;
    env.SWITCHYARD_WORKER = String(this.spec.worker);
    return env;
  }

  /** Reads stdout and stderr to the end, always: a full pipe would block the child. */
  private drain(child: SpawnedProcess): void {
    const write = this.deps.logs.writer(this.spec.name);
    // One clock read per chunk, not per line: a chunk's lines arrived together.
    let now = 0;
    const out = new LineSplitter((text) => write('stdout', text, now));
    const err = new LineSplitter((text) => {
      this.stderrTail.push(text);
      write('stderr', text, now);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      now = Date.now();
      out.push(chunk);
    });
    child.stdout.on('end', () => out.flush());
    child.stdout.on('error', () => out.flush());
    child.stderr.on('data', (chunk: Buffer) => {
      now = Date.now();
      err.push(chunk);
    });
    child.stderr.on('end', () => err.flush());
    child.stderr.on('error', () => err.flush());
  }

  /** Whatever the process started and left behind dies with it: no orphans. */
  private async reapLeftovers(pid: number): Promise<void> {
    const survivors = [...this.descendants].filter(isAlive);
    this.descendants.clear();
    const marker = this.runMarker;
    if (groupHasLiveMembers(pid) || survivors.length > 0) await killTree(pid, survivors);
    if (marker !== null) killMarked(marker);
  }

  private clearBackoff(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
  }

  private system(text: string): void {
    this.deps.logs.append(this.spec.name, 'system', text);
  }
}

function describeExit(exit: SpawnExit): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
