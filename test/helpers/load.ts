// A bounded load loop for data-plane tests: a few keep-alive clients send requests back to back
// until stopped (or until `maxMs` passes), counting every answer and every failure.

import http from 'node:http';

/** What a load run saw. */
export interface LoadResult {
  ok: number;
  failed: number;
  /** The first failures, described (status and body, or error code). */
  failures: string[];
  /** Distinct `pid` values seen in JSON answers, in order of first sight. */
  pids: number[];
  /** GETs sent again after their connection was reset before any answer (with `retryResets`). */
  retried: number;
}

/** A running load loop. */
export interface Load {
  /** Stops sending, waits for the requests in flight, and reports. */
  stop(): Promise<LoadResult>;
  /** Answers so far. */
  readonly count: number;
}

/**
 * Sends GETs to `http://127.0.0.1:port/path` from `concurrency` clients; stops by itself after `maxMs`.
 * With `retryResets`, a GET whose connection was reset before any answer (ECONNRESET) is sent again,
 * as HTTP allows for an idempotent request and Node's documentation advises for a reused keep-alive
 * socket: nginx closes its idle client connections on every reload, and resets some that were just
 * opened. Such retries are counted in `retried`, not as failures.
 */
export function startLoad(port: number, path = '/', { concurrency = 4, maxMs = 30_000, host = '127.0.0.1', retryResets = false } = {}): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { ok: 0, failed: 0, failures: [], pids: [], retried: 0 };
  const seen = new Set<number>();
  const started = Date.now();
  const deadline = started + maxMs;
  let running = true;
  const fail = (what: string) => {
    result.failed++;
    if (result.failures.length < 10) result.failures.push(`${what} at +${Date.now() - started}ms`);
  };
  // Each retry may meet another idle socket the same server process is closing: at most one per socket, and one more.
  const once = (retries = retryResets ? concurrency + 1 : 0): Promise<void> =>
    new Promise<void>((resolve) => {
      const request = http.get({ host, port, path, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          if ((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300) {
            result.ok++;
            const pid = (() => {
              try {
                return (JSON.parse(body) as { pid?: number }).pid;
              } catch {
                return undefined;
              }
            })();
            if (typeof pid === 'number' && !seen.has(pid)) {
              seen.add(pid);
              result.pids.push(pid);
            }
          } else fail(`${response.statusCode}: ${body.slice(0, 200)}`);
          resolve();
        });
        response.on('error', (error) => {
          fail(`response error ${error.message}`);
          resolve();
        });
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (retries > 0 && error.code === 'ECONNRESET') {
          result.retried++;
          return void once(retries - 1).then(resolve);
        }
        fail(`request error ${error.code ?? error.message}${request.reusedSocket ? ' on a reused socket' : ''}`);
        resolve();
      });
    });
  const clients = Array.from({ length: concurrency }, async () => {
    while (running && Date.now() < deadline) await once();
  });
  return {
    get count() {
      return result.ok + result.failed;
    },
    async stop() {
      running = false;
      await Promise.all(clients);
      agent.destroy();
      return result;
    },
  };
}
