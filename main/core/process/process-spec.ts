// What a supervisor runs (an app's settings plus the identity of one process), what it needs from
// its surroundings, and the environment each run of the process starts with.

import type { ProcessKind } from '../../../shared/process.ts';
import type { AppSpec } from '../../../shared/stack.ts';
import { expandVariables } from '../config/command-variables.ts';
import type { ProbeCheck } from '../health/health-probe.ts';
import type { LogStore } from '../logs/log-store.ts';
import type { PortAllocator } from './port-allocator.ts';
import { RUN_MARKER_VARIABLE } from './run-marker.ts';
import { wholeLinesPythonPath } from './python-lines.ts';
import type { SpawnedProcess, Spawner } from './spawner.ts';

/** What a supervisor runs: an app's settings plus the identity of this one process. */
export type ProcessSpec = Pick<
  AppSpec,
  'argv' | 'cwd' | 'env' | 'portEnv' | 'health' | 'restart' | 'backoff' | 'maxRestarts' | 'minUptime' | 'stop'
> & {
  /** `api-2`, `proxy`, `web`. */
  name: string;
  app: string;
  kind: ProcessKind;
  worker: number;
  /** A port the process binds itself (the proxy's listen port) instead of one allocated for it. */
  fixedPort?: number;
  /** Open a Node IPC channel to it (Switchyard's own processes only). */
  ipc?: boolean;
  /**
   * Variables of the runtime that runs Switchyard's own processes (the proxy, static sites), set
   * after the environment is scrubbed; user processes never have any.
   */
  runtimeEnv?: Readonly<Record<string, string>>;
  /**
   * A health check of the process's own instead of probing its port: the proxy's port may be
   * answered by the kernel's accept queue of a stopped process, or by another instance.
   */
  check?: (spawned: Spawned) => ProbeCheck;
};

/** A process that has just been spawned, with its channel when it has one. */
export interface Spawned {
  /** Which run of the supervisor this is; compare with a later one to ignore stale messages. */
  run: number;
  pid: number;
  child: SpawnedProcess;
}

/** Told about every pid so that it can kill them if the orchestrator dies (the watchdog). */
export interface ProcessTracker {
  track(pid: number): void;
  untrack(pid: number): void;
}

/** What a supervisor needs from its surroundings. */
export interface SupervisorDeps {
  spawner: Spawner;
  logs: LogStore;
  ports: PortAllocator;
  tracker?: ProcessTracker;
  /**
   * The stack's id. Every process is started with `SWITCHYARD_RUN=<id>.<n>`, which its descendants
   * inherit, so that those that escaped its group are still found and stopped. Without one, the
   * supervisors of this Node process share one of their own (`newRunMarker`).
   */
  marker?: string;
}

/**
 * Variables no process inherits (they would turn an Electron binary into Node); Switchyard's own
 * processes get back what their runtime needs through `runtimeEnv`.
 */
const SCRUBBED_ENV = ['ELECTRON_RUN_AS_NODE', 'ELECTRON_NO_ATTACH_CONSOLE'];

/** The environment of one run: the app's own, its port, its run marker and its identity. */
export function processEnvironment(
  spec: Pick<ProcessSpec, 'env' | 'runtimeEnv' | 'portEnv' | 'fixedPort' | 'app' | 'worker'>,
  port: number | null,
  marker: string,
): Record<string, string> {
  const env: Record<string, string> = { ...spec.env };
  for (const key of SCRUBBED_ENV) delete env[key];
  Object.assign(env, spec.runtimeEnv);
  if (spec.portEnv !== null && port !== null && spec.fixedPort === undefined) env[spec.portEnv] = String(port);
  Object.assign(env, wholeLinesPythonPath(env.PYTHONPATH));
  env[RUN_MARKER_VARIABLE] = marker;
  env.SWITCHYARD_APP = spec.app;
  env.SWITCHYARD_WORKER = String(spec.worker);
  return env;
}

/** A worker's command as it runs. */
export interface ProcessCommand {
  argv: string[];
  /** References that could not be expanded (`$GONE`), each passed as empty text. */
  unexpanded: string[];
}

/**
 * The command of one run with its variables expanded from that run's own environment, so each
 * worker's `$PORT` is its own port. The stack file's check refuses an undefined variable; one can only
 * be missing here when the environment changed since (a desktop app's login shell). Switchyard's own
 * processes (the proxy, static sites) run their argv as given: a `$` in a path is not a variable.
 */
export function processCommand(spec: ProcessSpec, env: Readonly<Record<string, string>>): ProcessCommand {
  if (spec.kind !== 'worker' && spec.kind !== 'task') return { argv: [...spec.argv], unexpanded: [] };
  const unexpanded: string[] = [];
  const argv = spec.argv.map((argument) => {
    const { text, problems } = expandVariables(argument, (name) => env[name]);
    for (const problem of problems) unexpanded.push(problem.written);
    return text;
  });
  return { argv, unexpanded };
}
