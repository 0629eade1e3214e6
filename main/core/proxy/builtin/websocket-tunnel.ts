// Upgrade requests (WebSocket): the handshake goes to a worker over node:http, which hands over
// both the 101 and any other answer; the byte tunnel opens only on 101. Either socket failing or
// closing ends both, and no error on either side may reach the process.

import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AccessEvent } from '../../../../shared/proxy.ts';
import type { ClientConnections } from './client-connections.ts';
import { failurePage, writeRawErrorPage } from './error-page.ts';
import type { ErrorPage } from './error-page.ts';
import { finishRequestHeaders } from './forward-headers.ts';
import type { RequestHead } from './forward-headers.ts';
import type { MemberRecord, MemberRegistry, Target } from './member-registry.ts';
import { forwardedTarget } from './route-table.ts';
import type { CompiledRoute } from './route-table.ts';
import { classifyFailure } from './upstream-failure.ts';
import type { UpstreamPool } from './upstream-pool.ts';

/** What a tunnel needs from the server that started it. */
export interface TunnelHost {
  readonly registry: MemberRegistry;
  readonly connections: ClientConnections;
  /** The tunnel (or the failed handshake) is over. */
  finished(event: AccessEvent): void;
  /** This proxy's Via entry for a request that came in as HTTP/`version`. */
  via(version: string): string;
}

// Handshakes are not pooled: each upgraded connection belongs to its tunnel for good.
const httpAgent = new http.Agent({ keepAlive: false });
const httpsAgent = new https.Agent({ keepAlive: false });

/** Response headers a relayed answer must not carry over a connection the proxy closes after it. */
const RELAY_DROPPED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'te', 'trailer', 'upgrade']);

/** One upgrade request and, after a 101, the tunnel it became. */
export class WebSocketTunnel {
  private readonly host: TunnelHost;
  private readonly req: IncomingMessage;
  private readonly socket: Socket;
  private readonly head: Buffer;
  private readonly route: CompiledRoute;
  /** The request target in origin-form, as routed and forwarded. */
  private readonly target: string;
  private readonly requestId: string;
  private readonly arrived: number;
  private readonly clientIp: string;
  private upstream: UpstreamPool | null = null;
  private headers: string[] = [];
  private member: Target | null = null;
  private tried: MemberRecord[] | null = null;
  private attempts = 0;
  private maxAttempts = 1;
  private pending: http.ClientRequest | null = null;
  private upstreamSocket: Duplex | null = null;
  private attemptActive = false;
  private reached = false;
  private status = 0;
  /** Bytes of the head written to the client, which the access event does not count as body. */
  private headBytes = 0;
  /** Body bytes of the proxy's own error page, when it answered. */
  private pageBytes: number | null = null;
  private error: string | null = null;
  private done = false;

  constructor(host: TunnelHost, req: IncomingMessage, socket: Socket, head: Buffer, route: CompiledRoute, target: string, requestId: string, clientIp: string) {
    this.host = host;
    this.req = req;
    this.socket = socket;
    this.head = head;
    this.route = route;
    this.target = target;
    this.requestId = requestId;
    this.clientIp = clientIp;
    this.arrived = Date.now();
    // No longer an HTTP connection: a drain counts it as a tunnel, not as an idle or fresh one.
    const connection = host.connections.of(socket);
    if (connection !== undefined) connection.upgraded = true;
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.clientClosed());
  }

  /** Starts the handshake with `first`, a member of `upstream` or (null) the route's URL. */
  start(requestHead: RequestHead, upstream: UpstreamPool | null, first: Target): void {
    this.upstream = upstream;
    this.maxAttempts = upstream === null ? 1 : upstream.maxAttempts;
    const hostHeader = this.route.url === null ? requestHead.host : this.route.url.hostHeader;
    this.headers = finishRequestHeaders(requestHead, hostHeader, this.clientIp, this.host.via(this.req.httpVersion));
    this.headers.push('connection', 'upgrade', 'upgrade', requestHead.upgrade ?? 'websocket');
    this.attempt(first);
  }

  /** Answers with one of the proxy's own pages (no ready worker) and closes. */
  reject(page: ErrorPage, error: string): void {
    this.error = error;
    this.status = page.status;
    this.pageBytes = Buffer.byteLength(page.body);
    writeRawErrorPage(this.socket, page, this.requestId);
  }

  private attempt(target: Target): void {
    this.member = target;
    this.attempts++;
    this.attemptActive = true;
    if (target.record !== null) this.host.registry.begin(target.record);
    const origin = new URL(target.origin);
    const secure = origin.protocol === 'https:';
    const request = (secure ? https : http).request({
      protocol: origin.protocol,
      hostname: origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname,
      port: origin.port,
      method: this.req.method,
      path: forwardedTarget(this.route, this.target),
      headers: this.headers,
      agent: secure ? httpsAgent : httpAgent,
      timeout: this.route.spec.timeout,
    });
    this.pending = request;
    request.once('upgrade', (response, upstreamSocket, upstreamHead) => this.upgraded(response, upstreamSocket, upstreamHead));
    request.once('response', (response) => this.relay(response));
    request.on('error', (error) => this.attemptFailed(error));
    request.once('timeout', () => request.destroy(Object.assign(new Error('upstream timeout'), { code: 'ETIMEDOUT' })));
    request.end();
  }

  private endAttempt(): void {
    if (!this.attemptActive) return;
    this.attemptActive = false;
    const record = (this.member as Target).record;
    if (record !== null) this.host.registry.end(record);
  }

  private upgraded(response: IncomingMessage, upstreamSocket: Socket, upstreamHead: Buffer): void {
    this.endAttempt();
    this.pending = null;
    this.reached = true;
    this.upstreamSocket = upstreamSocket;
    upstreamSocket.on('error', () => upstreamSocket.destroy());
    if (this.done || this.socket.destroyed) {
      upstreamSocket.destroy();
      return;
    }
    this.status = 101;
    const headText = responseHead(response, this.requestId, false);
    this.headBytes = Buffer.byteLength(headText, 'latin1');
    upstreamSocket.setTimeout(0);
    upstreamSocket.setNoDelay(true);
    this.socket.setNoDelay(true);
    this.socket.write(headText, 'latin1');
    if (upstreamHead.length > 0) this.socket.write(upstreamHead);
    if (this.head.length > 0) upstreamSocket.write(this.head);
    upstreamSocket.once('close', () => this.socket.destroy());
    upstreamSocket.pipe(this.socket);
    this.socket.pipe(upstreamSocket);
  }

  // Any answer but 101 goes back as it is, on a connection that closes after it.
  private relay(response: IncomingMessage): void {
    this.endAttempt();
    this.pending = null;
    this.reached = true;
    this.status = response.statusCode ?? 502;
    const headText = responseHead(response, this.requestId, true);
    this.headBytes = Buffer.byteLength(headText, 'latin1');
    response.on('error', () => this.socket.destroy());
    this.socket.write(headText, 'latin1');
    response.pipe(this.socket);
  }

  private attemptFailed(error: Error): void {
    this.endAttempt();
    this.pending = null;
    if (this.done || this.status !== 0) {
      this.socket.destroy();
      return;
    }
    const target = this.member as Target;
    const failure = classifyFailure(error, this.route.spec.timeout);
    if (failure.unreachable && target.record !== null) this.host.registry.markFailed(target.record, failure.reason, Date.now());
    // Only a handshake that never got a connection is tried again: nothing reached a worker.
    if (failure.unreachable && this.upstream !== null && this.attempts < this.maxAttempts) {
      const tried = (this.tried ??= []);
      if (target.record !== null) tried.push(target.record);
      const next = this.upstream.pick(this.clientIp, tried, Date.now());
      if (next !== null) {
        this.attempt(next);
        return;
      }
    }
    this.error = failure.reason;
    this.status = failure.status;
    const page = failurePage(failure.status, this.route.label, target.description, failure.reason);
    this.pageBytes = Buffer.byteLength(page.body);
    writeRawErrorPage(this.socket, page, this.requestId);
  }

  private clientClosed(): void {
    if (this.done) return;
    this.done = true;
    if (this.pending !== null) this.pending.destroy();
    if (this.upstreamSocket !== null) this.upstreamSocket.destroy();
    if (this.status === 0) this.error ??= 'client aborted';
    const target = this.member;
    this.host.finished({
      time: this.arrived,
      method: this.req.method ?? '',
      path: this.req.url ?? '',
      status: this.status,
      bytes: this.pageBytes ?? Math.max(0, this.socket.bytesWritten - this.headBytes),
      duration: Date.now() - this.arrived,
      route: this.route.label,
      worker: target !== null && this.reached ? target.worker : null,
      member: target !== null && this.reached ? (target.record?.member.id ?? null) : null,
      requestId: this.requestId,
      error: this.error,
      attempts: this.attempts,
    });
  }
}

/** The status line and headers of an upstream answer, for a raw socket. */
function responseHead(response: IncomingMessage, requestId: string, close: boolean): string {
  let text = `HTTP/1.1 ${response.statusCode} ${response.statusMessage ?? ''}\r\n`;
  const raw = response.rawHeaders;
  let hasRequestId = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (close && RELAY_DROPPED.has(name)) continue;
    if (name === 'x-request-id') hasRequestId = true;
    text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  if (!hasRequestId) text += `x-request-id: ${requestId}\r\n`;
  if (close) text += 'connection: close\r\n';
  return `${text}\r\n`;
}
