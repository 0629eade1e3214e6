// Real sockets on loopback for the proxy tests: in-process upstream servers, a ProxyServer in front
// of them, and a client that opens a fresh connection per request unless told otherwise.

import { afterEach } from 'vitest';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AccessEvent, MemberState, ProxyConfig, ProxyRoute, UpstreamConfig, UpstreamMember } from '../../shared/proxy.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../shared/stack.ts';
import type { BalanceStrategy, ClientLimits } from '../../shared/stack.ts';
import { ProxyServer } from '../../main/core/proxy/builtin/proxy-server.ts';
import { waitFor } from '../helpers/wait.ts';

const cleanups: (() => Promise<void> | void)[] = [];

/** Registers the after-each cleanup; call once at the top of a test file. */
export function cleanUpAfterEach(): void {
  afterEach(async () => {
    const pending = cleanups.splice(0).reverse();
    for (const cleanup of pending) await cleanup();
  });
}

/** Runs `cleanup` after the current test. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** An in-process upstream: its port and what it received. */
export interface Upstream {
  readonly port: number;
  readonly server: http.Server;
  readonly requests: { method: string; url: string; headers: http.IncomingHttpHeaders; rawHeaders: string[] }[];
}

/** An HTTP server on 127.0.0.1 that records each request, then hands it to `handler`. */
export async function startUpstream(
  handler: http.RequestListener = (_req, res) => res.end('ok'),
  options: http.ServerOptions = {},
): Promise<Upstream> {
  const requests: Upstream['requests'] = [];
  const server = http.createServer(options, (req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  onCleanup(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, server, requests };
}

/** A loopback port nothing listens on: bound, then closed again. */
export async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A member for `port`, with an id unique to this port. */
export function member(name: string, port: number, state: MemberState = 'ready'): UpstreamMember {
  return { id: `${name}@${port}`, name, host: '127.0.0.1', port, state };
}

/** An app upstream named `name`. */
export function app(name: string, members: UpstreamMember[], balance: BalanceStrategy = 'round-robin'): UpstreamConfig {
  return { name, kind: 'app', balance, members };
}

/** A route; by default to an app, without a host or prefix stripping, with a 10 s timeout. */
export function route(path: string, to: string, overrides: Partial<ProxyRoute> = {}): ProxyRoute {
  return { host: null, path, to, target: 'app', stripPrefix: false, timeout: 10_000, ...overrides };
}

/** A configuration from routes and upstreams, with the stack file's client limits unless told otherwise, and an id of its own. */
export function config(routes: ProxyRoute[], upstreams: UpstreamConfig[], clients: Partial<ClientLimits> = {}): ProxyConfig {
  return {
    id: randomUUID().slice(0, 8),
    clients: { ...DEFAULT_CLIENT_LIMITS, ...clients },
    routes,
    upstreams: Object.fromEntries(upstreams.map((upstream) => [upstream.name, upstream])),
  };
}

/** A running proxy on a free port, with the access events it fired. */
export interface RunningProxy {
  readonly proxy: ProxyServer;
  readonly port: number;
  readonly access: AccessEvent[];
}

/** Starts a ProxyServer with `initial` on 127.0.0.1; closed after the test. */
export async function startProxy(initial: ProxyConfig): Promise<RunningProxy> {
  const proxy = new ProxyServer();
  const access: AccessEvent[] = [];
  proxy.onAccess((event) => access.push(event));
  proxy.apply(initial);
  const { port } = await proxy.listen({ host: '127.0.0.1', port: 0 });
  onCleanup(() => proxy.close());
  return { proxy, port, access };
}

/** A proxy forwarding everything to one app `api` with the given ports as members api-1, api-2 …. */
export async function proxyTo(ports: number[], balance: BalanceStrategy = 'round-robin', routeOverrides: Partial<ProxyRoute> = {}): Promise<RunningProxy> {
  const members = ports.map((port, i) => member(`api-${i + 1}`, port));
  return startProxy(config([route('/', 'api', routeOverrides)], [app('api', members, balance)]));
}

/** What a client got back. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Options for one client request. */
export interface RequestOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
  localAddress?: string;
  agent?: http.Agent | false;
}

/** One request to the proxy on 127.0.0.1:`port`, on a fresh connection unless an agent is given. */
export function send(port: number, path: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        agent: options.agent ?? false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Resolves after `ms`; only for pacing a client, never for waiting on the proxy (use waitFor). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The access event for `path`, once the proxy has fired it (after the client got its answer, possibly). */
export function accessFor(running: RunningProxy, path: string): Promise<AccessEvent> {
  return waitFor(() => running.access.findLast((event) => event.path === path), `an access event for ${path}`, { interval: 5 });
}

/** A raw TCP connection to 127.0.0.1:`port` that keeps what came back and whether it closed. */
export interface RawConnection {
  readonly socket: net.Socket;
  /** Everything received so far, as latin1 text. */
  received(): string;
  /** True once the connection closed (by either side). */
  closed(): boolean;
  /** The error the socket met (ECONNRESET …), or null. */
  error(): string | null;
}

/** Opens a raw connection, for requests that need byte-level control; destroyed after the test. */
export function rawConnection(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    let error: string | null = null;
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.once('connect', () => resolve({ socket, received: () => text, closed: () => closed, error: () => error }));
    socket.once('error', reject);
    onCleanup(() => void socket.destroy());
  });
}

/** A raw worker: `answer` runs for each request head it reads, with the socket, the head's text and how many heads that socket brought before. */
export async function rawWorker(answer: (socket: net.Socket, head: string, index: number) => void): Promise<{ port: number; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    let buffered = '';
    let heads = 0;
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      let end;
      while ((end = buffered.indexOf('\r\n\r\n')) !== -1) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        answer(socket, head, heads++);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, sockets };
}

/**
 * A raw worker that answers the first request on each socket and meets the next with `close`: what
 * hypercorn 0.13 and uWSGI's --http-socket look like from the proxy (they close every connection a
 * few milliseconds after answering, without Connection: close, often after the next request went
 * out), with the close always after that request.
 */
export function closesAfterOneAnswer(close: (socket: net.Socket) => void): Promise<{ port: number; sockets: net.Socket[] }> {
  return rawWorker((socket, _head, index) => {
    if (index === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    else close(socket);
  });
}
