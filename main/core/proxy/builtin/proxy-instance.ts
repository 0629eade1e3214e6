// One proxy process seen from the core (this runs in the core, not in the proxy): its supervisor, its
// phase, and the conversation on its IPC channel: configurations and their answers, its heartbeats,
// questions about a member's load, the members it reported drained or due for recycling. What its
// messages mean for a restart is its host's business.

import type net from 'node:net';
import type { AccessEvent, FromProxy, ListenerHandle, MemberLoad, PassiveMark, ProxyConfig, ToProxy } from '../../../../shared/proxy.ts';
import { LIVE_STATES } from '../../../../shared/process.ts';
import type { ListenAddress } from '../../../../shared/stack.ts';
import { SwitchyardError } from '../../errors.ts';
import { DisposableStore } from '../../events.ts';
import type { Disposable } from '../../events.ts';
import type { ProbeResult } from '../../health/health-probe.ts';
import { signalProcess } from '../../process/process-tree.ts';
import type { IpcChannel } from '../../process/spawner.ts';
import { Supervisor } from '../../process/supervisor.ts';
import type { ProcessSpec, StateChange, SupervisorDeps } from '../../process/supervisor.ts';
import { fromAccessTuple } from '../access-wire.ts';
import { deferred, withTimeout } from './deferred.ts';
import { HEARTBEAT_INTERVAL_MS } from './heartbeat.ts';
import type { Deferred } from './deferred.ts';
import { canMove, CONFIGURED_PHASES, FINISHING_PHASES, IllegalPhaseError, LISTENED_PHASES } from './proxy-phases.ts';
import type { ProxyPhase } from './proxy-phases.ts';

/** How long the proxy may take to answer a configuration or take over the listener. */
export const ANSWER_TIMEOUT_MS = 10_000;

/** What a proxy process's messages and its end mean to whoever runs it. */
export interface ProxyInstanceHost {
  readonly listen: ListenAddress;
  readonly deps: SupervisorDeps;
  /** The process is up and waits for its configuration. */
  greeted(instance: ProxyInstance): void;
  /** The process accepts on the listener. */
  listening(instance: ProxyInstance): void;
  /** The process sent its listener, for the proxy that replaces it. */
  listener(handle: ListenerHandle): void;
  /** The process has no request in flight to `member` any more. */
  drained(instance: ProxyInstance, member: string): void;
  /** The process ended: nothing is in flight there any more. */
  ended(instance: ProxyInstance, change: StateChange): void;
  access(events: readonly AccessEvent[]): void;
  passive(mark: PassiveMark): void;
  /** A member reached its maxRequests after `requests` requests. */
  recycle(member: string, requests: number): void;
  processChange(change: StateChange): void;
}

/** One proxy process (across its supervisor's restarts) and the conversation with it. */
export class ProxyInstance implements Disposable {
  readonly supervisor: Supervisor;
  private readonly host: ProxyInstanceHost;
  private _phase: ProxyPhase = 'down';
  private channel: IpcChannel | null = null;
  /** Configuration answers awaited, by version. */
  private readonly replies = new Map<number, Deferred<void>>();
  /** Questions about a member's load awaiting their answer, by number. */
  private readonly loads = new Map<number, (load: MemberLoad | null) => void>();
  private questionCount = 0;
  /** When the current process last sent anything. */
  private heardAt = 0;
  /** How long it may stay silent and pass its check: a heartbeat's interval, and its timeout for a late one. */
  private readonly silenceAllowed: number;
  /** Members this process has reported drained. */
  private readonly drainedMembers = new Set<string>();
  /** Waiting for the process to finish its requests. */
  private finishWaiters: (() => void)[] = [];
  private readonly subscriptions = new DisposableStore();

  constructor(spec: Omit<ProcessSpec, 'check'>, host: ProxyInstanceHost) {
    this.host = host;
    this.silenceAllowed = spec.health.interval + spec.health.timeout;
    const supervisor = new Supervisor({ ...spec, check: () => () => this.heard() }, host.deps);
    this.supervisor = supervisor;
    this.subscriptions.add(
      supervisor.onSpawn(({ run, child }) => {
        this.channel = child.channel ?? null;
        this.moveTo('spawned');
        child.channel?.onMessage((message, handle) => {
          // Messages from an earlier run of this supervisor are from a process that is gone.
          if (supervisor.currentRun !== run) return;
          this.heardAt = Date.now();
          try {
            this.onMessage(message as FromProxy, handle);
          } catch (error) {
            host.deps.logs.append('proxy', 'system', `ignored a '${(message as FromProxy).type}' message from the proxy: ${(error as Error).message}`);
          }
        });
      }),
    );
    this.subscriptions.add(supervisor.onStateChange((change) => this.onStateChange(change)));
  }

  get phase(): ProxyPhase {
    return this._phase;
  }

  /** Holds a configuration: membership updates make sense to it. */
  get configured(): boolean {
    return CONFIGURED_PHASES.includes(this._phase);
  }

  /** Its process runs and its channel is open. */
  get alive(): boolean {
    return this.channel !== null && LIVE_STATES.includes(this.supervisor.state);
  }

  /** Moves to `to`; throws when the phase table does not allow it. */
  moveTo(to: ProxyPhase): void {
    const from = this._phase;
    if (!canMove(from, to)) throw new IllegalPhaseError(from, to);
    this._phase = to;
    if (to === 'idle' || to === 'down') for (const finish of this.finishWaiters.splice(0)) finish();
  }

  /** Resolves once a process that hands its listener over or retires has finished its requests (or ended). */
  finished(): Promise<void> {
    if (!FINISHING_PHASES.includes(this._phase)) return Promise.resolve();
    return new Promise((resolve) => this.finishWaiters.push(resolve));
  }

  /** Sends `config` and resolves once the process applied it; the first one makes it `configured`. */
  async configure(config: ProxyConfig, version: number): Promise<void> {
    const channel = this.channel;
    if (channel === null) throw new SwitchyardError('internal', 'the proxy process is not running');
    const reply = deferred<void>();
    this.replies.set(version, reply);
    try {
      const sending = channel.send({ type: 'configure', version, config } satisfies ToProxy);
      // Messages keep their order on the channel, so membership changes may follow at once.
      if (this._phase === 'spawned') this.moveTo('configured');
      await sending;
      await withTimeout(reply.promise, ANSWER_TIMEOUT_MS, 'the proxy did not answer a configuration change');
    } finally {
      this.replies.delete(version);
    }
  }

  /** Gives the process the listener another one handed over. */
  adopt(handle: ListenerHandle): Promise<void> {
    if (this.channel === null) return Promise.reject(new SwitchyardError('internal', 'the new proxy process is not running'));
    // The channel's types name net.Server and net.Socket; Node sends a native handle just the same.
    return this.channel.send({ type: 'adopt' } satisfies ToProxy, handle as unknown as net.Server);
  }

  /** What the process has under way on `member`; null when it does not know it or does not answer within `timeout`. */
  load(member: string, timeout: number): Promise<MemberLoad | null> {
    const channel = this.channel;
    if (channel === null || !this.configured) return Promise.resolve(null);
    const seq = ++this.questionCount;
    return new Promise((resolve) => {
      const answer = (load: MemberLoad | null) => {
        clearTimeout(timer);
        this.loads.delete(seq);
        resolve(load);
      };
      const timer = setTimeout(() => answer(null), timeout);
      this.loads.set(seq, answer);
      channel.send({ type: 'load', seq, member } satisfies ToProxy).catch(() => answer(null));
    });
  }

  send(message: ToProxy): void {
    // A failed send means the process is exiting; its supervisor reports that.
    this.channel?.send(message).catch(() => {});
  }

  /** Whether the process reported `member` drained. */
  hasDrained(member: string): boolean {
    return this.drainedMembers.has(member);
  }

  /** Forgets drained members that are no member of any upstream any more. */
  forgetDrained(live: ReadonlySet<string>): void {
    for (const id of this.drainedMembers) if (!live.has(id)) this.drainedMembers.delete(id);
  }

  /** Ends the process at once, so that its supervisor restarts it with backoff, as after a crash. */
  crash(): void {
    // Already gone is fine: its supervisor has seen the exit.
    const pid = this.supervisor.currentPid;
    if (pid !== null) signalProcess(pid, 'SIGKILL');
  }

  dispose(): void {
    this.subscriptions.dispose();
  }

  private onStateChange(change: StateChange): void {
    this.host.processChange(change);
    if (LIVE_STATES.includes(change.to)) return;
    this.channel = null;
    if (this._phase !== 'down') this.moveTo('down');
    // A proxy that died has nothing in flight; nobody should wait for its drains.
    this.drainedMembers.clear();
    this.host.ended(this, change);
  }

  private onMessage(message: FromProxy, handle: unknown): void {
    switch (message.type) {
      case 'hello':
        this.host.greeted(this);
        return;
      case 'listening':
        this.moveTo('listening');
        this.host.listening(this);
        return;
      case 'listen-failed': {
        const { host, port } = this.host.listen;
        this.host.deps.logs.append('proxy', 'system', `cannot listen on ${host}:${port}: ${message.message}`);
        return;
      }
      case 'applied':
        this.replies.get(message.version)?.resolve();
        return;
      case 'rejected':
        this.replies.get(message.version)?.reject(new SwitchyardError('bad-request', `the proxy refused the configuration: ${message.message}`));
        return;
      case 'access':
        this.host.access(message.events.map(fromAccessTuple));
        return;
      case 'drained':
        this.drainedMembers.add(message.member);
        this.host.drained(this, message.member);
        return;
      case 'passive':
        this.host.passive(message.mark);
        return;
      case 'listener':
        if (isListenerHandle(handle)) this.host.listener(handle);
        return;
      case 'idle':
        // Its last words may arrive after its exit was seen; they change nothing then.
        if (this._phase !== 'down') this.moveTo('idle');
        return;
      case 'heartbeat':
        return;
      case 'load':
        this.loads.get(message.seq)?.(message.load);
        return;
      case 'recycle':
        this.host.recycle(message.member, message.requests);
        return;
    }
  }

  /**
   * The proxy's health: it listens (it said so) and its event loop runs (it sent something lately:
   * at least its heartbeat, heartbeat.ts). A port check is not enough: a stopped process's port is
   * still accepted by the kernel, and during a takeover, or when another instance holds the port,
   * the answer would come from another process.
   */
  private heard(): Promise<ProbeResult> {
    const { host, port } = this.host.listen;
    if (!this.channel || !LISTENED_PHASES.includes(this._phase)) return Promise.resolve({ ok: false, detail: `not yet listening on ${host}:${port}`, host: null });
    const silence = Date.now() - this.heardAt;
    if (silence <= this.silenceAllowed) return Promise.resolve({ ok: true, detail: `the proxy listens on ${host}:${port} and answers`, host });
    return Promise.resolve({
      ok: false,
      detail: `the proxy process sent nothing for ${(silence / 1000).toFixed(1)}s, its heartbeat is due every ${HEARTBEAT_INTERVAL_MS / 1000}s (stopped, or its event loop is blocked)`,
      host: null,
    });
  }
}

function isListenerHandle(handle: unknown): handle is ListenerHandle {
  return typeof handle === 'object' && handle !== null && typeof (handle as ListenerHandle).close === 'function';
}
