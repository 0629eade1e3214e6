// The orchestrator: a pool of supervised processes per app and static site, the proxy in front
// of them, one log store, one metrics sampler. It keeps the proxy told which workers are in
// rotation. It has no idea how it is driven: the CLI, the control API and tests all call these methods.

import type { ProcessInfo } from '../../shared/process.ts';
import type { UpstreamMember } from '../../shared/proxy.ts';
import type { AppSpec, StackSpec } from '../../shared/stack.ts';
import { LIVE_STATES } from '../../shared/process.ts';
import { SwitchyardError } from './errors.ts';
import { Emitter } from './events.ts';
import { pathVariable } from './env/path-variable.ts';
import { DEFAULT_RETAINED_LINES, LogStore, type SourceFilter } from './logs/log-store.ts';
import { MetricsSampler, SAMPLE_INTERVAL_MS } from './metrics/metrics-sampler.ts';
import { currentNodeRuntime, type NodeRuntime } from './process/node-runtime.ts';
import { PortAllocator } from './process/port-allocator.ts';
import { newStackMarker } from './process/process-tree.ts';
import { execaSpawner, type Spawner } from './process/spawner.ts';
import { Supervisor, type ProcessTracker, type StateChange, type SupervisorDeps } from './process/supervisor.ts';
import { AccessLog, DEFAULT_RETAINED_ACCESS_EVENTS, formatAccess } from './proxy/access-log.ts';
import { BuiltinEngine } from './proxy/builtin-engine.ts';
import type { ProxyEngine } from './proxy/engine.ts';
import { buildProxyConfig, describeClientLimits, newProxyId } from './proxy/proxy-config.ts';
import { GlobWatcher } from './reload/glob-watcher.ts';
import { rollingReload, type ReloadTarget } from './reload/rolling-reload.ts';
import { staticAppSpec } from './static/static-app.ts';

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
  /** The Node runtime that runs the proxy and static servers (this Node by default). */
  node?: NodeRuntime;
  /** Reload an app when files matching its `watch:` globs change (off unless asked; `up` asks). */
  watch?: boolean;
  /** Access events kept for the UI. */
  retainedAccessEvents?: number;
  /** The id every process of this stack carries in SWITCHYARD_RUN (a fresh one by default). */
  marker?: string;
}

/** How long a replacement worker may take to become healthy during a reload. */
const RELOAD_READY_TIMEOUT_MS = 60_000;

/** The workers of one app, or the process of one static site. */
class AppPool {
  spec: AppSpec;
  readonly kind: 'worker' | 'static';
  /** Worker number → supervisor. */
  readonly workers = new Map<number, Supervisor>();

  constructor(spec: AppSpec, kind: 'worker' | 'static') {
    this.spec = spec;
    this.kind = kind;
  }

  /** `api-2` for an app's worker; a static site's process carries the site's name. */
  workerName(worker: number): string {
    return this.kind === 'static' ? this.spec.name : `${this.spec.name}-${worker}`;
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
  private _spec: StackSpec;
  readonly logs: LogStore;
  /** The proxy's most recent access events. */
  readonly access: AccessLog;
  private readonly deps: SupervisorDeps;
  private readonly pools = new Map<string, AppPool>();
  private readonly engine: ProxyEngine | null;
  /** The proxy's id for this stack's whole run, so that its restarts still know their own requests. */
  private readonly proxyId = newProxyId();
  private readonly sampler: MetricsSampler;
  private readonly node: NodeRuntime;
  private readonly watchEnabled: boolean;
  private readonly watchers = new Map<string, GlobWatcher>();
  private stopping: Promise<void> | null = null;
  /** Workers on their way out (scaled down or replaced by a reload), still finishing their requests. */
  private readonly leaving = new Set<Supervisor>();
  /** Replacements started by a reload that have not yet taken their predecessor's place. */
  private readonly surging = new Set<Supervisor>();
  /** Reloads under way by pool name; a change during one asks for one more after it. */
  private readonly reloads = new Map<string, Promise<string[]>>();
  private readonly reloadAgain = new Set<string>();
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
    this._spec = spec;
    this.logs = new LogStore(options.retainedLines ?? DEFAULT_RETAINED_LINES);
    this.access = new AccessLog(options.retainedAccessEvents ?? DEFAULT_RETAINED_ACCESS_EVENTS);
    this.deps = {
      spawner: options.spawner ?? execaSpawner,
      logs: this.logs,
      ports: new PortAllocator(),
      marker: options.marker ?? newStackMarker(),
      ...(options.tracker ? { tracker: options.tracker } : {}),
    };
    this.baseEnv = definedOnly(options.baseEnv ?? process.env);
    this.node = options.node ?? currentNodeRuntime();
    this.watchEnabled = options.watch ?? false;
    for (const site of spec.statics) this.pools.set(site.name, new AppPool(staticAppSpec(site, spec.dir, this.node), 'static'));
    for (const app of spec.apps) this.pools.set(app.name, new AppPool(app, 'worker'));
    this.engine = spec.proxy ? this.createEngine(spec) : null;
    this.sampler = new MetricsSampler(
      () => this.supervisors(),
      () => this._onMetrics.fire(this.processes()),
      options.metricsInterval ?? SAMPLE_INTERVAL_MS,
    );
  }

  /** The PATH every process of the stack inherits (beneath an app's own `env`). */
  get basePath(): string {
    return pathVariable(this.baseEnv) ?? '';
  }

  /** The stack as currently applied (a changed stack file replaces it). */
  get spec(): StackSpec {
    return this._spec;
  }

  /** Spawns every process; resolves once all are spawned (not yet ready). */
  async start(): Promise<void> {
    for (const pool of this.pools.values()) this.addWorkers(pool, pool.spec.replicas);
    this.sampler.start();
    await Promise.all([
      ...this.poolSupervisors().map((supervisor) => supervisor.start()),
      this.engine?.start(buildProxyConfig(this._spec, this.proxyId, (name) => this.members(name))),
    ]);
    if (this.watchEnabled) for (const pool of this.pools.values()) this.watchPool(pool);
  }

  /** Stops everything gracefully, in parallel. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.sampler.stop();
      for (const watcher of this.watchers.values()) watcher.dispose();
      this.watchers.clear();
      await Promise.all([this.engine?.stop(), ...[...this.poolSupervisors(), ...this.surging, ...this.leaving].map((supervisor) => supervisor.stop())]);
    })();
    return this.stopping;
  }

  /** Kills every process tree now (a second Ctrl-C). */
  async kill(): Promise<void> {
    this.sampler.stop();
    await Promise.all([this.engine?.kill(), ...[...this.poolSupervisors(), ...this.surging, ...this.leaving].map((supervisor) => supervisor.kill())]);
  }

  get isStopping(): boolean {
    return this.stopping !== null;
  }

  /** One snapshot per name: during a reload or a proxy handover, the process that holds the name. */
  processes(): ProcessInfo[] {
    const seen = new Set<string>();
    const infos: ProcessInfo[] = [];
    for (const supervisor of this.supervisors()) {
      if (seen.has(supervisor.name)) continue;
      seen.add(supervisor.name);
      infos.push(supervisor.info());
    }
    return infos;
  }

  /**
   * Restarts a worker (`api-2`), an app's workers (`api`), the proxy, a static site, or everything
   * (`all`). The proxy and static sites are replaced without refusing a connection.
   */
  async restart(target: string): Promise<string[]> {
    this.refuseWhileStopping();
    if (target === 'proxy') return this.restartProxy();
    const pool = this.pools.get(target);
    if (pool?.kind === 'static') return this.reload(target);
    if (target === 'all') {
      const restarted = await Promise.all([
        ...[...this.pools.values()].map((each) =>
          each.kind === 'static' ? this.reload(each.spec.name) : this.restartSupervisors(each.sorted(), target),
        ),
        this.engine ? this.restartProxy() : [],
      ]);
      return restarted.flat();
    }
    return this.restartSupervisors(this.resolve(target), target);
  }

  /** Starts a stopped (or failed) worker, an app's workers, a static site or the proxy; returns the names started. */
  async startTarget(target: string): Promise<string[]> {
    this.refuseWhileStopping();
    const resting = (supervisors: Supervisor[]) => supervisors.filter((supervisor) => !LIVE_STATES.includes(supervisor.state));
    if (target === 'proxy') {
      if (!this.engine) throw this.noProxy();
      if (resting(this.engine.supervisors()).length === 0) return [];
      // With nothing listening, the engine's restart is a plain start that configures the new process.
      await this.engine.restart();
      return ['proxy'];
    }
    const stopped = resting(this.resolve(target));
    // A person's start also clears a crash loop, as a restart does.
    await Promise.all(stopped.map((supervisor) => supervisor.restart('start requested')));
    return stopped.map((supervisor) => supervisor.name);
  }

  /** Stops a worker, an app's workers or a static site (each drained first), or the proxy; returns the names stopped. */
  async stopTarget(target: string): Promise<string[]> {
    this.refuseWhileStopping();
    if (target === 'proxy') {
      if (!this.engine) throw this.noProxy();
      await Promise.all(this.engine.supervisors().map((supervisor) => supervisor.stop()));
      return ['proxy'];
    }
    const live = this.resolve(target).filter((supervisor) => LIVE_STATES.includes(supervisor.state));
    await Promise.all(live.map((supervisor) => this.retire(supervisor)));
    return live.map((supervisor) => supervisor.name);
  }

  /** SIGKILLs one worker on purpose, as a crash would; its restart policy decides what follows. Returns the pid killed. */
  killWorker(name: string): number {
    this.refuseWhileStopping();
    const supervisor = this.find(name);
    if (!supervisor) throw this.notFound(name);
    if (supervisor.spec.kind === 'proxy') throw new SwitchyardError('bad-request', 'kill is for workers and static sites; use restart proxy to replace the proxy');
    const pid = supervisor.currentPid;
    if (pid === null) throw new SwitchyardError('bad-request', `${name} is not running (${supervisor.state}); start it first`);
    this.logs.append(name, 'system', `killed on purpose with SIGKILL (pid ${pid})`);
    supervisor.expectKill();
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) {
      throw new SwitchyardError('internal', `could not kill ${name} (pid ${pid}): ${(error as Error).message}`);
    }
    return pid;
  }

  /** The app or static site a process belongs to, by its name (`api-2` → `api`, `web` → `web`). */
  appOfWorker(worker: string): string | null {
    if (this.pools.has(worker)) return worker;
    const app = appOfWorkerName(worker);
    return app !== null && this.pools.has(app) ? app : null;
  }

  /**
   * Replaces an app's workers (or one worker, or a static site's process) one at a time, surge-first:
   * each new one is healthy and in rotation before the old one is drained and stopped.
   */
  reload(target: string): Promise<string[]> {
    this.refuseWhileStopping();
    if (target === 'proxy') return this.restartProxy();
    const pool = this.pools.get(target) ?? this.poolOfWorker(target);
    if (!pool) throw this.notFound(target);
    const only = this.pools.has(target) ? null : target;
    const key = pool.spec.name;
    const running = this.reloads.get(key);
    if (running) {
      // Changes that arrive during a reload are picked up by one more reload after it.
      this.reloadAgain.add(key);
      return running;
    }
    const reload = rollingReload(this.reloadTarget(pool, only), RELOAD_READY_TIMEOUT_MS).finally(() => {
      this.reloads.delete(key);
      if (this.reloadAgain.delete(key) && !this.stopping) void this.reload(key).catch((error: Error) => this.note(key, error.message));
    });
    this.reloads.set(key, reload);
    return reload;
  }

  /**
   * Applies a changed stack file without closing the proxy's listener: new routes at once, new and
   * removed apps and sites, scaled apps, and a rolling reload of apps whose settings changed.
   * Refuses (keeping everything as it runs) what cannot change in place, or what the proxy rejects.
   * Returns one line per change.
   */
  async applySpec(next: StackSpec): Promise<string[]> {
    this.refuseWhileStopping();
    const prev = this._spec;
    if (JSON.stringify(prev.proxy?.listen ?? null) !== JSON.stringify(next.proxy?.listen ?? null)) {
      throw new SwitchyardError(
        'bad-request',
        'the proxy section was added or removed, or its listen address changed; stop and start `switchyard up` to apply that (the running configuration is kept)',
      );
    }
    const wanted = new Map<string, AppPool>();
    for (const site of next.statics) wanted.set(site.name, new AppPool(staticAppSpec(site, next.dir, this.node), 'static'));
    for (const app of next.apps) wanted.set(app.name, new AppPool(app, 'worker'));
    const added: AppPool[] = [];
    const removed: AppPool[] = [];
    const changed: { pool: AppPool; spec: AppSpec; settings: boolean }[] = [];
    for (const [name, pool] of wanted) {
      const current = this.pools.get(name);
      if (!current || current.kind !== pool.kind) {
        if (current) removed.push(current);
        added.push(pool);
        continue;
      }
      const settings = JSON.stringify({ ...current.spec, replicas: 0 }) !== JSON.stringify({ ...pool.spec, replicas: 0 });
      if (settings || current.spec.replicas !== pool.spec.replicas) changed.push({ pool: current, spec: pool.spec, settings });
    }
    for (const [name, pool] of this.pools) if (!wanted.has(name)) removed.push(pool);

    // New pools first, so that routes to them have members to show; then the routes; then the rest.
    // A pool whose name changes kind (a static site becoming an app) keeps serving as leaving workers
    // until its successor is configured.
    const replaced = removed.filter((pool) => wanted.has(pool.spec.name));
    for (const pool of replaced) for (const supervisor of pool.sorted()) this.leaving.add(supervisor);
    for (const pool of added) this.pools.set(pool.spec.name, pool);
    const started = added.flatMap((pool) => this.addWorkers(pool, pool.spec.replicas));
    await Promise.all(started.map((supervisor) => supervisor.start()));
    // Routes as the proxy sees them: a route that only moved in the file is no change.
    const routesOf = (spec: StackSpec) => JSON.stringify(buildProxyConfig(spec, this.proxyId, () => []).routes);
    const routesChanged = routesOf(prev) !== routesOf(next);
    const clientsOf = (spec: StackSpec) => buildProxyConfig(spec, this.proxyId, () => []).clients;
    const clientChanges = describeClientLimits(clientsOf(next), clientsOf(prev));
    const nextPools = new Map(this.pools);
    for (const pool of removed) if (nextPools.get(pool.spec.name) === pool) nextPools.delete(pool.spec.name);
    try {
      await this.engine?.configure(buildProxyConfig(next, this.proxyId, (name) => (nextPools.has(name) ? this.members(name) : [])));
    } catch (error) {
      for (const pool of added) this.pools.delete(pool.spec.name);
      for (const pool of replaced) {
        this.pools.set(pool.spec.name, pool);
        for (const supervisor of pool.sorted()) this.leaving.delete(supervisor);
      }
      await Promise.all(started.map((supervisor) => supervisor.stop()));
      throw error;
    }
    this._spec = next;
    const changes: string[] = [];
    if (routesChanged) changes.push(`routes: ${(next.proxy?.routes ?? []).map((route) => `${route.host ?? ''}${route.path} → ${route.to}`).join(', ')}`);
    if (clientChanges !== '') changes.push(`proxy: ${clientChanges}`);
    for (const pool of added) {
      changes.push(`added ${pool.kind === 'static' ? 'static site' : 'app'} ${pool.spec.name}`);
      if (this.watchEnabled) this.watchPool(pool);
    }
    for (const pool of removed) {
      if (this.pools.get(pool.spec.name) === pool) this.pools.delete(pool.spec.name);
      this.watchers.get(pool.spec.name)?.dispose();
      this.watchers.delete(pool.spec.name);
      const leaving = pool.sorted();
      for (const supervisor of leaving) this.leaving.add(supervisor);
      await Promise.all(leaving.map((supervisor) => this.retire(supervisor)));
      for (const supervisor of leaving) this._onProcessRemoved.fire(supervisor.name);
      changes.push(`removed ${pool.kind === 'static' ? 'static site' : 'app'} ${pool.spec.name}`);
    }
    for (const { pool, spec, settings } of changed) {
      const replicas = pool.spec.replicas !== spec.replicas;
      const watchChanged = JSON.stringify(pool.spec.watch) !== JSON.stringify(spec.watch);
      pool.spec = spec;
      if (settings) {
        await this.reload(spec.name);
        changes.push(`reloaded ${spec.name} with its new settings`);
      }
      if (replicas && pool.kind === 'worker') {
        await this.scale(spec.name, spec.replicas);
        changes.push(`scaled ${spec.name} to ${spec.replicas}`);
      }
      if (watchChanged && this.watchEnabled) {
        this.watchers.get(spec.name)?.dispose();
        this.watchers.delete(spec.name);
        this.watchPool(pool);
      }
    }
    return changes;
  }

  /** Adds workers (started at once) or removes the highest-numbered ones (drained, then stopped). */
  async scale(app: string, replicas: number): Promise<string[]> {
    this.refuseWhileStopping();
    const pool = this.pools.get(app);
    if (!pool || pool.kind !== 'worker') {
      throw new SwitchyardError('not-found', `no app named '${app}'; apps: ${this.appNames().join(', ') || 'none'}`);
    }
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 256) {
      throw new SwitchyardError('bad-request', `replicas must be a whole number from 0 to 256, got ${replicas}`);
    }
    const current = pool.sorted();
    if (replicas > current.length) {
      const added = this.addWorkers(pool, replicas - current.length);
      await Promise.all(added.map((supervisor) => supervisor.start()));
    } else if (replicas < current.length) {
      const removed = current.slice(replicas);
      // Out of the pool first, so nothing new routes to a worker that is on its way out.
      for (const supervisor of removed) {
        pool.workers.delete(supervisor.spec.worker);
        this.leaving.add(supervisor);
      }
      await Promise.all(removed.map((supervisor) => this.retire(supervisor)));
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
    const pool = this.pools.get(name);
    if (pool?.kind === 'worker') return (source) => appOfWorkerName(source) === name;
    if (pool || this.find(name) || this.logs.sources().includes(name)) return new Set([name]);
    throw this.notFound(name);
  }

  /** Samples CPU and memory now rather than at the next interval. */
  sampleMetrics(): Promise<void> {
    return this.sampler.sampleNow();
  }

  find(name: string): Supervisor | undefined {
    return this.supervisors().find((supervisor) => supervisor.name === name);
  }

  /** The members the proxy should route to for an app or static site, in worker order. */
  members(name: string): UpstreamMember[] {
    const pool = this.pools.get(name);
    if (!pool) return [];
    const all = [...pool.sorted(), ...[...this.surging, ...this.leaving].filter((supervisor) => supervisor.spec.app === name)];
    all.sort((a, b) => a.spec.worker - b.spec.worker);
    return all.map((supervisor) => {
      const endpoint = supervisor.endpoint;
      const state = supervisor.state === 'ready' ? 'ready' : supervisor.state === 'draining' ? 'draining' : 'down';
      return { id: memberId(supervisor), name: supervisor.name, host: endpoint?.host ?? '127.0.0.1', port: endpoint?.port ?? 0, state };
    });
  }

  private createEngine(spec: StackSpec): ProxyEngine {
    const proxy = spec.proxy;
    if (!proxy) throw new Error('createEngine needs a proxy section');
    const engine = new BuiltinEngine({ listen: proxy.listen, deps: this.deps, cwd: spec.dir, env: this.baseEnv, node: this.node });
    engine.onProcessChange((change) => this._onProcessChange.fire(change));
    // One line per request at proxy speed: the writer is the log store's per-line fast path.
    const writeAccess = this.logs.writer('proxy');
    engine.onAccess((events) => {
      const now = Date.now();
      for (const event of events) writeAccess('stdout', formatAccess(event), now);
      this.access.add(events, (worker) => this.appOfWorker(worker));
    });
    engine.onPassive(({ member, out, reason, until }) => {
      const back = until === null ? '' : ` for ${Math.max(0, Math.round((until - Date.now()) / 100) / 10)}s`;
      this.logs.append('proxy', 'system', out ? `${member} out of rotation${back}: ${reason}` : `${member} back in rotation: ${reason}`);
    });
    return engine;
  }

  private noProxy(): SwitchyardError {
    return new SwitchyardError('not-found', 'this stack has no proxy: add a proxy: section to the stack file');
  }

  private async restartProxy(): Promise<string[]> {
    if (!this.engine) throw this.noProxy();
    await this.engine.restart();
    return ['proxy'];
  }

  private async restartSupervisors(supervisors: Supervisor[], target: string): Promise<string[]> {
    await Promise.all(supervisors.map((supervisor) => supervisor.restart(`restart requested for ${target}`)));
    return supervisors.map((supervisor) => supervisor.name);
  }

  /** Takes a worker out of rotation, waits for its in-flight requests (up to its stop timeout), then stops it. */
  private retire(supervisor: Supervisor): Promise<void> {
    return supervisor
      .stop({
        drain: async () => {
          // A process that serves no port gets no requests to finish.
          if (!this.engine || supervisor.spec.portEnv === null) return;
          const drained = await this.engine.drained(memberId(supervisor), supervisor.spec.stop.timeout);
          if (!drained) this.note(supervisor.name, `requests still in flight after ${supervisor.spec.stop.timeout}ms of draining; stopping anyway`);
        },
      })
      .finally(() => {
        this.leaving.delete(supervisor);
        this.publish(supervisor.spec.app);
      });
  }

  private reloadTarget(pool: AppPool, only: string | null): ReloadTarget {
    return {
      name: only ?? pool.spec.name,
      workers: () => pool.sorted().filter((supervisor) => only === null || supervisor.name === only),
      holds: (old) => pool.workers.get(old.spec.worker) === old && this.pools.get(pool.spec.name) === pool,
      replacement: (old) => {
        const fresh = this.createSupervisor(pool, old.spec.worker);
        this.surging.add(fresh);
        return fresh;
      },
      swap: (old, fresh) => {
        this.surging.delete(fresh);
        pool.workers.set(old.spec.worker, fresh);
        this.leaving.add(old);
        this.publish(pool.spec.name);
      },
      discard: (fresh) => {
        this.surging.delete(fresh);
        this.publish(pool.spec.name);
      },
      retire: (old) => this.retire(old),
    };
  }

  private watchPool(pool: AppPool): void {
    if (pool.spec.watch.length === 0) return;
    const name = pool.spec.name;
    const watcher = new GlobWatcher(pool.spec.cwd, pool.spec.watch, (paths) => {
      if (this.stopping) return;
      const shown = paths.length > 3 ? `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more` : paths.join(', ');
      this.note(name, `${shown} changed: reloading ${name}`);
      this.reload(name).then(
        (replaced) => this.note(name, `reloaded ${replaced.join(', ')}`),
        (error: Error) => this.note(name, error.message),
      );
    });
    this.watchers.set(name, watcher);
  }

  /** Resolves once every file watcher has finished its first scan (for tests). */
  async watching(): Promise<void> {
    await Promise.all([...this.watchers.values()].map((watcher) => watcher.ready));
  }

  private note(source: string, text: string): void {
    const pool = this.pools.get(source);
    this.logs.append(pool?.kind === 'worker' ? `${source}-1` : source, 'system', text);
  }

  private resolve(target: string): Supervisor[] {
    const pool = this.pools.get(target);
    if (pool) return pool.sorted();
    const one = this.find(target);
    if (one) return [one];
    throw this.notFound(target);
  }

  private poolOfWorker(name: string): AppPool | undefined {
    return [...this.pools.values()].find((pool) => pool.sorted().some((supervisor) => supervisor.name === name));
  }

  private appNames(): string[] {
    return [...this.pools.values()].filter((pool) => pool.kind === 'worker').map((pool) => pool.spec.name);
  }

  private notFound(name: string): SwitchyardError {
    const known = [...(this.engine ? ['proxy'] : []), ...this.pools.keys(), ...this.poolSupervisors().map((supervisor) => supervisor.name)];
    return new SwitchyardError('not-found', `no app or process named '${name}'; known: ${[...new Set(known)].join(', ')}, all`);
  }

  private refuseWhileStopping(): void {
    if (this.stopping) throw new SwitchyardError('bad-request', 'the stack is stopping');
  }

  /** Every process: the proxy, static sites, app workers, and those arriving or leaving. */
  private supervisors(): Supervisor[] {
    return [...(this.engine?.supervisors() ?? []), ...this.poolSupervisors(), ...this.surging, ...this.leaving];
  }

  private poolSupervisors(): Supervisor[] {
    return [...this.pools.values()].flatMap((pool) => pool.sorted());
  }

  /** Tells the proxy who is in rotation for one pool now. */
  private publish(name: string): void {
    this.engine?.setMembers(name, this.members(name));
  }

  private addWorkers(pool: AppPool, count: number): Supervisor[] {
    return pool.freeNumbers(count).map((worker) => {
      const supervisor = this.createSupervisor(pool, worker);
      pool.workers.set(worker, supervisor);
      return supervisor;
    });
  }

  private createSupervisor(pool: AppPool, worker: number): Supervisor {
    const { spec } = pool;
    const supervisor = new Supervisor(
      {
        name: pool.workerName(worker),
        app: spec.name,
        kind: pool.kind,
        worker,
        argv: spec.argv,
        cwd: spec.cwd,
        env: { ...this.baseEnv, ...spec.env },
        // A static site is Switchyard's own process and needs its runtime; an app's worker never gets it.
        ...(pool.kind === 'static' ? { runtimeEnv: this.node.env } : {}),
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
    supervisor.onStateChange((change) => {
      // Membership first, so the proxy learns of a worker leaving rotation before anyone waits on its drain.
      this.publish(spec.name);
      this._onProcessChange.fire(change);
    });
    return supervisor;
  }
}

/** The app in a worker's name (`api-2` → `api`, as AppPool.workerName builds it), or null for another shape. */
function appOfWorkerName(name: string): string | null {
  const dash = name.lastIndexOf('-');
  return dash > 0 && /^\d+$/.test(name.slice(dash + 1)) ? name.slice(0, dash) : null;
}

/** A member id is unique per run of a process, so a restarted worker starts with a clean record. */
function memberId(supervisor: Supervisor): string {
  const pid = supervisor.currentPid;
  return pid === null ? supervisor.name : `${supervisor.name}@${pid}`;
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
