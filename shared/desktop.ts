// What the desktop app's preload exposes to the page as `window.switchyard`: two functions for the
// session's wire messages and nothing else, so the page can name actions but never reach Node.

import type { ClientMessage, ServerMessage } from './events.ts';

/** The preload's bridge to the core's session. */
export interface DesktopBridge {
  post(message: ClientMessage): void;
  /** Registers a listener for the core's messages; returns its removal. */
  onMessage(listener: (message: ServerMessage) => void): () => void;
}

/** The global name the preload gives the bridge. */
export const DESKTOP_BRIDGE_NAME = 'switchyard';

/**
 * The one IPC message the preload sends: it carries the page's end of a MessagePort, and the main
 * process accepts it only from the app's own window and page.
 */
export const DESKTOP_CONNECT_CHANNEL = 'switchyard:connect';

/** The line the desktop app prints once its window is up on a running stack (the launcher waits for it). */
export const DESKTOP_READY_MARKER = 'switchyard: desktop app ready';
