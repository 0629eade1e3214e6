// CPU and memory of each supervised process tree, every two seconds by default.

import pidusage from 'pidusage';
import { descendantsOf } from '../process/process-tree.ts';

/** Default time between samples. */
export const SAMPLE_INTERVAL_MS = 2000;

/** A process tree to sample: its root pid and where to put the result. */
export interface SampleTarget {
  readonly currentPid: number | null;
  recordUsage(usage: { cpu: number; memory: number } | null): void;
}

/** Sums CPU percent and resident memory over a tree, for one root pid. */
async function sampleTree(pid: number): Promise<{ cpu: number; memory: number } | null> {
  const descendants = await descendantsOf(pid);
  // One pid at a time: a batch call fails whole when any process in it ended while it looked.
  const stats = await Promise.allSettled([pid, ...descendants].map((one) => pidusage(one)));
  let cpu = 0;
  let memory = 0;
  let any = false;
  for (const stat of stats) {
    if (stat.status !== 'fulfilled') continue;
    any = true;
    cpu += stat.value.cpu;
    memory += stat.value.memory;
  }
  return any ? { cpu: Math.round(cpu * 10) / 10, memory } : null;
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
      await Promise.all(
        [...this.targets()].map(async (target) => {
          const pid = target.currentPid;
          if (pid === null) return;
          const usage = await sampleTree(pid);
          if (target.currentPid === pid) target.recordUsage(usage);
        }),
      );
      this.onSample();
    } finally {
      this.sampling = false;
    }
  }
}
