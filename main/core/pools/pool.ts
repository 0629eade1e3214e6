// What the Stack coordinates: one pool per app (its workers), one per static site (its server) and
// one per task (its run to completion).
// Each owns its runs (members, surge, leaving), knows how it restarts and reloads, and which log
// sources are its own.

import type { SourceFilter } from '../logs/log-store.ts';
import type { Supervisor } from '../process/supervisor.ts';
import type { HoldState } from './start-order.ts';
import type { RunSet } from './run-set.ts';

/** An app's workers, a static site's server or a task's run. */
export interface Pool {
  readonly name: string;
  readonly kind: 'app' | 'static' | 'task';
  readonly runs: RunSet;
  /** Spawns the pool's processes; resolves once all are spawned (not yet ready). */
  start(): Promise<void>;
  /** Shows its processes, not started, as waiting or blocked by its depends_on (start-order.ts starts it later). */
  hold(state: HoldState, reason: string): void;
  /** A person's restart of the whole pool; returns the names restarted. */
  restart(reason: string): Promise<string[]>;
  /** A reload of every member, or of `only`; `replace` asks for new processes (surge-first) whatever else the pool's reload would do. Returns the names reloaded. */
  reload(only: Supervisor | null, replace?: boolean): Promise<string[]>;
  /** The log sources that are this pool's. */
  logSources(): SourceFilter;
  /** Resolves once its file watcher (if any) has made its first scan. */
  watching(): Promise<void>;
  /** Stops watching files; its processes are stopped through `runs`. */
  dispose(): void;
}
