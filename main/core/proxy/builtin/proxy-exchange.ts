// One client request on its way through the proxy: the handler of each upstream attempt, the retry
// decision (nginx proxy_next_upstream error timeout, never a POST twice), the streaming of the
// response with backpressure, the client's body and its idle timeout, and the access event when the
// client side closes.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessEvent } from '../../../../shared/proxy.ts';
import type { ClientConnection, ClientConnections } from './client-connections.ts';
import { errorPage, errorPageHeaders, failurePage } from './error-page.ts';
import type { ErrorPage } from './error-page.ts';
import { finishRequestHeaders, responseHeaders } from './forward-headers.ts';
import type { RequestHead } from './forward-headers.ts';
import type { MemberRecord, MemberRegistry, Target } from './member-registry.ts';
import { RequestBody } from './request-body.ts';
import { forwardedTarget } from './route-table.ts';
import type { CompiledRoute } from './route-table.ts';
import type { StaticHandler } from '../../static/static-handler.ts';
import { classifyFailure, formatMillis } from './upstream-failure.ts';
import type { UpstreamPool } from './upstream-pool.ts';
import type { UpstreamConnection, UpstreamHandler, UpstreamRequest } from './upstream-connection.ts';
import { isReplayable } from './upstream-request.ts';

/** What an exchange needs from the server that started it. */
export interface ExchangeHost {
  readonly registry: MemberRegistry;
  readonly connections: ClientConnections;
  /** True once a drain began: every response from then on closes its connection. */
  isDraining(): boolean;
  /** This proxy's Via entry for a request that came in as HTTP/`version` (`1.1 switchyard-1f2e3d`). */
  via(version: string): string;
  /** The longest a client may pause while sending a body (client_body_timeout). */
  clientBodyTimeout(): number;
  /** An exchange is over (its access event is ready). */
  finished(event: AccessEvent): void;
}

/** A URL route has one target; a second attempt only covers a keep-alive socket closed under the request. */
const URL_ATTEMPTS = 2;

const CLIENT_ABORTED = Object.assign(new Error('client aborted'), { code: 'SWITCHYARD_CLIENT_ABORTED' });
const HEADERS_TIMEOUT = Object.assign(new Error('headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
const BODY_TIMEOUT = Object.assign(new Error('body timeout'), { code: 'UND_ERR_BODY_TIMEOUT' });
const CLIENT_BODY_TIMEOUT = Object.assign(new Error('client body timeout'), { code: 'SWITCHYARD_CLIENT_BODY_TIMEOUT' });

/**
 * The connection's own read timeouts tick on a coarse clock (up to a quarter second late), fine for
 * `60s` but not for `250ms`; shorter route timeouts get a precise timer of the exchange's own.
 */
export const PRECISE_TIMEOUT_BELOW_MS = 5000;

const kExchange = Symbol('switchyard.exchange');
type TrackedResponse = ServerResponse & { [kExchange]: ProxyExchange };

// Listeners shared by every response, so that no request allocates closures for them.
function onResponseClose(this: TrackedResponse): void {
  this[kExchange].clientClosed();
}
function onResponseDrain(this: TrackedResponse): void {
  this[kExchange].clientDrained();
}
function onReadTimeout(exchange: ProxyExchange): void {
  exchange.readTimedOut();
}

// Headers wait in Node until the first body write; a streamed response must show its headers at
// once, so they are flushed after the current I/O callback, by when a short response has ended.
let flushQueue: ProxyExchange[] = [];
function flushQueuedHeads(): void {
  const queue = flushQueue;
  flushQueue = [];
  for (const exchange of queue) exchange.flushHead();
}

/** One client request and its upstream attempts. */
export class ProxyExchange implements UpstreamHandler {
  private readonly host: ExchangeHost;
  private readonly req: IncomingMessage;
  private readonly res: ServerResponse;
  private readonly connection: ClientConnection | undefined;
  private readonly route: CompiledRoute | null;
  /** The request target in origin-form, as routed and forwarded. */
  private readonly target: string;
  private readonly requestId: string;
  private readonly arrived: number;
  private readonly clientIp: string;
  private upstream: UpstreamPool | null = null;
  /** The connection the current attempt went out on. */
  private client: UpstreamConnection | null = null;
  private request: UpstreamRequest | null = null;
  private body: RequestBody | null = null;
  private member: Target | null = null;
  private tried: MemberRecord[] | null = null;
  private attempts = 0;
  private maxAttempts = 1;
  /** Bodiless and idempotent: may be sent again after it reached a worker. */
  private replayable = false;
  /** The current attempt got a connection and began sending. */
  private connected = false;
  /** Some attempt got a connection to its target. */
  private reached = false;
  private attemptActive = false;
  private abortUpstream: ((error?: Error) => void) | null = null;
  /** An abort that came before the attempt had a connection to abort. */
  private pendingAbort: Error | null = null;
  /** The route's timeout when it is short enough to need the precise timer, else 0. */
  private preciseTimeout = 0;
  private readTimer: NodeJS.Timeout | null = null;
  private resumeUpstream: (() => void) | null = null;
  private waitingForDrain = false;
  private responded = false;
  private clientGone = false;
  /** The client stalled its upload past client_body_timeout; the exchange was ended for it. */
  private clientTimedOut = false;
  /** Close the client connection after this response (a drain, a refused request, a declined upgrade). */
  private closeConnection = false;
  private bytes = 0;
  private error: string | null = null;
  /** The static site this process answered for from its folder (serve), or null. */
  private servedSite: string | null = null;

  constructor(
    host: ExchangeHost,
    req: IncomingMessage,
    res: ServerResponse,
    route: CompiledRoute | null,
    target: string,
    requestId: string,
    arrived: number,
    clientIp: string,
  ) {
    this.host = host;
    this.req = req;
    this.res = res;
    this.route = route;
    this.target = target;
    this.requestId = requestId;
    this.arrived = arrived;
    this.clientIp = clientIp;
    this.connection = host.connections.of(req.socket);
    if (this.connection !== undefined) host.connections.started(this.connection);
    (res as TrackedResponse)[kExchange] = this;
    res.on('close', onResponseClose);
  }

  /** Forwards to a member of `upstream` (app or static route) or, with null, to the route's URL. */
  forward(head: RequestHead, upstream: UpstreamPool | null, first: Target): void {
    const route = this.route as CompiledRoute;
    const method = this.req.method ?? 'GET';
    this.upstream = upstream;
    this.maxAttempts = upstream === null ? URL_ATTEMPTS : upstream.maxAttempts;
    this.replayable = isReplayable(method, head.hasBody);
    const timeout = route.spec.timeout;
    this.preciseTimeout = timeout < PRECISE_TIMEOUT_BELOW_MS ? timeout : 0;
    const hostHeader = route.url === null ? head.host : route.url.hostHeader;
    if (head.hasBody) this.body = new RequestBody(this.req, this.host.clientBodyTimeout(), () => this.clientBodyTimedOut());
    this.request = {
      path: forwardedTarget(route, this.target),
      method,
      headers: finishRequestHeaders(head, hostHeader, this.clientIp, this.host.via(this.req.httpVersion)),
      body: this.body === null ? null : this.body.stream,
      timeout: this.preciseTimeout > 0 ? 0 : timeout,
    };
    this.attempt(first);
  }

  /** Answers from a static site's folder in this process (StaticSites), as nginx serves a `root`: no upstream. */
  serve(site: string, handler: StaticHandler): void {
    this.servedSite = site;
    this.responded = true;
    this.res.setHeader('x-request-id', this.requestId);
    if (this.closeConnection || this.host.isDraining()) this.res.setHeader('connection', 'close');
    handler(this.req, this.res, forwardedTarget(this.route as CompiledRoute, this.target));
  }

  /** Closes the client connection after the response: a refused request, or one after which Node reads no more from it. */
  closeAfterResponse(): void {
    this.closeConnection = true;
  }

  /** Answers with one of the proxy's own pages. */
  respond(page: ErrorPage): void {
    if (this.res.headersSent || this.res.destroyed) return;
    this.responded = true;
    this.res.writeHead(page.status, errorPageHeaders(page, this.requestId, this.closeConnection || this.host.isDraining()));
    this.res.end(page.body);
    this.bytes = Buffer.byteLength(page.body);
  }

  /** Notes why the request failed without reaching a worker (no route, no ready worker). */
  fail(error: string): void {
    this.error = error;
  }

  onConnect(abort: (error?: Error) => void): void {
    this.abortUpstream = abort;
    this.connected = true;
    this.reached = true;
    if (this.clientGone) abort(CLIENT_ABORTED);
    else if (this.pendingAbort !== null) abort(this.pendingAbort);
  }

  onRequestSent(): void {
    if (this.preciseTimeout > 0 && this.attemptActive) this.armReadTimer();
  }

  onHeaders(status: number, rawHeaders: string[], resume: () => void, statusText: string): void {
    this.resumeUpstream = resume;
    const record = (this.member as Target).record;
    if (record !== null) this.host.registry.answered(record);
    const headers = responseHeaders(rawHeaders, this.requestId, this.closeConnection || this.host.isDraining());
    if (statusText) this.res.writeHead(status, statusText, headers);
    else this.res.writeHead(status, headers);
    this.responded = true;
    if (flushQueue.push(this) === 1) queueMicrotask(flushQueuedHeads);
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.readTimer !== null) this.readTimer.refresh();
    if (this.res.write(chunk)) return true;
    // The client reads slower than the worker writes: stop reading the worker until it catches up.
    // Time spent waiting on the client is not the worker's, so the read timeout stops too.
    this.disarmReadTimer();
    if (!this.waitingForDrain) {
      this.waitingForDrain = true;
      this.res.once('drain', onResponseDrain);
    }
    return false;
  }

  onComplete(): void {
    this.endAttempt();
    this.res.end();
  }

  onError(error: Error): void {
    this.endAttempt();
    if (this.clientGone || this.clientTimedOut) return;
    const route = this.route as CompiledRoute;
    const target = this.member as Target;
    const failure = classifyFailure(error, route.spec.timeout);
    if (this.responded) {
      // Too late for an error page: cut the connection so the client sees a broken body, not a short one.
      this.error = `upstream failed mid-response: ${midResponseReason(error)}`;
      this.res.destroy();
      return;
    }
    if (failure.unreachable && target.record !== null) this.host.registry.markFailed(target.record, failure.reason, Date.now());
    if (failure.retryable && (!this.connected || this.replayable) && this.attempts < this.maxAttempts) {
      const next = this.nextTarget(target);
      if (next !== null) {
        this.attempt(next);
        return;
      }
    }
    this.error = failure.reason;
    this.respond(failurePage(failure.status, route.label, target.description, failure.reason));
  }

  /** Sends the response head now if no body has gone out with it yet. */
  flushHead(): void {
    if (!this.res.writableEnded && !this.res.destroyed) this.res.flushHeaders();
  }

  /** The client connection closed, after the whole response or before it. */
  clientClosed(): void {
    const res = this.res;
    if (!res.writableFinished) {
      this.clientGone = true;
      this.error ??= 'client aborted';
      // Before onConnect the abort waits there; after the response it is a no-op.
      if (this.attemptActive && this.abortUpstream !== null) this.abortUpstream(CLIENT_ABORTED);
    }
    // A body the response did not wait for is dropped as it comes (or its connection cut).
    this.body?.finish();
    if (this.connection !== undefined) this.host.connections.finished(this.connection);
    const target = this.member;
    this.host.finished({
      time: this.arrived,
      method: this.req.method ?? '',
      path: this.req.url ?? '',
      status: res.headersSent ? res.statusCode : 0,
      bytes: this.servedSite === null ? this.bytes : servedBytes(this.req, res),
      duration: Date.now() - this.arrived,
      route: this.route === null ? null : this.route.label,
      worker: this.servedSite ?? (target !== null && this.reached ? target.worker : null),
      member: target !== null && this.reached ? (target.record?.member.id ?? null) : null,
      requestId: this.requestId,
      error: this.error,
      attempts: this.attempts,
    });
  }

  /** The client sent no body for client_body_timeout: 408 if nothing was answered yet, else a cut connection. */
  clientBodyTimedOut(): void {
    this.clientTimedOut = true;
    // The connection closes with the answer: nothing more of this body is worth reading.
    this.body?.dispose();
    this.error = `client sent nothing of its body for ${formatMillis(this.host.clientBodyTimeout())}`;
    if (this.attemptActive) {
      if (this.abortUpstream !== null) this.abortUpstream(CLIENT_BODY_TIMEOUT);
      else this.pendingAbort = CLIENT_BODY_TIMEOUT;
    }
    if (this.responded) {
      this.res.destroy();
      return;
    }
    this.closeConnection = true;
    this.respond(errorPage(408, `${this.error}; the request was not passed on in full`));
  }

  /** The client's socket took the buffered response: read from the worker again. */
  clientDrained(): void {
    this.waitingForDrain = false;
    if (!this.attemptActive) return;
    if (this.preciseTimeout > 0) this.armReadTimer();
    if (this.resumeUpstream !== null) this.resumeUpstream();
  }

  /** The worker sent nothing for the route's timeout. */
  readTimedOut(): void {
    this.readTimer = null;
    if (!this.attemptActive) return;
    const error = this.responded ? BODY_TIMEOUT : HEADERS_TIMEOUT;
    if (this.abortUpstream !== null) this.abortUpstream(error);
    else this.pendingAbort = error;
  }

  private attempt(target: Target): void {
    this.member = target;
    this.connected = false;
    this.abortUpstream = null;
    this.pendingAbort = null;
    this.attempts++;
    this.attemptActive = true;
    // A body's upload is the client's time: with one, the clock starts once it is sent (onRequestSent).
    if (this.preciseTimeout > 0 && (this.request as UpstreamRequest).body === null) this.armReadTimer();
    if (target.record !== null) this.host.registry.begin(target.record);
    // Held before dispatching: a connection may report to onError synchronously.
    const client = target.connections.take();
    this.client = client;
    client.dispatch(this.request as UpstreamRequest, this);
  }

  private endAttempt(): void {
    if (!this.attemptActive) return;
    this.attemptActive = false;
    this.disarmReadTimer();
    const target = this.member as Target;
    if (this.client !== null) target.connections.release(this.client);
    this.client = null;
    const record = target.record;
    if (record !== null) this.host.registry.end(record);
  }

  private armReadTimer(): void {
    if (this.readTimer === null) this.readTimer = setTimeout(onReadTimeout, this.preciseTimeout, this);
    else this.readTimer.refresh();
  }

  private disarmReadTimer(): void {
    if (this.readTimer === null) return;
    clearTimeout(this.readTimer);
    this.readTimer = null;
  }

  private nextTarget(failed: Target): Target | null {
    // A request that reached its target and failed there may have met a keep-alive socket closed
    // under it: the same target, on a new connection, is worth one more try when there is no other.
    if (this.upstream === null) return this.connected ? failed : null;
    const tried = (this.tried ??= []);
    if (failed.record !== null) tried.push(failed.record);
    const now = Date.now();
    const next = this.upstream.pick(this.clientIp, tried, now);
    if (next !== null || !this.connected || failed.record === null) return next;
    return this.upstream.canTake(failed.record, now) ? failed : null;
  }
}

/** The body bytes of a response the static handler sent whole (it always sets Content-Length); 0 for one cut short. */
function servedBytes(req: IncomingMessage, res: ServerResponse): number {
  if (!res.writableFinished || req.method === 'HEAD' || res.statusCode === 304 || res.statusCode === 204) return 0;
  const length = Number(res.getHeader('content-length'));
  return Number.isFinite(length) ? length : 0;
}

/** The client's address without the IPv4-mapped prefix. */
export function clientIpOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function midResponseReason(error: Error): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'stalled past the read timeout';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'connection reset';
  return error.message;
}
