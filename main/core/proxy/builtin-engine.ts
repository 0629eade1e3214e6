// The builtin engine: Switchyard's own Node proxy (builtin/proxy-main.ts), run as a supervised
// process and driven over its IPC channel. A restart hands the listening socket from the old
// process to the new one through the core, so the port never stops accepting (nginx's binary
// upgrade, HAProxy's -sf).

import type net from 'node:net';
import type { AccessEvent, FromProxy, PassiveMark, ProxyConfig, ToProxy, UpstreamMember } from '../../../shared/proxy.ts';
import { LIVE_STATES } from '../../../shared/process.ts';
import type { HealthSpec } from '../../../shared/stack.ts';
import type { ProbeResult } from '../health/health-probe.ts';
import { SwitchyardError } from '../errors.ts';
import { Emitter } from '../events.ts';
import { childScript } from '../process/child-script.ts';
import type { IpcChannel } from '../process/spawner.ts';
import { signalProcess } from '../process/process-tree.ts';
import { Supervisor, type ProcessSpec, type StateChange } from '../process/supervisor.ts';
import type { EngineContext, EngineFactory, ProxyEngine } from './engine.ts';

/** The proxy process's entry point. */
export const PROXY_MAIN = childScript('./builtin/proxy-main.ts', import.meta.url);

/** How long the proxy may take to answer a configuration or take over the listener. */
const ANSWER_TIMEOUT_MS = 10_000;
/** The proxy's own checks (see `ping`): a hung proxy leaves ready after 3 misses and is restarted after 10. */
const PROXY_HEALTH: HealthSpec = { path: null, interval: 1000, timeout: 1000, healthyAfter: 1, unhealthyAfter: 3, restartAfter: 10 };
/** How long a retiring proxy may spend finishing its in-flight requests. */
const RETIRE_GRACE_MS = 10_000;

/** What the builtin engine needs from the stack. */
export type BuiltinEngineOptions = EngineContext;

/** The builtin engine, as a stack's engine factory. */
export const builtinEngine: EngineFactory = (context) => new BuiltinEngine(context);

/** One proxy process and the conversation with it. */
interface Instance {
  supervisor: Supervisor;
  channel: IpcChannel | null;
  /** Has accepted a configuration: membership updates make sense to it from now on. */
  configured: boolean;
  listening: boolean;
  /** Resolves once a retiring proxy has finished its in-flight requests. */
  idle: Deferred<void> | null;
  /** Members this process has reported drained. */
  drained: Set<string>;
  /** Health pings awaiting their pong, by number. */
  pings: Map<number, () => void>;
}

/** A wait for one member to drain in every proxy process that may have requests on it. */
interface DrainWaiter {
  member: string;
  pending: Set<Instance>;
  done: (drained: boolean) => void;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

/** Runs the builtin Node proxy and keeps it told about routes and members. */
export class BuiltinEngine implements ProxyEngine {
  private readonly options: BuiltinEngineOptions;
  private current: Instance | null = null;
  private readonly retiring = new Set<Instance>();
  private config: ProxyConfig | null = null;
  private version = 0;
  private readonly replies = new Map<number, Deferred<void>>();
  /** Who waits for which member to drain, and which proxies have yet to report it. */
  private readonly drainWaiters = new Set<DrainWaiter>();
  /** Set while a restart waits for the new process to take over the listener. */
  private takeover: Deferred<void> | null = null;
  private stopped = false;
  /** Numbers the health pings. */
  private pings = 0;

  private readonly _onAccess = new Emitter<readonly AccessEvent[]>();
  readonly onAccess = this._onAccess.event;
  private readonly _onPassive = new Emitter<PassiveMark>();
  readonly onPassive = this._onPassive.event;
  private readonly _onProcessChange = new Emitter<StateChange>();
  readonly onProcessChange = this._onProcessChange.event;

  constructor(options: BuiltinEngineOptions) {
    this.options = options;
  }

  async start(config: ProxyConfig): Promise<void> {
    this.config = config;
    this.current = this.createInstance();
    await this.current.supervisor.start();
  }

  async configure(config: ProxyConfig): Promise<void> {
    const channel = this.current?.channel;
    if (!channel) {
      // Not running just now: the next process gets it in its first message.
      this.config = config;
      return;
    }
    // Stored before the answer, so that membership changes meanwhile reach the new upstreams too.
    const previous = this.config;
    this.config = config;
    try {
      await this.request(channel, config);
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
    const live = new Set(Object.values(config.upstreams).flatMap((u) => u.members.map((m) => m.id)));
    for (const instance of this.instances()) for (const id of instance.drained) if (!live.has(id)) instance.drained.delete(id);
    for (const instance of this.instances()) if (instance.configured) this.send(instance, { type: 'members', upstream, members });
  }

  drained(member: string, timeout: number): Promise<boolean> {
    // The proxy only reports members of upstreams it routes to (an app just removed from the stack file is not one).
    const routed = Object.values(this.config?.upstreams ?? {}).some((upstream) => upstream.members.some((each) => each.id === member));
    if (!routed) return Promise.resolve(true);
    // During a proxy handover both processes may have requests on the member: each must report it.
    const pending = new Set(this.instances().filter((instance) => instance.configured && instance.channel && !instance.drained.has(member)));
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

  async restart(): Promise<void> {
    const old = this.current;
    if (!old) throw new SwitchyardError('not-found', 'this stack has no proxy');
    if (this.takeover) throw new SwitchyardError('bad-request', 'the proxy is already being restarted');
    if (!old.listening || !old.channel || !LIVE_STATES.includes(old.supervisor.state)) {
      // Nothing is listening to hand over: a plain restart loses nothing.
      await old.supervisor.restart('restart requested for proxy');
      return;
    }
    const fresh = this.createInstance();
    this.takeover = deferred();
    const takeover = this.takeover;
    this.current = fresh;
    this.retiring.add(old);
    old.supervisor.setRole('leaving');
    try {
      await fresh.supervisor.start();
      await withTimeout(takeover.promise, ANSWER_TIMEOUT_MS, 'the new proxy did not take over the listener');
    } catch (error) {
      this.takeover = null;
      await this.recoverTakeover(old, fresh);
      throw error instanceof SwitchyardError ? error : new SwitchyardError('internal', `proxy restart failed: ${(error as Error).message}`);
    } finally {
      this.takeover = null;
    }
    await old.supervisor.stop({ drain: () => old.idle?.promise ?? Promise.resolve() });
    this.retiring.delete(old);
  }

  /**
   * A restart failed before the new proxy accepted on the listener. The old one never stopped
   * accepting (it only does once told to retire), so while it lives it stays the proxy, and is
   * brought up to date with anything configured meanwhile; if it died, the new one listens itself.
   */
  private async recoverTakeover(old: Instance, fresh: Instance): Promise<void> {
    const oldAlive = old.channel !== null && LIVE_STATES.includes(old.supervisor.state);
    if (fresh.listening) {
      // It did take over after all (its answer came as the wait gave up): finish the handover.
      if (oldAlive) this.send(old, { type: 'retire', grace: RETIRE_GRACE_MS });
      return;
    }
    if (!oldAlive) {
      const { host, port } = this.options.listen;
      if (fresh.configured) this.send(fresh, { type: 'listen', host, port });
      return;
    }
    this.retiring.delete(old);
    old.idle = null;
    this.current = old;
    await fresh.supervisor.stop();
    const config = this.config;
    if (config === null || old.channel === null) return;
    try {
      await this.request(old.channel, config);
    } catch (error) {
      this.options.deps.logs.append('proxy', 'system', `the proxy kept after a failed restart refused the current configuration: ${(error as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.instances().map((instance) => instance.supervisor.stop()));
  }

  async kill(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.instances().map((instance) => instance.supervisor.kill()));
  }

  supervisors(): Supervisor[] {
    return this.instances().map((instance) => instance.supervisor);
  }

  private instances(): Instance[] {
    return [...(this.current ? [this.current] : []), ...this.retiring];
  }

  private createInstance(): Instance {
    const { listen, deps, cwd, env, node } = this.options;
    const spec: ProcessSpec = {
      name: 'proxy',
      app: 'proxy',
      kind: 'proxy',
      worker: 1,
      argv: [...node.argv, PROXY_MAIN],
      cwd,
      env,
      runtimeEnv: node.env,
      portEnv: null,
      fixedPort: listen.port,
      ipc: true,
      health: PROXY_HEALTH,
      restart: 'always',
      backoff: { initial: 200, max: 5000 },
      maxRestarts: 10,
      minUptime: 2000,
      stop: { signal: 'SIGTERM', timeout: RETIRE_GRACE_MS },
      check: () => () => this.ping(instance),
    };
    const supervisor = new Supervisor(spec, deps);
    const instance: Instance = { supervisor, channel: null, configured: false, listening: false, idle: null, drained: new Set(), pings: new Map() };
    supervisor.onSpawn(({ run, child }) => {
      instance.channel = child.channel ?? null;
      instance.configured = false;
      instance.listening = false;
      child.channel?.onMessage((message, handle) => {
        // Messages from an earlier run of this supervisor are from a process that is gone.
        if (supervisor.currentRun !== run) return;
        this.onMessage(instance, message as FromProxy, handle);
      });
    });
    supervisor.onStateChange((change) => {
      this._onProcessChange.fire(change);
      if (LIVE_STATES.includes(change.to)) return;
      instance.channel = null;
      instance.listening = false;
      instance.idle?.resolve();
      // A proxy that died has nothing in flight; nobody should wait for its drains.
      instance.drained.clear();
      this.settleDrains(instance);
      // A new proxy that dies during a restart will not take over: fail now, not at the timeout.
      if (this.takeover && instance === this.current) this.takeover.reject(new SwitchyardError('internal', `the new proxy ${change.to === 'stopped' ? 'stopped' : 'exited'} before it took over the listener`));
    });
    return instance;
  }

  private onMessage(instance: Instance, message: FromProxy, handle: unknown): void {
    const logs = this.options.deps.logs;
    switch (message.type) {
      case 'hello':
        this.greet(instance);
        return;
      case 'listening':
        instance.listening = true;
        if (instance === this.current && this.takeover) {
          // Both accept on the same socket for a moment; now the old one may stop.
          for (const old of this.retiring) if (old.idle) this.send(old, { type: 'retire', grace: RETIRE_GRACE_MS });
          this.takeover.resolve();
        }
        return;
      case 'listen-failed':
        logs.append('proxy', 'system', `cannot listen on ${this.options.listen.host}:${this.options.listen.port}: ${message.message}`);
        return;
      case 'applied':
        this.replies.get(message.version)?.resolve();
        return;
      case 'rejected':
        this.replies.get(message.version)?.reject(new SwitchyardError('bad-request', `the proxy refused the configuration: ${message.message}`));
        return;
      case 'access':
        this._onAccess.fire(message.events);
        return;
      case 'drained':
        instance.drained.add(message.member);
        this.settleDrains(instance, message.member);
        return;
      case 'passive':
        this._onPassive.fire(message.mark);
        return;
      case 'listener':
        if (isListenerHandle(handle)) this.relayListener(handle);
        return;
      case 'idle':
        instance.idle?.resolve();
        return;
      case 'pong':
        instance.pings.get(message.seq)?.();
        return;
    }
  }

  /**
   * The proxy's health: it listens (it said so) and its event loop answers on the channel. A port
   * check is not enough: a stopped process's port is still accepted by the kernel, and during a
   * takeover, or when another instance holds the port, the answer would come from another process.
   */
  private ping(instance: Instance): Promise<ProbeResult> {
    const { host, port } = this.options.listen;
    const channel = instance.channel;
    if (!channel || !instance.listening) return Promise.resolve({ ok: false, detail: `not yet listening on ${host}:${port}`, host: null });
    const seq = ++this.pings;
    const timeout = PROXY_HEALTH.timeout;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        instance.pings.delete(seq);
        resolve({ ok: false, detail: `the proxy process did not answer within ${timeout}ms (stopped, or its event loop is blocked)`, host: null });
      }, timeout);
      instance.pings.set(seq, () => {
        clearTimeout(timer);
        instance.pings.delete(seq);
        resolve({ ok: true, detail: `the proxy listens on ${host}:${port} and answers`, host });
      });
      channel.send({ type: 'ping', seq } satisfies ToProxy).catch(() => {
        // The exit that follows is what the supervisor reports; this check just fails.
      });
    });
  }

  /** A fresh proxy process: configure it, then have it listen or take over from the one retiring. */
  private greet(instance: Instance): void {
    const channel = instance.channel;
    const config = this.config;
    if (!channel || !config) return;
    void (async () => {
      try {
        // Messages keep their order on the channel, so membership changes may follow the configuration at once.
        await this.request(channel, config, () => (instance.configured = true));
      } catch (error) {
        // The running configuration was accepted before, so this is a bug or a dying process. A
        // proxy without routes must not listen: a restart's takeover fails at once, and a lone
        // proxy is ended so that its supervisor restarts it with backoff, as after a crash.
        this.options.deps.logs.append('proxy', 'system', `could not configure the proxy: ${(error as Error).message}`);
        if (this.takeover && instance === this.current) this.takeover.reject(error as Error);
        else {
          // Already gone is fine: its supervisor has seen the exit.
          const pid = instance.supervisor.currentPid;
          if (pid !== null) signalProcess(pid, 'SIGKILL');
        }
        return;
      }
      const retiring = [...this.retiring].find((other) => other.listening && other.channel && !other.idle);
      if (this.takeover && instance === this.current && retiring) {
        retiring.idle = deferred();
        this.send(retiring, { type: 'hand-over' });
        return;
      }
      const { host, port } = this.options.listen;
      this.send(instance, { type: 'listen', host, port });
    })();
  }

  /**
   * The retiring proxy sent its native listening handle. The core only holds it (it never accepts
   * on it), passes it to the new proxy and closes its own copy once the new one has it.
   */
  private relayListener(handle: ListenerHandle): void {
    const fresh = this.current;
    if (!fresh?.channel || this.stopped) {
      handle.close();
      return;
    }
    fresh.channel
      // The channel's types name net.Server and net.Socket; Node sends a native handle just the same.
      .send({ type: 'adopt' } satisfies ToProxy, handle as unknown as net.Server)
      .catch((error: Error) => this.takeover?.reject(error))
      .finally(() => handle.close());
  }

  /** `instance` has drained `member` (or, without one, has nothing in flight any more). */
  private settleDrains(instance: Instance, member?: string): void {
    for (const waiter of [...this.drainWaiters]) {
      if (member !== undefined && waiter.member !== member) continue;
      waiter.pending.delete(instance);
      if (waiter.pending.size === 0) waiter.done(true);
    }
  }

  private async request(channel: IpcChannel, config: ProxyConfig, sent: () => void = () => {}): Promise<void> {
    const version = ++this.version;
    const reply = deferred<void>();
    this.replies.set(version, reply);
    try {
      const sending = channel.send({ type: 'configure', version, config } satisfies ToProxy);
      sent();
      await sending;
      await withTimeout(reply.promise, ANSWER_TIMEOUT_MS, 'the proxy did not answer a configuration change');
    } finally {
      this.replies.delete(version);
    }
  }

  private send(instance: Instance, message: ToProxy): void {
    // A failed send means the process is exiting; its supervisor reports that.
    instance.channel?.send(message).catch(() => {});
  }
}

/** Node's native TCP handle, as it arrives over IPC. */
interface ListenerHandle {
  close(callback?: () => void): void;
}

function isListenerHandle(handle: unknown): handle is ListenerHandle {
  return typeof handle === 'object' && handle !== null && typeof (handle as ListenerHandle).close === 'function';
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Rejections are observed by whoever awaits; an unobserved one must not crash the core.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SwitchyardError('internal', `${message} within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
