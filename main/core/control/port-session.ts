// The session transport for the desktop app: a MessagePort (Electron's MessageChannelMain in the
// shell, node:worker_threads in tests), carrying the same ClientMessage and ServerMessage objects as
// the WebSocket, structured-cloned instead of JSON-encoded. A port posts at once, so nothing here
// sees a page fall behind; the page's acknowledgements of each events batch do (session.ts). A
// page that falls too far behind is dropped as a WebSocket client is, but the port stays: the page
// is told the session closed, and its next subscribe starts a new one.

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

/** Serves sessions on `port`, one after another, until it closes or the returned handle is disposed. */
export function servePort(hub: ControlHub, port: PortLike): Disposable {
  const open = (): Session =>
    new Session(hub, {
      send: (message: ServerMessage) => port.postMessage(message),
      close: (code, reason) => {
        port.postMessage({ type: 'closed', code, reason } satisfies ServerMessage);
        session = open();
      },
    });
  let session = open();
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
