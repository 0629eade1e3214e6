// The control contract: what a client (the CLI, the dashboard, the desktop shell) may ask of a
// running stack. Clients only name actions; no method runs an arbitrary command.

import type { LogLine, ProcessInfo } from './process.ts';
import type { AccessEvent } from './proxy.ts';
import type { ArgsSchema, NumberSchema, TextSchema } from './schema.ts';
import type { ProxyEngineName, StackSpec } from './stack.ts';

/** Which log lines to return. */
export interface LogQuery {
  /** A worker (`api-2`), an app (`api`), `proxy`, a static site, or omitted for everything. */
  name?: string;
  /** At most this many of the most recent lines (default 200). */
  tail?: number;
  /** Only lines with a larger seq. */
  after?: number;
}

/** A summary of the running stack. */
export interface StackStatus {
  name: string;
  file: string;
  /** Pid of the orchestrator. */
  pid: number;
  /** Epoch milliseconds when `up` started. */
  startedAt: number;
  spec: StackSpec;
}

/** One method of the contract: how the wire checks its arguments and, as a type only, its signature. */
export interface MethodSpec<Args extends unknown[], Result> {
  readonly args: Readonly<ArgsSchema<Args>>;
  /** Never set: it carries the method's signature (argument names included) to ControlApi. */
  readonly signature?: (...args: Args) => Promise<Result>;
}

function method<Args extends unknown[], Result>(...args: ArgsSchema<Args>): MethodSpec<Args, Result> {
  return { args };
}

const NAME: TextSchema = { type: 'text', minLength: 1, maxLength: 200 };
const COUNT: NumberSchema = { type: 'number', integer: true, min: 0, max: 1_000_000 };
const SEQ: NumberSchema = { type: 'number', integer: true, min: 0 };

/**
 * Every command a client can send, each declared once: its arguments as the wire checks them, and
 * its result. ControlApi, the clients' forwarders and the core's validation all derive from it, so
 * a new command is one entry here plus its implementation in ControlHub.
 */
export const CONTROL_METHODS = {
  /** The stack and how it was started. */
  status: method<[], StackStatus>(),
  /** Every supervised process. */
  listProcesses: method<[], ProcessInfo[]>(),
  /** Recent log lines, oldest first. */
  logs: method<[query: LogQuery], LogLine[]>({
    type: 'object',
    fields: { name: { ...NAME, optional: true }, tail: { ...COUNT, optional: true }, after: { ...SEQ, optional: true } },
  }),
  /** Recent access events of the proxy, oldest first. */
  access: method<[query: AccessQuery], AccessRecord[]>({
    type: 'object',
    fields: { tail: { ...COUNT, optional: true }, after: { ...SEQ, optional: true } },
  }),
  /** Start a stopped worker (`api-2`), every worker of an app, `proxy` or a static site; returns the names started. */
  start: method<[target: string], string[]>(NAME),
  /** Stop a worker, an app's workers (drained first), `proxy` or a static site; returns the names stopped. */
  stop: method<[target: string], string[]>(NAME),
  /** Restart a worker (`api-2`), every worker of an app (`api`), `proxy`, a static site, or everything (`all`); returns the names restarted. */
  restart: method<[target: string], string[]>(NAME),
  /**
   * Zero-downtime rolling reload of an app's workers (or one worker, a static site, or `proxy`):
   * each replacement is healthy and in rotation before its predecessor is drained. Returns the names replaced.
   */
  reload: method<[target: string], string[]>(NAME),
  /** Change an app's number of workers; returns the worker names after the change. */
  scale: method<[app: string, replicas: number], string[]>(NAME, { type: 'number', integer: true, min: 0, max: 256 }),
  /** SIGKILL one worker on purpose, as a crash would end it (its restart policy then applies). Returns its pid. */
  kill: method<[worker: string], number>(NAME),
  /** Read the stack file again and apply it, as saving it does. */
  reloadStackFile: method<[], ConfigOutcome>(),
  /** Start a load test against the stack's own proxy (loopback only); progress comes as `load` events. */
  loadTest: method<[spec: LoadSpec], LoadProgress>({
    type: 'object',
    // Ranges are checked by the load generator, whose messages say what is valid.
    fields: {
      path: { type: 'text', minLength: 1, maxLength: 2000 },
      rate: { type: 'number' },
      duration: { type: 'number' },
      method: { type: 'choice', values: ['GET', 'HEAD', 'POST'], optional: true },
    },
  }),
  /** Stop a running load test early; returns its final figures. */
  stopLoadTest: method<[id: string], LoadProgress>(NAME),
  /** Stop the whole stack gracefully; resolves once the stop has begun. */
  shutdown: method<[], void>(),
  /** What the stack runs with: the host and runtime, the PATH its processes get, and where each app's command resolves. */
  diagnostics: method<[], Diagnostics>(),
};

/** A method name of the control contract. */
export type ControlMethod = keyof typeof CONTROL_METHODS;

/** Each method's arguments. */
export type ControlArgs = { [M in ControlMethod]: Parameters<Signature<M>> };

/** Each method's result. */
export type ControlResults = { [M in ControlMethod]: Awaited<ReturnType<Signature<M>>> };

type Signature<M extends ControlMethod> = NonNullable<(typeof CONTROL_METHODS)[M]['signature']>;

/** Every command a client can send; each returns a Promise. (Mapped over `keyof typeof`, not ControlMethod, so that each method keeps its doc comment.) */
export type ControlApi = { [M in keyof typeof CONTROL_METHODS]: (...args: ControlArgs[M]) => Promise<ControlResults[M]> };

/** Whether `name` is a method of the contract. */
export function isControlMethod(name: string): name is ControlMethod {
  return Object.hasOwn(CONTROL_METHODS, name);
}

/** Every method name, in declaration order. */
export const CONTROL_METHOD_NAMES: readonly ControlMethod[] = Object.keys(CONTROL_METHODS).filter(isControlMethod);

/** Sends one call and resolves with its result: all a transport provides to get the whole ControlApi. */
export type ControlCaller = (call: ControlCall) => Promise<unknown>;

/** The contract's methods, each one call handed to `caller`: how every client (HTTP, WebSocket, the desktop port) gets its ControlApi. */
export function forwardControlApi(caller: ControlCaller): ControlApi {
  const api: Partial<Record<ControlMethod, (...args: unknown[]) => Promise<unknown>>> = {};
  // Each forwarder is typed by ControlApi below: its arguments are its method's own.
  for (const method of CONTROL_METHOD_NAMES) api[method] = (...args) => caller({ method, args } as ControlCall);
  // Complete (every method was set just above), and each promise holds what the core answers that
  // method with, which is the contract's word to its clients: neither can be typed key by key.
  return api as ControlApi;
}

/** Where the core runs and what its processes run with: what to look at when a command is not found. */
export interface Diagnostics {
  runtime: DiagnosticsRuntime;
  stack: { name: string; file: string };
  path: DiagnosticsPath;
  /** One per app of the stack, in stack order; the proxy and static sites are Switchyard's own and not listed. */
  commands: CommandResolution[];
  /** The engine that runs the proxy, or null for a stack without one. */
  proxy: ProxyEngineInfo | null;
}

/** Which engine runs the proxy and, for nginx, the configuration generated for it. */
export interface ProxyEngineInfo {
  engine: ProxyEngineName;
  /** The program and its version (`nginx 1.22.1, /usr/sbin/nginx`); null for the builtin engine. */
  program: string | null;
  /** The generated configuration nginx runs and its path; null for the builtin engine or before nginx started. */
  config: { file: string; text: string } | null;
}

/** The process that runs the stack. */
export interface DiagnosticsRuntime {
  /** `switchyard up` in a terminal, or the desktop app. */
  host: 'cli' | 'desktop';
  /** Node's version (process.versions.node). */
  node: string;
  /** Electron's version inside the desktop app, null under plain Node. */
  electron: string | null;
  /** Node's process.platform and process.arch: `darwin`, `arm64`. */
  platform: string;
  arch: string;
  pid: number;
  /** Epoch milliseconds when the stack was started. */
  startedAt: number;
}

/** The PATH the stack's processes inherit, and how it was found. */
export interface DiagnosticsPath {
  value: string;
  /** The PATH's entries in search order, each with whether it is an existing folder. */
  entries: { dir: string; exists: boolean }[];
  /** Read from the user's login shell (the desktop app), or inherited from whoever started the core. */
  source: 'login-shell' | 'inherited';
  /** The shell asked, when one was. */
  shell: string | null;
  /** How long asking the shell took; 0 when inherited. */
  durationMs: number;
  /** Why the login shell's PATH could not be used, when it could not. */
  problem: string | null;
}

/** Where an app's program resolves on the PATH it is started with. */
export interface CommandResolution {
  app: string;
  /** The program as written (argv[0]). */
  command: string;
  /** Its absolute path, or null when it is not found on the PATH (or, written as a path, is not an executable file). */
  resolved: string | null;
}

/** Which access events to return. */
export interface AccessQuery {
  /** At most this many of the most recent events (default 500). */
  tail?: number;
  /** Only events with a larger seq. */
  after?: number;
}

/** An access event as the core keeps it: numbered, so that a client can ask for what it missed. */
export interface AccessRecord extends AccessEvent {
  seq: number;
  /** The app or static site of the worker that answered, when one did. */
  app: string | null;
  /** The run that answered (ProcessInfo.id), when a worker did. */
  process: string | null;
}

/** What became of a stack file change (saved, or `reloadStackFile`). */
export type ConfigOutcome =
  | { time: number; applied: true; changes: string[] }
  | { time: number; applied: false; message: string };

/** Limits of a load test: it is a demo tool, bounded so that it always stops by itself. */
export const LOAD_LIMITS = { maxRate: 5000, maxDuration: 600, maxConcurrency: 256 } as const;

/** A load test: `rate` requests per second to `path` on the stack's proxy, for `duration` seconds. */
export interface LoadSpec {
  /** Path and query on the proxy, starting with `/`. */
  path: string;
  /** Requests per second, 1 to LOAD_LIMITS.maxRate. */
  rate: number;
  /** Seconds, 1 to LOAD_LIMITS.maxDuration. */
  duration: number;
  /** HTTP method (default GET). */
  method?: 'GET' | 'HEAD' | 'POST';
}

/** How a load test is going (or went). */
export interface LoadProgress {
  id: string;
  spec: LoadSpec;
  state: 'running' | 'done' | 'stopped';
  startedAt: number;
  /** Seconds since the start. */
  elapsed: number;
  sent: number;
  /** Answered with a status below 500. */
  ok: number;
  /** 5xx answers, connection errors and timeouts. */
  failed: number;
  /** Requests not sent because too many were still waiting (the stack is slower than the rate). */
  skipped: number;
  /** Answers by status class: `2xx`, `3xx`, `4xx`, `5xx`, `error`. */
  statuses: Record<string, number>;
  /** Latency of answered requests in milliseconds. */
  p50: number | null;
  p99: number | null;
  /** The last few failures, newest last. */
  errors: string[];
}

/** A call on the wire: the method and its arguments. */
export type ControlCall<M extends ControlMethod = ControlMethod> = { [K in M]: { method: K; args: ControlArgs[K] } }[M];

/** The answer on the wire: a result, or an error with a message meant for people. */
export type ControlReply<M extends ControlMethod = ControlMethod> =
  | { ok: true; result: ControlResults[M] }
  | { ok: false; error: { code: ControlErrorCode; message: string } };

/** Why a control call was refused. */
export type ControlErrorCode = 'bad-request' | 'not-found' | 'unauthorized' | 'forbidden' | 'internal';

/** One item on a followed log stream: a line, or a note that lines were skipped because the reader fell behind. */
export type LogStreamItem = { line: LogLine } | { dropped: number };

/** The file `up` writes beside the stack file so that other commands can find the running instance. */
export interface RunFile {
  pid: number;
  /** Port of the control API on 127.0.0.1. */
  port: number;
  /** Bearer token every control request must carry. */
  token: string;
  stackFile: string;
  startedAt: number;
}
