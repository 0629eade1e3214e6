// The builtin proxy's data plane: a node:http server whose requests go, by route, to a member of an
// app or static site (or to a URL) over keep-alive upstream connections (connection-pools.ts). Configuration
// is swapped whole and atomically; the listener and the connections stay, and requests already under
// way finish where they started. Clients get nginx's timeouts and a cap on connections; a request
// that is not well-formed HTTP/1.1, or that already passed through this proxy, is refused before
// routing.

import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { AccessEvent, ListenerHandle, MemberLoad, PassiveMark, ProxyConfig, UpstreamMember } from '../../../../shared/proxy.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../../../shared/stack.ts';
import type { ClientLimits } from '../../../../shared/stack.ts';
import { Emitter } from '../../events.ts';
import type { Disposable, Event } from '../../events.ts';
import { ClientConnections } from './client-connections.ts';
import type { SubsidedPeak } from './client-connections.ts';
import { configProblems } from './config-check.ts';
import { ConnectionCap } from './connection-cap.ts';
import type { CapEpisode } from './connection-cap.ts';
import { errorPage, noRoutePage, unavailablePage, writeRawErrorPage } from './error-page.ts';
import type { ErrorPage } from './error-page.ts';
import { readRequestHead, viaNames } from './forward-headers.ts';
import type { RequestHead } from './forward-headers.ts';
import { ForwardingTable } from './forwarding-table.ts';
import { parkHeaderSweepWhileIdle } from './header-timeout-sweep.ts';
import type { MemberRecord } from './member-registry.ts';
import { clientIpOf, ProxyExchange } from './proxy-exchange.ts';
import type { ExchangeHost } from './proxy-exchange.ts';
import { answerUnreadableRequest, destinationOf } from './request-target.ts';
import { StaticSites } from './static-sites.ts';
import { WebSocketTunnel } from './websocket-tunnel.ts';

/** Where a proxy listens. */
export interface ProxyAddress {
  host: string;
  port: number;
}

/** What a proxy is busy with. */
export interface ProxyStats {
  /** Open client connections. */
  connections: number;
  /** Requests and WebSocket tunnels under way. */
  active: number;
}

/** How long a drain keeps quiet connections (new, or idle keep-alive) open for a request already on its way. */
const QUIET_CONNECTION_WAIT_MS = 1000;
/**
 * How often Node looks for requests whose head is overdue (client_header_timeout): its default of 30 s
 * would let a 60 s timeout run to 90 s; at 1 s it runs to 61 s at most. Every look wakes the process:
 * at 250 ms those wake-ups were most of an idle proxy's CPU; with no client connected there are none.
 */
const HEADER_TIMEOUT_CHECK_MS = 1000;
/** Methods a 405 for CONNECT names; the proxy forwards others too, but these are the ones to use. */
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** The reverse proxy, in process: routes, balances, retries and streams. */
export class ProxyServer implements Disposable {
  private readonly _onAccess = new Emitter<AccessEvent>();
  /** One event per request (and per WebSocket tunnel), when it is over. */
  readonly onAccess: Event<AccessEvent> = this._onAccess.event;
  /** A draining member has no request in flight any more; once per member id. */
  readonly onDrained: Event<string>;
  /** A member was taken out of rotation after a connection failure, or came back. */
  readonly onPassive: Event<PassiveMark>;
  /** The connection cap (proxy.max_connections) was reached, or there is room again. */
  readonly onConnectionCap: Event<CapEpisode>;
  /** A ready member reached its maxRequests; once per member id. */
  readonly onRecycle: Event<MemberRecord>;
  /** A peak of client connections has passed (ClientConnections.onSubsided). */
  readonly onConnectionsSubsided: Event<SubsidedPeak>;

  private readonly server: http.Server;
  private readonly forwarding = new ForwardingTable();
  private readonly sites = new StaticSites();
  private readonly connections: ClientConnections;
  /** Told of every client connecting and leaving: Node's header-timeout sweep runs only while one is connected. */
  private readonly headerSweep: () => void;
  private readonly cap = new ConnectionCap(DEFAULT_CLIENT_LIMITS.maxConnections);
  private readonly host: ExchangeHost;
  private clients: ClientLimits = { ...DEFAULT_CLIENT_LIMITS };
  /** This proxy's name in Via headers, `switchyard-<id>`; its configuration names it. */
  private pseudonym = `switchyard-${randomUUID().slice(0, 8)}`;
  /** Requests and tunnels under way. */
  private active = 0;
  private draining = false;
  private drained: Promise<number> | null = null;
  private drainCheck: (() => void) | null = null;
  private listenPending = false;

  constructor() {
    this.onDrained = this.forwarding.registry.onDrained;
    this.onPassive = this.forwarding.registry.onPassive;
    this.onConnectionCap = this.cap.onEpisode;
    this.onRecycle = this.forwarding.registry.onRecycle;
    this.connections = new ClientConnections(() => {
      this.cap.closed(this.connections.size);
      this.drainCheck?.();
      this.headerSweep();
    });
    this.onConnectionsSubsided = this.connections.onSubsided;
    this.host = {
      registry: this.forwarding.registry,
      connections: this.connections,
      isDraining: () => this.draining,
      finished: (event) => this.finished(event),
      via: (version) => `${version} ${this.pseudonym}`,
      clientBodyTimeout: () => this.clients.clientBodyTimeout,
    };
    this.server = http.createServer(
      {
        keepAliveTimeout: this.clients.keepaliveTimeout,
        // No limit on a whole request: uploads and long polls take what they take; the head and each
        // pause in a body have their own timeouts.
        requestTimeout: 0,
        headersTimeout: this.clients.clientHeaderTimeout,
        connectionsCheckingInterval: HEADER_TIMEOUT_CHECK_MS,
        // The proxy checks Host itself, to answer with its own page and log the request.
        requireHostHeader: false,
        shouldUpgradeCallback: isWebSocketHandshake,
      },
      (req, res) => this.handleRequest(req, res),
    );
    this.server.maxConnections = this.cap.cap;
    this.headerSweep = parkHeaderSweepWhileIdle(this.server, HEADER_TIMEOUT_CHECK_MS, () => this.connections.size);
    this.server.on('connection', (socket: Socket) => {
      this.connections.add(socket);
      this.headerSweep();
    });
    this.server.on('drop', () => this.cap.refusedOne());
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.handleUpgrade(req, socket, head));
    this.server.on('connect', (req: IncomingMessage, socket: Socket) => this.handleConnect(req, socket));
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerUnreadableRequest(error, socket, this.clients.clientHeaderTimeout));
    // Errors after listening (accept failing on EMFILE) must not end the process.
    this.server.on('error', (error) => {
      if (!this.listenPending) console.error(`proxy: listener error: ${error.message}`);
    });
  }

  /** Replaces routes and upstreams at once; throws, keeping the running configuration, when `config` is invalid. */
  apply(config: ProxyConfig): void {
    const problems = configProblems(config);
    if (problems.length > 0) throw new Error(`invalid proxy configuration: ${problems.join('; ')}`);
    this.applyClientLimits(config.clients);
    this.pseudonym = `switchyard-${config.id.toLowerCase()}`;
    this.forwarding.apply(config);
    this.sites.apply(config.upstreams);
  }

  /** Replaces one upstream's members; throws for an unknown upstream or a malformed list. */
  setMembers(upstream: string, members: UpstreamMember[]): void {
    this.forwarding.setMembers(upstream, members);
  }

  /**
   * Binds (port 0 picks a free port), or takes over a listening socket handed over by a previous
   * proxy (a ListenerHandle, or a net.Server); resolves with the address.
   */
  listen(target: ProxyAddress | ListenerHandle | net.Server): Promise<ProxyAddress> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.listenPending = false;
        this.server.off('listening', onListening);
        reject(error);
      };
      const onListening = () => {
        this.listenPending = false;
        this.server.off('error', onError);
        resolve(this.address() as ProxyAddress);
      };
      this.listenPending = true;
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      // Synchronously: a handed-over socket must have its server before the event loop polls again.
      try {
        if (isAddress(target)) this.server.listen({ host: target.host, port: target.port });
        else this.server.listen(target);
      } catch (error) {
        this.server.off('error', onError);
        onError(error as Error);
      }
    });
  }

  /** What is under way on `member` (asked when a health check of it timed out), or null for an unknown member. */
  memberLoad(member: string): MemberLoad | null {
    return this.forwarding.load(member, Date.now());
  }

  /** Open client connections and requests (or tunnels) under way. */
  stats(): ProxyStats {
    return { connections: this.connections.size, active: this.active };
  }

  /** Where the proxy listens, or null. */
  address(): ProxyAddress | null {
    const address = this.server.address() as AddressInfo | null;
    return address === null ? null : { host: address.address, port: address.port };
  }

  /**
   * The listening socket's native handle, to send to the next proxy (`process.send(msg, handle)`).
   * Not the net.Server: a process that receives a net.Server starts accepting on it, and the core,
   * which only passes the handle on, would take connections it never answers. This proxy keeps
   * accepting until `drain()`, to be called once the send has completed.
   */
  handOver(): ListenerHandle {
    const handle = (this.server as net.Server & { _handle?: ListenerHandle | null })._handle;
    if (!this.server.listening || handle === null || handle === undefined) throw new Error('the proxy is not listening, so there is nothing to hand over');
    return handle;
  }

  /**
   * Stops accepting, answers with `Connection: close` from now on, closes idle keep-alive
   * connections and waits up to `graceMs` for requests under way; then cuts the rest. Resolves with
   * how many requests (and tunnels) were cut.
   */
  drain(graceMs: number): Promise<number> {
    if (this.drained !== null) return this.drained;
    this.draining = true;
    // net.Server's close, not http.Server's: that one also destroys idle keep-alive connections at
    // once, failing any request a client is sending on one at that instant.
    if (this.server.listening) net.Server.prototype.close.call(this.server);
    this.connections.drain();
    const quietWait = Math.min(QUIET_CONNECTION_WAIT_MS, graceMs);
    const quietUntil = Date.now() + quietWait;
    this.drained = new Promise<number>((resolve) => {
      const finish = (unfinished: number) => {
        clearTimeout(quietTimer);
        clearTimeout(graceTimer);
        this.drainCheck = null;
        resolve(unfinished);
      };
      const check = () => {
        if (this.active > 0) return;
        if (this.connections.quietCount() > 0 && Date.now() < quietUntil) return;
        this.connections.closeQuiet();
        finish(0);
      };
      const quietTimer = setTimeout(() => {
        this.connections.closeQuiet();
        check();
      }, quietWait);
      const graceTimer = setTimeout(() => {
        const unfinished = this.active;
        this.connections.destroyAll();
        finish(unfinished);
      }, graceMs);
      this.drainCheck = check;
      check();
    });
    return this.drained;
  }

  /** Closes everything at once: listener, client connections, upstream connections. */
  async close(): Promise<void> {
    this.draining = true;
    this.drainCheck = null;
    const closed = this.server.listening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    this.connections.destroyAll();
    this.server.closeAllConnections();
    await closed;
    await this.forwarding.destroyConnections();
    this.dispose();
  }

  dispose(): void {
    this.forwarding.dispose();
    this.cap.dispose();
    this.connections.dispose();
    this._onAccess.dispose();
  }

  private applyClientLimits(clients: ClientLimits): void {
    this.clients = { ...clients };
    // Node reads these for each new request, connection and check, so they apply at once.
    this.server.headersTimeout = clients.clientHeaderTimeout;
    this.server.keepAliveTimeout = clients.keepaliveTimeout;
    this.server.maxConnections = clients.maxConnections;
    this.cap.cap = clients.maxConnections;
  }

  private handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const arrived = Date.now();
    this.active++;
    const head = readRequestHead(req.rawHeaders);
    const { host, target, refusal: invalid } = destinationOf(req, head);
    const refusal = invalid ?? this.loopPage(head);
    const route = refusal === null ? this.forwarding.match(host, target) : null;
    const clientIp = clientIpOf(req);
    const exchange = new ProxyExchange(this.host, req, res, route, target, head.requestId, arrived, clientIp);
    // Node parses nothing after a request that asked to upgrade and was not let (only WebSocket is):
    // its connection ends with its answer, as does one after a refused request.
    if (refusal !== null || head.upgrade !== undefined) exchange.closeAfterResponse();
    if (refusal !== null) {
      exchange.fail(refusal.reason);
      exchange.respond(refusal);
      return;
    }
    if (route === null) {
      exchange.fail('no route');
      exchange.respond(noRoutePage(target, this.forwarding.hasHostRoutes ? host : undefined));
      return;
    }
    const forwarded = withHost(head, host);
    if (route.url !== null) {
      exchange.forward(forwarded, null, this.forwarding.urlTargetOf(route));
      return;
    }
    const site = route.spec.target === 'static' ? this.sites.handlerOf(route.spec.to) : undefined;
    if (site !== undefined) {
      exchange.serve(route.spec.to, site);
      return;
    }
    const upstream = this.forwarding.upstreamOf(route);
    const first = upstream.pick(clientIp, null, arrived);
    if (first === null) {
      exchange.fail('no ready worker');
      exchange.respond(unavailablePage(upstream.name, upstream.unavailable(arrived)));
      return;
    }
    exchange.forward(forwarded, upstream, first);
  }

  /** The 508 page for a request that already passed through this proxy, or null. */
  private loopPage(head: RequestHead): ErrorPage | null {
    if (head.via === undefined || !viaNames(head.via, this.pseudonym)) return null;
    return errorPage(
      508,
      `this request came back to the proxy it already passed (Via: ${head.via}); a route forwards to the proxy's own address, so point its to: at an app, a static site or another server`,
    );
  }

  private handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    this.active++;
    const requestHead = readRequestHead(req.rawHeaders);
    const { host, target, refusal: invalid } = destinationOf(req, requestHead);
    const refusal = invalid ?? this.loopPage(requestHead);
    if (refusal !== null) {
      this.refuseRaw(req, socket, refusal, requestHead.requestId);
      return;
    }
    const route = this.forwarding.match(host, target);
    if (route === null) {
      this.refuseRaw(req, socket, noRoutePage(target, this.forwarding.hasHostRoutes ? host : undefined), requestHead.requestId, 'no route');
      return;
    }
    const clientIp = clientIpOf(req);
    const tunnel = new WebSocketTunnel(this.host, req, socket, head, route, target, requestHead.requestId, clientIp);
    const forwarded = withHost(requestHead, host);
    if (route.url !== null) {
      tunnel.start(forwarded, null, this.forwarding.urlTargetOf(route));
      return;
    }
    const upstream = this.forwarding.upstreamOf(route);
    const first = upstream.pick(clientIp, null, Date.now());
    if (first === null) tunnel.reject(unavailablePage(upstream.name, upstream.unavailable(Date.now())), 'no ready worker');
    else tunnel.start(forwarded, upstream, first);
  }

  // A reverse proxy is no tunnel to anywhere: CONNECT gets a 405 naming the methods to use.
  private handleConnect(req: IncomingMessage, socket: Socket): void {
    this.active++;
    const page: ErrorPage = {
      ...errorPage(405, `CONNECT is not supported: this proxy forwards requests to the stack's routes and opens no tunnels`),
      headers: ['allow', ALLOWED_METHODS],
    };
    this.refuseRaw(req, socket, page, readRequestHead(req.rawHeaders).requestId);
  }

  /** Answers a request that has only its raw socket (an upgrade or CONNECT) with `page`, closes it and logs it. */
  private refuseRaw(req: IncomingMessage, socket: Socket, page: ErrorPage, requestId: string, error = page.reason): void {
    socket.on('error', () => socket.destroy());
    writeRawErrorPage(socket, page, requestId);
    this.finished({
      time: Date.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      status: page.status,
      bytes: Buffer.byteLength(page.body),
      duration: 0,
      route: null,
      worker: null,
      member: null,
      requestId,
      error,
      attempts: 0,
    });
  }

  private finished(event: AccessEvent): void {
    this.active--;
    this._onAccess.fire(event);
    if (this.drainCheck !== null) this.drainCheck();
  }

}

/** Node hands over only WebSocket handshakes as upgrades; h2c and the like stay ordinary requests. */
function isWebSocketHandshake(req: IncomingMessage): boolean {
  return req.method === 'GET' && /(?:^|,)\s*websocket\s*(?:,|$)/i.test(req.headers.upgrade ?? '');
}

/** `head` with the Host an absolute-form request names instead of its Host header. */
function withHost(head: RequestHead, host: string | undefined): RequestHead {
  return host === head.host ? head : { ...head, host };
}

function isAddress(target: ProxyAddress | ListenerHandle | net.Server): target is ProxyAddress {
  return !(target instanceof net.Server) && typeof (target as Partial<ProxyAddress>).port === 'number' && typeof (target as Partial<ProxyAddress>).host === 'string';
}
