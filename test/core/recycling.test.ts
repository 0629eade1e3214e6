// Recycling (gunicorn's max_requests): the proxy counts requests per worker run, and a worker past
// its limit is replaced surge-first, so that no request fails for it.

import path from 'node:path';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestLimits } from '../../main/core/pools/recycler.ts';
import { Stack } from '../../main/core/stack.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../shared/stack.ts';
import type { AppSpec, StackSpec } from '../../shared/stack.ts';
import { FIXTURES, fixtureApp } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const running: Stack[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.kill()));
});

async function stackWith(app: AppSpec): Promise<{ stack: Stack; port: number }> {
  const port = await getPort({ host: '127.0.0.1' });
  const spec: StackSpec = {
    name: 'recycle',
    file: path.join(FIXTURES, 'switchyard.yaml'),
    dir: FIXTURES,
    proxy: { listen: { host: '127.0.0.1', port }, routes: [{ host: null, path: '/', to: app.name, target: 'app', stripPrefix: false, timeout: 5000, at: { line: 1, col: 1 } }], ...DEFAULT_CLIENT_LIMITS },
    statics: [],
    tasks: [],
    apps: [app],
  };
  const stack = new Stack(spec, { retainedLines: 5000 });
  running.push(stack);
  await stack.start();
  await waitFor(() => stack.processes().every((p) => p.state === 'ready'), 'every process ready');
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200, 'the proxy to route to the worker');
  return { stack, port };
}

describe('RequestLimits', () => {
  it("draws each run's limit once, from max_requests to max_requests + jitter, and none without max_requests", () => {
    const limits = new RequestLimits();
    const runs = Array.from({ length: 40 }, () => ({}));
    const drawn = runs.map((run) => limits.of(run, { maxRequests: 100, maxRequestsJitter: 10 }) as number);
    expect(drawn.every((limit) => limit >= 100 && limit <= 110)).toBe(true);
    // Forty draws from eleven values: the workers do not all go at once.
    expect(new Set(drawn).size).toBeGreaterThan(1);
    expect(runs.map((run) => limits.of(run, { maxRequests: 100, maxRequestsJitter: 10 }))).toEqual(drawn);
    expect(limits.of(runs[0] as object, { maxRequests: 0, maxRequestsJitter: 10 })).toBeUndefined();
    expect(limits.of(runs[0] as object, { maxRequests: 7, maxRequestsJitter: 0 })).toBe(7);
  });
});

describe('max_requests', () => {
  it('replaces a worker surge-first after its limit, and not one request fails for it', async () => {
    const { stack, port } = await stackWith(fixtureApp('api', 'http-worker.js', { maxRequests: 20, stop: { signal: 'SIGTERM', timeout: 3000 } }));
    const removed: string[] = [];
    const subscription = stack.onProcessRemoved((info) => removed.push(`${info.id} pid ${info.pid ?? '-'}`));
    const failures: string[] = [];
    const pids: number[] = [];
    let servedByCurrent = 0;
    // Bounded: 100 requests. A worker past its limit keeps serving until its replacement is ready;
    // after 5 past it, the loop waits for the replacement, so that each worker serves at most 25.
    for (let i = 0; i < 100; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/who`);
      const body = await response.text();
      if (response.status !== 200) {
        failures.push(`request ${i + 1}: ${response.status} ${body}`);
        continue;
      }
      const { pid } = JSON.parse(body) as { pid: number };
      if (pid !== pids.at(-1)) {
        pids.push(pid);
        servedByCurrent = 0;
      }
      if (++servedByCurrent === 25) await waitFor(() => stack.find('api-1')?.info().pid !== pid, `api-1 (pid ${pid}) to be replaced after 25 requests`);
    }
    subscription.dispose();

    expect(failures).toEqual([]);
    // Four workers served the hundred requests: three replacements at least.
    expect(new Set(pids).size).toBeGreaterThanOrEqual(4);
    const lines = stack.logs.query({ sources: new Set(['api-1']), tail: 2000 }).map((line) => line.text);
    expect(lines.filter((text) => text.startsWith('recycled after 20 requests')).length).toBeGreaterThanOrEqual(3);
    await waitFor(() => removed.length >= 3, 'three replaced runs to be removed');
    expect(stack.processes().filter((p) => p.app === 'api' && p.state === 'ready')).toHaveLength(1);
  });
});
