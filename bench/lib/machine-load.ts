// How busy the machine was while a benchmark ran, printed beside its figures: on a shared 2-core
// machine a ratio measured while other programs took a core is not the same figure as one measured
// on an idle machine, and a reader should be able to tell them apart.

import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { machineCpu, ownTreeCpuSeconds } from './cpu.ts';

/** The machine over one stretch of a run. */
export interface MachineLoad {
  cpus: number;
  /** One-minute load average at the start and at the end. */
  loadStart: number;
  loadEnd: number;
  seconds: number;
  /**
   * CPU seconds used by everything but this process and the children it waited for, or null off
   * Linux. A child still running at the end counts here too, so runs stop their children first.
   */
  otherCpuSeconds: number | null;
}

/** Starts watching the machine; `stop()` says how busy it was since. */
export function watchMachineLoad(): { stop: () => MachineLoad } {
  const started = performance.now();
  const loadStart = os.loadavg()[0] ?? Number.NaN;
  const machineStart = machineCpu();
  const ownStart = ownTreeCpuSeconds();
  return {
    stop: () => {
      const machineEnd = machineCpu();
      const ownEnd = ownTreeCpuSeconds();
      const known = machineStart && machineEnd && ownStart !== null && ownEnd !== null;
      return {
        cpus: os.availableParallelism(),
        loadStart,
        loadEnd: os.loadavg()[0] ?? Number.NaN,
        seconds: (performance.now() - started) / 1000,
        // Never below zero: ticks are counted at 100 Hz, so a short stretch can round either way.
        otherCpuSeconds: known ? Math.max(0, machineEnd.busy - machineStart.busy - (ownEnd - ownStart)) : null,
      };
    },
  };
}

/** Average number of CPUs other programs kept busy, or null when unknown. */
export function otherCpus(load: MachineLoad): number | null {
  return load.otherCpuSeconds === null || load.seconds <= 0 ? null : load.otherCpuSeconds / load.seconds;
}

/** One line: `load average 1.20 → 2.31 on 2 CPUs; other programs used 0.45 CPUs (23% of the machine), 27 CPU s in 60 s`. */
export function describeMachineLoad(load: MachineLoad): string {
  const average = `load average ${load.loadStart.toFixed(2)} → ${load.loadEnd.toFixed(2)} on ${load.cpus} CPUs`;
  const others = otherCpus(load);
  if (others === null || load.otherCpuSeconds === null) return `${average}; other programs' CPU time unknown (no /proc)`;
  return `${average}; other programs used ${others.toFixed(2)} CPUs (${((others / load.cpus) * 100).toFixed(0)}% of the machine), ${load.otherCpuSeconds.toFixed(0)} CPU s in ${load.seconds.toFixed(0)} s`;
}

/** A few words for beside a ratio: `load 1.2 → 2.3, other programs 0.45 of 2 CPUs`. */
export function briefMachineLoad(load: MachineLoad): string {
  const others = otherCpus(load);
  return `load ${load.loadStart.toFixed(1)} → ${load.loadEnd.toFixed(1)}, other programs ${others === null ? 'unknown' : `${others.toFixed(2)} of ${load.cpus} CPUs`}`;
}
