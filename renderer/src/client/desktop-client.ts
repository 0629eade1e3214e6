// The dashboard inside the desktop app: the session travels over the preload's bridge (a
// MessagePort to the core in the main process), so there is no token, no socket and no reconnect.

import type { DesktopBridge } from '../../../shared/desktop.ts';
import type { ClientMessage } from '../../../shared/events.ts';
import { SessionBackedClient } from './session-backed-client.ts';

/** A DashboardClient over the desktop bridge. */
export class DesktopClient extends SessionBackedClient {
  private readonly bridge: DesktopBridge;

  constructor(bridge: DesktopBridge) {
    super({ status: 'connecting', attempt: 1 });
    this.bridge = bridge;
    bridge.onMessage((message) => this.session.receive(message));
  }

  /** The bridge is there from the page's first line: the session is open at once. */
  start(): void {
    this.setState({ status: 'open' });
  }

  retryNow(): void {
    // Nothing to retry: the bridge does not drop.
  }

  protected send(message: ClientMessage): void {
    this.bridge.post(message);
  }
}

/** The preload's bridge, when the page runs inside the desktop app. */
export function desktopBridge(scope: object): DesktopBridge | null {
  const candidate = (scope as { switchyard?: Partial<DesktopBridge> }).switchyard;
  return candidate && typeof candidate.post === 'function' && typeof candidate.onMessage === 'function' ? (candidate as DesktopBridge) : null;
}
