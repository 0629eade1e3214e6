// The typed client of a session, over any transport that carries ServerMessage and ClientMessage
// (a WebSocket in the browser, the desktop shell's IPC). Calls are the ControlApi's methods; events
// arrive through `onEvents`, after a `snapshot` answered each subscribe.

import type { ControlApi, ControlErrorCode, ControlMethod } from './api.ts';
import type { ClientMessage, EventEnvelope, ServerMessage, Snapshot, SubscribeRequest } from './events.ts';

/** What the client needs from a connection. */
export interface ClientTransport {
  send(message: ClientMessage): void;
}

/** A refused or failed call, with the core's code and its message meant for people. */
export class CallError extends Error {
  readonly code: ControlErrorCode | 'disconnected';
  constructor(code: ControlErrorCode | 'disconnected', message: string) {
    super(message);
    this.name = 'CallError';
    this.code = code;
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** Calls and events over one connection; hand every message from the transport to `receive`. */
export class SessionClient {
  private readonly transport: ClientTransport;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly snapshotListeners = new Set<(snapshot: Snapshot) => void>();
  private readonly eventListeners = new Set<(events: EventEnvelope[]) => void>();

  /** The contract's methods, each one call on the wire. */
  readonly api: ControlApi;

  constructor(transport: ClientTransport) {
    this.transport = transport;
    const call = (method: ControlMethod) => (...args: unknown[]) => this.call(method, args);
    this.api = new Proxy({} as ControlApi, { get: (_target, method) => call(method as ControlMethod) });
  }

  /** Asks for a snapshot and the events after it. */
  subscribe(request: SubscribeRequest = {}): void {
    this.transport.send({ type: 'subscribe', ...request });
  }

  onSnapshot(listener: (snapshot: Snapshot) => void): () => void {
    this.snapshotListeners.add(listener);
    return () => this.snapshotListeners.delete(listener);
  }

  onEvents(listener: (events: EventEnvelope[]) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** A message from the transport. */
  receive(message: ServerMessage): void {
    switch (message.type) {
      case 'reply': {
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        if (message.ok) pending.resolve(message.result);
        else pending.reject(new CallError(message.error.code, message.error.message));
        return;
      }
      case 'snapshot':
        for (const listener of this.snapshotListeners) listener(message.snapshot);
        return;
      case 'events':
        for (const listener of this.eventListeners) listener(message.events);
        return;
    }
  }

  /** The connection is gone: every call still waiting fails. */
  disconnected(reason = 'the connection to Switchyard closed'): void {
    for (const pending of this.pending.values()) pending.reject(new CallError('disconnected', reason));
    this.pending.clear();
  }

  private call(method: ControlMethod, args: unknown[]): Promise<never> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.transport.send({ type: 'call', id, method, args } as ClientMessage);
    });
  }
}
