// The runs of one pool: the members that hold its names (one per worker number), the surge
// replacements a reload started, and the leaving runs that finish their requests before they stop.
// Every change of who is where is published to the proxy at once.

import { HELD_STATES, type ProcessInfo } from '../../../shared/process.ts';
import type { MemberLoad, UpstreamMember } from '../../../shared/proxy.ts';
import type { AppSpec } from '../../../shared/stack.ts';
import type { Disposable } from '../events.ts';
import { busyAwareCheck } from '../health/busy-check.ts';
import { Supervisor, type ProcessSpec, type StateChange, type SupervisorDeps } from '../process/supervisor.ts';
import type { ReloadTarget } from '../reload/reload-target.ts';
import type { HoldState } from './start-order.ts';

/** What a pool's processes run with: an app's settings, or those of a static site's server. */
export type ProcessSettings = Pick<AppSpec, 'argv' | 'cwd' | 'env' | 'portEnv' | 'health' | 'restart' | 'backoff' | 'maxRestarts' | 'minUptime' | 'stop'>;

/** What a pool needs from the stack around it. */
export interface PoolContext {
  deps: SupervisorDeps;
  /** The environment every process inherits beneath its pool's own `env`. */
  baseEnv: Readonly<Record<string, string>>;
  /** The proxy learns who is in rotation for `pool` now. */
  publish(pool: string): void;
  /** Resolves true once the proxy has no request in flight on `member`; null when there is no proxy. */
  drained(member: string, timeout: number): Promise<boolean> | null;
  /** What the proxy has under way on `member`; null when there is no proxy. */
  load(member: string): Promise<MemberLoad | null> | null;
  /** Every state, health or role change of any run. */
  changed(change: StateChange): void;
  /** A run left the pool for good (replaced, scaled away, or its pool removed). */
  removed(info: ProcessInfo): void;
  /** A line in the log of `source` from Switchyard itself. */
  note(source: string, text: string): void;
}

/** How a pool names and builds its runs. */
export interface RunShape {
  /** The app or static site. */
  pool: string;
  kind: 'worker' | 'static' | 'task';
  /** The process name of worker `n`. */
  name(worker: number): string;
  settings(): ProcessSettings;
  /** Variables of Switchyard's own runtime, for processes that are Switchyard's own (static sites). */
  runtimeEnv?: Readonly<Record<string, string>>;
  /** The requests after which the proxy reports `run` due for recycling; undefined for no limit. */
  requestLimit?(run: Supervisor): number | undefined;
}

/**
 * What every worker's environment holds unless the user's environment, `env` or `env_file` says
 * otherwise: Python writes to a pipe in 8 KiB blocks, so a `print()` would show only much later.
 */
export const WORKER_DEFAULT_ENV: Readonly<Record<string, string>> = { PYTHONUNBUFFERED: '1' };

/** A member id is unique per run and per pid, so a restarted worker starts with a clean record. */
export function memberId(supervisor: Supervisor): string {
  const pid = supervisor.currentPid;
  return pid === null ? supervisor.id : `${supervisor.id}@${pid}`;
}

/** The supervised runs of one pool. */
export class RunSet {
  private readonly shape: RunShape;
  private readonly context: PoolContext;
  /** Worker number → the run that holds its name. */
  private readonly holders = new Map<number, Supervisor>();
  private readonly surging = new Set<Supervisor>();
  private readonly leaving = new Set<Supervisor>();
  /** Each run's subscription, disposed when the run leaves. */
  private readonly subscriptions = new Map<Supervisor, Disposable>();

  constructor(shape: RunShape, context: PoolContext) {
    this.shape = shape;
    this.context = context;
  }

  /** The runs that hold a name, in worker order. */
  members(): Supervisor[] {
    return [...this.holders.entries()].sort(([a], [b]) => a - b).map(([, supervisor]) => supervisor);
  }

  /** Every run: name holders first (so a lookup by name finds the holder), then surge, then leaving. */
  all(): Supervisor[] {
    return [...this.members(), ...this.surging, ...this.leaving];
  }

  /** Creates `count` members with the lowest free numbers (names stay short across scaling); not started. */
  add(count: number): Supervisor[] {
    const added: Supervisor[] = [];
    for (let n = 1; added.length < count; n++) {
      if (this.holders.has(n)) continue;
      const supervisor = this.create(n);
      this.holders.set(n, supervisor);
      added.push(supervisor);
    }
    return added;
  }

  /** The members the proxy routes to: every run with a worker number, in worker order. */
  upstream(): UpstreamMember[] {
    const runs = this.all().sort((a, b) => a.spec.worker - b.spec.worker);
    return runs.map((supervisor) => {
      const endpoint = supervisor.endpoint;
      const state = supervisor.state === 'ready' ? 'ready' : supervisor.state === 'draining' ? 'draining' : 'down';
      const member: UpstreamMember = { id: memberId(supervisor), name: supervisor.name, host: endpoint?.host ?? '127.0.0.1', port: endpoint?.port ?? 0, state };
      const maxRequests = this.shape.requestLimit?.(supervisor);
      return maxRequests === undefined ? member : { ...member, maxRequests };
    });
  }

  /** Takes members out of the pool (nothing new routes to them), drains and stops them. */
  async remove(runs: Supervisor[]): Promise<void> {
    for (const supervisor of runs) {
      if (this.holders.get(supervisor.spec.worker) === supervisor) this.holders.delete(supervisor.spec.worker);
      this.leaving.add(supervisor);
      supervisor.setRole('leaving');
    }
    this.publish();
    await Promise.all(runs.map((supervisor) => this.retire(supervisor)));
  }

  /** Puts back runs that `remove` had not yet started to drain (an applied change was refused). */
  keep(runs: Supervisor[]): void {
    for (const supervisor of runs) {
      this.leaving.delete(supervisor);
      this.holders.set(supervisor.spec.worker, supervisor);
      supervisor.setRole('member');
    }
    this.publish();
  }

  /**
   * Hands every run the pool's current settings (a changed stack file): health timings, restart and
   * stop settings at once, the rest from its next start on, so that no start runs a stale command.
   */
  adoptSettings(): void {
    for (const supervisor of this.all()) supervisor.adopt(this.specFor(supervisor.spec.worker, () => supervisor));
    // The proxy counts against request limits drawn from the new settings.
    this.publish();
  }

  /** Whether `run` holds its name and is in rotation: not a surge, not leaving, not down. */
  serving(run: Supervisor): boolean {
    return this.holders.get(run.spec.worker) === run && run.state === 'ready';
  }

  /**
   * Puts a run with the pool's current settings in place of a member (a task whose command changed);
   * the member stops and leaves. A member still held by its depends_on hands its hold over.
   */
  async renew(old: Supervisor): Promise<Supervisor> {
    const fresh = this.create(old.spec.worker);
    const { state, reason } = old.info();
    if (HELD_STATES.includes(state) && reason !== null) fresh.hold(state as HoldState, reason);
    this.holders.set(old.spec.worker, fresh);
    this.leaving.add(old);
    old.handNameOver();
    this.publish();
    await this.retire(old);
    return fresh;
  }

  /** Drains and stops members that stay in the pool, stopped (`switchyard stop api-2`). */
  stopMembers(runs: Supervisor[]): Promise<void[]> {
    return Promise.all(runs.map((supervisor) => this.drainAndStop(supervisor)));
  }

  stop(): Promise<void[]> {
    return Promise.all(this.all().map((supervisor) => supervisor.stop()));
  }

  kill(): Promise<void[]> {
    return Promise.all(this.all().map((supervisor) => supervisor.kill()));
  }

  /** A surge-first reload of every member, or of `only`. */
  reloadTarget(name: string, only: Supervisor | null): ReloadTarget {
    return {
      name,
      // A member still held by its depends_on has nothing running to replace: it starts with the current settings.
      workers: () => this.members().filter((supervisor) => (only === null || supervisor === only) && !HELD_STATES.includes(supervisor.state)),
      holds: (old) => this.holders.get(old.spec.worker) === old,
      replacement: (old) => {
        const fresh = this.create(old.spec.worker);
        fresh.setRole('surge');
        this.surging.add(fresh);
        return fresh;
      },
      swap: (old, fresh) => {
        this.surging.delete(fresh);
        this.holders.set(old.spec.worker, fresh);
        fresh.setRole('member');
        this.leaving.add(old);
        old.handNameOver();
        this.publish();
      },
      discard: (fresh) => {
        this.surging.delete(fresh);
        this.publish();
        this.subscriptions.get(fresh)?.dispose();
        this.subscriptions.delete(fresh);
        this.context.removed(fresh.info());
      },
      retire: (old) => this.retire(old),
    };
  }

  /** Stops a leaving run, drained, and lets it go. */
  private retire(supervisor: Supervisor): Promise<void> {
    return this.drainAndStop(supervisor).finally(() => {
      this.leaving.delete(supervisor);
      this.publish();
      this.subscriptions.get(supervisor)?.dispose();
      this.subscriptions.delete(supervisor);
      this.context.removed(supervisor.info());
    });
  }

  /** Takes a run out of rotation, waits for its in-flight requests (up to its stop timeout), then stops it. */
  private drainAndStop(supervisor: Supervisor): Promise<void> {
    return supervisor.stop({
        drain: async () => {
          // A process that serves no port gets no requests to finish.
          if (supervisor.spec.portEnv === null) return;
          const drained = await this.context.drained(memberId(supervisor), supervisor.spec.stop.timeout);
          if (drained === false) this.context.note(supervisor.name, `requests still in flight after ${supervisor.spec.stop.timeout}ms of draining; stopping anyway`);
        },
      });
  }

  private publish(): void {
    this.context.publish(this.shape.pool);
  }

  /** What worker `worker` runs with under the pool's current settings, as `run()` (its supervisor) does. */
  private specFor(worker: number, run: () => Supervisor): ProcessSpec {
    const { shape, context } = this;
    const settings = shape.settings();
    const defaults = shape.kind === 'worker' ? WORKER_DEFAULT_ENV : {};
    return {
      ...settings,
      name: shape.name(worker),
      app: shape.pool,
      kind: shape.kind,
      worker,
      env: { ...defaults, ...context.baseEnv, ...settings.env },
      ...(shape.runtimeEnv ? { runtimeEnv: shape.runtimeEnv } : {}),
      // Called once the process is spawned and its port known; a timed-out check asks the proxy whether it is only busy.
      check: () => {
        const supervisor = run();
        const member = memberId(supervisor);
        return busyAwareCheck(supervisor.endpoint?.port ?? 0, () => supervisor.spec.health, () => context.load(member));
      },
    };
  }

  private create(worker: number): Supervisor {
    const { context } = this;
    // The spec's health check asks after its own supervisor, which exists by the time it runs.
    const supervisor: Supervisor = new Supervisor(this.specFor(worker, () => supervisor), context.deps);
    const subscription = supervisor.onStateChange((change) => {
      // Membership first, so the proxy learns of a run leaving rotation before anyone waits on its drain.
      this.publish();
      context.changed(change);
    });
    this.subscriptions.set(supervisor, subscription);
    return supervisor;
  }
}
