// The control API on loopback: JSON calls on POST /v1/call, a followed log stream (NDJSON) on
// GET /v1/logs, sessions over a WebSocket on /v1/ws, and the dashboard's built page on every other
// GET. Every request must carry a Host naming this very address (so a DNS-rebound name gets
// nothing) and, when a browser sends one, an Origin of this address; all but the page's own files
// need the token too (the page reads it from the URL's fragment, which never reaches a server).

import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ControlApi, ControlErrorCode, ControlReply, LogStreamItem } from '../../../shared/api.ts';
import type { LogLine } from '../../../shared/process.ts';
import { EventBatcher } from '../batching/event-batcher.ts';
import { logStreamItemBytes } from '../batching/wire-size.ts';
import type { LogStore, SourceFilter } from '../logs/log-store.ts';
import { createStaticHandler, type StaticHandler } from '../static/static-handler.ts';
import type { ControlHub } from './control-api.ts';
import { callFailure, invoke, parseControlCall } from './wire.ts';
import { WebSocketEndpoint, type Refusal } from './ws-endpoint.ts';

/** Largest request body accepted. */
const MAX_BODY_BYTES = 64 * 1024;
/** A follower whose socket holds more than this unsent is skipped until it catches up. */
const MAX_PENDING_BYTES = 1024 * 1024;

/** What the server needs: the API, the log store for following, and which names a log query covers. */
export interface ControlServerOptions {
  api: ControlApi;
  logs: LogStore;
  logSources: (name: string | undefined) => SourceFilter;
  token: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /**
   * Ports a free one must not be: those the stack binds after the control API (its proxy's), which
   * the kernel may hand out as a free port while they are still unbound.
   */
  avoidPorts?: readonly number[];
  /** Serves sessions on /v1/ws when given. */
  hub?: ControlHub;
  /** The built dashboard (renderer/dist), served on GET / when given. */
  dashboardDir?: string;
}

/** A listening control server. */
export class ControlServer {
  private readonly server: http.Server;
  private readonly options: ControlServerOptions;
  private readonly followers = new Set<http.ServerResponse>();
  private readonly sessions: WebSocketEndpoint | null;
  private readonly dashboard: StaticHandler | null;

  private constructor(server: http.Server, options: ControlServerOptions) {
    this.server = server;
    this.options = options;
    this.sessions = options.hub ? new WebSocketEndpoint(options.hub, server, (request, token) => this.refuse(request, token)) : null;
    this.dashboard = options.dashboardDir ? createStaticHandler({ root: options.dashboardDir, spa: true }) : null;
  }

  static async listen(options: ControlServerOptions): Promise<ControlServer> {
    const avoid = new Set(options.avoidPorts ?? []);
    const server = await listenAvoiding(options.port ?? 0, (port) => avoid.has(port));
    const control = new ControlServer(server, options);
    server.on('request', (request, response) => void control.handle(request, response));
    // A broken client connection is its own problem, never the orchestrator's.
    server.on('clientError', (_error, socket) => socket.destroy());
    return control;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The dashboard's address, with the token in the fragment. */
  get dashboardUrl(): string {
    return `${this.url}/#token=${this.options.token}`;
  }

  async close(): Promise<void> {
    this.sessions?.close();
    for (const follower of this.followers) follower.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    if (this.dashboard && (request.method === 'GET' || request.method === 'HEAD') && !url.pathname.startsWith('/v1/')) {
      const refusal = this.refuseForeign(request);
      if (refusal) return sendJson(response, refusal.status, failure('forbidden', refusal.message));
      // The page may not be framed by another site, and runs only its own scripts.
      response.setHeader('x-frame-options', 'DENY');
      const sockets = `ws://127.0.0.1:${this.port} ws://localhost:${this.port}`;
      response.setHeader('content-security-policy', `default-src 'self'; connect-src 'self' ${sockets}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'`);
      response.setHeader('referrer-policy', 'no-referrer');
      return this.dashboard(request, response);
    }
    const refusal = this.refuse(request, bearerToken(request));
    if (refusal) return sendJson(response, refusal.status, failure(codeFor(refusal.status), refusal.message));
    try {
      if (request.method === 'POST' && url.pathname === '/v1/call') return await this.call(request, response);
      if (request.method === 'GET' && url.pathname === '/v1/logs') return this.follow(url, request, response);
      sendJson(response, 404, failure('not-found', `no such endpoint: ${request.method} ${url.pathname}`));
    } catch (error) {
      const { code, message } = callFailure(error);
      sendJson(response, statusFor(code), failure(code, message));
    }
  }

  /** Host and Origin checks; null when the request comes from this address or a non-browser client. */
  private refuseForeign(request: http.IncomingMessage): Refusal | null {
    const own = [`127.0.0.1:${this.port}`, `localhost:${this.port}`];
    if (!own.includes(request.headers.host ?? '')) {
      return { status: 403, message: `foreign Host header '${request.headers.host ?? ''}'; the control API answers only to ${own[0]}` };
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !own.some((host) => origin === `http://${host}`)) {
      return { status: 403, message: `foreign Origin '${origin}'` };
    }
    return null;
  }

  /** Host, Origin and token checks; null when the request may proceed. */
  private refuse(request: http.IncomingMessage, given: string): Refusal | null {
    const foreign = this.refuseForeign(request);
    if (foreign) return foreign;
    const expected = Buffer.from(this.options.token);
    const actual = Buffer.from(given);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      return { status: 401, message: 'missing or wrong token; the token is in .switchyard/run.json beside the stack file, and in the dashboard URL `switchyard up` prints' };
    }
    return null;
  }

  private async call(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (body === null) {
      response.setHeader('connection', 'close');
      return sendJson(response, 413, failure('bad-request', `request body over ${MAX_BODY_BYTES} bytes`));
    }
    let input: unknown;
    try {
      input = JSON.parse(body);
    } catch {
      return sendJson(response, 400, failure('bad-request', 'request body is not JSON'));
    }
    const parsed = parseControlCall(input);
    if (!parsed.ok) return sendJson(response, 400, failure('bad-request', parsed.message));
    const result = await invoke(this.options.api, parsed.call);
    sendJson(response, 200, { ok: true, result } satisfies ControlReply);
  }

  /**
   * Streams the retained lines then every new one. A reader that falls behind is skipped, never
   * waited on: once it has caught up it is told how many lines it missed since its last one.
   */
  private follow(url: URL, request: http.IncomingMessage, response: http.ServerResponse): void {
    const name = url.searchParams.get('name') ?? undefined;
    const tail = Number(url.searchParams.get('tail') ?? 200);
    const sources = this.options.logSources(name);
    response.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    // Headers now: a follower of a quiet process must learn at once that it is connected.
    response.flushHeaders();
    let skipped = 0;
    const batcher: EventBatcher<LogStreamItem> = new EventBatcher({
      deliver: (items) => response.write(items.map((item) => JSON.stringify(item)).join('\n') + '\n'),
      sizeOf: logStreamItemBytes,
      backlog: () => response.writableLength,
      maxBacklog: MAX_PENDING_BYTES,
      onBehind: (discarded) => {
        for (const item of discarded) skipped += 'line' in item ? 1 : item.dropped;
        // Told once it has caught up, whether or not another line comes.
        response.once('drain', () => {
          batcher.resume();
          batcher.push({ dropped: skipped });
          skipped = 0;
        });
      },
    });
    const push = (line: LogLine) => {
      if (batcher.behind) skipped++;
      else batcher.push({ line });
    };
    const subscription = this.options.logs.subscribe({ sources, tail: Number.isFinite(tail) ? Math.max(0, tail) : 200 }, push);
    for (const line of subscription.snapshot) push(line);
    batcher.flush();
    this.followers.add(response);
    const done = () => {
      subscription.dispose();
      batcher.dispose();
      this.followers.delete(response);
    };
    request.once('close', done);
    response.once('close', done);
  }
}

function bearerToken(request: http.IncomingMessage): string {
  return /^bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
}

function codeFor(status: number): ControlErrorCode {
  return status === 401 ? 'unauthorized' : status === 404 ? 'not-found' : 'forbidden';
}

function failure(code: ControlErrorCode, message: string): ControlReply {
  return { ok: false, error: { code, message } };
}

function statusFor(code: ControlErrorCode): number {
  return { 'bad-request': 400, 'not-found': 404, unauthorized: 401, forbidden: 403, internal: 500 }[code];
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function readBody(request: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Stop keeping it, but let it arrive: destroying the socket would lose the 413 as well.
        chunks.length = 0;
        request.removeAllListeners('data');
        request.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** An HTTP server listening on loopback `port`, or on a free port `avoid` does not refuse when `port` is 0. */
export async function listenAvoiding(port: number, avoid: (port: number) => boolean): Promise<http.Server> {
  // Each unwanted port stays held until a good one is found, so the kernel cannot hand it out again.
  const unwanted: http.Server[] = [];
  try {
    for (;;) {
      const server = http.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      if (port !== 0 || !avoid((server.address() as AddressInfo).port)) return server;
      unwanted.push(server);
    }
  } finally {
    for (const server of unwanted) server.close();
  }
}
