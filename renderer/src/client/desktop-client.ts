// The dashboard inside the desktop app: the session travels over the preload's bridge (a
// MessagePort to the core in the main process), so there is no token, no socket and no reconnect.

import { SessionClient } from '../../../shared/client.ts';
import type { DesktopBridge } from '../../../shared/desktop.ts';
import type { EventEnvelope, Snapshot, SubscribeRequest } from '../../../shared/events.ts';
import type { ConnectionState, DashboardClient } from './dashboard-client.ts';

/** A DashboardClient over the desktop bridge. */
export class DesktopClient implements DashboardClient {
  private readonly session: SessionClient;
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();
  private state: ConnectionState = { status: 'connecting', attempt: 1 };

  constructor(bridge: DesktopBridge) {
    this.session = new SessionClient({ send: (message) => bridge.post(message) });
    bridge.onMessage((message) => this.session.receive(message));
  }

  get api() {
    return this.session.api;
  }

  get connection(): ConnectionState {
    return this.state;
  }

  /** The bridge is there from the page's first line: the session is open at once. */
  start(): void {
    this.state = { status: 'open' };
    for (const listener of this.connectionListeners) listener(this.state);
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

  retryNow(): void {
    // Nothing to retry: the bridge does not drop.
  }
}

/** The preload's bridge, when the page runs inside the desktop app. */
export function desktopBridge(scope: object): DesktopBridge | null {
  const candidate = (scope as { switchyard?: Partial<DesktopBridge> }).switchyard;
  return candidate && typeof candidate.post === 'function' && typeof candidate.onMessage === 'function' ? (candidate as DesktopBridge) : null;
}
