// The page's only door to the core: `window.switchyard` with `post` and `onMessage` for the
// contract's wire messages. The port stays here, in the isolated world; the page never sees it,
// nor ipcRenderer, nor anything of Node. Built into one CommonJS file, as the sandbox requires.

import { contextBridge, ipcRenderer } from 'electron';
import { DESKTOP_BRIDGE_NAME, DESKTOP_CONNECT_CHANNEL, type DesktopBridge } from '../../shared/desktop.ts';
import type { ServerMessage } from '../../shared/events.ts';

const { port1: page, port2: core } = new MessageChannel();
const listeners = new Set<(message: ServerMessage) => void>();

page.addEventListener('message', (event) => {
  for (const listener of listeners) listener((event as MessageEvent).data as ServerMessage);
});
page.start();
ipcRenderer.postMessage(DESKTOP_CONNECT_CHANNEL, null, [core]);

const bridge: DesktopBridge = {
  post: (message) => page.postMessage(message),
  onMessage: (listener) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
};
contextBridge.exposeInMainWorld(DESKTOP_BRIDGE_NAME, bridge);
