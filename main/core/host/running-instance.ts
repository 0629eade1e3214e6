// Whether a stack already runs: its run file names a live instance that answers. Light on purpose:
// `check` and `ps` ask this before anything else, and must not load the whole core to do so.

import type { RunFile } from '../../../shared/api.ts';
import { ControlClient } from '../control/control-client.ts';
import { SwitchyardError } from '../errors.ts';
import { isAlive } from '../process/process-tree.ts';
import { readRunFile, runFilePath } from './run-file.ts';

/**
 * How long a live instance may take to answer. A pid used again by another program shows as a
 * refused connection at once; the wait is for our own instance on a busy machine, which can take
 * seconds. Taken for a stale run file, it would be started a second time (the desktop app would
 * even stop its own stack for it first) and fail on the ports the first one holds.
 */
const INSTANCE_ANSWER_MS = 5000;

/** The instance that runs the stack of `runFile`, if one lives and answers. */
export async function findRunningInstance(runFile: string): Promise<RunFile | null> {
  const existing = readRunFile(runFile);
  if (!existing || existing.pid === process.pid || !isAlive(existing.pid)) return null;
  try {
    await Promise.race([
      new ControlClient(existing).status(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), INSTANCE_ANSWER_MS).unref()),
    ]);
    return existing;
  } catch {
    // The pid lives but nothing answers: a recycled pid, not our instance.
    return null;
  }
}

/** Throws, naming the running instance and what to do, when the stack of `file` already runs. */
export async function refuseIfRunning(file: string): Promise<void> {
  const running = await findRunningInstance(runFilePath(file));
  if (running) {
    throw new SwitchyardError('bad-request', `${file} is already running (pid ${running.pid}); stop it with \`switchyard down\` or follow it with \`switchyard logs -f\``);
  }
}
