// Keep-alive connections to upstreams, one undici Pool per origin, shared by every member and route
// that forwards there, and closed (after its requests finish) when nothing refers to it any more.

import { buildConnector, Pool } from 'undici';

/**
 * Idle keep-alive sockets are closed before the upstream closes them, or a request written onto a
 * socket the upstream is closing fails (nodejs/node #47130). With a `Keep-Alive: timeout=N` hint we
 * keep N minus this margin; without one, less than gunicorn's 2 s default.
 */
export const KEEP_ALIVE_MARGIN_MS = 1000;
/** Idle time of an upstream socket when the upstream sent no `Keep-Alive: timeout` hint. */
export const DEFAULT_IDLE_MS = 1500;
/** Connecting to a loopback worker either works at once or not at all. */
export const CONNECT_TIMEOUT_MS = 3000;

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

const POOL_OPTIONS: Pool.Options = {
  connections: null,
  pipelining: 1,
  keepAliveTimeout: DEFAULT_IDLE_MS,
  keepAliveMaxTimeout: 60_000,
  keepAliveTimeoutThreshold: KEEP_ALIVE_MARGIN_MS,
  connect,
  strictContentLength: true,
};

interface Entry {
  readonly pool: Pool;
  users: number;
}

/** Connection pools by origin (`http://127.0.0.1:41234`), counted by their users. */
export class ConnectionPools {
  private readonly entries = new Map<string, Entry>();

  /** The pool for `origin`, opened if needed; every acquire wants one release. */
  acquire(origin: string): Pool {
    let entry = this.entries.get(origin);
    if (entry === undefined) {
      entry = { pool: new Pool(origin, POOL_OPTIONS), users: 0 };
      this.entries.set(origin, entry);
    }
    entry.users++;
    return entry.pool;
  }

  /** Gives up one use; the last one closes the pool once its requests have finished. */
  release(origin: string): void {
    const entry = this.entries.get(origin);
    if (entry === undefined || --entry.users > 0) return;
    this.entries.delete(origin);
    entry.pool.close().catch(() => {});
  }

  /** Drops every connection at once. */
  async destroy(): Promise<void> {
    const pools = [...this.entries.values()].map((entry) => entry.pool);
    this.entries.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => {})));
  }
}
