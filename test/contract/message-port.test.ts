// The contract suite again, over a MessagePort pair as the desktop app carries it: messages are
// structured-cloned (node:worker_threads has the same semantics as Electron's MessageChannelMain),
// so anything that would not survive the trip (a function, a class instance) fails here.

import { MessageChannel } from 'node:worker_threads';
import { SessionClient } from '../../shared/client.ts';
import type { ServerMessage } from '../../shared/events.ts';
import { servePort } from '../../main/core/control/port-session.ts';
import { contractSuite, recording } from './contract-suite.ts';

contractSuite('a MessagePort (desktop transport)', async (hub) => {
  const { port1: core, port2: page } = new MessageChannel();
  const served = servePort(hub, core);
  const client = new SessionClient({ send: (message) => page.postMessage(message) });
  page.on('message', (message: ServerMessage) => client.receive(message));
  page.on('close', () => client.disconnected());
  return recording(client, async () => {
    served.dispose();
    page.close();
  });
});
