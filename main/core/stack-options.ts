// What a Stack may be given instead of its defaults (tests give spawners, trackers and engines; the
// CLI a watchdog and watching), and the supervisor dependencies its runs share.

import type { LogStore } from './logs/log-store.ts';
import type { NodeRuntime } from './process/node-runtime.ts';
import { PortAllocator } from './process/port-allocator.ts';
import { newStackMarker } from './process/process-tree.ts';
import { execaSpawner, type Spawner } from './process/spawner.ts';
import type { ProcessTracker, SupervisorDeps } from './process/supervisor.ts';
import type { EngineFactory } from './proxy/engine.ts';

/** What a Stack may be given instead of the defaults. */
export interface StackOptions {
  spawner?: Spawner;
  /** Learns every pid (the watchdog). */
  tracker?: ProcessTracker;
  /** Log lines kept per process. */
  retainedLines?: number;
  metricsInterval?: number;
  /** The environment workers inherit beneath their own `env` (process.env by default). */
  baseEnv?: NodeJS.ProcessEnv;
  /** The Node runtime that runs the proxy and static servers (this Node by default). */
  node?: NodeRuntime;
  /** Reload an app when files matching its `watch:` globs change (off unless asked; `up` asks). */
  watch?: boolean;
  /** Access events kept for the UI. */
  retainedAccessEvents?: number;
  /** The id every process of this stack carries in SWITCHYARD_RUN (a fresh one by default). */
  marker?: string;
  /** The proxy engine (by default the one the stack file names, the builtin Node proxy unless it says nginx). */
  engine?: EngineFactory;
}

/** What every run of a stack is supervised with: one port allocator, one log store, one stack marker. */
export function supervisorDeps(options: StackOptions, logs: LogStore): SupervisorDeps {
  return {
    spawner: options.spawner ?? execaSpawner,
    logs,
    ports: new PortAllocator(),
    marker: options.marker ?? newStackMarker(),
    ...(options.tracker ? { tracker: options.tracker } : {}),
  };
}
