// Keep-alive connections to upstreams, one set per origin, shared by every member and route that
// forwards there, and closed (after their requests finish) when nothing refers to them any more.

import { buildConnector, Client } from 'undici';
import { CONNECT_TIMEOUT_MS, DEFAULT_IDLE_MS, IDLE_MAX_MS, KEEP_ALIVE_MARGIN_MS, MAX_IDLE_PER_ORIGIN } from './upstream-limits.ts';

/** An upstream connection's reset is being handled at this moment. */
let resetting = false;

/**
 * True while an upstream connection's reset (ECONNRESET) is being handled. undici takes a reset that
 * ends a body without length framing (read until close) for the body's end; a response it completes
 * at this moment was cut short, and must reach the client as broken, not as whole.
 */
export function upstreamResetInProgress(): boolean {
  return resetting;
}

const connectSocket = buildConnector({ timeout: CONNECT_TIMEOUT_MS });

// Ahead of undici's own error listener, which completes the response synchronously.
function noteReset(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ECONNRESET') return;
  resetting = true;
  process.nextTick(() => (resetting = false));
}

function connect(options: buildConnector.Options, callback: buildConnector.Callback): void {
  connectSocket(options, (error, socket) => {
    // undici's connector leaves the socket undefined on failure, whatever its types say.
    if (error !== null || !socket) callback(error as Error, null);
    else {
      socket.prependListener('error', noteReset);
      callback(null, socket);
    }
  });
}

const CLIENT_OPTIONS: Client.Options = {
  pipelining: 1,
  keepAliveTimeout: DEFAULT_IDLE_MS,
  keepAliveMaxTimeout: IDLE_MAX_MS,
  keepAliveTimeoutThreshold: KEEP_ALIVE_MARGIN_MS,
  connect,
  strictContentLength: true,
};

/**
 * The keep-alive connections to one origin, one undici Client (one socket, one request at a time)
 * each. A request takes an idle one, the most recently used first, or opens a new one: there is no
 * limit on connections in use, so a busy worker's queue is its own listen backlog, as behind nginx.
 * Idle ones are capped like nginx's `keepalive N`: past MAX_IDLE_PER_ORIGIN the one idle longest is
 * closed.
 */
export class OriginConnections {
  readonly origin: string;
  /** Least recently used first. */
  private readonly idle: Client[] = [];
  private readonly busy = new Set<Client>();
  private closing = false;

  constructor(origin: string) {
    this.origin = origin;
  }

  /** An idle connection, or a new one, for one request; give it back with `release` once that attempt is over. */
  take(): Client {
    const client = this.idle.pop() ?? new Client(this.origin, CLIENT_OPTIONS);
    this.busy.add(client);
    return client;
  }

  /** An attempt on `client` is over: it waits for the next request, unless too many already do. */
  release(client: Client): void {
    if (!this.busy.delete(client)) return;
    if (this.closing || client.destroyed || client.closed) {
      void client.close().catch(() => {});
      return;
    }
    this.idle.push(client);
    // The one idle longest goes, never `client`, whose own callback may still be on the stack.
    if (this.idle.length > MAX_IDLE_PER_ORIGIN) void (this.idle.shift() as Client).close().catch(() => {});
  }

  /** Connections open or opening, busy or idle. */
  get size(): number {
    return this.idle.length + this.busy.size;
  }

  /** Closes idle connections now and busy ones once their requests finish. */
  close(): void {
    this.closing = true;
    for (const client of this.idle.splice(0)) void client.close().catch(() => {});
  }

  /** Drops every connection at once. */
  async destroy(): Promise<void> {
    this.closing = true;
    const clients = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    await Promise.all(clients.map((client) => client.destroy().catch(() => {})));
  }
}

interface Entry {
  readonly connections: OriginConnections;
  users: number;
}

/** Connections by origin (`http://127.0.0.1:41234`), counted by their users. */
export class ConnectionPools {
  private readonly entries = new Map<string, Entry>();

  /** The connections to `origin`, opened if needed; every acquire wants one release. */
  acquire(origin: string): OriginConnections {
    let entry = this.entries.get(origin);
    if (entry === undefined) {
      entry = { connections: new OriginConnections(origin), users: 0 };
      this.entries.set(origin, entry);
    }
    entry.users++;
    return entry.connections;
  }

  /** Gives up one use; the last one closes the connections once their requests have finished. */
  release(origin: string): void {
    const entry = this.entries.get(origin);
    if (entry === undefined || --entry.users > 0) return;
    this.entries.delete(origin);
    entry.connections.close();
  }

  /** Drops every connection at once. */
  async destroy(): Promise<void> {
    const all = [...this.entries.values()].map((entry) => entry.connections);
    this.entries.clear();
    await Promise.all(all.map((connections) => connections.destroy()));
  }
}
