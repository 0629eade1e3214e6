// The core's side of the control contract, over a Stack: the ControlApi's methods, and the events
// every session subscribes to, each subscription starting with a snapshot taken in the same
// synchronous call as the listener is registered, so that nothing falls between the two.

import type { ConfigOutcome, ControlApi, StackStatus } from '../../../shared/api.ts';
import type { EventEnvelope, Snapshot, SubscribeRequest } from '../../../shared/events.ts';
import { SwitchyardError } from '../errors.ts';
import { Emitter, type Disposable } from '../events.ts';
import type { LoadGenerator } from '../load/load-generator.ts';
import { TrafficStats, startTrafficTicker } from '../metrics/traffic.ts';
import type { Stack } from '../stack.ts';
import { collectDiagnostics, inheritedEnvironment, type HostEnvironment } from './diagnostics.ts';

/** Default number of lines `logs` returns. */
export const DEFAULT_LOG_TAIL = 200;
/** Default number of access events `access` returns. */
export const DEFAULT_ACCESS_TAIL = 500;
/** Lines a new subscriber gets unless it asks otherwise. */
export const DEFAULT_SNAPSHOT_LINES = 2000;
/** Most lines a snapshot carries; a client that missed more is told how many it skipped. */
export const MAX_SNAPSHOT_LINES = 20_000;
/** Most access events a snapshot carries. */
export const MAX_SNAPSHOT_ACCESS = 5000;

/** What the hub needs besides the stack. */
export interface ControlHubOptions {
  startedAt: number;
  /** Starts the stop of the whole instance. */
  onShutdown: () => void;
  /** Reads the stack file again and applies it; absent where nothing watches a stack file. */
  reloadStackFile?: () => Promise<ConfigOutcome>;
  /**
   * The host and where the PATH it gave the stack's processes came from, for `diagnostics`; a
   * terminal's `switchyard up` with an inherited PATH when absent.
   */
  environment?: HostEnvironment;
}

/** The contract's methods and events for one running stack. */
export class ControlHub implements Disposable {
  readonly api: ControlApi;
  private readonly stack: Stack;
  private readonly options: ControlHubOptions;
  private readonly environment: HostEnvironment;
  private readonly traffic = new TrafficStats();
  /**
   * While there is a session: the ticker handing each complete second to the sessions (a stack at rest
   * does not wake every second), and the log store's lines (a proxied request's line is formatted
   * only when someone reads it).
   */
  private whileWatched: Disposable[] = [];
  private sessions = 0;
  // Made at the first load test: its HTTP client (undici, which pulls in Node's own fetch) costs
  // several MiB that a stack at rest need not hold.
  private load: Promise<LoadGenerator> | null = null;
  private loadsSeen: LoadGenerator | null = null;
  private lastConfig: ConfigOutcome | null = null;
  private readonly _onEvent = new Emitter<EventEnvelope>();
  private readonly emit = (envelope: EventEnvelope) => this._onEvent.fire(envelope);
  private readonly disposables: Disposable[] = [];

  constructor(stack: Stack, options: ControlHubOptions) {
    this.stack = stack;
    this.options = options;
    this.environment = options.environment ?? inheritedEnvironment();
    const emit = this.emit;
    this.disposables.push(
      stack.onProcessChange((change) => emit({ topic: 'process', data: change.info })),
      stack.onProcessRemoved(({ id, name }) => emit({ topic: 'removed', data: { id, name } })),
      stack.onMetrics((infos) =>
        emit({ topic: 'metrics', data: { time: Date.now(), processes: infos.map(({ id, name, cpu, memory }) => ({ id, name, cpu, memory })) } }),
      ),
      stack.access.onRecords((records) => {
        this.traffic.add(records);
        emit({ topic: 'access', data: records });
      }),
    );
    this.api = this.createApi();
  }

  /** A stack file change was applied or refused (saved by someone, or asked for through the API). */
  reportConfig(outcome: ConfigOutcome): void {
    this.lastConfig = outcome;
    this._onEvent.fire({ topic: 'config', data: outcome });
  }

  /** The state now, and every event after it to `listener`. */
  subscribe(request: SubscribeRequest, listener: (envelope: EventEnvelope) => void): { snapshot: Snapshot; dispose: () => void } {
    const snapshot = this.snapshot(request);
    const subscription = this._onEvent.event(listener);
    // Someone is watching: CPU and memory figures come every 2 s instead of every 10 s.
    const watching = this.stack.watchMetrics();
    const counted = this.countSession();
    return {
      snapshot,
      dispose: () => {
        subscription.dispose();
        watching.dispose();
        counted.dispose();
      },
    };
  }

  /** Counts one session until disposed; the first starts what runs while watched, the last stops it. */
  private countSession(): Disposable {
    if (this.sessions++ === 0) {
      // The snapshot just taken carries every complete second and every line so far: both go on from there.
      this.traffic.skipTaken();
      this.whileWatched = [
        startTrafficTicker(this.traffic, (data) => this.emit({ topic: 'traffic', data })),
        this.stack.logs.onLine((line) => this.emit({ topic: 'logs', data: [line] })),
      ];
    }
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        if (--this.sessions > 0) return;
        for (const disposable of this.whileWatched.splice(0)) disposable.dispose();
      },
    };
  }

  dispose(): void {
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    for (const disposable of this.whileWatched.splice(0)) disposable.dispose();
    void this.load?.then((load) => load.dispose());
    this._onEvent.dispose();
  }

  private loadGenerator(): Promise<LoadGenerator> {
    this.load ??= import('../load/load-generator.ts').then(({ LoadGenerator }) => {
      const load = new LoadGenerator({ target: () => this.stack.spec.proxy?.listen ?? null, onProgress: (data) => this.emit({ topic: 'load', data }) });
      this.loadsSeen = load;
      return load;
    });
    return this.load;
  }

  private snapshot(request: SubscribeRequest): Snapshot {
    const { logsAfter, accessAfter } = request;
    const wanted = logsAfter === undefined ? Math.min(request.logTail ?? DEFAULT_SNAPSHOT_LINES, MAX_SNAPSHOT_LINES) : MAX_SNAPSHOT_LINES;
    const logs = this.stack.logs.query({ sources: null, tail: wanted, ...(logsAfter === undefined ? {} : { after: logsAfter }) });
    // Lines between the client's last one and the first one sent are lost to it: retention or the cap.
    const logsSkipped = logsAfter === undefined || logs.length === 0 ? 0 : Math.max(0, logs[0]!.seq - logsAfter - 1);
    return {
      status: this.status(),
      processes: this.stack.processes(),
      logs,
      logsSkipped,
      access: this.stack.access.recent(MAX_SNAPSHOT_ACCESS, accessAfter ?? 0),
      traffic: this.traffic.samples(),
      config: this.lastConfig,
      loads: this.loadsSeen?.list() ?? [],
    };
  }

  private status(): StackStatus {
    const spec = this.stack.spec;
    return { name: spec.name, file: spec.file, pid: process.pid, startedAt: this.options.startedAt, spec };
  }

  private createApi(): ControlApi {
    const stack = this.stack;
    return {
      status: async () => this.status(),
      listProcesses: async () => stack.processes(),
      logs: async (query) =>
        stack.logs.query({
          sources: stack.logSources(query.name),
          tail: query.tail ?? DEFAULT_LOG_TAIL,
          ...(query.after === undefined ? {} : { after: query.after }),
        }),
      access: async (query) => stack.access.recent(query.tail ?? DEFAULT_ACCESS_TAIL, query.after ?? 0),
      start: (target) => stack.startTarget(target),
      stop: (target) => stack.stopTarget(target),
      restart: (target) => stack.restart(target),
      reload: (target) => stack.reload(target),
      scale: (app, replicas) => stack.scale(app, replicas),
      kill: async (worker) => stack.killWorker(worker),
      reloadStackFile: async () => {
        if (!this.options.reloadStackFile) throw new SwitchyardError('bad-request', 'this instance does not watch a stack file; start it with `switchyard up`');
        return this.options.reloadStackFile();
      },
      loadTest: async (spec) => (await this.loadGenerator()).start(spec),
      stopLoadTest: async (id) => (await this.loadGenerator()).stop(id),
      shutdown: async () => {
        // Answer first; the stop runs after the reply is on its way.
        setImmediate(this.options.onShutdown);
      },
      // The PATH reported is the one the processes really get; the host only says where it came from.
      diagnostics: () => collectDiagnostics(stack.spec, this.environment, stack.basePath, this.options.startedAt, () => stack.proxyEngine()),
    };
  }
}
