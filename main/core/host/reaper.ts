// What a watchdog does when the orchestrator died without a goodbye: kill every tree it still
// knows, and every process that carries the stack's SWITCHYARD_RUN marker (descendants that escaped
// every tree), then remove the stale run file and lock. Shared by the Node watchdog
// (watchdog-main.ts) and the reaper the shell watchdog execs (reap-main.ts).

import { removeRunFile } from './run-file.ts';
import { releaseStackLock } from './stack-lock.ts';
import { descendantsOf, isAlive, killMarked, killTree, markedProcesses, signalGroup, signalProcess } from '../process/process-tree.ts';

/** How long survivors get after SIGTERM before SIGKILL. */
const GRACE_MS = 1500;

/** What the orchestrator told its watchdog. */
export interface ReapOrders {
  /** The orchestrator whose run file and lock are removed, if they still name it. */
  orchestratorPid: number | null;
  runFile: string | null;
  lockFile: string | null;
  /** The stack's SWITCHYARD_RUN id. */
  marker: string | null;
  /** The pids it was tracking. */
  pids: readonly number[];
}

export async function reap(orders: ReapOrders): Promise<void> {
  const { pids, marker, runFile, lockFile, orchestratorPid } = orders;
  const trees = await Promise.all(pids.map(async (pid) => [pid, ...(await descendantsOf(pid))]));
  // Every run of the stack: `<stack id>.<run>`.
  const stackRuns = marker === null ? null : `${marker}.`;
  const marked = stackRuns === null ? [] : markedProcesses(stackRuns, { prefix: true }).map((each) => each.pid);
  const everyone = [...new Set([...trees.flat(), ...marked])];
  for (const pid of pids) signalGroup(pid, 'SIGTERM');
  for (const pid of everyone) signalProcess(pid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline && everyone.some(isAlive)) await new Promise((resolve) => setTimeout(resolve, 50));
  await Promise.all(pids.map((pid) => killTree(pid)));
  // Tracked or not (a descendant whose worker had already exited), everyone still alive.
  for (const pid of everyone) if (isAlive(pid)) signalProcess(pid, 'SIGKILL');
  if (stackRuns !== null) killMarked(stackRuns, { prefix: true });
  // Only our orchestrator's file: a new `up` may already have written its own.
  if (runFile !== null && orchestratorPid !== null) removeRunFile(runFile, orchestratorPid);
  if (lockFile !== null && orchestratorPid !== null) releaseStackLock(lockFile, orchestratorPid);
}
