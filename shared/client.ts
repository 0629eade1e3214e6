// The typed client of a session, over any transport that carries ServerMessage and ClientMessage
// (a WebSocket in the browser, the desktop app's port). Calls are the ControlApi's methods; events
// arrive through `onEvents`, after a `snapshot` answered each subscribe, and each batch is
// acknowledged once its listeners have run, so the core can tell a client that falls behind.

import { forwardControlApi, type ControlApi, type ControlCall, type ControlErrorCode } from './api.ts';
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

/** Why the core ended a session: a WebSocket close code (CLOSE_TOO_SLOW) and its reason. */
export interface SessionClosed {
  code: number;
  reason: string;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** Calls and events over one connection; hand every message from the transport to `receive`. */
export class SessionClient {
  private readonly transport: ClientTransport;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly snapshotListeners = new Set<(snapshot: Snapshot) => void>();
  private readonly eventListeners = new Set<(events: EventEnvelope[]) => void>();
  private readonly closedListeners = new Set<(closed: SessionClosed) => void>();

  /** The contract's methods, each one call on the wire. */
  readonly api: ControlApi;

  constructor(transport: ClientTransport) {
    this.transport = transport;
    this.api = forwardControlApi((call) => this.call(call));
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

  /** The core ended the session over a transport that stays open; calls in flight have failed. */
  onClosed(listener: (closed: SessionClosed) => void): () => void {
    this.closedListeners.add(listener);
    return () => this.closedListeners.delete(listener);
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
        this.acknowledge(message.seq);
        return;
      case 'closed':
        this.disconnected(message.reason);
        for (const listener of this.closedListeners) listener({ code: message.code, reason: message.reason });
        return;
    }
  }

  /** The connection is gone: every call still waiting fails. */
  disconnected(reason = 'the connection to Switchyard closed'): void {
    for (const pending of this.pending.values()) pending.reject(new CallError('disconnected', reason));
    this.pending.clear();
  }

  private acknowledge(seq: number): void {
    try {
      this.transport.send({ type: 'ack', seq });
    } catch {
      // The connection is going; the next session starts its count afresh.
    }
  }

  private call(call: ControlCall): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.transport.send({ type: 'call', id, ...call });
    });
  }
}
