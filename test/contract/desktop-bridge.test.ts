// The contract suite again, over the desktop app's transport as the shell wires it: the page posts
// its port on the connect channel, the shell's bridge checks the sender and serves the session on
// a MessagePortMain (the central electron fake, over a real node:worker_threads channel: messages
// are structured-cloned, so anything that would not survive Electron's trip fails here too).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP_CONNECT_CHANNEL } from '../../shared/desktop.ts';
import { SessionClient, type SessionClosed } from '../../shared/client.ts';
import { CLOSE_TOO_SLOW, type ServerMessage, type Snapshot } from '../../shared/events.ts';
import type { LogLine } from '../../shared/process.ts';
import { APP_URL } from '../../main/electron/app-protocol.ts';
import { acceptSessions } from '../../main/electron/bridge.ts';
import { ControlHub } from '../../main/core/control/control-api.ts';
import { MAX_BACKLOG_BYTES } from '../../main/core/control/session.ts';
import { Stack } from '../../main/core/stack.ts';
import { FakeWebContents, ipcMain, portPair, resetElectronFake } from '../fakes/electron.ts';
import { fixtureApp, fixtureStack } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';
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

describe('the desktop bridge with a page that falls behind', () => {
  const LINE = 'x'.repeat(1000);
  // Well past the limit however the core estimates a line's size: the page cannot keep them all.
  const LINES = Math.ceil((2 * MAX_BACKLOG_BYTES) / LINE.length);
  let stack: Stack;
  let hub: ControlHub;

  beforeAll(async () => {
    stack = new Stack(fixtureStack([fixtureApp('idle', 'env-dump.js', { replicas: 0 })]), { retainedLines: LINES + 100 });
    await stack.start();
    hub = new ControlHub(stack, { startedAt: Date.now(), onShutdown: () => {} });
    currentHub = hub;
  });

  afterAll(async () => {
    hub?.dispose();
    await stack?.kill();
  });

  it('drops a page that stops reading, and serves its next subscribe from the last line it has', async () => {
    const { main, page } = portPair();
    const client = new SessionClient({ send: (message) => page.postMessage(message) });
    ipcMain.receive(DESKTOP_CONNECT_CHANNEL, window, { ports: [main] });
    const snapshots: Snapshot[] = [];
    const lines: LogLine[] = [];
    const closes: SessionClosed[] = [];
    client.onSnapshot((snapshot) => snapshots.push(snapshot));
    client.onEvents((events) => {
      for (const event of events) if (event.topic === 'logs') lines.push(...event.data);
    });
    client.onClosed((closed) => closes.push(closed));
    try {
      client.subscribe({ logTail: 0 });
      // The page reads nothing (its end of the port is not listening), so it acknowledges nothing.
      for (let burst = 0; burst < LINES / 500; burst++) {
        for (let n = 0; n < 500; n++) stack.logs.append('idle-1', 'stdout', LINE);
        await new Promise((resolve) => setImmediate(resolve));
      }
      page.on('message', (message: ServerMessage) => client.receive(message));
      await waitFor(() => closes.length === 1, 'the core to end the session');
      expect(closes).toEqual([{ code: CLOSE_TOO_SLOW, reason: expect.stringMatching(/too slow/) }]);
      // Posting stopped at the drop, well short of everything written.
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.length).toBeLessThan(LINES);
      const lastSeen = lines.at(-1)!.seq;
      expect(lines.map((line) => line.seq)).toEqual(lines.map((_, index) => lines[0]!.seq + index));

      // The page resubscribes on the same port and gets exactly what it missed.
      client.subscribe({ logsAfter: lastSeen });
      await waitFor(() => snapshots.length === 2, 'a snapshot for the new session');
      const missed = snapshots[1]!;
      expect(missed.logsSkipped).toBe(0);
      expect(missed.logs[0]!.seq).toBe(lastSeen + 1);
      expect(missed.logs.at(-1)!.seq).toBe(stack.logs.lastSeq);
      expect((await client.api.status()).name).toBe('test');
    } finally {
      page.close();
    }
  });
});
