// What every DashboardClient shares, whatever carries its messages: the SessionClient, and the
// connection state with its listeners. A transport supplies `send` and its own retry.

import type { ControlApi } from '../../../shared/api.ts';
import { SessionClient } from '../../../shared/client.ts';
import type { ClientMessage, EventEnvelope, Snapshot, SubscribeRequest } from '../../../shared/events.ts';
import type { ConnectionState, DashboardClient } from './dashboard-client.ts';

/** A DashboardClient over one SessionClient; subclasses carry the messages. */
export abstract class SessionBackedClient implements DashboardClient {
  protected readonly session: SessionClient;
  readonly api: ControlApi;
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();
  private state: ConnectionState;

  protected constructor(initial: ConnectionState) {
    this.state = initial;
    this.session = new SessionClient({ send: (message) => this.send(message) });
    this.api = this.session.api;
  }

  get connection(): ConnectionState {
    return this.state;
  }

  subscribe(request: SubscribeRequest): void {
    this.session.subscribe(request);
  }

  onSnapshot(listener: (snapshot: Snapshot) => void): () => void {
    return this.session.onSnapshot(listener);
  }

  onEvents(listener: (events: EventEnvelope[]) => void): () => void {
    return this.session.onEvents(listener);
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  abstract retryNow(): void;

  /** Hands one message to the transport; throws a CallError when it cannot. */
  protected abstract send(message: ClientMessage): void;

  protected setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.connectionListeners) listener(state);
  }
}
