// The control contract: what a client (the CLI, the dashboard, the desktop shell) may ask of a
// running stack. Clients only name actions; no method runs an arbitrary command.

import type { LogLine, ProcessInfo } from './process.ts';
import type { AccessEvent } from './proxy.ts';
import type { StackSpec } from './stack.ts';

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

/** Every command a client can send; each returns a Promise. */
export interface ControlApi {
  /** The stack and how it was started. */
  status(): Promise<StackStatus>;
  /** Every supervised process. */
  listProcesses(): Promise<ProcessInfo[]>;
  /** Recent log lines, oldest first. */
  logs(query: LogQuery): Promise<LogLine[]>;
  /** Recent access events of the proxy, oldest first. */
  access(query: AccessQuery): Promise<AccessRecord[]>;
  /** Start a stopped worker (`api-2`), every worker of an app, `proxy` or a static site; returns the names started. */
  start(target: string): Promise<string[]>;
  /** Stop a worker, an app's workers (drained first), `proxy` or a static site; returns the names stopped. */
  stop(target: string): Promise<string[]>;
  /** Restart a worker (`api-2`), every worker of an app (`api`), `proxy`, a static site, or everything (`all`); returns the names restarted. */
  restart(target: string): Promise<string[]>;
  /**
   * Zero-downtime rolling reload of an app's workers (or one worker, a static site, or `proxy`):
   * each replacement is healthy and in rotation before its predecessor is drained. Returns the names replaced.
   */
  reload(target: string): Promise<string[]>;
  /** Change an app's number of workers; returns the worker names after the change. */
  scale(app: string, replicas: number): Promise<string[]>;
  /** SIGKILL one worker on purpose, as a crash would end it (its restart policy then applies). Returns its pid. */
  kill(worker: string): Promise<number>;
  /** Read the stack file again and apply it, as saving it does. */
  reloadStackFile(): Promise<ConfigOutcome>;
  /** Start a load test against the stack's own proxy (loopback only); progress comes as `load` events. */
  loadTest(spec: LoadSpec): Promise<LoadProgress>;
  /** Stop a running load test early; returns its final figures. */
  stopLoadTest(id: string): Promise<LoadProgress>;
  /** Stop the whole stack gracefully; resolves once the stop has begun. */
  shutdown(): Promise<void>;
  /** What the stack runs with: the host and runtime, the PATH its processes get, and where each app's command resolves. */
  diagnostics(): Promise<Diagnostics>;
}

/** Where the core runs and what its processes run with: what to look at when a command is not found. */
export interface Diagnostics {
  runtime: DiagnosticsRuntime;
  stack: { name: string; file: string };
  path: DiagnosticsPath;
  /** One per app of the stack, in stack order; the proxy and static sites are Switchyard's own and not listed. */
  commands: CommandResolution[];
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

/** A method name of the control contract. */
export type ControlMethod = keyof ControlApi;

/** A call on the wire: the method and its arguments. */
export type ControlCall = {
  [M in ControlMethod]: { method: M; args: Parameters<ControlApi[M]> };
}[ControlMethod];

/** The answer on the wire: a result, or an error with a message meant for people. */
export type ControlReply<M extends ControlMethod = ControlMethod> =
  | { ok: true; result: Awaited<ReturnType<ControlApi[M]>> }
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
