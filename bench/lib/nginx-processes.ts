// An nginx master and its workers seen from /proc, for the engine benchmark: the CPU they used
// together (the master does little, its workers serve) and how many graceful reloads a master went
// through, counted from outside by the worker generations it started, so the figure does not rest
// on the engine's own bookkeeping. Linux only.

import { workerPids } from '../../main/core/proxy/nginx/nginx-workers.ts';
import { cpuSeconds } from './cpu.ts';

/** How often a master's children are looked at while reloads are counted. */
const CHILDREN_POLL_MS = 5;

/**
 * The CPU seconds of a master and its workers so far, by pid. A CPU figure over a stretch sums the
 * pids present at both ends (stretches without a reload keep the same workers).
 */
export async function nginxCpu(master: number): Promise<Map<number, number>> {
  const seconds = new Map<number, number>();
  for (const pid of [master, ...(await workerPids(master))]) {
    const used = cpuSeconds(pid);
    if (used !== null) seconds.set(pid, used);
  }
  return seconds;
}

/** CPU seconds the processes present in both readings used between them. */
export function nginxCpuBetween(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number | null {
  let sum = 0;
  let known = false;
  for (const [pid, used] of after) {
    const earlier = before.get(pid);
    if (earlier === undefined) continue;
    sum += used - earlier;
    known = true;
  }
  return known ? sum : null;
}

/**
 * Counts the worker processes a master starts from now on. With one worker process, every graceful
 * reload starts exactly one (as does the master replacing a crashed worker, which nothing here
 * causes); a generation lives at least as long as the engine's `nginx -t` before the next reload,
 * far longer than the poll.
 */
export async function watchNewWorkers(master: number): Promise<{ stop(): Promise<number> }> {
  const known = new Set(await workerPids(master));
  let started = 0;
  const look = async () => {
    for (const pid of await workerPids(master)) {
      if (known.has(pid)) continue;
      known.add(pid);
      started++;
    }
  };
  const timer = setInterval(() => void look(), CHILDREN_POLL_MS);
  return {
    stop: async () => {
      clearInterval(timer);
      await look();
      return started;
    },
  };
}
