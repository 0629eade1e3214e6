// CPU and memory of each supervised process tree, every two seconds by default, with the processes
// under the main one (a pre-fork server's workers) and the addresses it listens on beyond loopback.

import { readFileSync } from 'node:fs';
import pidusage from 'pidusage';
import type { ChildProcessInfo } from '../../../shared/process.ts';
import { descendantsOf } from '../process/process-tree.ts';
import { exposedBy, exposedSockets, type ExposedSockets } from './listeners.ts';

/** Default time between samples. */
export const SAMPLE_INTERVAL_MS = 2000;

/** How much of a child's command line is kept. */
const COMMAND_LENGTH = 160;

/** What one round found about a process tree. */
export interface TreeSample {
  /** CPU percent summed over the tree (100 = one core). */
  cpu: number;
  /** Resident memory summed over the tree, in bytes. */
  memory: number;
  /** The processes under the main one, each after its parent. */
  children: ChildProcessInfo[];
  /** Addresses beyond loopback the tree listens on (`0.0.0.0:8000`); Linux only. */
  exposed: string[];
}

/** A process tree to sample: its root pid and where to put the result. */
export interface SampleTarget {
  readonly currentPid: number | null;
  recordUsage(sample: TreeSample | null): void;
}

/** A process's command line (Linux), shortened; null where the OS does not show it. */
function commandLine(pid: number): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replaceAll('\0', ' ');
    return line.length > COMMAND_LENGTH ? `${line.slice(0, COMMAND_LENGTH - 1)}…` : line;
  } catch {
    return null;
  }
}

/** `stats` ordered as a tree from `root`: each process after its parent, siblings by pid. */
function treeOrder<T extends { pid: number; ppid: number }>(root: number, stats: readonly T[]): T[] {
  const byParent = new Map<number, T[]>();
  for (const stat of stats) byParent.set(stat.ppid, [...(byParent.get(stat.ppid) ?? []), stat]);
  const ordered: T[] = [];
  const visit = (pid: number) => {
    for (const child of (byParent.get(pid) ?? []).sort((a, b) => a.pid - b.pid)) {
      ordered.push(child);
      visit(child.pid);
    }
  };
  visit(root);
  return ordered;
}

/** Samples the tree under one root pid; null when the root is gone. */
async function sampleTree(pid: number, exposed: () => ExposedSockets): Promise<TreeSample | null> {
  const descendants = await descendantsOf(pid);
  // One pid at a time: a batch call fails whole when any process in it ended while it looked.
  const settled = await Promise.allSettled([pid, ...descendants].map((one) => pidusage(one)));
  const stats = settled.flatMap((stat) => (stat.status === 'fulfilled' ? [stat.value] : []));
  if (stats.length === 0) return null;
  let cpu = 0;
  let memory = 0;
  for (const stat of stats) {
    cpu += stat.cpu;
    memory += stat.memory;
  }
  const children = treeOrder(pid, stats).map((stat) => ({
    pid: stat.pid,
    ppid: stat.ppid,
    command: commandLine(stat.pid),
    cpu: Math.round(stat.cpu * 10) / 10,
    memory: stat.memory,
    startedAt: stat.timestamp - stat.elapsed,
  }));
  return { cpu: Math.round(cpu * 10) / 10, memory, children, exposed: exposedBy([pid, ...descendants], exposed()) };
}

/** Samples every target on an interval; `onSample` fires after each round. */
export class MetricsSampler {
  private timer: NodeJS.Timeout | null = null;
  private sampling = false;
  private readonly targets: () => Iterable<SampleTarget>;
  private readonly onSample: () => void;
  private readonly interval: number;

  constructor(targets: () => Iterable<SampleTarget>, onSample: () => void, interval = SAMPLE_INTERVAL_MS) {
    this.targets = targets;
    this.onSample = onSample;
    this.interval = interval;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sampleNow(), this.interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    pidusage.clear();
  }

  async sampleNow(): Promise<void> {
    // A slow round (many processes, a busy machine) is never overlapped by the next.
    if (this.sampling) return;
    this.sampling = true;
    try {
      // The kernel's socket tables are read once a round, for every tree, and not at all with none running.
      let exposed: ExposedSockets | null = null;
      const table = () => (exposed ??= exposedSockets());
      await Promise.all(
        [...this.targets()].map(async (target) => {
          const pid = target.currentPid;
          if (pid === null) return;
          const sample = await sampleTree(pid, table);
          if (target.currentPid === pid) target.recordUsage(sample);
        }),
      );
      this.onSample();
    } finally {
      this.sampling = false;
    }
  }
}
