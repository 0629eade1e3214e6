// The coordinator of a running stack: one pool per app, static site and task, started in the order
// their depends_on asks (pools/start-order.ts), the proxy engine in front of them, one log store and
// one metrics sampler. Pools own their processes; the Stack routes requests by name to them and
// keeps the proxy told who is in rotation. It has no idea how it is driven: the CLI, the control API
// and tests all call these methods.

import type { ProxyEngineInfo } from '../../shared/api.ts';
import type { ProcessInfo } from '../../shared/process.ts';
import type { ProxyConfig, UpstreamMember } from '../../shared/proxy.ts';
import type { StackSpec } from '../../shared/stack.ts';
import { HELD_STATES, LIVE_STATES } from '../../shared/process.ts';
import { SwitchyardError } from './errors.ts';
import { Emitter, type Disposable } from './events.ts';
import { definedVariables, pathVariable } from './env/path-variable.ts';
import { DEFAULT_RETAINED_LINES, LogStore, type SourceFilter } from './logs/log-store.ts';
import { MetricsSampler, REST_SAMPLE_INTERVAL_MS, SAMPLE_INTERVAL_MS } from './metrics/metrics-sampler.ts';
import { AppPool } from './pools/app-pool.ts';
import type { Pool } from './pools/pool.ts';
import type { PoolContext } from './pools/run-set.ts';
import { StartOrder } from './pools/start-order.ts';
import { proxySiteHost, type SiteHost } from './pools/hosted-site.ts';
import { hostedSites, hostedSitesOf, StaticPool } from './pools/static-pool.ts';
import { TargetResolver, noProxy, type Target } from './pools/targets.ts';
import { TaskPool } from './pools/task-pool.ts';
import { currentNodeRuntime, type NodeRuntime } from './process/node-runtime.ts';
import { runOfMember } from './process/run-id.ts';
import type { StateChange, Supervisor, SupervisorDeps } from './process/supervisor.ts';
import { AccessLog, DEFAULT_RETAINED_ACCESS_EVENTS } from './proxy/access-log.ts';
import type { ProxyEngine } from './proxy/engine.ts';
import { engineNamed } from './proxy/engines.ts';
import { connectEngine, memberLookup } from './proxy/engine-events.ts';
import { buildProxyConfig, newProxyId } from './proxy/proxy-config.ts';
import { applySpecChange } from './reload/apply-spec-change.ts';
import { poolsOf, type PoolSpec } from './reload/spec-change.ts';
import { supervisorDeps, type StackOptions } from './stack-options.ts';

/** A running stack of supervised processes. */
export class Stack {
  private _spec: StackSpec;
  /** The stack file being applied: what its new pools depend on orders their start before it is applied in full. */
  private upcoming: StackSpec | null = null;
  readonly logs: LogStore;
  /** The proxy's most recent access events. */
  readonly access: AccessLog;
  private readonly deps: SupervisorDeps;
  private readonly pools = new Map<string, Pool>();
  /** Pools a changed stack file removed, still serving under their name until their runs have stopped. */
  private readonly retiring = new Set<Pool>();
  private readonly engine: ProxyEngine | null;
  /** The proxy's id for this stack's whole run, so that its restarts still know their own requests. */
  private readonly proxyId = newProxyId();
  private readonly sampler: MetricsSampler;
  private readonly node: NodeRuntime;
  private readonly watchEnabled: boolean;
  private readonly baseEnv: Record<string, string>;
  private readonly context: PoolContext;
  private readonly targets: TargetResolver;
  private readonly order: StartOrder;
  private stopping: Promise<void> | null = null;
  private readonly subscriptions: Disposable[] = [];
  /** The proxy that serves static sites from their folders, or null in a stack without one (each site runs a server). */
  private readonly siteHost: SiteHost | null;

  private readonly _onProcessChange = new Emitter<StateChange>();
  /** Fires on every state, health or role change of any process run. */
  readonly onProcessChange = this._onProcessChange.event;
  private readonly _onMetrics = new Emitter<ProcessInfo[]>();
  /** Fires after each metrics sample with every process's snapshot. */
  readonly onMetrics = this._onMetrics.event;
  private readonly _onProcessRemoved = new Emitter<ProcessInfo>();
  /** Fires with a run's last snapshot when it left the stack (replaced, scaled away, its pool removed). */
  readonly onProcessRemoved = this._onProcessRemoved.event;

  constructor(spec: StackSpec, options: StackOptions = {}) {
    this._spec = spec;
    this.logs = new LogStore(options.retainedLines ?? DEFAULT_RETAINED_LINES);
    this.access = new AccessLog(options.retainedAccessEvents ?? DEFAULT_RETAINED_ACCESS_EVENTS);
    this.deps = supervisorDeps(options, this.logs);
    this.baseEnv = definedVariables(options.baseEnv ?? process.env);
    this.node = options.node ?? currentNodeRuntime();
    this.watchEnabled = options.watch ?? false;
    this.context = {
      deps: this.deps,
      baseEnv: this.baseEnv,
      publish: (pool) => this.engine?.setMembers(pool, this.members(pool)),
      drained: (member, timeout) => this.engine?.drained(member, timeout) ?? null,
      load: (member) => this.engine?.load(member) ?? null,
      changed: (change) => this._onProcessChange.fire(change),
      removed: (info) => this._onProcessRemoved.fire(info),
      note: (source, text) => this.logs.append(source, 'system', text),
    };
    this.siteHost = spec.proxy ? proxySiteHost(() => this.engine?.supervisors() ?? [], () => this.engine?.configure(this.proxyConfig(this._spec))) : null;
    for (const [name, pool] of poolsOf(spec)) this.pools.set(name, this.createPool(pool, spec.dir));
    this.targets = new TargetResolver(() => this.pools.values(), () => this.engine !== null);
    this.order = new StartOrder({
      pools: this.pools,
      spec: () => this.upcoming ?? this._spec,
      stopping: () => this.stopping !== null,
      onProcessChange: this.onProcessChange,
      note: (source, text) => this.logs.append(source, 'system', text),
    });
    this.subscriptions.push(this.order);
    this.engine = spec.proxy ? (options.engine ?? engineNamed(spec.proxy.engine))({ listen: spec.proxy.listen, deps: this.deps, cwd: spec.dir, env: this.baseEnv, node: this.node }) : null;
    if (this.engine) this.subscriptions.push(...connectEngine(this.engine, this.logs, this.access, memberLookup((run) => this.targets.run(run)?.run ?? null), (change) => this._onProcessChange.fire(change)));
    if (this.engine) this.subscriptions.push(this.engine.onRecycle(({ member, requests }) => this.recycle(member, requests)));
    // A hosted site's row follows the proxy's.
    if (this.engine) this.subscriptions.push(this.engine.onProcessChange(() => hostedSites([...this.pools.values(), ...this.retiring]).forEach((site) => site.refresh())));
    this.sampler = new MetricsSampler(
      () => this.supervisors(),
      () => this._onMetrics.fire(this.processes()),
      options.metricsInterval ?? SAMPLE_INTERVAL_MS,
      options.metricsInterval ?? REST_SAMPLE_INTERVAL_MS,
    );
  }

  /** The PATH every process of the stack inherits (beneath an app's own `env`). */
  get basePath(): string {
    return pathVariable(this.baseEnv) ?? '';
  }

  /** The environment every process of the stack inherits (beneath an app's own `env`): what commands may name. */
  get baseEnvironment(): Readonly<Record<string, string>> {
    return this.baseEnv;
  }

  /** The stack as currently applied (a changed stack file replaces it). */
  get spec(): StackSpec {
    return this._spec;
  }

  get isStopping(): boolean {
    return this.stopping !== null;
  }

  /** Spawns every process whose dependencies stand, and holds the others until they do; resolves once the first are spawned. */
  async start(): Promise<void> {
    this.sampler.start();
    await Promise.all([this.order.start(), this.engine?.start(this.proxyConfig(this._spec))]);
  }

  /** Stops everything gracefully, in parallel. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.sampler.stop();
      for (const pool of this.pools.values()) pool.dispose();
      await Promise.all([this.engine?.stop(), ...[...this.pools.values(), ...this.retiring].map((pool) => pool.runs.stop())]);
      for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    })();
    return this.stopping;
  }

  /** Kills every process tree now (a second Ctrl-C). */
  async kill(): Promise<void> {
    this.sampler.stop();
    await Promise.all([this.engine?.kill(), ...[...this.pools.values(), ...this.retiring].map((pool) => pool.runs.kill())]);
  }

  /** Every run: the proxy's, then each pool's members, surge replacements and leaving runs. */
  processes(): ProcessInfo[] {
    const pools = [...this.pools.values(), ...this.retiring];
    return [
      ...(this.engine?.supervisors() ?? []).map((run) => run.info()),
      ...pools.flatMap((pool) => (pool instanceof StaticPool && pool.hosted ? [pool.hosted.info()] : pool.runs.all().map((run) => run.info()))),
    ];
  }

  /** Which engine runs the proxy and what it runs with; null without a proxy. */
  proxyEngine(): Promise<ProxyEngineInfo | null> {
    return this.engine?.describe() ?? Promise.resolve(null);
  }

  /** The run that holds a process name (`api-2`, `proxy`), or the run with that id (`api#7`). */
  find(name: string): Supervisor | undefined {
    return this.engine?.supervisors().find((each) => each.name === name || each.id === name) ?? this.targets.run(name)?.run;
  }

  /** The app or static site a process belongs to, by its name or run id. */
  appOfWorker(worker: string): string | null {
    if (this.pools.has(worker)) return worker;
    return this.targets.run(worker)?.pool.name ?? null;
  }

  /** The members the proxy routes to for an app or static site: its pool's, then those of a pool on its way out. */
  members(name: string): UpstreamMember[] {
    const pools = [this.pools.get(name), ...[...this.retiring].filter((pool) => pool.name === name)];
    return pools.flatMap((pool) => pool?.runs.upstream() ?? []);
  }

  /** Restarts a worker, an app's workers, the proxy, a static site (surge-first), or everything (`all`). */
  async restart(name: string): Promise<string[]> {
    this.refuseWhileStopping();
    const target = this.admit(name, 'restart');
    const reason = `restart requested for ${name}`;
    switch (target.kind) {
      case 'all': {
        // Pools that wait for their dependencies start on their own once those stand.
        const startable = [...this.pools.values()].filter((pool) => !this.order.isHeld(pool.name));
        const restarted = await Promise.all([...startable.map((pool) => pool.restart(reason)), this.engine ? this.restartProxy() : []]);
        return restarted.flat();
      }
      case 'proxy':
        return this.restartProxy();
      case 'pool':
        return target.pool.restart(reason);
      case 'run':
        await target.run.restart(reason);
        return [target.run.name];
    }
  }

  /** Replaces an app's workers (or one worker, or a static site's server) one at a time, surge-first. */
  async reload(name: string): Promise<string[]> {
    this.refuseWhileStopping();
    const target = this.admit(name, 'reload');
    if (target.kind === 'proxy') return this.restartProxy();
    if (target.kind === 'all') throw new SwitchyardError('bad-request', 'reload takes an app, a worker, a static site or proxy; use restart all to restart everything');
    return target.kind === 'pool' ? target.pool.reload(null) : target.pool.reload(target.run);
  }

  /** Starts stopped (or failed) runs of a target, or the proxy; returns the names started. */
  async startTarget(name: string): Promise<string[]> {
    this.refuseWhileStopping();
    // Sites the proxy serves have no run to start: the proxy serves them again.
    const sites = hostedSitesOf(this.pools.values(), name);
    const resumed = (await Promise.all(sites.map(async (site) => ((await site.resume()) ? [site.name] : [])))).flat();
    if (sites.length > 0 && name !== 'all') return resumed;
    // A run held by its dependencies starts when they stand, not on request.
    const resting = (runs: Supervisor[]) => runs.filter((run) => !LIVE_STATES.includes(run.state) && !HELD_STATES.includes(run.state));
    if (this.admit(name, 'start').kind === 'proxy') {
      if (resting(this.engine!.supervisors()).length === 0) return [];
      // With nothing listening, the engine's restart is a plain start that configures the new process.
      await this.engine!.restart();
      return ['proxy'];
    }
    const stopped = resting(this.runsOf(name));
    // A person's start also clears a crash loop, as a restart does.
    await Promise.all(stopped.map((run) => run.restart('start requested')));
    return [...resumed, ...stopped.map((run) => run.name)];
  }

  /** Stops a worker, an app's workers or a static site (each drained first), or the proxy; returns the names stopped. */
  async stopTarget(name: string): Promise<string[]> {
    this.refuseWhileStopping();
    const target = this.targets.resolve(name);
    // Sites the proxy serves have no run to stop: the proxy stops serving them.
    const sites = target.kind === 'pool' || target.kind === 'all' ? hostedSitesOf(this.pools.values(), name) : [];
    const offline = (await Promise.all(sites.map(async (site) => ((await site.stop()) ? [site.name] : [])))).flat();
    if (target.kind === 'pool' && sites.length > 0) return offline;
    if (target.kind === 'proxy') {
      await Promise.all(this.engine!.supervisors().map((run) => run.stop()));
      return ['proxy'];
    }
    const live = this.runsOf(name).filter((run) => LIVE_STATES.includes(run.state));
    const byPool = target.kind === 'all' ? [...this.pools.values()] : [target.pool];
    await Promise.all(byPool.map((pool) => pool.runs.stopMembers(live.filter((run) => run.spec.app === pool.name))));
    return [...offline, ...live.map((run) => run.name)];
  }

  /** SIGKILLs one worker on purpose, as a crash would; its restart policy decides what follows. Returns the pid killed. */
  killWorker(name: string): number {
    this.refuseWhileStopping();
    if (name === 'proxy') throw new SwitchyardError('bad-request', 'kill is for workers and static sites; use restart proxy to replace the proxy');
    const run = this.targets.run(name)?.run;
    if (!run && hostedSitesOf(this.pools.values(), name).length > 0) throw new SwitchyardError('bad-request', `${name} is served by the proxy from its folder and has no process of its own; stop ${name} to take it offline, or restart proxy`);
    if (!run) throw this.targets.notFound(name);
    const pid = run.currentPid;
    if (pid === null) throw new SwitchyardError('bad-request', `${name} is not running (${run.state}); start it first`);
    this.logs.append(run.name, 'system', `killed on purpose with SIGKILL (pid ${pid})`);
    run.expectKill();
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) {
      throw new SwitchyardError('internal', `could not kill ${name} (pid ${pid}): ${(error as Error).message}`);
    }
    return pid;
  }

  /** Adds workers to an app (started at once) or removes its highest-numbered ones (drained, then stopped). */
  async scale(app: string, replicas: number): Promise<string[]> {
    this.refuseWhileStopping();
    const pool = this.pools.get(app);
    if (pool instanceof AppPool) this.order.refuse(app, 'scale');
    if (!(pool instanceof AppPool)) {
      const apps = [...this.pools.values()].filter((each) => each instanceof AppPool).map((each) => each.name);
      throw new SwitchyardError('not-found', `no app named '${app}'; apps: ${apps.join(', ') || 'none'}`);
    }
    return pool.scale(replicas);
  }

  /**
   * Applies a changed stack file without closing the proxy's listener (see reload/apply-spec-change.ts).
   * Refuses, keeping everything as it runs, what cannot change in place or what the proxy rejects.
   * Returns one line per change.
   */
  async applySpec(next: StackSpec): Promise<string[]> {
    this.refuseWhileStopping();
    this.upcoming = next;
    try {
      const changes = await applySpecChange(this._spec, next, {
        pools: this.pools,
        retiring: this.retiring,
        create: (pool) => this.createPool(pool, next.dir),
        launch: (pool) => this.order.launch(pool),
        admit: (plan) => this.order.admit(plan, next),
        configure: async (spec) => {
          await this.engine?.configure(this.proxyConfig(spec));
        },
      });
      this._spec = next;
      return changes;
    } finally {
      this.upcoming = null;
    }
  }

  /**
   * Which log sources a query for `name` covers: an app's own lines and its workers', present,
   * removed or yet to be added by scaling; one process, running or with retained lines; or everything.
   */
  logSources(name: string | undefined): SourceFilter {
    if (name === undefined || name === '' || name === 'all') return null;
    const pool = this.pools.get(name);
    if (pool) return pool.logSources();
    if (name === 'proxy' || this.find(name) || this.logs.sources().includes(name)) return new Set([this.find(name)?.name ?? name]);
    throw this.targets.notFound(name);
  }

  /** While held, metrics are sampled every 2 s rather than every 10 s (someone shows them). */
  watchMetrics(): Disposable {
    return this.sampler.watch();
  }

  /** Samples CPU and memory now rather than at the next interval. */
  sampleMetrics(): Promise<void> {
    return this.sampler.sampleNow();
  }

  /** Resolves once every file watcher has finished its first scan. */
  async watching(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.watching()));
  }

  private createPool(pool: PoolSpec, dir: string): Pool {
    const stopping = () => this.stopping !== null;
    if (pool.kind === 'static') return new StaticPool(pool.site, dir, this.node, this.context, stopping, this.siteHost);
    if (pool.kind === 'task') return new TaskPool(pool.spec, this.context);
    return new AppPool(pool.spec, this.context, { watch: this.watchEnabled, stopping });
  }

  /** The proxy counted `requests` to `member`, its limit: its app replaces it (max_requests). */
  private recycle(member: string, requests: number): void {
    const found = this.targets.run(runOfMember(member));
    if (found?.pool instanceof AppPool) found.pool.recycle(found.run, member, requests);
  }

  private proxyConfig(spec: StackSpec): ProxyConfig {
    return buildProxyConfig(spec, this.proxyId, (name) => this.members(name), (site) => {
      const pool = this.pools.get(site);
      return !(pool instanceof StaticPool) || pool.hosted === null || pool.hosted.serving;
    });
  }

  private async restartProxy(): Promise<string[]> {
    if (!this.engine) throw noProxy();
    await this.engine.restart();
    return ['proxy'];
  }

  /** The member runs a target names (every pool's for `all`). */
  private runsOf(name: string): Supervisor[] {
    const target = this.targets.resolve(name);
    if (target.kind === 'run') return [target.run];
    if (target.kind === 'pool') return target.pool.runs.members();
    return [...this.pools.values()].flatMap((pool) => pool.runs.members());
  }

  /** What `name` names, after refusing to `verb` a pool whose dependencies do not stand (start-order.ts says why). */
  private admit(name: string, verb: string): Target {
    const target = this.targets.resolve(name);
    if (target.kind === 'pool' || target.kind === 'run') this.order.refuse(target.pool.name, verb);
    return target;
  }

  private refuseWhileStopping(): void {
    if (this.stopping) throw new SwitchyardError('bad-request', 'the stack is stopping');
  }

  private supervisors(): Supervisor[] {
    return [...(this.engine?.supervisors() ?? []), ...[...this.pools.values(), ...this.retiring].flatMap((pool) => pool.runs.all())];
  }
}
