// The session transport for browsers: a WebSocket on the control server's port. The upgrade passes
// the same Host, Origin and token checks as every other request (the token rides in the second
// subprotocol, since a browser cannot set headers on a WebSocket); a refusal is a plain HTTP answer.

import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../../shared/events.ts';
import type { ControlHub } from './control-api.ts';
import { Session } from './session.ts';

/** Largest message a client may send: calls are small. */
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

/** Why a request may not proceed, as an HTTP answer. */
export interface Refusal {
  status: number;
  message: string;
}

/** Serves sessions over WebSocket upgrades of `server`'s requests to WS_PATH. */
export class WebSocketEndpoint {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    // The token was checked before the upgrade; the answer names only the protocol.
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  private readonly sockets = new Set<WebSocket>();

  constructor(hub: ControlHub, server: http.Server, refuse: (request: http.IncomingMessage, token: string) => Refusal | null) {
    server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const refusal = url.pathname !== WS_PATH ? { status: 404, message: `no WebSocket endpoint at ${url.pathname}; use ${WS_PATH}` } : refuse(request, tokenOf(request));
      if (refusal) {
        const body = JSON.stringify({ ok: false, error: { message: refusal.message } });
        socket.end(`HTTP/1.1 ${refusal.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(hub, ws));
    });
  }

  /** Ends every session. */
  close(): void {
    for (const ws of this.sockets) ws.close(1001, 'Switchyard is stopping');
    this.wss.close();
  }

  private accept(hub: ControlHub, ws: WebSocket): void {
    this.sockets.add(ws);
    const session = new Session(hub, {
      send: (message) => ws.send(JSON.stringify(message)),
      backlog: () => ws.bufferedAmount,
      close: (code, reason) => ws.close(code, reason),
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'text JSON messages only');
      let input: unknown;
      try {
        input = JSON.parse(String(data));
      } catch {
        input = 'not JSON';
      }
      session.receive(input);
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      session.close();
    });
    ws.on('error', () => ws.terminate());
  }
}

/** The token from `Sec-WebSocket-Protocol: switchyard.v1, token.<token>`. */
function tokenOf(request: http.IncomingMessage): string {
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((each) => each.trim());
  return offered.find((each) => each.startsWith(WS_TOKEN_PREFIX))?.slice(WS_TOKEN_PREFIX.length) ?? '';
}
