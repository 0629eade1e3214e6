// A client's request body on its way to a worker. Its progress is watched the way nginx's
// client_body_timeout does: a client that sends nothing for that long while the proxy is ready to
// read is timed out, and time the worker spends not reading does not count. When the exchange is
// over before the body is (a worker may answer without reading an upload at all), what the client
// still sends is read and dropped, within a bound, so that its connection can carry the next request
// and the client is not left pushing into a connection nobody reads.

import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';

/** How long the unwanted rest of a body may take to arrive before its connection is cut (nginx's lingering_time). */
export const DISCARD_LIMIT_MS = 30_000;

function onIdleTimer(body: RequestBody): void {
  body.idleTimedOut();
}
function onDiscardLimit(body: RequestBody): void {
  body.cut();
}

/** One request's body, piped to `stream` for the worker. */
export class RequestBody {
  /** What the worker is sent. */
  readonly stream = new PassThrough();
  private readonly req: IncomingMessage;
  private readonly onIdle: () => void;
  private idleTimer: NodeJS.Timeout | null;
  private discardTimer: NodeJS.Timeout | null = null;
  private disposed = false;
  private readonly arrived = () => this.idleTimer?.refresh();
  private readonly ended = () => this.dispose();

  /** `onIdle` runs when the client stalls for `timeout` while the body is still wanted. */
  constructor(req: IncomingMessage, timeout: number, onIdle: () => void) {
    this.req = req;
    this.onIdle = onIdle;
    // Piped and listened to in one go, so that no chunk flows before the pipe takes it.
    req.pipe(this.stream);
    req.on('data', this.arrived);
    req.once('end', this.ended);
    req.once('close', this.ended);
    this.idleTimer = setTimeout(onIdleTimer, timeout, this);
  }

  /** The exchange is over: drop the rest of the body as it comes, or cut the connection if it takes too long. */
  finish(): void {
    if (this.disposed) return;
    if (this.req.readableEnded || this.req.destroyed) {
      this.dispose();
      return;
    }
    if (this.discardTimer !== null) return;
    this.req.unpipe(this.stream);
    this.req.resume();
    this.discardTimer = setTimeout(onDiscardLimit, DISCARD_LIMIT_MS, this);
  }

  /** The idle timer ran out: the client's fault only if the proxy was ready for more. */
  idleTimedOut(): void {
    if (this.stream.writableNeedDrain && this.discardTimer === null) {
      // The worker is not reading; the client is waiting on it, not the other way round.
      this.idleTimer?.refresh();
      return;
    }
    this.idleTimer = null;
    if (this.discardTimer !== null) this.cut();
    else this.onIdle();
  }

  /** Closes the client's connection: the rest of an unwanted body is not worth waiting for. */
  cut(): void {
    this.dispose();
    this.req.socket.destroy();
  }

  /** Stops both timers and listening; the body needs no more watching. */
  dispose(): void {
    this.disposed = true;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    if (this.discardTimer !== null) clearTimeout(this.discardTimer);
    this.idleTimer = null;
    this.discardTimer = null;
    this.req.off('data', this.arrived);
    this.req.off('end', this.ended);
    this.req.off('close', this.ended);
  }
}
