// The orchestrator: every app's pool of worker supervisors, one log store, one metrics sampler.
// It has no idea how it is driven: the CLI, the control API and tests all call these methods.

import type { ProcessInfo } from '../../shared/process.ts';
import type { AppSpec, StackSpec } from '../../shared/stack.ts';
import { SwitchyardError } from './errors.ts';
import { Emitter } from './events.ts';
import { DEFAULT_RETAINED_LINES, LogStore, type SourceFilter } from './logs/log-store.ts';
import { MetricsSampler, SAMPLE_INTERVAL_MS } from './metrics/metrics-sampler.ts';
import { PortAllocator } from './process/port-allocator.ts';
import { execaSpawner, type Spawner } from './process/spawner.ts';
import { Supervisor, type ProcessTracker, type StateChange, type SupervisorDeps } from './process/supervisor.ts';

/** What a Stack may be given instead of the defaults. */
export interface StackOptions {
  spawner?: Spawner;
  /** Learns every pid (the watchdog). */
  tracker?: ProcessTracker;
  /** Log lines kept per process. */
  retainedLines?: number;
  metricsInterval?: number;
  /** The environment workers inherit beneath their own `env` (process.env by default). */
  baseEnv?: NodeJS.ProcessEnv;
}

/** The workers of one app. */
class AppPool {
  readonly spec: AppSpec;
  /** Worker number → supervisor. */
  readonly workers = new Map<number, Supervisor>();

  constructor(spec: AppSpec) {
    this.spec = spec;
  }

  /** Worker numbers in order. */
  sorted(): Supervisor[] {
    return [...this.workers.entries()].sort(([a], [b]) => a - b).map(([, supervisor]) => supervisor);
  }

  /** The lowest numbers not in use, so names stay short and stable across scaling. */
  freeNumbers(count: number): number[] {
    const out: number[] = [];
    for (let n = 1; out.length < count; n++) if (!this.workers.has(n)) out.push(n);
    return out;
  }
}

/** A running stack of supervised processes. */
export class Stack {
  readonly spec: StackSpec;
  readonly logs: LogStore;
  private readonly deps: SupervisorDeps;
  private readonly pools = new Map<string, AppPool>();
  private readonly sampler: MetricsSampler;
  private stopping: Promise<void> | null = null;
  /** Workers removed by a scale-down that are still on their way out. */
  private readonly leaving = new Set<Supervisor>();
  private readonly baseEnv: Record<string, string>;

  private readonly _onProcessChange = new Emitter<StateChange>();
  /** Fires on every state or health change of any process. */
  readonly onProcessChange = this._onProcessChange.event;
  private readonly _onMetrics = new Emitter<ProcessInfo[]>();
  /** Fires after each metrics sample with every process's snapshot. */
  readonly onMetrics = this._onMetrics.event;
  private readonly _onProcessRemoved = new Emitter<string>();
  /** Fires with a process name when scaling down removed it. */
  readonly onProcessRemoved = this._onProcessRemoved.event;

  constructor(spec: StackSpec, options: StackOptions = {}) {
    this.spec = spec;
    this.logs = new LogStore(options.retainedLines ?? DEFAULT_RETAINED_LINES);
    this.deps = {
      spawner: options.spawner ?? execaSpawner,
      logs: this.logs,
      ports: new PortAllocator(),
      ...(options.tracker ? { tracker: options.tracker } : {}),
    };
    this.baseEnv = definedOnly(options.baseEnv ?? process.env);
    for (const app of spec.apps) this.pools.set(app.name, new AppPool(app));
    this.sampler = new MetricsSampler(
      () => this.supervisors(),
      () => this._onMetrics.fire(this.processes()),
      options.metricsInterval ?? SAMPLE_INTERVAL_MS,
    );
  }

  /** Spawns every worker of every app; resolves once all are spawned (not yet ready). */
  async start(): Promise<void> {
    for (const pool of this.pools.values()) this.addWorkers(pool, pool.spec.replicas);
    this.sampler.start();
    await Promise.all(this.supervisors().map((supervisor) => supervisor.start()));
  }

  /** Stops everything gracefully, in parallel. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.sampler.stop();
      await Promise.all([...this.supervisors(), ...this.leaving].map((supervisor) => supervisor.stop()));
    })();
    return this.stopping;
  }

  /** Kills every process tree now (a second Ctrl-C). */
  async kill(): Promise<void> {
    this.sampler.stop();
    await Promise.all([...this.supervisors(), ...this.leaving].map((supervisor) => supervisor.kill()));
  }

  get isStopping(): boolean {
    return this.stopping !== null;
  }

  processes(): ProcessInfo[] {
    return this.supervisors().map((supervisor) => supervisor.info());
  }

  /** Restarts a worker (`api-2`), an app's workers (`api`), or everything (`all`). */
  async restart(target: string): Promise<string[]> {
    this.refuseWhileStopping();
    const supervisors = this.resolve(target);
    await Promise.all(supervisors.map((supervisor) => supervisor.restart(`restart requested for ${target}`)));
    return supervisors.map((supervisor) => supervisor.name);
  }

  /** Adds workers (started at once) or removes the highest-numbered ones (drained, then stopped). */
  async scale(app: string, replicas: number): Promise<string[]> {
    this.refuseWhileStopping();
    const pool = this.pools.get(app);
    if (!pool) throw new SwitchyardError('not-found', `no app named '${app}'; apps: ${[...this.pools.keys()].join(', ') || 'none'}`);
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 256) {
      throw new SwitchyardError('bad-request', `replicas must be a whole number from 0 to 256, got ${replicas}`);
    }
    const current = pool.sorted();
    if (replicas > current.length) {
      const added = this.addWorkers(pool, replicas - current.length);
      await Promise.all(added.map((supervisor) => supervisor.start()));
    } else if (replicas < current.length) {
      const removed = current.slice(replicas);
      // Out of the pool first, so nothing routes to a worker that is on its way out.
      for (const supervisor of removed) {
        pool.workers.delete(supervisor.spec.worker);
        this.leaving.add(supervisor);
      }
      await Promise.all(removed.map((supervisor) => supervisor.stop({ drain: async () => {} }).finally(() => this.leaving.delete(supervisor))));
      for (const supervisor of removed) this._onProcessRemoved.fire(supervisor.name);
    }
    return pool.sorted().map((supervisor) => supervisor.name);
  }

  /**
   * Which processes a log query for `name` covers: an app's workers, present, removed or yet to be
   * added by scaling; one process, running or with retained lines; or everything. Throws for an unknown name.
   */
  logSources(name: string | undefined): SourceFilter {
    if (name === undefined || name === '' || name === 'all') return null;
    if (this.pools.has(name)) {
      const prefix = `${name}-`;
      return (source) => source.startsWith(prefix) && /^\d+$/.test(source.slice(prefix.length));
    }
    if (this.find(name) || this.logs.sources().includes(name)) return new Set([name]);
    throw this.notFound(name);
  }

  /** Samples CPU and memory now rather than at the next interval. */
  sampleMetrics(): Promise<void> {
    return this.sampler.sampleNow();
  }

  find(name: string): Supervisor | undefined {
    return this.supervisors().find((supervisor) => supervisor.name === name);
  }

  private resolve(target: string): Supervisor[] {
    if (target === 'all') return this.supervisors();
    const pool = this.pools.get(target);
    if (pool) return pool.sorted();
    const one = this.find(target);
    if (one) return [one];
    throw this.notFound(target);
  }

  private notFound(name: string): SwitchyardError {
    const known = [...this.pools.keys(), ...this.supervisors().map((supervisor) => supervisor.name)];
    return new SwitchyardError('not-found', `no app or process named '${name}'; known: ${known.join(', ')}, all`);
  }

  private refuseWhileStopping(): void {
    if (this.stopping) throw new SwitchyardError('bad-request', 'the stack is stopping');
  }

  private supervisors(): Supervisor[] {
    return [...this.pools.values()].flatMap((pool) => pool.sorted());
  }

  private addWorkers(pool: AppPool, count: number): Supervisor[] {
    return pool.freeNumbers(count).map((worker) => {
      const { spec } = pool;
      const supervisor = new Supervisor(
        {
          name: `${spec.name}-${worker}`,
          app: spec.name,
          kind: 'worker',
          worker,
          argv: spec.argv,
          cwd: spec.cwd,
          env: { ...this.baseEnv, ...spec.env },
          portEnv: spec.portEnv,
          health: spec.health,
          restart: spec.restart,
          backoff: spec.backoff,
          maxRestarts: spec.maxRestarts,
          minUptime: spec.minUptime,
          stop: spec.stop,
        },
        this.deps,
      );
      supervisor.onStateChange((change) => this._onProcessChange.fire(change));
      pool.workers.set(worker, supervisor);
      return supervisor;
    });
  }
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
