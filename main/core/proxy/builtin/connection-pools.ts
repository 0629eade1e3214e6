// Keep-alive connections to upstreams, one set per origin, shared by every member and route that
// forwards there, and closed (after their requests finish) when nothing refers to them any more.

import { UpstreamConnection, upstreamOrigin } from './upstream-connection.ts';
import type { UpstreamOrigin } from './upstream-connection.ts';

import { MAX_IDLE_PER_ORIGIN } from './upstream-limits.ts';

/**
 * The keep-alive connections to one origin, one socket each, carrying one request at a
 * time. A request takes an idle one, the most recently used first, or opens a new one: there is no
 * limit on connections in use, so a busy worker's queue is its own listen backlog, as behind nginx.
 * Idle ones are capped like nginx's `keepalive N`: past MAX_IDLE_PER_ORIGIN the one idle longest is
 * closed.
 */
export class OriginConnections {
  readonly origin: string;
  private readonly address: UpstreamOrigin;
  /** Least recently used first. */
  private readonly idle: UpstreamConnection[] = [];
  private readonly busy = new Set<UpstreamConnection>();
  private closing = false;
  private readonly forgetIdle = (connection: UpstreamConnection): void => {
    const index = this.idle.indexOf(connection);
    if (index !== -1) this.idle.splice(index, 1);
  };

  /** `origin` is `http://host:port` (or https://). */
  constructor(origin: string) {
    this.origin = origin;
    this.address = upstreamOrigin(origin);
  }

  /** An idle connection, or a new one, for one request; give it back with `release` once that attempt is over. */
  take(): UpstreamConnection {
    const connection = this.idle.pop() ?? new UpstreamConnection(this.address, this.forgetIdle);
    this.busy.add(connection);
    return connection;
  }

  /** An attempt on `connection` is over: it waits for the next request, unless it cannot or too many already do. */
  release(connection: UpstreamConnection): void {
    if (!this.busy.delete(connection)) return;
    if (!connection.reusable) return;
    if (this.closing) {
      connection.close();
      return;
    }
    this.idle.push(connection);
    // The one idle longest goes, never `connection`, whose own callback may still be on the stack.
    if (this.idle.length > MAX_IDLE_PER_ORIGIN) (this.idle.shift() as UpstreamConnection).close();
  }

  /** Connections open or opening, busy or idle. */
  get size(): number {
    return this.idle.length + this.busy.size;
  }

  /** Closes idle connections now and busy ones once their requests finish. */
  close(): void {
    this.closing = true;
    for (const connection of this.idle.splice(0)) connection.close();
  }

  /** Drops every connection at once. */
  async destroy(): Promise<void> {
    this.closing = true;
    const connections = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    for (const connection of connections) connection.destroy();
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
