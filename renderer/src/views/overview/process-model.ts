// The stack as the process table and the topology show it: the proxy, the static sites, the tasks,
// and each app with its workers in worker order, whatever order the core reported them in.

import type { TrafficSample } from '../../../../shared/events.ts';
import type { ProcessInfo, ProcessState } from '../../../../shared/process.ts';
import { LIVE_STATES } from '../../../../shared/process.ts';
import type { AppSpec, StackSpec } from '../../../../shared/stack.ts';

export interface AppGroup {
  name: string;
  /** From the stack file as the snapshot described it; null for an app the core added since. */
  spec: AppSpec | null;
  workers: ProcessInfo[];
}

export interface StackGroups {
  proxy: ProcessInfo | null;
  statics: ProcessInfo[];
  /** Runs of tasks (run to completion; apps may wait for them). */
  tasks: ProcessInfo[];
  apps: AppGroup[];
}

export function groupProcesses(processes: ReadonlyMap<string, ProcessInfo>, spec: StackSpec | null): StackGroups {
  let proxy: ProcessInfo | null = null;
  const statics: ProcessInfo[] = [];
  const tasks: ProcessInfo[] = [];
  const apps = new Map<string, AppGroup>();
  for (const app of spec?.apps ?? []) apps.set(app.name, { name: app.name, spec: app, workers: [] });
  for (const process of processes.values()) {
    // During a hand-over the proxy that holds the listener speaks for the proxy.
    if (process.kind === 'proxy') proxy = proxy !== null && proxy.role === 'member' ? proxy : process;
    else if (process.kind === 'static') statics.push(process);
    else if (process.kind === 'task') tasks.push(process);
    else {
      let group = apps.get(process.app);
      if (!group) {
        group = { name: process.app, spec: null, workers: [] };
        apps.set(process.app, group);
      }
      group.workers.push(process);
    }
  }
  statics.sort((a, b) => a.name.localeCompare(b.name));
  tasks.sort((a, b) => a.name.localeCompare(b.name) || ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
  for (const group of apps.values()) group.workers.sort((a, b) => a.worker - b.worker || ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
  return { proxy, statics, tasks, apps: [...apps.values()] };
}

/** A replacement shows under the run it replaces; a leaving run last. */
const ROLE_ORDER: Record<ProcessInfo['role'], number> = { member: 0, surge: 1, leaving: 2 };

export function isLive(state: ProcessState): boolean {
  return LIVE_STATES.includes(state);
}

/** Workers that count toward an app's size: draining ones are on their way out. */
export function activeWorkers(group: AppGroup): number {
  return group.workers.filter((worker) => worker.state !== 'draining').length;
}

/** Requests per second of the last full second, by process name and by app. */
export interface Rates {
  byProcess: Map<string, number>;
  byApp: Map<string, number>;
  total: number;
}

export function ratesOf(sample: TrafficSample | undefined): Rates {
  const rates: Rates = { byProcess: new Map(), byApp: new Map(), total: 0 };
  if (!sample) return rates;
  rates.total = sample.unrouted;
  for (const [app, traffic] of Object.entries(sample.apps)) {
    rates.byApp.set(app, traffic.requests);
    rates.total += traffic.requests;
    for (const [worker, count] of Object.entries(traffic.workers)) rates.byProcess.set(worker, count);
  }
  return rates;
}

/** A colour family for a state: good, busy (in transition), bad, idle. */
export function stateTone(state: ProcessState): 'good' | 'busy' | 'bad' | 'idle' {
  switch (state) {
    case 'ready':
      return 'good';
    case 'starting':
    case 'waiting':
    case 'draining':
    case 'stopping':
      return 'busy';
    case 'unhealthy':
    case 'crashed':
    case 'backoff':
    case 'failed':
    case 'blocked':
      return 'bad';
    case 'stopped':
    case 'exited':
      return 'idle';
  }
}
