// The page's session with the core: the preload sends one port over IPC, the main process checks
// who sent it, and then serves the contract's messages on it (structured-cloned, no JSON, no token).

import { ipcMain, type IpcMainEvent, type WebContents } from 'electron';
import { DESKTOP_CONNECT_CHANNEL } from '../../shared/desktop.ts';
import type { ControlHub } from '../core/control/control-api.ts';
import { servePort } from '../core/control/port-session.ts';
import type { Disposable } from '../core/events.ts';
import { isAppUrl } from './app-protocol.ts';

/** Why a connect message was refused, or null when it comes from the app's own page. */
export function refusal(event: IpcMainEvent, window: WebContents | null): string | null {
  if (!window || event.sender !== window) return 'not the app window';
  const frame = event.senderFrame;
  if (!frame) return 'its frame is gone';
  if (frame !== event.sender.mainFrame) return 'a subframe';
  if (!isAppUrl(frame.url)) return `a foreign page (${frame.url})`;
  if (event.ports.length !== 1) return `${event.ports.length} ports instead of 1`;
  return null;
}

/**
 * Accepts sessions from the window `window()` returns, on the hub `hub()` returns. A new connect
 * (the page reloaded) ends the window's previous session.
 */
export function acceptSessions(options: {
  window: () => WebContents | null;
  hub: () => ControlHub | null;
  onRefused?: (reason: string) => void;
}): Disposable {
  let current: Disposable | null = null;
  const onConnect = (event: IpcMainEvent) => {
    const reason = refusal(event, options.window());
    const hub = options.hub();
    if (reason || !hub) {
      for (const port of event.ports) port.close();
      if (reason) options.onRefused?.(reason);
      return;
    }
    current?.dispose();
    current = servePort(hub, event.ports[0]!);
  };
  ipcMain.on(DESKTOP_CONNECT_CHANNEL, onConnect);
  return {
    dispose: () => {
      ipcMain.removeListener(DESKTOP_CONNECT_CHANNEL, onConnect);
      current?.dispose();
      current = null;
    },
  };
}
