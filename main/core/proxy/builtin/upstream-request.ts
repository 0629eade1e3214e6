// What goes up to a worker and what its sender hears back: the request head, written in one piece,
// and a body streamed after it, as is under a Content-Length or in chunks without one, at the pace
// the worker reads. Errors carry the codes upstream-failure.ts classifies.

import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/** Where a connection goes, worked out once per origin. */
export interface UpstreamOrigin {
  /** Host name or IP address (without brackets) to connect to. */
  readonly host: string;
  readonly port: number;
  /** TLS (an https:// URL route), verified against `host`. */
  readonly secure: boolean;
  /** The Host header for requests that came without one: `127.0.0.1:41234`. */
  readonly authority: string;
}

/** `http://127.0.0.1:41234` (or https://, or [::1]) as an UpstreamOrigin. */
export function upstreamOrigin(origin: string): UpstreamOrigin {
  const url = new URL(origin);
  const secure = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: Number(url.port || (secure ? 443 : 80)), secure, authority: url.host };
}

/** One request for a worker. */
export interface UpstreamRequest {
  readonly method: string;
  /** Origin-form target. */
  readonly path: string;
  /** Flat `[name, value, …]`, end-to-end headers only. */
  readonly headers: readonly string[];
  readonly body: Readable | null;
  /** How long the worker may stay silent (before its head, between body reads), or 0 for no limit; checked every TICK_MS (deadline-ticker.ts). */
  readonly timeout: number;
}

/**
 * What a request's sender is told, in order: connect, request sent, head, data…, then complete or
 * error (once). Connect and request sent come again when a replayable request goes out anew on a
 * new socket (isReplayable).
 */
export interface UpstreamHandler {
  /** The request has a connection; `abort` ends the attempt with `error` reported to onError. */
  onConnect(abort: (error?: Error) => void): void;
  onRequestSent(): void;
  /** The final (non-1xx) head; after onData returns false, nothing more comes until `resume` is called. */
  onHeaders(status: number, headers: string[], resume: () => void, statusText: string): void;
  /** A slice of the body; false asks for a pause. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(error: Error): void;
}

/** Methods a repeat cannot harm (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Whether a request may be sent again after it reached a worker: bodiless and idempotent. */
export function isReplayable(method: string, hasBody: boolean): boolean {
  return !hasBody && IDEMPOTENT.has(method);
}

/** An error with a code, shared (no stack per failure). */
export function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}
const BODY_TOO_LONG = coded('request body longer than its Content-Length', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH');
const BODY_TOO_SHORT = coded('request body shorter than its Content-Length', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH');

/** Methods whose requests carry a body by definition: without one they get `content-length: 0`, as undici sent. */
const EXPECTS_PAYLOAD = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Writes `request`'s head in one write; returns the Content-Length it declares, or -1 when it
 * declares none (a body then goes in chunks).
 */
export function writeRequestHead(socket: Socket, request: UpstreamRequest, origin: UpstreamOrigin): number {
  const headers = request.headers;
  let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
  let hasHost = false;
  let length = -1;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    const value = headers[i + 1] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') hasHost = true;
    else if (name.length === 14 && name.toLowerCase() === 'content-length') length = Number(value);
    head += `${name}: ${value}\r\n`;
  }
  if (!hasHost) head += `host: ${origin.authority}\r\n`;
  if (request.body !== null) {
    if (length === -1) head += 'transfer-encoding: chunked\r\n';
  } else if (length === -1 && EXPECTS_PAYLOAD.has(request.method)) {
    head += 'content-length: 0\r\n';
  }
  socket.write(`${head}connection: keep-alive\r\n\r\n`, 'latin1');
  return length;
}

/** A request body on its way up, after its head; ends with `onSent` or `onFailed`, or with `stop`. */
export class RequestUpload {
  private readonly socket: Socket;
  private readonly body: Readable;
  /** Bytes still due under a Content-Length, or -1 for chunks. */
  private left: number;
  private readonly onSent: () => void;
  private readonly onFailed: (error: Error) => void;
  private waitingForDrain = false;

  constructor(socket: Socket, body: Readable, declaredLength: number, onSent: () => void, onFailed: (error: Error) => void) {
    this.socket = socket;
    this.body = body;
    this.left = declaredLength;
    this.onSent = onSent;
    this.onFailed = onFailed;
    body.on('data', this.data);
    body.on('end', this.end);
    body.on('error', this.onFailed);
  }

  /** Stops sending (the attempt is over, or the body is all sent). */
  stop(): void {
    this.body.off('data', this.data);
    this.body.off('end', this.end);
    this.body.off('error', this.onFailed);
    this.socket.off('drain', this.drained);
  }

  private readonly data = (chunk: Buffer): void => {
    if (chunk.length === 0) return;
    const socket = this.socket;
    let flowing: boolean;
    if (this.left === -1) {
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      flowing = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else {
      this.left -= chunk.length;
      if (this.left < 0) {
        this.onFailed(BODY_TOO_LONG);
        return;
      }
      flowing = socket.write(chunk);
    }
    // The worker reads slower than the client sends: hold the client back until it catches up.
    if (!flowing && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.body.pause();
      socket.once('drain', this.drained);
    }
  };

  private readonly drained = (): void => {
    this.waitingForDrain = false;
    this.body.resume();
  };

  private readonly end = (): void => {
    if (this.left > 0) {
      this.onFailed(BODY_TOO_SHORT);
      return;
    }
    if (this.left === -1) this.socket.write('0\r\n\r\n', 'latin1');
    this.stop();
    this.onSent();
  };
}
