// nginx's worker processes, seen from outside: the children of its master. A graceful reload starts
// new workers and tells the old ones to finish their requests and exit, so a member taken out of the
// configuration is drained once no worker that was alive before that reload still holds a
// connection to it: on Linux, read from the TCP table and the workers' descriptors, so that an old
// worker kept alive by a WebSocket on another member does not hold up this one; elsewhere, once
// those workers have exited.

import { readFileSync } from 'node:fs';
import { socketInodes, tcpTableRows } from '../../metrics/listeners.ts';
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
 * Resolves true once none of `pids` is alive or holds a connection to `port`, false when `timeout`
 * passes first. Polled: nginx reaps its workers itself, and no event says a connection closed.
 */
export function workersDone(pids: readonly number[], port: number, timeout: number): Promise<boolean> {
  const deadline = Date.now() + timeout;
  return new Promise((resolve) => {
    const look = () => {
      const holding = connectionsTo(port);
      if (pids.every((pid) => !isAlive(pid) || (holding !== null && !holdsAny(pid, holding)))) return resolve(true);
      if (Date.now() >= deadline) return resolve(false);
      setTimeout(look, WORKER_POLL_MS).unref();
    };
    look();
  });
}

/** The socket inodes of TCP connections whose far end is `port` (any state but LISTEN); null without /proc. */
function connectionsTo(port: number): Set<string> | null {
  const rows = tcpTableRows();
  if (rows === null) return null;
  const wanted = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  // `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …`
  for (const row of rows) {
    const fields = row.trim().split(/\s+/);
    if (fields.length > 9 && fields[2]?.endsWith(wanted) && fields[3] !== '0A') inodes.add(fields[9] as string);
  }
  return inodes;
}

/** Whether one of `pid`'s descriptors is a socket in `inodes`. */
function holdsAny(pid: number, inodes: ReadonlySet<string>): boolean {
  if (inodes.size === 0) return false;
  // Descriptors that cannot be read (gone meanwhile, or not ours) count as holding: the exit check decides.
  const own = socketInodes(pid);
  return own === null ? isAlive(pid) : own.some((inode) => inodes.has(inode));
}
