// The stack model: a validated `switchyard.yaml` with every default applied and every path absolute.
// `main/core/config` produces it; the CLI, the core and the UI read it.

/** Milliseconds; the stack file writes durations as `250ms`, `2s`, `1m`. */
export type Millis = number;

/** How an app spreads requests over its ready workers. */
export type BalanceStrategy = 'round-robin' | 'least-conn' | 'ip-hash';

/** When a worker that ended on its own is started again. */
export type RestartPolicy = 'always' | 'on-failure' | 'never';

/** Signals a worker may be asked to stop with. */
export type StopSignal = 'SIGTERM' | 'SIGINT' | 'SIGQUIT' | 'SIGHUP' | 'SIGUSR1' | 'SIGUSR2' | 'SIGKILL';

/** Signals that ask a server for its own graceful reload (gunicorn and uWSGI HUP, php-fpm and Puma USR2). */
export type ReloadSignal = 'SIGHUP' | 'SIGUSR1' | 'SIGUSR2';

/** Where a position in the stack file is, for messages that point at it. */
export interface SourcePosition {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
}

/** Where the proxy listens. */
export interface ListenAddress {
  /** Defaults to 127.0.0.1. */
  host: string;
  port: number;
}

/** One route of the proxy; the longest matching prefix wins. */
export interface RouteSpec {
  /** Exact host to match (without port), or null for any host. */
  host: string | null;
  /** Path prefix, always starting with `/`. */
  path: string;
  /** The app, static site or http(s):// URL that serves it. */
  to: string;
  /** Which kind of target `to` names. */
  target: 'app' | 'static' | 'url';
  /** Remove the matched prefix before forwarding. */
  stripPrefix: boolean;
  /** Upstream read timeout between two reads. */
  timeout: Millis;
  /** Where the route is written, for messages. */
  at: SourcePosition;
}

/** How the proxy treats its clients' connections: nginx's timeouts, and a cap on how many it holds. */
export interface ClientLimits {
  /** A request's head must arrive within this from its first byte (or from the connection's start). */
  clientHeaderTimeout: Millis;
  /** Longest silence between two reads of a request body while the proxy is ready to read. */
  clientBodyTimeout: Millis;
  /** How long an idle keep-alive connection stays open. */
  keepaliveTimeout: Millis;
  /** Client connections one proxy process holds; more are closed at once. */
  maxConnections: number;
}

/** The stack file's defaults for ClientLimits (nginx's, and a cap well below common file-handle limits). */
export const DEFAULT_CLIENT_LIMITS: Readonly<ClientLimits> = { clientHeaderTimeout: 60_000, clientBodyTimeout: 60_000, keepaliveTimeout: 75_000, maxConnections: 1024 };

/** What runs the proxy: Switchyard's own Node proxy, or the system's nginx on a generated configuration. */
export type ProxyEngineName = 'builtin' | 'nginx';

/** The reverse proxy in front of the stack. */
export interface ProxySpec extends ClientLimits {
  listen: ListenAddress;
  routes: RouteSpec[];
  /** Absent means builtin. */
  engine?: ProxyEngineName;
}

/** A static front-end server. */
export interface StaticSiteSpec {
  name: string;
  /** Absolute folder served. */
  root: string;
  /** Unknown navigation paths get index.html. */
  spa: boolean;
}

/** Active health checking of each worker. */
export interface HealthSpec {
  /** HTTP GET path whose 2xx is a pass; null means a TCP connect check. */
  path: string | null;
  /** Between two checks once the worker is ready (Docker's `interval`). */
  interval: Millis;
  /** Between two checks while it is starting, and after a reload signal until one passes (Docker's `start_interval`). */
  startInterval: Millis;
  timeout: Millis;
  /** Consecutive passes to enter rotation. */
  healthyAfter: number;
  /** Consecutive fails to leave rotation. */
  unhealthyAfter: number;
  /** Consecutive fails to restart a worker that was ready once (a hung worker). */
  restartAfter: number;
}

/** A backend program; each replica is one worker process. */
export interface AppSpec {
  name: string;
  /** Program and arguments, never run through a shell. */
  argv: string[];
  /** Absolute working directory. */
  cwd: string;
  replicas: number;
  /** Variable that carries the worker's port, or null for an app that serves no port. */
  portEnv: string | null;
  /** `env_file` values overlaid by `env` values. */
  env: Record<string, string>;
  health: HealthSpec;
  balance: BalanceStrategy;
  restart: RestartPolicy;
  backoff: { initial: Millis; max: Millis };
  /** Quick exits in a row before the app's worker is marked failed. */
  maxRestarts: number;
  /** A run shorter than this counts as a quick exit (pm2 `min_uptime`). */
  minUptime: Millis;
  stop: { signal: StopSignal; timeout: Millis };
  /** Globs, relative to cwd, whose changes trigger a reload. */
  watch: string[];
  /** Requests after which a worker is replaced surge-first (gunicorn's max_requests); 0 never recycles. */
  maxRequests: number;
  /** Each worker's limit is maxRequests plus a random 0 to this, drawn per worker, so workers do not all recycle at once. */
  maxRequestsJitter: number;
  /** A reload signals each worker's main process (the server's own graceful reload) instead of replacing it; null: rolling. */
  reload: { signal: ReloadSignal } | null;
  /** What must stand before its workers start (`depends_on`). */
  dependsOn: Dependency[];
  /** `image:` or `build:`, read only by `switchyard export compose|k8s`; absent when neither is written. */
  container?: ContainerImage;
  /** The `env_file` files, absolute, in the order written (their values are already in `env`). */
  envFiles?: string[];
}

/** Where an exported container's image comes from: a published image, or a folder (absolute) to build one from. */
export type ContainerImage = { image: string } | { build: string };

/** What a dependant waits for: the target `started`, `healthy` (every worker ready) or `completed` (a task that exited 0). */
export type DependencyCondition = 'started' | 'healthy' | 'completed';

/** One entry of `depends_on`. */
export interface Dependency {
  /** The app or task waited for. */
  on: string;
  condition: DependencyCondition;
}

/** A command run to completion (a migration, an asset build) that apps may wait for; never restarted on its own. */
export interface TaskSpec {
  name: string;
  /** Program and arguments, never run through a shell. */
  argv: string[];
  /** Absolute working directory. */
  cwd: string;
  /** `env_file` values overlaid by `env` values. */
  env: Record<string, string>;
  /** What must stand before it runs (`depends_on`), as for an app. */
  dependsOn: Dependency[];
  /** `image:` or `build:`, as for an app. */
  container?: ContainerImage;
  /** The `env_file` files, absolute, in the order written, as for an app. */
  envFiles?: string[];
}

/** A whole validated stack. */
export interface StackSpec {
  name: string;
  /** Absolute path of the stack file. */
  file: string;
  /** Absolute folder of the stack file; relative paths start here. */
  dir: string;
  proxy: ProxySpec | null;
  statics: StaticSiteSpec[];
  apps: AppSpec[];
  tasks: TaskSpec[];
}

/** One problem found in a stack file. */
export interface StackIssue {
  file: string;
  line: number;
  col: number;
  /** What is wrong and what would be valid. */
  message: string;
  /** Errors make the file invalid; warnings are printed and the stack still runs. */
  severity: 'error' | 'warning';
}
