// Signalling whole process trees. On POSIX every worker leads its own process group, so one
// signal reaches everything it started; descendants that left the group (setsid, daemonising)
// are found through their parent links while the worker still lives.
// Windows has no process groups: tree-kill runs `taskkill /T /F` there (not exercised by this
// project's tests, which run on Linux).

import { readFileSync, readdirSync } from 'node:fs';
import pidtree from 'pidtree';
import treeKill from 'tree-kill';

const isWindows = process.platform === 'win32';

/** Sends a signal to a worker's process group (POSIX) or to the process itself (Windows). Never throws. */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(isWindows ? pid : -pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends a signal to one process. Never throws. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Every descendant of `pid` (not `pid` itself); empty when it is gone or `ps` is unavailable. */
export async function descendantsOf(pid: number): Promise<number[]> {
  try {
    return await pidtree(pid);
  } catch {
    return [];
  }
}

/** Kills the tree under `pid` and, on POSIX, its whole process group, with SIGKILL. */
export async function killTree(pid: number, extraPids: Iterable<number> = []): Promise<void> {
  // The tree is walked before anything dies: once a parent is gone its children are re-parented
  // and can no longer be found from it.
  await new Promise<void>((resolve) => treeKill(pid, 'SIGKILL', () => resolve()));
  if (!isWindows) signalGroup(pid, 'SIGKILL');
  for (const other of extraPids) signalProcess(other, 'SIGKILL');
}

/**
 * Whether a process exists and is not a zombie. A zombie has exited and holds nothing but its
 * table entry; in containers whose init does not reap, orphans stay zombies for good.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  const fields = procStat(pid);
  return fields !== null && fields[0] !== 'Z';
}

/** The fields of /proc/PID/stat after the command (state, ppid, pgrp, …), or null when it is gone. Linux only. */
function procStat(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command may contain spaces and parentheses; the fields start after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Live (non-zombie) members of a process group; on non-Linux POSIX, a best-effort yes/no. */
export function groupHasLiveMembers(pgid: number): boolean {
  if (isWindows) return isAlive(pgid);
  if (process.platform !== 'linux') return signalGroup(pgid, 0);
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const fields = procStat(entry);
    if (fields !== null && Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
  }
  return false;
}
