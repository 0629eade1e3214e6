// The session transport for the desktop app: a MessagePort (Electron's MessageChannelMain in the
// shell, node:worker_threads in tests), carrying the same ClientMessage and ServerMessage objects as
// the WebSocket, structured-cloned instead of JSON-encoded.

import type { ServerMessage } from '../../../shared/events.ts';
import type { Disposable } from '../events.ts';
import type { ControlHub } from './control-api.ts';
import { Session } from './session.ts';

/** The part of a MessagePort the session uses (Node's, Electron's MessagePortMain and the DOM's differ in little else). */
export interface PortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown } | unknown) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start?(): void;
  close(): void;
}

/** Serves one session on `port` until it closes or the returned handle is disposed. */
export function servePort(hub: ControlHub, port: PortLike): Disposable {
  // Messages posted in-process have no socket buffer to watch; a page that falls behind shows as
  // memory in its own process, which the renderer bounds itself.
  const session = new Session(hub, {
    send: (message: ServerMessage) => port.postMessage(message),
    backlog: () => 0,
    close: () => port.close(),
  });
  port.on('message', (event) => session.receive(dataOf(event)));
  port.on('close', () => session.close());
  port.start?.();
  return {
    dispose: () => {
      session.close();
      port.close();
    },
  };
}

/** Node's ports deliver the message itself; Electron's MessagePortMain wraps it in `{ data, ports }`. */
function dataOf(event: unknown): unknown {
  const wrapped = typeof event === 'object' && event !== null && !('type' in event) && 'data' in event;
  return wrapped ? (event as { data: unknown }).data : event;
}
