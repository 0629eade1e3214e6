// What the core says about each supervised process: its state, its numbers and its log lines.

/** Every state a supervised process can be in; the core's transition table says how they connect. */
export const PROCESS_STATES = [
  'stopped',
  'waiting',
  'blocked',
  'starting',
  'ready',
  'unhealthy',
  'draining',
  'stopping',
  'exited',
  'crashed',
  'backoff',
  'failed',
] as const;

/** The state of one supervised process. */
export type ProcessState = (typeof PROCESS_STATES)[number];

/** States in which the process is alive (it has a pid). */
export const LIVE_STATES: readonly ProcessState[] = ['starting', 'ready', 'unhealthy', 'draining', 'stopping'];

/**
 * States of a process that has not started because of its `depends_on`: `waiting` until what it
 * waits for stands, `blocked` when that failed and only a person can help (its reason says which).
 */
export const HELD_STATES: readonly ProcessState[] = ['waiting', 'blocked'];

/** What a process is in the stack: an app's worker, the proxy, a static site's server, or a task run to completion. */
export type ProcessKind = 'worker' | 'proxy' | 'static' | 'task';

/**
 * Result of the last health check. `busy`: it timed out while the proxy had requests in flight on
 * the worker, which counts neither as a pass nor as a failure (a full sync server is not a dead one).
 */
export type HealthStatus = 'unknown' | 'passing' | 'failing' | 'busy';

/** How a process last ended. */
export interface ExitInfo {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  /** Epoch milliseconds. */
  at: number;
  /** How long it had run, in milliseconds. */
  uptime: number;
}

/**
 * Where a run stands in its pool: `member` holds its name; a `surge` replacement started by a reload
 * has not taken it yet; a `leaving` one (replaced or scaled away) finishes its requests and stops.
 */
export type ProcessRole = 'member' | 'surge' | 'leaving';

/** A snapshot of one supervised process. */
export interface ProcessInfo {
  /**
   * One run of a process (`api#7`): unique within the stack and never reused. The name is a label
   * that moves from run to run: a reload's replacement carries it beside the run it replaces until
   * it takes it, and from then the replaced run goes by its id.
   */
  id: string;
  /** `api-2`, `proxy`, `web`; a run whose name a successor took goes by its id. */
  name: string;
  role: ProcessRole;
  /** The app or site it belongs to. */
  app: string;
  kind: ProcessKind;
  /** 1-based worker number within its app. */
  worker: number;
  state: ProcessState;
  health: HealthStatus;
  pid: number | null;
  port: number | null;
  /** Restarts Switchyard decided on since the stack started: after a crash, or of a hung worker. */
  restarts: number;
  /** Restarts a person asked for (restart, start after a stop), counted apart so they raise no alarm. */
  manualRestarts: number;
  /** Epoch milliseconds the current run started, or null when not running. */
  startedAt: number | null;
  /** CPU percent of the whole process tree (100 = one core). */
  cpu: number | null;
  /** Resident memory of the whole process tree, in bytes. */
  memory: number | null;
  /**
   * The processes under its own, from the last metrics sample, in tree order (each after its parent):
   * a pre-fork server's workers (gunicorn -w, uvicorn --workers, a Node cluster). Empty when it has none.
   */
  children: ChildProcessInfo[];
  /** What a person should fix, with the fix named (a worker listening beyond loopback). */
  warnings: string[];
  lastExit: ExitInfo | null;
  /** Why the process is failed or crashed: the last lines it wrote to stderr. */
  lastStderr: string[];
  /** A one-line reason for the current state, when there is one (`waiting for migrate (completed)`, `blocked: migrate failed (exit 1)`). */
  reason: string | null;
}

/** A process a worker's process started, as the last metrics sample saw it. */
export interface ChildProcessInfo {
  pid: number;
  /** Its parent: the worker's own pid for a direct child. */
  ppid: number;
  /** Its command line where the OS shows it (Linux), shortened; null elsewhere. */
  command: string | null;
  /** CPU percent (100 = one core). */
  cpu: number;
  /** Resident memory, in bytes. */
  memory: number;
  /** Epoch milliseconds it started. */
  startedAt: number;
}

/** Which stream a log line came from; `system` lines are Switchyard's own. */
export type LogStream = 'stdout' | 'stderr' | 'system';

/** One line of output. */
export interface LogLine {
  /** Increases by one per line across the whole stack, so a client can ask for what it missed. */
  seq: number;
  /** Epoch milliseconds when the line was read. */
  time: number;
  /** Process name (`api-2`), or an app's or Switchyard's own source (`api`, `proxy`, `watchdog`). */
  source: string;
  stream: LogStream;
  text: string;
}

/** The RESTARTS column of `ps` and the dashboard: `3`, or `3 (+2 manual)` when a person restarted it too. */
export function formatRestarts(process: Pick<ProcessInfo, 'restarts' | 'manualRestarts'>): string {
  return process.manualRestarts > 0 ? `${process.restarts} (+${process.manualRestarts} manual)` : String(process.restarts);
}
