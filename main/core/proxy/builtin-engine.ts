// The builtin engine: Switchyard's own Node proxy (builtin/proxy-main.ts), run as a supervised
// process and driven over its IPC channel. A restart hands the listening socket from the old
// process to the new one through the core (builtin/listener-handover.ts), so the port never stops
// accepting. Each process's phase and conversation is a ProxyInstance (builtin/proxy-instance.ts).

import type { ProxyEngineInfo } from '../../../shared/api.ts';
import type { AccessEvent, ListenerHandle, MemberLoad, PassiveMark, ProxyConfig, UpstreamMember } from '../../../shared/proxy.ts';
import { SwitchyardError } from '../errors.ts';
import { Emitter } from '../events.ts';
import { childScript } from '../process/child-script.ts';
import type { StateChange, Supervisor } from '../process/supervisor.ts';
import { HEARTBEAT_HEALTH } from './builtin/heartbeat.ts';
import { ListenerHandover } from './builtin/listener-handover.ts';
import { ProxyInstance } from './builtin/proxy-instance.ts';
import { memberIds, routesTo } from './proxy-config.ts';
import type { ProxyInstanceHost } from './builtin/proxy-instance.ts';
import { PROXY_PROCESS, type EngineContext, type EngineFactory, type ProxyEngine, type RecycleDue } from './engine.ts';

/** The proxy process's entry point. */
export const PROXY_MAIN = childScript('./builtin/proxy-main.ts', import.meta.url);

/** How long the proxy may take to say what is under way on a member before the question counts as unanswered. */
const LOAD_ANSWER_MS = 1000;
/** How long a retiring proxy may spend finishing its in-flight requests. */
const RETIRE_GRACE_MS = 10_000;
/**
 * glibc's allocator for the proxy alone (ignored elsewhere): one arena, shared with V8's few helper
 * threads, instead of one per thread. With a thread's arena of its own, a helper thread's could grow
 * by up to 15 MiB during a peak of connections and keep it. Measured: 8 MiB less at rest, no cost per
 * proxied request seen. (Mapping blocks of 4 KiB and up on their own gave back 7 MiB more of the main
 * heap after a peak but cost 10-25% more CPU per request.)
 */
const PROXY_MALLOC_TUNABLES = 'glibc.malloc.arena_max=1';
/**
 * The most V8's young generation may grow to in the proxy, per semi-space (it has two; Node 24 lets
 * each grow to 16-32 MiB). A burst of requests grew it that far, and idle client connections kept
 * those pages: 2,000 idle clients cost 22-24 KiB each, 15-15.5 KiB at this cap (bench connections).
 * CPU per proxied request under wrk -c32, alternating rounds against the default: min 76.6 vs 78.3 µs
 * (10 rounds), min 69.8 vs 67.0 and median 76.1 vs 75.7 (8 rounds): within this machine's noise, a
 * few percent at most. At 2 MiB it rose by about 6%.
 */
export const PROXY_MAX_SEMI_SPACE_MIB = 4;
/** V8 reads it only at start-up (v8.setFlagsFromString comes too late), so it is on the command line. */
const PROXY_V8_FLAGS = [`--max-semi-space-size=${PROXY_MAX_SEMI_SPACE_MIB}`];

/** What the builtin engine needs from the stack. */
export type BuiltinEngineOptions = EngineContext;

/** The builtin engine, as a stack's engine factory. */
export const builtinEngine: EngineFactory = (context) => new BuiltinEngine(context);

/** A wait for one member to drain in every proxy process that may have requests on it. */
interface DrainWaiter {
  member: string;
  pending: Set<ProxyInstance>;
  done: (drained: boolean) => void;
}

/** Runs the builtin Node proxy and keeps it told about routes and members. */
export class BuiltinEngine implements ProxyEngine {
  private readonly options: BuiltinEngineOptions;
  private current: ProxyInstance | null = null;
  /** Replaced processes, until they have finished their requests and stopped. */
  private readonly retiring = new Set<ProxyInstance>();
  private config: ProxyConfig | null = null;
  /** Numbers the configurations sent, across processes, so that each answer names its own. */
  private version = 0;
  /** Who waits for which member to drain, and which proxies have yet to report it. */
  private readonly drainWaiters = new Set<DrainWaiter>();
  /** Set while a restart waits for the new process to take over the listener. */
  private handover: ListenerHandover | null = null;
  private readonly host: ProxyInstanceHost;

  private readonly _onAccess = new Emitter<readonly AccessEvent[]>();
  readonly onAccess = this._onAccess.event;
  private readonly _onPassive = new Emitter<PassiveMark>();
  readonly onPassive = this._onPassive.event;
  private readonly _onRecycle = new Emitter<RecycleDue>();
  readonly onRecycle = this._onRecycle.event;
  private readonly _onProcessChange = new Emitter<StateChange>();
  readonly onProcessChange = this._onProcessChange.event;

  constructor(options: BuiltinEngineOptions) {
    this.options = options;
    this.host = {
      listen: options.listen,
      deps: options.deps,
      greeted: (instance) => this.greet(instance),
      listening: (instance) => {
        if (instance === this.handover?.fresh) this.handover.freshListening();
      },
      listener: (handle) => this.relayListener(handle),
      drained: (instance, member) => this.settleDrains(instance, member),
      ended: (instance, change) => {
        this.settleDrains(instance);
        this.handover?.ended(instance, change.to);
      },
      access: (events) => this._onAccess.fire(events),
      passive: (mark) => this._onPassive.fire(mark),
      recycle: (member, requests) => this._onRecycle.fire({ member, requests }),
      processChange: (change) => this._onProcessChange.fire(change),
    };
  }

  async start(config: ProxyConfig): Promise<void> {
    this.config = config;
    this.current = this.createInstance();
    await this.current.supervisor.start();
  }

  async configure(config: ProxyConfig): Promise<void> {
    const current = this.current;
    if (!current?.alive) {
      // Not running just now: the next process gets it in its first message.
      this.config = config;
      return;
    }
    // Stored before the answer, so that membership changes meanwhile reach the new upstreams too.
    const previous = this.config;
    this.config = config;
    try {
      await current.configure(config, ++this.version);
    } catch (error) {
      if (this.config === config) this.config = previous;
      throw error;
    }
  }

  setMembers(upstream: string, members: UpstreamMember[]): void {
    const config = this.config;
    const existing = config?.upstreams[upstream];
    if (!config || !existing) return;
    config.upstreams[upstream] = { ...existing, members };
    const live = memberIds(config);
    for (const instance of this.instances()) instance.forgetDrained(live);
    for (const instance of this.instances()) if (instance.configured) instance.send({ type: 'members', upstream, members });
  }

  drained(member: string, timeout: number): Promise<boolean> {
    // The proxy only reports members of upstreams it routes to (an app just removed from the stack file is not one).
    if (!routesTo(this.config, member)) return Promise.resolve(true);
    // During a proxy handover both processes may have requests on the member: each must report it.
    const pending = new Set(this.instances().filter((instance) => instance.configured && instance.alive && !instance.hasDrained(member)));
    if (pending.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: DrainWaiter = {
        member,
        pending,
        done: (drained) => {
          clearTimeout(timer);
          this.drainWaiters.delete(waiter);
          resolve(drained);
        },
      };
      const timer = setTimeout(() => waiter.done(false), timeout);
      this.drainWaiters.add(waiter);
    });
  }

  async load(member: string): Promise<MemberLoad | null> {
    // During a proxy handover both processes may have requests on the member.
    const answers = await Promise.all(this.instances().filter((instance) => instance.alive).map((instance) => instance.load(member, LOAD_ANSWER_MS)));
    const known = answers.filter((load) => load !== null);
    if (known.length === 0) return null;
    const waiting = known.filter((load) => load.inFlight > 0);
    return {
      inFlight: waiting.reduce((sum, load) => sum + load.inFlight, 0),
      silentFor: waiting.length === 0 ? 0 : Math.min(...waiting.map((load) => load.silentFor)),
      patience: Math.max(...known.map((load) => load.patience)),
    };
  }

  async restart(): Promise<void> {
    const old = this.current;
    if (!old) throw new SwitchyardError('not-found', 'this stack has no proxy');
    if (this.handover) throw new SwitchyardError('bad-request', 'the proxy is already being restarted');
    if (old.phase !== 'listening' || !old.alive) {
      // Nothing is listening to hand over: a plain restart loses nothing.
      await old.supervisor.restart('restart requested for proxy');
      return;
    }
    const fresh = this.createInstance();
    const handover = new ListenerHandover(old, fresh, this.options.listen, RETIRE_GRACE_MS);
    this.handover = handover;
    this.current = fresh;
    this.retiring.add(old);
    old.supervisor.setRole('leaving');
    try {
      await fresh.supervisor.start();
      await handover.done();
    } catch (error) {
      this.handover = null;
      await this.recoverTakeover(handover);
      throw error instanceof SwitchyardError ? error : new SwitchyardError('internal', `proxy restart failed: ${(error as Error).message}`);
    } finally {
      this.handover = null;
    }
    await old.supervisor.stop({ drain: () => old.finished() });
    this.retiring.delete(old);
    old.dispose();
  }

  /**
   * A restart failed before the new proxy accepted on the listener. The old one never stopped
   * accepting (it only does once told to retire), so while it lives it stays the proxy, and is
   * brought up to date with anything configured meanwhile; if it died, the new one listens itself.
   */
  private async recoverTakeover(handover: ListenerHandover): Promise<void> {
    const { old, fresh } = handover;
    if (fresh.phase === 'listening') {
      // It did take over after all (its answer came as the wait gave up): finish the handover.
      if (old.alive && old.phase === 'handing-over') handover.retireOld();
      return;
    }
    if (!old.alive) {
      const { host, port } = this.options.listen;
      if (fresh.configured) fresh.send({ type: 'listen', host, port });
      return;
    }
    this.retiring.delete(old);
    if (old.phase === 'handing-over') old.moveTo('listening');
    this.current = old;
    await fresh.supervisor.stop();
    fresh.dispose();
    const config = this.config;
    if (config === null || !old.alive) return;
    try {
      await old.configure(config, ++this.version);
    } catch (error) {
      this.options.deps.logs.append('proxy', 'system', `the proxy kept after a failed restart refused the current configuration: ${(error as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.handover?.abandon();
    await Promise.all(this.instances().map((instance) => instance.supervisor.stop()));
  }

  async kill(): Promise<void> {
    this.handover?.abandon();
    await Promise.all(this.instances().map((instance) => instance.supervisor.kill()));
  }

  supervisors(): Supervisor[] {
    return this.instances().map((instance) => instance.supervisor);
  }

  describe(): Promise<ProxyEngineInfo> {
    return Promise.resolve({ engine: 'builtin', program: null, config: null });
  }

  private instances(): ProxyInstance[] {
    return [...(this.current ? [this.current] : []), ...this.retiring];
  }

  private createInstance(): ProxyInstance {
    const { listen, cwd, env, node } = this.options;
    return new ProxyInstance(
      {
        ...PROXY_PROCESS,
        // Its health is read from the heartbeats on its channel (ProxyInstance's heard).
        health: HEARTBEAT_HEALTH,
        argv: [...node.argv, ...PROXY_V8_FLAGS, PROXY_MAIN],
        cwd,
        env,
        runtimeEnv: { ...node.env, GLIBC_TUNABLES: PROXY_MALLOC_TUNABLES },
        fixedPort: listen.port,
        ipc: true,
        stop: { signal: 'SIGTERM', timeout: RETIRE_GRACE_MS },
      },
      this.host,
    );
  }

  /** A fresh proxy process: configure it, then have it listen or take over from the one retiring. */
  private greet(instance: ProxyInstance): void {
    const config = this.config;
    if (!instance.alive || !config) return;
    void (async () => {
      try {
        await instance.configure(config, ++this.version);
      } catch (error) {
        // The running configuration was accepted before, so this is a bug or a dying process. A
        // proxy without routes must not listen: a restart's takeover fails at once, and a lone
        // proxy is ended so that its supervisor restarts it with backoff, as after a crash.
        this.options.deps.logs.append('proxy', 'system', `could not configure the proxy: ${(error as Error).message}`);
        if (this.handover && instance === this.handover.fresh) this.handover.fail(error as Error);
        else instance.crash();
        return;
      }
      if (this.handover && instance === this.handover.fresh) {
        this.handover.freshConfigured();
        return;
      }
      const { host, port } = this.options.listen;
      instance.send({ type: 'listen', host, port });
    })();
  }

  private relayListener(handle: ListenerHandle): void {
    if (this.handover) this.handover.relay(handle);
    // Late, after a restart that gave up: nobody takes it over any more.
    else handle.close();
  }

  /** `instance` has drained `member` (or, without one, has nothing in flight any more). */
  private settleDrains(instance: ProxyInstance, member?: string): void {
    for (const waiter of [...this.drainWaiters]) {
      if (member !== undefined && waiter.member !== member) continue;
      waiter.pending.delete(instance);
      if (waiter.pending.size === 0) waiter.done(true);
    }
  }
}
