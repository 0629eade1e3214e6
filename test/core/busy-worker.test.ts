// A busy worker is not a dead one: Debian's `gunicorn -w 3` (sync workers) with three slow requests
// answers nothing else, its health check included, until one ends. Behind nginx the next requests
// wait in its backlog; behind Switchyard they must too, with the worker kept in rotation.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateChange } from '../../main/core/process/supervisor.ts';
import { Stack } from '../../main/core/stack.ts';
import { busyVerdict } from '../../main/core/health/busy-check.ts';
import type { ProbeResult } from '../../main/core/health/health-probe.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../shared/stack.ts';
import type { AppSpec, StackSpec } from '../../shared/stack.ts';
import { FIXTURES, fixtureApp } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const GUNICORN = '/usr/bin/gunicorn';
const PYTHON = '/usr/bin/python3';
const APPS = path.join(FIXTURES, 'python');

/** Why the gunicorn scenario cannot run here, or null. */
function missingServer(): string | null {
  if (!existsSync(GUNICORN)) return `${GUNICORN} is not installed (Debian package gunicorn)`;
  const check = spawnSync(PYTHON, ['-c', 'import flask'], { encoding: 'utf8' });
  if (check.status !== 0) return `Flask is missing from ${PYTHON} (Debian package python3-flask)`;
  return null;
}
const missing = missingServer();
if (missing) console.warn(`skipping the gunicorn busy-worker test: ${missing}`);

const running: Stack[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.kill()));
});

/** A stack of `app` routed at / on `port`, every process ready and the route answering. */
async function runningStack(app: AppSpec, port: number): Promise<Stack> {
  const spec: StackSpec = {
    name: 'busy',
    file: path.join(app.cwd, 'switchyard.yaml'),
    dir: app.cwd,
    proxy: { listen: { host: '127.0.0.1', port }, routes: [{ host: null, path: '/', to: app.name, target: 'app', stripPrefix: false, timeout: 60_000, at: { line: 1, col: 1 } }], ...DEFAULT_CLIENT_LIMITS },
    statics: [],
    tasks: [],
    apps: [app],
  };
  const stack = new Stack(spec, { retainedLines: 2000 });
  running.push(stack);
  await stack.start();
  await waitFor(() => stack.processes().every((p) => p.state === 'ready'), `${app.name} and the proxy to be ready`, { timeout: 20_000 });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200, `the proxy to route to ${app.name}`);
  return stack;
}

/** From now on, every state change of `app`'s runs away from ready, as `name state: reason`. */
function notReady(stack: Stack, app: string): () => string[] {
  const changes: StateChange[] = [];
  const subscription = stack.onProcessChange((change) => {
    if (change.info.app === app && change.to !== 'ready') changes.push(change);
  });
  return () => {
    subscription.dispose();
    return changes.map((change) => `${change.info.name} ${change.to}: ${change.info.reason}`);
  };
}

describe('busyVerdict', () => {
  const timedOut: ProbeResult = { ok: false, detail: 'GET /healthz timed out after 500ms', host: null, timedOut: true };

  it('calls a timed-out check busy while the proxy has requests in flight that have not waited past the route timeout', () => {
    const result = busyVerdict(timedOut, { inFlight: 3, silentFor: 2000, patience: 60_000 });
    expect(result).toMatchObject({ ok: false, busy: true });
    expect(result.detail).toBe('GET /healthz timed out after 500ms with 3 requests in flight; not counted as a failure');
  });

  it('leaves a failure a failure: an idle worker, an answer that came, or requests stalled past the route timeout', () => {
    expect(busyVerdict(timedOut, { inFlight: 0, silentFor: 0, patience: 60_000 }).busy).toBeUndefined();
    expect(busyVerdict(timedOut, null).busy).toBeUndefined();
    const refused: ProbeResult = { ok: false, detail: 'GET /healthz → 500', host: '127.0.0.1' };
    expect(busyVerdict(refused, { inFlight: 3, silentFor: 10, patience: 60_000 })).toBe(refused);
    const stalled = busyVerdict(timedOut, { inFlight: 2, silentFor: 61_000, patience: 60_000 });
    expect(stalled.busy).toBeUndefined();
    expect(stalled.detail).toContain("but no answer for 61s (its routes' timeout is 60s): stalled");
  });
});

describe('a one-request-at-a-time worker holding a slow request', () => {
  it('is busy, not failing, and the requests behind it are served', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    const health = { path: '/healthz', interval: 100, startInterval: 20, timeout: 300, healthyAfter: 1, unhealthyAfter: 2, restartAfter: 3 };
    const app = fixtureApp('api', 'blocking-worker.js', { health });
    const stack = await runningStack(app, port);
    const left = notReady(stack, 'api');
    const slow = fetch(`http://127.0.0.1:${port}/block?ms=2500`).then((response) => response.status);
    await waitFor(() => stack.find('api-1')?.info().health !== 'passing', 'a health check of api-1 to time out');
    const behind = fetch(`http://127.0.0.1:${port}/after`).then((response) => response.status);
    expect(await Promise.all([slow, behind])).toEqual([200, 200]);
    expect(left()).toEqual([]);
    const lines = stack.logs.query({ sources: new Set(['api-1']), tail: 200 }).map((line) => line.text);
    expect(lines).toContain('busy: GET /healthz timed out after 300ms with 1 request in flight; not counted as a failure');
  });
});

describe.skipIf(missing !== null)('a gunicorn -w 3 sync app with every worker busy', () => {
  it('keeps the app in rotation and answers every request, none with 503', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    // Checks time out after 500ms and two in a row would take a failing worker out: the slow requests
    // last several times that, so without the busy rule the app would leave rotation and answer 503.
    const health = { path: '/healthz', interval: 100, startInterval: 20, timeout: 500, healthyAfter: 1, unhealthyAfter: 2, restartAfter: 3 };
    const slowSeconds = 3;
    const app = fixtureApp('shop', 'unused', {
      argv: [GUNICORN, '-w', '3', '-c', 'proxy_gunicorn.conf.py', 'proxy_busy_flask:app'],
      cwd: APPS,
      health,
      stop: { signal: 'SIGTERM', timeout: 5000 },
    });
    const stack = await runningStack(app, port);
    const left = notReady(stack, 'shop');

    const statuses: number[] = [];
    const send = async (target: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${target}`);
      await response.text();
      statuses.push(response.status);
    };
    // Three slow requests fill gunicorn's three workers; the health check times out behind them.
    const slow = [1, 2, 3].map(() => send(`/slow?s=${slowSeconds}`));
    // A check timed out behind them: busy (or failing, were a busy worker taken for a dead one).
    await waitFor(() => stack.find('shop-1')?.info().health !== 'passing', 'a health check of shop-1 to time out', { timeout: 10_000 });
    // More users arrive while every worker is held: they wait, as behind nginx, and are served after.
    const later = [1, 2, 3, 4, 5, 6].map(() => send('/'));
    await Promise.all([...slow, ...later]);

    expect(statuses).toHaveLength(9);
    // Not one 503 (no ready worker), nor any other failure.
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(left()).toEqual([]);
    expect(stack.find('shop-1')?.info().state).toBe('ready');
    const lines = stack.logs.query({ sources: new Set(['shop-1']), tail: 200 }).map((line) => line.text);
    expect(lines.some((text) => /^busy: GET \/healthz timed out after 500ms with [1-9]\d* requests? in flight; not counted as a failure$/.test(text))).toBe(true);
    expect(lines.some((text) => text.startsWith('unhealthy'))).toBe(false);
  });
});
