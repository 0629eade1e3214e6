// `.switchyard/lock` beside the stack file: taken with an atomic create before anything of a stack
// starts, so two `up` (or an `up` and the desktop app) on one stack file cannot both run it. It
// also names the stack's SWITCHYARD_RUN id: when its owner died without a watchdog to clean up, the
// next owner stops whatever that run left behind before it starts its own.

import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SwitchyardError } from '../errors.ts';
import { isAlive, killMarked, processStartTime } from '../process/process-tree.ts';

/** What the lock file holds. */
interface LockContents {
  pid: number;
  /** The owner's start time as the OS counts it, so a recycled pid is not taken for the owner. */
  started: string | null;
  /** The owner's stack id (SWITCHYARD_RUN prefix). */
  marker: string;
}

/** A held lock on one stack file. */
export interface StackLock {
  readonly file: string;
  /** Processes of a dead previous owner that were stopped when the lock was taken over. */
  readonly reaped: { pid: number; count: number } | null;
  /** Removes the lock if this process still holds it. */
  release(): void;
}

/** The lock could not be written where it belongs (`.switchyard` is a file, or not writable). */
export class StackFolderError extends Error {
  override readonly cause: Error;

  constructor(file: string, cause: Error) {
    super(`could not create ${file}: ${cause.message}`);
    this.name = 'StackFolderError';
    this.cause = cause;
  }
}

/** Where the lock of a stack file lives. */
export function stackLockPath(stackFile: string): string {
  return path.join(path.dirname(stackFile), '.switchyard', 'lock');
}

/**
 * Takes the lock of `stackFile` for this process, or throws naming the live owner. A lock whose
 * owner is gone is taken over, after its run's leftover processes are killed.
 */
export function acquireStackLock(stackFile: string, marker: string): StackLock {
  const file = stackLockPath(stackFile);
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StackFolderError(file, error as Error);
  }
  const contents: LockContents = { pid: process.pid, started: processStartTime(process.pid), marker };
  let reaped: StackLock['reaped'] = null;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StackFolderError(file, error as Error);
      const owner = readLock(file);
      if (owner && ownerLives(owner)) {
        throw new SwitchyardError('bad-request', `${stackFile} is already running (pid ${owner.pid}, which holds ${file}); stop it with \`switchyard down\` or follow it with \`switchyard logs -f\``);
      }
      if (attempt > 0) throw new SwitchyardError('internal', `could not take over the stale lock ${file}; remove it if no switchyard runs this stack`);
      // Its owner died; if its watchdog died too, what it started may still run. (This process's own
      // lock, left by a host it has not closed yet, names processes that are not orphans.)
      if (owner && owner.pid !== process.pid) {
        const count = killMarked(`${owner.marker}.`, { prefix: true });
        if (count > 0) reaped = { pid: owner.pid, count };
      }
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify(contents)}\n`);
    } finally {
      closeSync(fd);
    }
    return { file, reaped, release: () => releaseStackLock(file) };
  }
}

/** Removes the lock `file` if `pid` (this process by default) holds it. */
export function releaseStackLock(file: string, pid = process.pid): void {
  if (readLock(file)?.pid === pid) rmSync(file, { force: true });
}

function readLock(file: string): LockContents | null {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockContents>;
    if (typeof data.pid !== 'number' || typeof data.marker !== 'string') return null;
    return { pid: data.pid, started: typeof data.started === 'string' ? data.started : null, marker: data.marker };
  } catch {
    // Half written by an owner that died at that moment, or not ours: stale.
    return null;
  }
}

function ownerLives(owner: LockContents): boolean {
  if (owner.pid === process.pid || !isAlive(owner.pid)) return false;
  const started = processStartTime(owner.pid);
  return owner.started === null || started === null || started === owner.started;
}
