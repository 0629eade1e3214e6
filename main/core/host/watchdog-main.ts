// The watchdog: a separate process that outlives the orchestrator. It learns every pid the
// orchestrator starts; when its IPC channel closes without a goodbye (the orchestrator died, even
// by SIGKILL) it kills every tree it still knows, and every process that carries the stack's
// SWITCHYARD_RUN marker (descendants that escaped every tree), then removes the stale run file.
// On Windows the same code runs, and tree-kill uses `taskkill /T /F` (not exercised here).

import { removeRunFile } from './run-file.ts';
import { releaseStackLock } from './stack-lock.ts';
import { descendantsOf, isAlive, killMarked, killTree, markedProcesses, signalGroup, signalProcess } from '../process/process-tree.ts';
import type { WatchdogMessage } from './watchdog.ts';

/** How long survivors get after SIGTERM before SIGKILL. */
const GRACE_MS = 1500;

const tracked = new Set<number>();
let runFile: string | null = null;
let lockFile: string | null = null;
let orchestratorPid: number | null = null;
let marker: string | null = null;
let goodbye = false;

process.on('message', (message: WatchdogMessage) => {
  switch (message.type) {
    case 'hello':
      orchestratorPid = message.pid;
      runFile = message.runFile;
      lockFile = message.lockFile;
      marker = message.marker;
      break;
    case 'track':
      tracked.add(message.pid);
      break;
    case 'untrack':
      tracked.delete(message.pid);
      break;
    case 'goodbye':
      goodbye = true;
      break;
  }
});

process.on('disconnect', () => {
  void reap().finally(() => process.exit(0));
});

// A terminal's hang-up or Ctrl-C must not take the watchdog down before it has done its job.
for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(signal, () => {});

async function reap(): Promise<void> {
  if (goodbye && tracked.size === 0) return;
  const pids = [...tracked];
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
