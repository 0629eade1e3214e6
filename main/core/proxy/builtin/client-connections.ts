// The proxy's client connections, so that a drain can tell busy ones (closed after their response)
// from quiet ones: new connections whose first request is still on its way and idle keep-alive
// connections whose next request may be. Quiet ones get a moment, and a request that arrives in it
// is answered with `Connection: close`: closing them at once would fail a request the client has
// already sent, the race every keep-alive client loses now and then (nginx closes them at once).
// They also tell when a peak of connections has passed, so the process can give back what it grew to.

import type { Socket } from 'node:net';
import { Emitter } from '../../events.ts';
import type { Event } from '../../events.ts';

/** Below this many at their peak, the memory connections took is not worth a full garbage collection. */
export const SUBSIDED_MIN_PEAK = 100;
/** How long connections stay below a quarter of their peak before the peak counts as over. */
export const SUBSIDED_AFTER_MS = 5000;

/** A peak of client connections that has passed: at most a quarter of it is still open. */
export interface SubsidedPeak {
  peak: number;
  open: number;
}

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
  private readonly _onSubsided = new Emitter<SubsidedPeak>();
  /** Connections fell below a quarter of a peak of at least SUBSIDED_MIN_PEAK and stayed there for SUBSIDED_AFTER_MS. */
  readonly onSubsided: Event<SubsidedPeak> = this._onSubsided.event;

  private readonly open = new Set<ClientConnection>();
  private draining = false;
  private readonly onClose: () => void;
  /** The most connections open at once since the last peak subsided. */
  private peak = 0;
  private subsiding: NodeJS.Timeout | null = null;
  /**
   * The one 'close' listener of every socket (the socket is `this`), so an idle connection holds no
   * closure of its own; `on`, not `once`, which would wrap it in one per socket.
   */
  private readonly forget: (this: Socket) => void;

  /** `onClose` runs whenever a connection closes (a drain waits on it). */
  constructor(onClose: () => void) {
    this.onClose = onClose;
    const closed = (socket: Socket) => this.closed(socket);
    this.forget = function (this: Socket) {
      closed(this);
    };
  }

  get size(): number {
    return this.open.size;
  }

  /** Starts tracking a socket the server accepted. */
  add(socket: Socket): void {
    const connection = new ClientConnection(socket);
    (socket as TrackedSocket)[kConnection] = connection;
    this.open.add(connection);
    if (this.open.size > this.peak) this.peak = this.open.size;
    socket.on('close', this.forget);
  }

  private closed(socket: Socket): void {
    const connection = this.of(socket);
    if (connection === undefined || !this.open.delete(connection)) return;
    this.watchSubsiding();
    this.onClose();
  }

  /** Stops watching for a peak to pass. */
  dispose(): void {
    if (this.subsiding) clearTimeout(this.subsiding);
    this.subsiding = null;
    this._onSubsided.dispose();
  }

  private watchSubsiding(): void {
    if (this.subsiding || !this.belowQuarterOfPeak()) return;
    // Unref'd: a peak passing must not keep a stopping proxy alive.
    this.subsiding = setTimeout(() => {
      this.subsiding = null;
      // Connections came back in the meantime: the next close looks again.
      if (!this.belowQuarterOfPeak()) return;
      const passed = { peak: this.peak, open: this.open.size };
      this.peak = this.open.size;
      this._onSubsided.fire(passed);
    }, SUBSIDED_AFTER_MS).unref();
  }

  private belowQuarterOfPeak(): boolean {
    return this.peak >= SUBSIDED_MIN_PEAK && this.open.size < this.peak / 4;
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
