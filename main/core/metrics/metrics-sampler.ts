// CPU and memory of each supervised process tree, every two seconds by default, with the processes
// under the main one (a pre-fork server's workers) and the addresses it listens on beyond loopback.

import { readFileSync } from 'node:fs';
import { untilBeat } from '../batching/beat.ts';
import type { Disposable } from '../events.ts';
import type { ChildProcessInfo } from '../../../shared/process.ts';
import { processListing, type ProcessListing, type ProcessRow } from '../process/process-listing.ts';
import { exposedSockets, TreeExposure, type ExposedSockets } from './listeners.ts';

/** Default time between samples. */
export const SAMPLE_INTERVAL_MS = 2000;
/** How often while nobody watches (no dashboard, no follower): a stack left running all day samples seldom. */
export const REST_SAMPLE_INTERVAL_MS = 10_000;

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

/** Start times further apart than this are two processes under one pid (ps gives start times to the second). */
const SAME_START_MS = 2000;

/** CPU percent of each process from its CPU time since the previous round (its whole life at first sight). */
class CpuMeter {
  /** CPU time, when it was read and when the process started, by pid. */
  private last = new Map<number, { cpuTime: number; at: number; startedAt: number }>();
  private seen = new Map<number, { cpuTime: number; at: number; startedAt: number }>();

  percent(row: ProcessRow, at: number): number {
    const previous = this.last.get(row.pid);
    const samePid = previous !== undefined && Math.abs(previous.startedAt - row.startedAt) < SAME_START_MS;
    const before = samePid ? previous : { cpuTime: 0, at: row.startedAt };
    this.seen.set(row.pid, { cpuTime: row.cpuTime, at, startedAt: row.startedAt });
    const elapsed = at - before.at;
    return elapsed > 0 ? Math.max(0, ((row.cpuTime - before.cpuTime) / elapsed) * 100) : 0;
  }

  /** A round ended: what it did not see is forgotten. */
  endRound(): void {
    this.last = this.seen;
    this.seen = new Map();
  }
}

/** Samples the tree under one root pid; null when the root is gone. */
async function sampleTree(pid: number, listing: ProcessListing, meter: CpuMeter, exposure: TreeExposure, exposed: () => ExposedSockets): Promise<TreeSample | null> {
  const rows = await listing.tree(pid);
  if (rows.length === 0) return null;
  const at = Date.now();
  let cpu = 0;
  let memory = 0;
  const children: ChildProcessInfo[] = [];
  for (const row of rows) {
    const percent = meter.percent(row, at);
    cpu += percent;
    memory += row.memory;
    if (row.pid === pid) continue;
    children.push({
      pid: row.pid,
      ppid: row.ppid,
      command: commandLine(row.pid),
      cpu: Math.round(percent * 10) / 10,
      memory: row.memory,
      startedAt: row.startedAt,
    });
  }
  return { cpu: Math.round(cpu * 10) / 10, memory, children, exposed: exposure.of(rows.map((row) => row.pid), exposed, at) };
}

/** Samples every target on an interval; `onSample` fires after each round. */
export class MetricsSampler {
  private timer: NodeJS.Timeout | null = null;
  private sampling = false;
  private readonly targets: () => Iterable<SampleTarget>;
  private readonly onSample: () => void;
  private readonly watchedInterval: number;
  private readonly restInterval: number;
  private watchers = 0;
  private readonly listing = processListing();
  private readonly meter = new CpuMeter();
  private readonly exposures = new WeakMap<SampleTarget, TreeExposure>();

  /** Samples every `interval` while someone watches (watch()), every `restInterval` otherwise. */
  constructor(targets: () => Iterable<SampleTarget>, onSample: () => void, interval = SAMPLE_INTERVAL_MS, restInterval = interval) {
    this.targets = targets;
    this.onSample = onSample;
    this.watchedInterval = interval;
    this.restInterval = restInterval;
  }

  /** The time between two rounds now. */
  get interval(): number {
    return this.watchers > 0 ? this.watchedInterval : this.restInterval;
  }

  start(): void {
    if (this.timer) return;
    this.schedule();
  }

  /** Rounds keep to the interval's beat, as health checks do: at rest a round shares its wake-up with them. */
  private schedule(): void {
    this.timer = setTimeout(() => {
      this.schedule();
      void this.sampleNow();
    }, untilBeat(this.interval));
    this.timer.unref();
  }

  /** Someone shows the figures: sample at once and then at the watched interval, until disposed. */
  watch(): Disposable {
    this.watchers++;
    this.retime();
    if (this.watchers === 1 && this.timer) void this.sampleNow();
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.watchers--;
        this.retime();
      },
    };
  }

  private retime(): void {
    if (!this.timer) return;
    this.stop();
    this.start();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async sampleNow(): Promise<void> {
    // A slow round (many processes, a busy machine) is never overlapped by the next.
    if (this.sampling) return;
    this.sampling = true;
    try {
      // The kernel's socket tables are read once a round, for every tree, and not at all with none running.
      let exposed: ExposedSockets | null = null;
      const table = () => (exposed ??= exposedSockets());
      const targets = [...this.targets()].filter((target) => target.currentPid !== null);
      // One listing of the machine's processes serves every tree, and none is taken with nothing running.
      if (targets.length > 0) await this.listing.refresh();
      await Promise.all(
        targets.map(async (target) => {
          const pid = target.currentPid;
          if (pid === null) return;
          let exposure = this.exposures.get(target);
          if (!exposure) this.exposures.set(target, (exposure = new TreeExposure()));
          const sample = await sampleTree(pid, this.listing, this.meter, exposure, table);
          if (target.currentPid === pid) target.recordUsage(sample);
        }),
      );
      this.meter.endRound();
      this.onSample();
    } finally {
      this.sampling = false;
    }
  }
}
