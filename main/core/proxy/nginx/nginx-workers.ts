// nginx's worker processes, seen from outside: the children of its master. A graceful reload starts
// new workers and tells the old ones to finish their requests and exit, so a member taken out of the
// configuration is drained once every worker that was alive before that reload has gone.

import { readFileSync } from 'node:fs';
import { descendantsOf, isAlive } from '../../process/process-tree.ts';

/** The pids of `master`'s children now: /proc's children list on Linux, a process listing elsewhere. */
export async function workerPids(master: number): Promise<number[]> {
  try {
    return readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // No /proc (macOS), or a kernel without CONFIG_PROC_CHILDREN.
    return descendantsOf(master);
  }
}

/** How often the workers a drain waits for are looked at. */
const WORKER_POLL_MS = 25;

/**
 * Resolves true once none of `pids` is alive, false when `timeout` passes first (or at once with
 * `cancelled`). Polled: nginx reaps its workers itself, so this process cannot wait on their exit.
 */
export function workersGone(pids: readonly number[], timeout: number): Promise<boolean> {
  const deadline = Date.now() + timeout;
  return new Promise((resolve) => {
    const look = () => {
      if (pids.every((pid) => !isAlive(pid))) return resolve(true);
      if (Date.now() >= deadline) return resolve(false);
      setTimeout(look, WORKER_POLL_MS).unref();
    };
    look();
  });
}
