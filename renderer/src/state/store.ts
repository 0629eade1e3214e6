// Everything the dashboard knows about the stack, reduced from one snapshot and the event batches
// after it. Events are applied as they arrive but listeners hear about them at most once per
// animation frame, so a burst of batches costs one render. Logs and access records live in rings
// that are mutated in place; their version counters are what views subscribe to.

import type { AccessRecord, ConfigOutcome, LoadProgress, StackStatus } from '../../../shared/api.ts';
import type { EventEnvelope, Snapshot, SubscribeRequest, TrafficSample } from '../../../shared/events.ts';
import type { LogLine, ProcessInfo } from '../../../shared/process.ts';
import { Ring } from './ring.ts';

/** Log lines kept in the page. */
export const LOG_CAPACITY = 100_000;
/** Access records kept in the page. */
export const ACCESS_CAPACITY = 5_000;
/** Seconds of traffic samples kept. */
export const TRAFFIC_WINDOW_S = 300;

/** What the views read. Top-level fields are replaced when they change; the rings are not. */
export interface DashboardState {
  /** False until the first snapshot arrived. */
  loaded: boolean;
  status: StackStatus | null;
  /** By run id (ProcessInfo.id), in the order the core reported them. */
  processes: ReadonlyMap<string, ProcessInfo>;
  logs: Ring<LogLine>;
  /** Changes whenever the log ring does. */
  logsVersion: number;
  /** Lines the core could not send after a reconnect (no longer retained). */
  logsSkipped: number;
  access: Ring<AccessRecord>;
  accessVersion: number;
  /** One sample per second, oldest first, at most TRAFFIC_WINDOW_S of them. */
  traffic: readonly TrafficSample[];
  config: ConfigOutcome | null;
  /** By id, oldest first. */
  loads: ReadonlyMap<string, LoadProgress>;
}

/** Runs a callback soon, once: an animation frame in a browser. */
export type Scheduler = (callback: () => void) => void;

const nextFrame: Scheduler = (callback) => {
  // A hidden tab gets no frames; the timer keeps the state current for when it is shown again.
  if (typeof requestAnimationFrame === 'function' && typeof document !== 'undefined' && !document.hidden) requestAnimationFrame(callback);
  else setTimeout(callback, 50);
};

export class DashboardStore {
  private state: DashboardState;
  private readonly listeners = new Set<() => void>();
  private readonly schedule: Scheduler;
  private flushPending = false;
  /** Copies being changed by the batch in progress, published at the next flush. */
  private draft: Partial<DashboardState> = {};

  constructor(options: { schedule?: Scheduler; logCapacity?: number; accessCapacity?: number } = {}) {
    this.schedule = options.schedule ?? nextFrame;
    this.state = {
      loaded: false,
      status: null,
      processes: new Map(),
      logs: new Ring(options.logCapacity ?? LOG_CAPACITY),
      logsVersion: 0,
      logsSkipped: 0,
      access: new Ring(options.accessCapacity ?? ACCESS_CAPACITY),
      accessVersion: 0,
      traffic: [],
      config: null,
      loads: new Map(),
    };
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getState = (): DashboardState => this.state;

  /** Where a resubscription should start, so the core sends only what this page has not seen. */
  resumePoint(): SubscribeRequest {
    const lastLog = this.state.logs.last();
    const lastAccess = this.state.access.last();
    const request: SubscribeRequest = {};
    if (lastLog) request.logsAfter = lastLog.seq;
    if (lastAccess) request.accessAfter = lastAccess.seq;
    return request;
  }

  /** True when a snapshot comes from another run of the core than the one this page saw. */
  isOtherRun(snapshot: Snapshot): boolean {
    const known = this.state.status;
    return known !== null && (known.pid !== snapshot.status.pid || known.startedAt !== snapshot.status.startedAt);
  }

  /** Forgets everything (the core was restarted: its sequence numbers start again). */
  reset(): void {
    this.state.logs.clear();
    this.state.access.clear();
    this.draft = {
      loaded: false,
      status: null,
      processes: new Map(),
      logsVersion: this.state.logsVersion + 1,
      logsSkipped: 0,
      accessVersion: this.state.accessVersion + 1,
      traffic: [],
      config: null,
      loads: new Map(),
    };
    this.flush();
  }

  /** A subscription's starting point: replaces processes and traffic, appends what was missed. */
  applySnapshot(snapshot: Snapshot): void {
    this.draft.loaded = true;
    this.draft.status = snapshot.status;
    this.draft.processes = new Map(snapshot.processes.map((process) => [process.id, process]));
    this.appendLogs(snapshot.logs);
    if (snapshot.logsSkipped > 0) this.draft.logsSkipped = this.current('logsSkipped') + snapshot.logsSkipped;
    this.appendAccess(snapshot.access);
    this.draft.traffic = trimTraffic(snapshot.traffic);
    this.draft.config = snapshot.config;
    this.draft.loads = new Map(snapshot.loads.map((load) => [load.id, load]));
    // The first picture of the stack should not wait for a frame.
    this.flush();
  }

  applyEvents(events: readonly EventEnvelope[]): void {
    // Events belong to a snapshot; after a reset they wait for the next one.
    if (!this.current('loaded')) return;
    for (const event of events) {
      switch (event.topic) {
        case 'process':
          this.editProcesses().set(event.data.id, event.data);
          break;
        case 'removed':
          this.editProcesses().delete(event.data.id);
          break;
        case 'metrics': {
          const processes = this.editProcesses();
          for (const sample of event.data.processes) {
            const known = processes.get(sample.id);
            if (known && (known.cpu !== sample.cpu || known.memory !== sample.memory)) {
              processes.set(sample.id, { ...known, cpu: sample.cpu, memory: sample.memory });
            }
          }
          break;
        }
        case 'logs':
          this.appendLogs(event.data);
          break;
        case 'access':
          this.appendAccess(event.data);
          break;
        case 'traffic': {
          const traffic = this.current('traffic');
          const last = traffic[traffic.length - 1];
          if (last && last.time === event.data.time) this.draft.traffic = [...traffic.slice(0, -1), event.data];
          else this.draft.traffic = trimTraffic([...traffic, event.data]);
          break;
        }
        case 'config':
          this.draft.config = event.data;
          break;
        case 'load':
          this.recordLoad(event.data);
          break;
      }
    }
    this.scheduleFlush();
  }

  /** A load test's figures from a call's answer (events bring the rest). */
  recordLoad(progress: LoadProgress): void {
    const known = this.current('loads').get(progress.id);
    // Figures only grow; a late answer must not roll a newer event back.
    if (known && known.state !== 'running' && progress.state === 'running') return;
    if (known && known.elapsed > progress.elapsed && progress.state === 'running') return;
    const loads = new Map(this.current('loads'));
    loads.set(progress.id, progress);
    this.draft.loads = loads;
    this.scheduleFlush();
  }

  /** A stack-file outcome from a call's answer. */
  recordConfig(outcome: ConfigOutcome): void {
    this.draft.config = outcome;
    this.scheduleFlush();
  }

  /** Publishes the batch now (tests, and the snapshot). */
  flush(): void {
    this.flushPending = false;
    if (Object.keys(this.draft).length === 0) return;
    this.state = { ...this.state, ...this.draft };
    this.draft = {};
    for (const listener of this.listeners) listener();
  }

  private scheduleFlush(): void {
    if (this.flushPending || Object.keys(this.draft).length === 0) return;
    this.flushPending = true;
    this.schedule(() => {
      if (this.flushPending) this.flush();
    });
  }

  private current<K extends keyof DashboardState>(key: K): DashboardState[K] {
    return (key in this.draft ? this.draft[key] : this.state[key]) as DashboardState[K];
  }

  private editProcesses(): Map<string, ProcessInfo> {
    if (!('processes' in this.draft)) this.draft.processes = new Map(this.state.processes);
    return this.draft.processes as Map<string, ProcessInfo>;
  }

  private appendLogs(lines: readonly LogLine[]): void {
    const ring = this.state.logs;
    const after = ring.last()?.seq ?? -Infinity;
    let added = 0;
    for (const line of lines) {
      // A resubscription may overlap what the page holds; seqs only grow.
      if (line.seq <= after) continue;
      ring.push(line);
      added++;
    }
    if (added > 0) this.draft.logsVersion = this.current('logsVersion') + 1;
  }

  private appendAccess(records: readonly AccessRecord[]): void {
    const ring = this.state.access;
    const after = ring.last()?.seq ?? -Infinity;
    let added = 0;
    for (const record of records) {
      if (record.seq <= after) continue;
      ring.push(record);
      added++;
    }
    if (added > 0) this.draft.accessVersion = this.current('accessVersion') + 1;
  }
}

function trimTraffic(samples: readonly TrafficSample[]): TrafficSample[] {
  const newest = samples[samples.length - 1];
  if (!newest) return [];
  const from = newest.time - (TRAFFIC_WINDOW_S - 1) * 1000;
  return samples.filter((sample) => sample.time >= from);
}
