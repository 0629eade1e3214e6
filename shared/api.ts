// The control contract: what a client (the CLI, later the dashboard) may ask of a running stack.
// Clients only name actions; no method runs an arbitrary command.

import type { LogLine, ProcessInfo } from './process.ts';
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
  /** Restart a worker (`api-2`), every worker of an app (`api`), `proxy`, a static site, or everything (`all`); returns the names restarted. */
  restart(target: string): Promise<string[]>;
  /**
   * Zero-downtime rolling reload of an app's workers (or one worker, a static site, or `proxy`):
   * each replacement is healthy and in rotation before its predecessor is drained. Returns the names replaced.
   */
  reload(target: string): Promise<string[]>;
  /** Change an app's number of workers; returns the worker names after the change. */
  scale(app: string, replicas: number): Promise<string[]>;
  /** Stop the whole stack gracefully; resolves once the stop has begun. */
  shutdown(): Promise<void>;
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
