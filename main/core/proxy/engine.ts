// The proxy seen from the core: something that serves the routes, learns each upstream's members
// and reports every request. Nothing outside an engine knows how requests are forwarded, so an
// nginx engine can replace the builtin one behind the same interface.

import type { AccessEvent, MemberLoad, PassiveMark, ProxyConfig, UpstreamMember } from '../../../shared/proxy.ts';
import type { Event } from '../events.ts';
import type { NodeRuntime } from '../process/node-runtime.ts';
import type { StateChange, Supervisor, SupervisorDeps } from '../process/supervisor.ts';
import type { ListenAddress } from '../../../shared/stack.ts';

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
  /** Batches of access events, in arrival order; the stack keeps the objects as its records (AccessLog.add). */
  readonly onAccess: Event<readonly AccessEvent[]>;
  /** Members taken out of rotation (or returned) by failed connections. */
  readonly onPassive: Event<PassiveMark>;
  /** Members that reached their maxRequests (UpstreamMember.maxRequests); once per member id and proxy process. */
  readonly onRecycle: Event<RecycleDue>;
  /** State and health changes of the engine's processes. */
  readonly onProcessChange: Event<StateChange>;
}
