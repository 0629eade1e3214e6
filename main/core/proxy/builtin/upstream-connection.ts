// One keep-alive HTTP/1.1 connection to a worker, carrying one request at a time: the request
// written straight onto a net.Socket (upstream-request.ts), the response read with a strict head
// parser and its body framed by Content-Length, chunked coding or the connection's close. Written
// for the proxy's forwarding path only, where undici's general-purpose client cost about a quarter
// of the proxy's CPU per request. Errors carry the codes upstream-failure.ts classifies.

import net from 'node:net';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { MAX_HEAD_BYTES, parseResponseHead, ResponseParseError } from './response-head.ts';
import type { Framing } from './response-head.ts';
import { ChunkedBody } from './chunked-body.ts';
import { unwatchDeadline, watchDeadline } from './deadline-ticker.ts';
import type { Expiring } from './deadline-ticker.ts';
import { coded, isReplayable, RequestUpload, writeRequestHead } from './upstream-request.ts';
import type { UpstreamHandler, UpstreamOrigin, UpstreamRequest } from './upstream-request.ts';
import { CONNECT_TIMEOUT_MS, keptIdleFor } from './upstream-limits.ts';

export { upstreamOrigin } from './upstream-request.ts';
export type { UpstreamHandler, UpstreamOrigin, UpstreamRequest } from './upstream-request.ts';

const SOCKET_CLOSED = coded('other side closed', 'UND_ERR_SOCKET');
const CONNECT_TIMEOUT = coded('connect timeout', 'UND_ERR_CONNECT_TIMEOUT');
const HEADERS_TIMEOUT = coded('headers timeout', 'UND_ERR_HEADERS_TIMEOUT');
const BODY_TIMEOUT = coded('body timeout', 'UND_ERR_BODY_TIMEOUT');
const CLOSED = coded('connection closed', 'UND_ERR_CLOSED');
const ABORTED = coded('request aborted', 'UND_ERR_ABORTED');
const HEAD_TOO_LARGE = new ResponseParseError('HPE_HEADER_OVERFLOW', 'Header overflow');
const UNEXPECTED_DATA = new ResponseParseError('HPE_INVALID_CONSTANT', 'Data after the response');

const CONNECTING = 0;
/** Waiting for (the rest of) a response head. */
const HEAD = 1;
const BODY = 2;
const IDLE = 3;
const DEAD = 4;
type State = typeof CONNECTING | typeof HEAD | typeof BODY | typeof IDLE | typeof DEAD;

/** One socket's life: requests one after another, then closed by either side or by the idle deadline. */
export class UpstreamConnection implements Expiring {
  /** When the current wait (connect, read, idle) runs out, as a Date.now() time; 0 for none (checked by deadline-ticker.ts). */
  deadline = 0;
  private readonly origin: UpstreamOrigin;
  private readonly onIdleClose: (connection: UpstreamConnection) => void;
  private socket: Socket | null = null;
  private state: State = CONNECTING;
  private handler: UpstreamHandler | null = null;
  private request: UpstreamRequest | null = null;
  /** A head split over reads. */
  private partialHead: Buffer | null = null;
  private framing: Framing = 'none';
  private remaining = 0;
  private chunked: ChunkedBody | null = null;
  private keepAlive = false;
  private keepAliveHintMs = -1;
  private paused = false;
  /** Bytes read before a pause, not yet handed on. */
  private pending: Buffer | null = null;
  private upload: RequestUpload | null = null;
  private closeWhenDone = false;
  /** The socket carried a whole response before the current request. */
  private reused = false;
  /** Some byte of the current request's response came. */
  private heard = false;

  /** `onIdleClose` hears of a socket that closed while idle (so a pool can forget it). */
  constructor(origin: UpstreamOrigin, onIdleClose: (connection: UpstreamConnection) => void) {
    this.origin = origin;
    this.onIdleClose = onIdleClose;
  }

  /** True while the socket is open and waits for a request. */
  get reusable(): boolean {
    return this.state === IDLE;
  }

  /** Sends `request` (opening the socket first if need be); `handler` hears how it goes. */
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    if (this.handler !== null || this.state === DEAD) {
      handler.onError(CLOSED);
      return;
    }
    this.handler = handler;
    this.request = request;
    if (this.socket === null) {
      this.open();
      return;
    }
    this.untrack();
    this.start();
  }

  /** Aborts the request under way, if any, reporting `error` to its handler. */
  readonly abort = (error?: Error): void => {
    if (this.handler !== null) this.fail(error ?? ABORTED);
  };

  /** The handler can take body data again. */
  readonly resume = (): void => {
    if (!this.paused || this.state === DEAD) return;
    this.paused = false;
    if (this.request !== null && this.request.timeout > 0) this.track(this.request.timeout);
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) this.consume(pending);
    if (!this.paused && this.socket !== null) this.socket.resume();
  };

  /** Closes the socket now when idle, else once the request under way is over. */
  close(): void {
    if (this.handler === null) this.kill();
    else this.closeWhenDone = true;
  }

  /** Closes the socket now, failing any request under way. */
  destroy(): void {
    if (this.handler !== null) this.fail(CLOSED);
    else this.kill();
  }

  /** The current deadline passed. */
  expired(): void {
    this.deadline = 0;
    if (this.state === IDLE) this.kill();
    else if (this.state === CONNECTING) this.fail(CONNECT_TIMEOUT);
    else if (this.state === HEAD) this.fail(HEADERS_TIMEOUT);
    else if (this.state === BODY && !this.paused) this.fail(BODY_TIMEOUT);
  }

  private open(): void {
    this.reused = false;
    const { host, port, secure } = this.origin;
    const socket = secure
      ? tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined, ALPNProtocols: ['http/1.1'] })
      : net.connect(port, host);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on(secure ? 'secureConnect' : 'connect', this.connected);
    socket.on('data', this.received);
    socket.on('end', this.ended);
    socket.on('error', this.failed);
    socket.on('close', this.closed);
    watchDeadline(this);
    this.track(CONNECT_TIMEOUT_MS);
  }

  private readonly connected = (): void => {
    this.untrack();
    if (this.handler !== null) this.start();
  };

  private start(): void {
    this.state = HEAD;
    this.heard = false;
    (this.handler as UpstreamHandler).onConnect(this.abort);
    if (this.handler === null) return;
    this.writeRequest(this.request as UpstreamRequest);
  }

  private writeRequest(request: UpstreamRequest): void {
    const socket = this.socket as Socket;
    const length = writeRequestHead(socket, request, this.origin);
    if (request.body === null) this.requestSent();
    else this.upload = new RequestUpload(socket, request.body, length, this.uploaded, this.abort);
  }

  private requestSent(): void {
    const request = this.request as UpstreamRequest;
    if (request.timeout > 0 && this.state === HEAD) this.track(request.timeout);
    (this.handler as UpstreamHandler).onRequestSent();
  }

  private readonly uploaded = (): void => {
    this.upload = null;
    if (this.handler !== null) this.requestSent();
  };

  private stopUploading(): void {
    this.upload?.stop();
    this.upload = null;
  }

  private readonly received = (data: Buffer): void => {
    this.heard = true;
    if (this.paused) {
      this.pending = this.pending === null ? data : Buffer.concat([this.pending, data]);
      return;
    }
    this.consume(data);
  };

  private consume(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.state === HEAD) offset = this.readHead(data, offset);
      else if (this.state === BODY) offset = this.readBody(data, offset);
      else {
        // Nothing was asked: a worker that answers ahead (or twice) is not to be trusted with the next request.
        if (this.handler !== null) this.fail(UNEXPECTED_DATA);
        else this.kill();
        return;
      }
      if (offset < 0) return;
      if (this.paused) {
        if (offset < data.length) this.pending = data.subarray(offset);
        return;
      }
    }
  }

  /** Reads a head from `data` at `offset`; returns where reading stopped, or -1 when the attempt ended. */
  private readHead(data: Buffer, offset: number): number {
    let buffer = data;
    let start = offset;
    let searchFrom = offset;
    // How far `buffer` is ahead of `data`: the part of a split head that came in earlier reads.
    let carried = 0;
    if (this.partialHead !== null) {
      carried = this.partialHead.length;
      searchFrom = Math.max(0, carried - 3);
      buffer = Buffer.concat([this.partialHead, data.subarray(offset)]);
      start = 0;
      this.partialHead = null;
    }
    const end = buffer.indexOf('\r\n\r\n', searchFrom, 'latin1');
    if (end === -1 ? buffer.length - start > MAX_HEAD_BYTES : end - start > MAX_HEAD_BYTES) {
      this.fail(HEAD_TOO_LARGE);
      return -1;
    }
    if (end === -1) {
      this.partialHead = buffer.subarray(start);
      return -1;
    }
    const next = carried === 0 ? end + 4 : offset + end + 4 - carried;
    const request = this.request as UpstreamRequest;
    let head;
    try {
      head = parseResponseHead(buffer.toString('latin1', start, end), request.method === 'HEAD');
    } catch (error) {
      this.fail(error as Error);
      return -1;
    }
    // 1xx informational answers (100 Continue, 103 Early Hints) are the proxy's own business; 101 was never asked for.
    if (head.status < 200) {
      if (head.status === 101) {
        this.fail(new ResponseParseError('HPE_INVALID_STATUS', 'Unexpected 101 Switching Protocols'));
        return -1;
      }
      return next;
    }
    this.framing = head.framing;
    this.remaining = head.length;
    this.keepAlive = head.keepAlive;
    this.keepAliveHintMs = head.keepAliveHintMs;
    this.state = BODY;
    if (request.timeout > 0) this.track(request.timeout);
    (this.handler as UpstreamHandler).onHeaders(head.status, head.headers, this.resume, head.statusText);
    if (this.handler === null) return -1;
    if (head.framing === 'none') {
      this.complete();
      return next;
    }
    if (head.framing === 'chunked') this.chunked = new ChunkedBody();
    return next;
  }

  /** Hands on body bytes from `data` at `offset`; returns where reading stopped, or -1 when the attempt ended. */
  private readBody(data: Buffer, offset: number): number {
    if (this.framing === 'until-close') {
      return this.deliver(offset === 0 ? data : data.subarray(offset)) ? data.length : -1;
    }
    if (this.framing === 'length') {
      const take = Math.min(this.remaining, data.length - offset);
      this.remaining -= take;
      if (!this.deliver(take === data.length ? data : data.subarray(offset, offset + take))) return -1;
      if (this.remaining === 0) this.complete();
      return offset + take;
    }
    const chunked = this.chunked as ChunkedBody;
    let position = offset;
    while (position < data.length && !this.paused) {
      let next;
      try {
        next = chunked.read(data, position);
      } catch (error) {
        this.fail(error as Error);
        return -1;
      }
      if (chunked.data !== null && !this.deliver(chunked.data)) return -1;
      position = next;
      if (chunked.done) {
        this.complete();
        return position;
      }
    }
    return position;
  }

  /** Hands a body slice to the handler; false when the attempt ended meanwhile. */
  private deliver(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    const request = this.request as UpstreamRequest;
    if (request.timeout > 0) this.deadline = Date.now() + request.timeout;
    if (!(this.handler as UpstreamHandler).onData(chunk)) {
      if (this.handler === null) return false;
      this.paused = true;
      this.socket?.pause();
      // Time spent waiting on the client is not the worker's.
      this.untrack();
    }
    return this.handler !== null;
  }

  /** The response is whole: the connection waits for the next request, or closes. */
  private complete(): void {
    const handler = this.handler as UpstreamHandler;
    // A body still on its way up (the worker answered early), or a worker that said close, leaves
    // the socket in no state for another request.
    const uploadUnfinished = this.upload !== null;
    this.stopUploading();
    this.handler = null;
    this.request = null;
    this.chunked = null;
    this.untrack();
    const idle = keptIdleFor(this.keepAliveHintMs);
    if (this.keepAlive && idle > 0 && !this.closeWhenDone && !uploadUnfinished && this.socket !== null) {
      this.state = IDLE;
      this.reused = true;
      if (this.paused) {
        this.paused = false;
        this.socket.resume();
      }
      this.track(idle);
    } else {
      this.kill();
    }
    handler.onComplete();
  }

  private readonly ended = (): void => {
    // A body without length framing ends with the connection; any other read cut short is an error.
    if (this.state === BODY && this.framing === 'until-close' && this.handler !== null) {
      // The socket was not paused (a paused one reports no end), so nothing read is still pending.
      this.keepAlive = false;
      this.complete();
      return;
    }
    this.failed(SOCKET_CLOSED);
  };

  private readonly failed = (error: Error): void => {
    if (this.handler === null) this.kill();
    else if (this.resendable()) this.resend();
    else this.fail(error);
  };

  /**
   * A worker may close a kept socket as a request goes out on it (idle timeout, shutdown; hypercorn
   * 0.13 and uWSGI's --http-socket close every connection a few ms after answering, unannounced):
   * nobody can see that coming. A replayable request that met it before any answer goes once more
   * on a new socket (as Go's http.Transport; nginx retries it without counting a try).
   */
  private resendable(): boolean {
    if (!this.reused || this.heard || this.state !== HEAD) return false;
    const request = this.request as UpstreamRequest;
    return isReplayable(request.method, request.body !== null);
  }

  private resend(): void {
    const socket = this.socket as Socket;
    socket.removeAllListeners();
    // A write still under way may report its failure after the listeners are gone.
    socket.on('error', () => {});
    socket.destroy();
    this.socket = null;
    this.state = CONNECTING;
    this.open();
  }

  private readonly closed = (): void => this.failed(SOCKET_CLOSED);

  private fail(error: Error): void {
    const handler = this.handler;
    this.stopUploading();
    this.handler = null;
    this.request = null;
    this.kill();
    handler?.onError(error);
  }

  private kill(): void {
    if (this.state === DEAD) return;
    const wasIdle = this.state === IDLE;
    this.state = DEAD;
    this.untrack();
    unwatchDeadline(this);
    this.pending = null;
    this.partialHead = null;
    this.socket?.destroy();
    if (wasIdle) this.onIdleClose(this);
  }

  private track(ms: number): void {
    this.deadline = Date.now() + ms;
  }

  private untrack(): void {
    this.deadline = 0;
  }
}
