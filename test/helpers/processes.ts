// Finding processes by an environment marker: every process a test starts, down to grandchildren
// that left their process group, inherits it, so "none survive" can be checked for real.

import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';

/** A fresh marker variable for one test. */
export function newMarker(): { key: string; value: string } {
  return { key: 'SWITCHYARD_TEST_MARKER', value: randomUUID() };
}

/** Live (non-zombie) pids whose environment carries the marker. Linux only. */
export function processesWithMarker(marker: { key: string; value: string }): number[] {
  const needle = `${marker.key}=${marker.value}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (environ.split('\0').includes(needle)) found.push(Number(entry));
    } catch {
      // Ended while we looked, or not ours to read.
    }
  }
  return found;
}

/** Whether a pid is alive and not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** A process's command line, or `(gone)` once it has ended. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

/** Each pid with its command line, for a failure message that says what was left running. */
export function describeProcesses(pids: readonly number[]): string[] {
  return pids.map((pid) => `${pid} ${commandLine(pid)}`);
}

/** SIGKILLs every live process carrying the marker; one that ends between the listing and the kill is fine. */
export function killMarked(marker: { key: string; value: string }): void {
  for (const pid of processesWithMarker(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
