// The data plane's contract: what the core tells the proxy (routes, upstreams, live membership)
// and what the proxy tells the core (access events, drained workers, passive failures).
// The builtin engine carries these messages over a Node IPC channel; another engine may not.

import type { BalanceStrategy, ClientLimits, Millis, RouteSpec } from './stack.ts';

/** A worker's place in rotation: `ready` gets new requests, `draining` only finishes its own, `down` gets none. */
export type MemberState = 'ready' | 'draining' | 'down';

/** One process behind an upstream, as the proxy sees it. */
export interface UpstreamMember {
  /** Unique per run of a process (`api-2@41234`): a restarted worker is a new member. */
  id: string;
  /** Process name (`api-2`, `web`); ip-hash hashes onto names, so a restart keeps its clients. */
  name: string;
  /** Loopback address the process answers on. */
  host: string;
  /** 0 for a member that is down and has no port (starting, backing off). */
  port: number;
  state: MemberState;
  /** Requests after which the core wants the worker recycled (max_requests plus its jitter); absent for no limit. */
  maxRequests?: number;
}

/** An app or a static site that routes forward to. */
export interface UpstreamConfig {
  name: string;
  kind: 'app' | 'static';
  balance: BalanceStrategy;
  /** In worker order; members that are not ready stay listed so that ip-hash does not reshuffle. */
  members: UpstreamMember[];
  /**
   * A static site's folder: the proxy answers its routes from it itself, as nginx serves a `root`,
   * without a second hop; the members then serve only the site's own port.
   */
  site?: StaticSiteFiles;
}

/** Where a static site's files are and how missing paths are answered. */
export interface StaticSiteFiles {
  /** Absolute path of the folder. */
  root: string;
  /** A navigation request for a missing path gets the root's index.html. */
  spa: boolean;
}

/** A route as the proxy needs it: the stack file's route without its source position. */
export type ProxyRoute = Omit<RouteSpec, 'at'>;

/** Everything the proxy forwards by; replaced whole on every change of the stack file. */
export interface ProxyConfig {
  /**
   * The stack's proxy, the same across its restarts: forwarded requests carry `Via: 1.1 switchyard-<id>`,
   * and one that comes back carrying it is a loop. Letters, digits and dashes.
   */
  id: string;
  clients: ClientLimits;
  routes: ProxyRoute[];
  /** By app or static site name. */
  upstreams: Record<string, UpstreamConfig>;
}

/** One request as the proxy saw it (an access log line). */
export interface AccessEvent {
  /** Epoch milliseconds when the request arrived. */
  time: number;
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  /** Status sent to the client; 0 when the client left before a status was sent. */
  status: number;
  /** Response body bytes sent to the client. */
  bytes: number;
  /** Milliseconds from arrival to the last byte (or the abort). */
  duration: number;
  /** The matched route's path prefix (with its host as `host/path` when it has one), or null for no match. */
  route: string | null;
  /** Name of the process that answered (`api-2`), the URL for a URL route, or null when none was reached. */
  worker: string | null;
  /** The member that answered (UpstreamMember.id): which run, where two share a name during a reload. Null for a URL or none. */
  member: string | null;
  requestId: string;
  /** Why the request failed inside the proxy (`upstream timeout`, `client aborted` …), or null. */
  error: string | null;
  /** How many upstream attempts were made (retries + 1); 0 when no upstream was tried. */
  attempts: number;
}

/**
 * An AccessEvent as it crosses the proxy's channel: its fields in declaration order, without their
 * names, which would be half of every event's bytes and of the core's parsing per request.
 */
export type AccessTuple = [
  time: number,
  method: string,
  path: string,
  status: number,
  bytes: number,
  duration: number,
  route: string | null,
  worker: string | null,
  member: string | null,
  requestId: string,
  error: string | null,
  attempts: number,
];

/** A member taken out of rotation (or returned) by passive checks: failed connections, not health checks. */
export interface PassiveMark {
  member: string;
  /** True while the member sits out; false when it is eligible again. */
  out: boolean;
  reason: string;
  /** Epoch milliseconds when it becomes eligible again (when `out`). */
  until: number | null;
}

/** What the proxy has under way on one member, asked for when a health check of it timed out. */
export interface MemberLoad {
  /** Requests (and WebSocket tunnels) in flight on it now. */
  inFlight: number;
  /** Milliseconds since it last answered a request, or since its requests began when it has answered none since; 0 when idle. */
  silentFor: number;
  /** The longest route timeout to its upstream: silence past it means the worker stalled, not that it is busy. */
  patience: number;
}

/** Messages from the core to the proxy process. */
export type ToProxy =
  /** Replace routes and upstreams; answered with `applied` or `rejected` carrying the same version. */
  | { type: 'configure'; version: number; config: ProxyConfig }
  /** Replace one upstream's members (the proxy keeps the rest of its configuration). */
  | { type: 'members'; upstream: string; members: UpstreamMember[] }
  /** Bind and listen; answered with `listening` or `listen-failed`. */
  | { type: 'listen'; host: string; port: number }
  /** Listen on the server handle sent with this message (a handover from a previous proxy); answered with `listening`. */
  | { type: 'adopt' }
  /** Send the listening handle back with `listener`, and keep accepting until told to `retire`. */
  | { type: 'hand-over' }
  /** The next proxy accepts on the listener now: stop accepting, finish in-flight requests, then report `idle` and exit. */
  | { type: 'retire'; grace: Millis }
  /** What is under way on `member`; answered with `load` carrying the same number. */
  | { type: 'load'; seq: number; member: string };

/** Messages from the proxy process to the core. */
export type FromProxy =
  /** The process is up and waits for `configure` and `listen` (or `adopt`). */
  | { type: 'hello'; pid: number }
  | { type: 'listening'; host: string; port: number }
  | { type: 'listen-failed'; code: string; message: string }
  | { type: 'applied'; version: number }
  | { type: 'rejected'; version: number; message: string }
  /** A batch of access events (sent about once a frame, 16 ms, while there is traffic), each as an AccessTuple. */
  | { type: 'access'; events: AccessTuple[] }
  /** A draining member has no requests in flight any more (sent once per member id). */
  | { type: 'drained'; member: string }
  | { type: 'passive'; mark: PassiveMark }
  /** Carries the native listening handle (not a net.Server, which would make the core accept), in answer to `hand-over`. */
  | { type: 'listener' }
  /** After `retire`: every in-flight request has finished (or the grace period ran out). */
  | { type: 'idle'; unfinished: number }
  /** Sent on every beat of the heartbeat interval: the proxy's event loop runs (its health, read by the core). */
  | { type: 'heartbeat' }
  /** The answer to `load`: null for a member this process does not know. */
  | { type: 'load'; seq: number; load: MemberLoad | null }
  /** A member reached its `maxRequests` (sent once per member id). */
  | { type: 'recycle'; member: string; requests: number };

/**
 * A listening socket between processes: Node's native TCP handle, as `listener` and `adopt` carry it.
 * It is not listening in a process that merely holds it; whoever passes it on closes its own copy after.
 */
export interface ListenerHandle {
  close(callback?: () => void): void;
}
