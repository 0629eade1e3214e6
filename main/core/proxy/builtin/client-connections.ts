// The proxy's client connections, so that a drain can tell busy ones (closed after their response)
// from quiet ones: new connections whose first request is still on its way and idle keep-alive
// connections whose next request may be. Quiet ones get a moment, and a request that arrives in it
// is answered with `Connection: close`: closing them at once would fail a request the client has
// already sent, the race every keep-alive client loses now and then (nginx closes them at once).

import type { Socket } from 'node:net';

const kConnection = Symbol('switchyard.clientConnection');

/** One accepted client connection. */
export class ClientConnection {
  readonly socket: Socket;
  /** Requests received and not yet answered in full. */
  active = 0;
  /** Handed to a WebSocket tunnel: no longer HTTP. */
  upgraded = false;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  /** No request under way: new, or an idle keep-alive connection. */
  get quiet(): boolean {
    return this.active === 0 && !this.upgraded;
  }
}

type TrackedSocket = Socket & { [kConnection]?: ClientConnection };

/** Every open client connection of one server. */
export class ClientConnections {
  private readonly open = new Set<ClientConnection>();
  private draining = false;
  private readonly onClose: () => void;

  /** `onClose` runs whenever a connection closes (a drain waits on it). */
  constructor(onClose: () => void) {
    this.onClose = onClose;
  }

  get size(): number {
    return this.open.size;
  }

  /** Starts tracking a socket the server accepted. */
  add(socket: Socket): void {
    const connection = new ClientConnection(socket);
    (socket as TrackedSocket)[kConnection] = connection;
    this.open.add(connection);
    socket.once('close', () => {
      this.open.delete(connection);
      this.onClose();
    });
  }

  /** The tracked connection of a socket (undefined for one accepted before tracking began). */
  of(socket: Socket): ClientConnection | undefined {
    return (socket as TrackedSocket)[kConnection];
  }

  /** A request arrived on `connection`. */
  started(connection: ClientConnection): void {
    connection.active++;
  }

  /** A request on `connection` has been answered (or abandoned). */
  finished(connection: ClientConnection): void {
    connection.active--;
    // Not ended here even during a drain: a response that began before the drain promised keep-alive,
    // so the client may already be sending its next request on this connection. It lingers as a quiet
    // connection; that request is answered with `Connection: close`, which makes Node close it.
  }

  /** From now on each connection closes after its next response. */
  drain(): void {
    this.draining = true;
  }

  /** Connections with no request under way. */
  quietCount(): number {
    let count = 0;
    for (const connection of this.open) if (connection.quiet) count++;
    return count;
  }

  /** Closes connections with no request under way. */
  closeQuiet(): void {
    for (const connection of this.open) if (connection.quiet) connection.socket.destroy();
  }

  /** Closes every connection, busy or not. */
  destroyAll(): void {
    for (const connection of this.open) connection.socket.destroy();
  }
}
