// The contract suite again, over the desktop app's transport as the shell wires it: the page posts
// its port on the connect channel, the shell's bridge checks the sender and serves the session on
// a MessagePortMain (the central electron fake, over a real node:worker_threads channel: messages
// are structured-cloned, so anything that would not survive Electron's trip fails here too).

import { afterAll, beforeAll } from 'vitest';
import { DESKTOP_CONNECT_CHANNEL } from '../../shared/desktop.ts';
import { SessionClient } from '../../shared/client.ts';
import type { ServerMessage } from '../../shared/events.ts';
import { APP_URL } from '../../main/electron/app-protocol.ts';
import { acceptSessions } from '../../main/electron/bridge.ts';
import type { ControlHub } from '../../main/core/control/control-api.ts';
import { FakeWebContents, ipcMain, portPair, resetElectronFake } from '../fakes/electron.ts';
import { contractSuite, recording } from './contract-suite.ts';

const window = new FakeWebContents();
window.mainFrame.url = APP_URL;
let currentHub: ControlHub | null = null;
const refusals: string[] = [];
let bridge: { dispose(): void };

beforeAll(() => {
  resetElectronFake();
  bridge = acceptSessions({
    window: () => window as never,
    hub: () => currentHub,
    onRefused: (reason) => refusals.push(reason),
  });
});
afterAll(() => bridge.dispose());

contractSuite('the desktop bridge (MessagePortMain)', async (hub) => {
  currentHub = hub;
  const { main, page } = portPair();
  const client = new SessionClient({ send: (message) => page.postMessage(message) });
  page.on('message', (message: ServerMessage) => client.receive(message));
  page.on('close', () => client.disconnected());
  ipcMain.receive(DESKTOP_CONNECT_CHANNEL, window, { ports: [main] });
  if (refusals.length > 0) throw new Error(`the bridge refused the app's own page: ${refusals.join(', ')}`);
  return recording(client, async () => {
    page.close();
  });
});
