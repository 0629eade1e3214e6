// The proxy seen from the core: something that serves the routes, learns each upstream's members
// and reports every request. Nothing outside an engine knows how requests are forwarded, so an
// nginx engine can replace the builtin one behind the same interface.

import type { ProxyEngineInfo } from '../../../shared/api.ts';
import type { AccessEvent, MemberLoad, PassiveMark, ProxyConfig, UpstreamMember } from '../../../shared/proxy.ts';
import type { Event } from '../events.ts';
import type { NodeRuntime } from '../process/node-runtime.ts';
import type { ProcessSpec, StateChange, Supervisor, SupervisorDeps } from '../process/supervisor.ts';
import type { ListenAddress } from '../../../shared/stack.ts';

/**
 * How every engine's proxy process is supervised: restarted whatever its exit, and checked every
 * 20 ms while it starts and every 2 s once it serves (a check a second kept an idle proxy at 0.2% of a
 * core); a hung proxy leaves ready after 3 misses (about 6 s) and is restarted after 10 (about 20 s).
 * The builtin engine reads its proxy's heartbeats instead (builtin/heartbeat.ts).
 */
export const PROXY_PROCESS: Pick<ProcessSpec, 'name' | 'app' | 'kind' | 'worker' | 'portEnv' | 'health' | 'restart' | 'backoff' | 'maxRestarts' | 'minUptime'> = {
  name: 'proxy',
  app: 'proxy',
  kind: 'proxy',
  worker: 1,
  portEnv: null,
  // A check may take until the next one is due: its deadline timer, cleared when the answer comes, then
  // never wakes an idle core on its own (Node arms its loop's timer for the earliest deadline ever set,
  // cleared or not; at 1 s every check cost the core a wake-up for nothing).
  health: { path: null, interval: 2000, startInterval: 20, timeout: 2000, healthyAfter: 1, unhealthyAfter: 3, restartAfter: 10 },
  restart: 'always',
  backoff: { initial: 200, max: 5000 },
  maxRestarts: 10,
  minUptime: 2000,
};

/** What an engine is given to run its processes with. */
export interface EngineContext {
  listen: ListenAddress;
  deps: SupervisorDeps;
  /** Working directory of the proxy's processes (the stack file's folder). */
  cwd: string;
  /** Environment of the proxy's processes, scrubbed before use like any process's. */
  env: Record<string, string>;
  /** The Node runtime that runs Switchyard's own processes. */
  node: NodeRuntime;
}

/** A member that reached its maxRequests, to be replaced. */
export interface RecycleDue {
  member: string;
  /** Requests it had been sent when it reached the limit. */
  requests: number;
}

/** Makes the engine a stack runs its proxy with (StackOptions.engine); the builtin one by default. */
export type EngineFactory = (context: EngineContext) => ProxyEngine;

/** A running reverse proxy, driven by the Stack. */
export interface ProxyEngine {
  /** Starts serving `config`; resolves once the proxy process is spawned (not yet listening). */
  start(config: ProxyConfig): Promise<void>;
  /** Replaces routes and upstreams without closing the listener; rejects with the proxy's reason and keeps the old ones. */
  configure(config: ProxyConfig): Promise<void>;
  /** Replaces one upstream's members; takes effect for the next request. */
  setMembers(upstream: string, members: UpstreamMember[]): void;
  /** Resolves true once a draining member has no request in flight, false when `timeout` passes first. */
  drained(member: string, timeout: number): Promise<boolean>;
  /** What the proxy has under way on `member` (a health check of it timed out: busy, or dead?); null when it cannot say. */
  load(member: string): Promise<MemberLoad | null>;
  /** Replaces the proxy process; the new one takes over the listener, so no connection is refused. */
  restart(): Promise<void>;
  /** Stops gracefully: no new connections, in-flight requests finish. */
  stop(): Promise<void>;
  /** Kills the proxy now. */
  kill(): Promise<void>;
  /** The processes the engine runs, for listings, logs and metrics. */
  supervisors(): Supervisor[];
  /** Which engine this is, and what it runs with (for diagnostics). */
  describe(): Promise<ProxyEngineInfo>;
  /** Batches of access events, in arrival order; the stack keeps the objects as its records (AccessLog.add). */
  readonly onAccess: Event<readonly AccessEvent[]>;
  /** Members taken out of rotation (or returned) by failed connections. */
  readonly onPassive: Event<PassiveMark>;
  /** Members that reached their maxRequests (UpstreamMember.maxRequests); once per member id and proxy process. */
  readonly onRecycle: Event<RecycleDue>;
  /** State and health changes of the engine's processes. */
  readonly onProcessChange: Event<StateChange>;
}
