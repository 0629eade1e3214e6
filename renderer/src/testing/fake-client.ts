// A DashboardClient for tests: records every call and subscription, answers calls with what the
// test set (or a plausible default), and lets the test play the core: snapshots, event batches
// and connection changes.

import { forwardControlApi, type ControlApi, type ControlMethod } from '../../../shared/api.ts';
import type { EventEnvelope, Snapshot, SubscribeRequest } from '../../../shared/events.ts';
import type { ConnectionState, DashboardClient } from '../client/dashboard-client.ts';
import { diagnostics } from './fixtures.ts';

type Handler = (...args: unknown[]) => unknown;

/** One call the views made. */
export interface RecordedCall {
  method: ControlMethod;
  args: unknown[];
}

const DEFAULTS: Partial<Record<ControlMethod, Handler>> = {
  start: (target) => [target],
  stop: (target) => [target],
  restart: (target) => [target],
  reload: (target) => [target],
  scale: (app, replicas) => Array.from({ length: Number(replicas) }, (_, index) => `${String(app)}-${index + 1}`),
  kill: () => 4242,
  reloadStackFile: () => ({ time: Date.now(), applied: true, changes: [] }),
  shutdown: () => undefined,
  logs: () => [],
  access: () => [],
  listProcesses: () => [],
  diagnostics: () => diagnostics(),
};

export class FakeClient implements DashboardClient {
  readonly calls: RecordedCall[] = [];
  readonly subscriptions: SubscribeRequest[] = [];
  retries = 0;
  private readonly handlers = new Map<ControlMethod, Handler>();
  private readonly snapshotListeners = new Set<(snapshot: Snapshot) => void>();
  private readonly eventListeners = new Set<(events: EventEnvelope[]) => void>();
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();
  private state: ConnectionState;

  readonly api: ControlApi;

  constructor(connection: ConnectionState = { status: 'open' }) {
    this.state = connection;
    this.api = forwardControlApi(({ method, args }) => this.call(method, args));
  }

  /** What a method answers from now on; a thrown error (or rejected promise) is the call failing. */
  respond<M extends ControlMethod>(method: M, handler: (...args: Parameters<ControlApi[M]>) => unknown): void {
    this.handlers.set(method, handler as Handler);
  }

  /** The calls made to one method, as argument lists. */
  callsTo(method: ControlMethod): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  get connection(): ConnectionState {
    return this.state;
  }

  subscribe(request: SubscribeRequest): void {
    this.subscriptions.push(request);
  }

  onSnapshot(listener: (snapshot: Snapshot) => void): () => void {
    this.snapshotListeners.add(listener);
    return () => this.snapshotListeners.delete(listener);
  }

  onEvents(listener: (events: EventEnvelope[]) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  retryNow(): void {
    this.retries++;
  }

  /** Plays the core answering a subscribe. */
  emitSnapshot(snapshot: Snapshot): void {
    for (const listener of this.snapshotListeners) listener(snapshot);
  }

  emitEvents(events: EventEnvelope[]): void {
    for (const listener of this.eventListeners) listener(events);
  }

  setConnection(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.connectionListeners) listener(state);
  }

  private async call(method: ControlMethod, args: unknown[]): Promise<unknown> {
    this.calls.push({ method, args });
    const handler = this.handlers.get(method) ?? DEFAULTS[method];
    if (!handler) throw new Error(`FakeClient: no answer set for ${method}`);
    return handler(...args);
  }
}
