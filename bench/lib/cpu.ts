// CPU accounting from /proc, to show where a load run's CPU went on a small machine (wrk, proxy,
// backend and the Switchyard core all share the same cores). Linux only; elsewhere the figures are null.

import { readFileSync } from 'node:fs';

/** CPU seconds a process has used so far (user + system, all threads), or null off Linux or once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted from after the command name; clock ticks are 100 Hz on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the whole machine so far, or null off Linux. */
export function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((sum, n) => sum + n, 0);
    // idle + iowait
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: (total - idle) / 100, total: total / 100 };
  } catch {
    return null;
  }
}

/**
 * CPU seconds this process and every child it has waited for have used so far (utime, stime,
 * cutime, cstime), or null off Linux. A child's own waited-for children count in its figure, so
 * a stack's workers and nginx's workers are in it once they have exited.
 */
export function ownTreeCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}
