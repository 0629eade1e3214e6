// The load side of the churn benchmark, in a child process of its own so that its busy event loop
// never delays the Switchyard core's health checks and membership updates in the parent.
// CONNECTIONS keep-alive clients (undici, one request at a time each) GET URL back to back and
// count every answer; the parent asks for the counts over IPC to cut them into windows.
// Bounded: it stops on `stop`, when the parent goes away, and after MAX_SECONDS whatever happens.
// RETRY_RESETS=1 sends a GET again when its connection was closed or reset before any answer, as
// HTTP allows for an idempotent request and browsers do on a reused keep-alive connection: nginx
// closes its idle client connections on every graceful reload, racing a request just sent on one.

import { performance } from 'node:perf_hooks';
import { Pool, type Dispatcher } from 'undici';

/** Cumulative counts since the client started. */
export interface ChurnCounts {
  ok: number;
  failed: number;
  /** Failed requests by kind: `status 502`, `UND_ERR_SOCKET: other side closed` … */
  reasons: Record<string, number>;
  /** The slowest request (ms) finished since the previous snapshot. */
  slowest: number;
  /** GETs sent again (with RETRY_RESETS) because their connection was closed before any answer; not failures. */
  retried: number;
}

/** What the parent sends. */
export type ToChurnClient = { type: 'snapshot'; id: number } | { type: 'stop'; id: number };

/** What the client answers: the counts, after `stop` once every request in flight has finished. */
export interface FromChurnClient {
  type: 'counts';
  id: number;
  counts: ChurnCounts;
}

/** How long one request may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 5000;

function main(): void {
  const url = new URL(process.env.URL ?? '');
  if (url.hostname !== '127.0.0.1' && url.hostname !== '[::1]') throw new Error(`refusing to send load to ${url.hostname}: loopback only`);
  const connections = Number(process.env.CONNECTIONS ?? 16);
  const maxSeconds = Number(process.env.MAX_SECONDS ?? 60);
  const pool = new Pool(url.origin, { connections, pipelining: 1, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  const retryResets = process.env.RETRY_RESETS === '1';
  const counts: ChurnCounts = { ok: 0, failed: 0, reasons: {}, slowest: 0, retried: 0 };
  let running = true;

  const fail = (reason: string) => {
    counts.failed++;
    counts.reasons[reason] = (counts.reasons[reason] ?? 0) + 1;
  };
  const loop = async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await requestRetryingResets(pool, url.pathname + url.search, retryResets ? connections + 1 : 0, () => counts.retried++);
        await response.body.dump();
        if (response.statusCode >= 200 && response.statusCode < 300) counts.ok++;
        else fail(`status ${response.statusCode}`);
      } catch (error) {
        const { code, message } = error as { code?: string; message: string };
        fail(`${code ?? 'error'}: ${message}`);
        // A refused connection fails at once; do not spin on it.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      counts.slowest = Math.max(counts.slowest, performance.now() - started);
    }
  };
  const loops = Array.from({ length: connections }, loop);

  const answer = (id: number, then?: () => void) => {
    const message: FromChurnClient = { type: 'counts', id, counts: { ...counts, reasons: { ...counts.reasons } } };
    process.send?.(message, undefined, {}, () => then?.());
    counts.slowest = 0;
  };
  const stop = async (id: number | null) => {
    running = false;
    clearTimeout(deadline);
    await Promise.all(loops);
    await pool.close();
    // Disconnect only once the final counts are on their way, so the parent is sure to get them.
    if (id !== null && process.connected) answer(id, () => process.disconnect());
    else if (process.connected) process.disconnect();
  };
  const deadline = setTimeout(() => void stop(null), maxSeconds * 1000);
  process.on('message', (message: ToChurnClient) => {
    if (message.type === 'snapshot') answer(message.id);
    else void stop(message.id);
  });
  process.on('disconnect', () => {
    if (running) void stop(null);
  });
}

/** Errors of a request whose connection went away before any answer: safe to send a GET again. */
const CLOSED_BEFORE_ANSWER = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);

/** GET `path`; up to `retries` times again when its connection is closed before the answer's head (each retry may meet another closing connection). */
async function requestRetryingResets(pool: Pool, path: string, retries: number, retried: () => void): Promise<Dispatcher.ResponseData> {
  for (let left = retries; ; left--) {
    try {
      return await pool.request({ path, method: 'GET' });
    } catch (error) {
      if (left <= 0 || !CLOSED_BEFORE_ANSWER.has((error as { code?: string }).code ?? '')) throw error;
      retried();
    }
  }
}

main();
