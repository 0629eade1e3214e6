// Signalling whole process trees. On POSIX every worker leads its own process group, so one
// signal reaches everything it started; descendants that left the group (setsid, daemonising)
// are found by the run marker they inherit (Linux), or through their parent links while the
// worker still lives.
// Windows has no process groups: tree-kill runs `taskkill /T /F` there (not exercised by this
// project's tests, which run on Linux).

import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import treeKill from 'tree-kill';
import { processListing } from './process-listing.ts';
import { RUN_MARKER_VARIABLE } from './run-marker.ts';

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

/** Every descendant of `pid` (not `pid` itself); empty when it is gone or the system lists no processes. */
export async function descendantsOf(pid: number): Promise<number[]> {
  const listing = processListing();
  await listing.refresh();
  return (await listing.tree(pid)).slice(1).map((row) => row.pid);
}

/**
 * The descendants of `pid` that no marker will find once it is gone: none on Linux, where each
 * carries its run's marker; elsewhere all of them, found now while their parent links lead to them.
 */
export async function unmarkedDescendants(pid: number): Promise<number[]> {
  return process.platform === 'linux' ? [] : descendantsOf(pid);
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

/** When a process started, in the OS's own units (Linux: clock ticks since boot); null elsewhere or when it is gone. */
export function processStartTime(pid: number): string | null {
  // Field 22 of /proc/PID/stat; procStat's fields start at field 3.
  return procStat(pid)?.[19] ?? null;
}

/** The pids listed in /proc (as its entries name them), or none when it cannot be read. Linux only. */
function procPids(): string[] {
  try {
    return readdirSync('/proc').filter((entry) => entry.charCodeAt(0) >= 48 && entry.charCodeAt(0) <= 57);
  } catch {
    return [];
  }
}

/** Live (non-zombie) members of a process group; on non-Linux POSIX, a best-effort yes/no. */
export function groupHasLiveMembers(pgid: number): boolean {
  if (isWindows) return isAlive(pgid);
  if (process.platform !== 'linux') return signalGroup(pgid, 0);
  for (const entry of procPids()) {
    const fields = procStat(entry);
    if (fields !== null && Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
  }
  return false;
}

/** A fresh id for a stack's processes to carry. */
export function newStackMarker(): string {
  return randomBytes(8).toString('hex');
}

/** The stack id of processes started without one: descendants are found by marker all the same. */
const OWN_STACK_MARKER = newStackMarker();
/** Numbers the runs started in this Node process, so that each run's marker is its own. */
let runsStarted = 0;

/** A fresh marker for one run of a process of the stack `stackMarker` (or of this Node process's own). */
export function newRunMarker(stackMarker = OWN_STACK_MARKER): string {
  return `${stackMarker}.${++runsStarted}`;
}

/** Live (non-zombie) processes whose environment carries `marker`: one run's exact value, or with `prefix`, every run of a stack. */
export function markedProcesses(marker: string, { prefix = false }: { prefix?: boolean } = {}): { pid: number; pgid: number }[] {
  if (process.platform !== 'linux') return [];
  const needle = Buffer.from(`\0${RUN_MARKER_VARIABLE}=${marker}${prefix ? '' : '\0'}`);
  const found: { pid: number; pgid: number }[] = [];
  for (const entry of procPids()) {
    if (Number(entry) === process.pid) continue;
    let environ: Buffer;
    try {
      // A leading NUL makes the first variable match like the others.
      environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${entry}/environ`), Buffer.from([0])]);
    } catch {
      // Gone while we looked, or another user's.
      continue;
    }
    if (environ.indexOf(needle) === -1) continue;
    const fields = procStat(entry);
    if (fields !== null && fields[0] !== 'Z') found.push({ pid: Number(entry), pgid: Number(fields[2]) });
  }
  return found;
}

/**
 * SIGKILLs every process carrying `marker` until none is left (a process may be forking while it is
 * killed), a bounded number of rounds. Returns how many were killed.
 */
export function killMarked(marker: string, options: { prefix?: boolean } = {}): number {
  const killed = new Set<number>();
  for (let round = 0; round < 20; round++) {
    const found = markedProcesses(marker, options);
    if (found.length === 0) break;
    for (const { pid } of found) if (signalProcess(pid, 'SIGKILL')) killed.add(pid);
  }
  return killed.size;
}
