// The dashboard inside the desktop app: the session travels over the preload's bridge (a
// MessagePort to the core in the main process), so there is no token, no socket and no backoff.
// The port outlives its sessions: when the core drops this page for falling behind, the next
// session starts at once, and the page subscribes again from the last seq it has.

import type { DesktopBridge } from '../../../shared/desktop.ts';
import type { ClientMessage } from '../../../shared/events.ts';
import { SessionBackedClient } from './session-backed-client.ts';

/** A DashboardClient over the desktop bridge. */
export class DesktopClient extends SessionBackedClient {
  private readonly bridge: DesktopBridge;
  private sessions = 1;

  constructor(bridge: DesktopBridge) {
    super({ status: 'connecting', attempt: 1 });
    this.bridge = bridge;
    bridge.onMessage((message) => this.session.receive(message));
    this.session.onClosed(() => {
      this.setState({ status: 'connecting', attempt: ++this.sessions });
      this.setState({ status: 'open' });
    });
  }

  /** The bridge is there from the page's first line: the session is open at once. */
  start(): void {
    this.setState({ status: 'open' });
  }

  retryNow(): void {
    // Nothing to retry: the port stays, and a dropped session is replaced at once.
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
