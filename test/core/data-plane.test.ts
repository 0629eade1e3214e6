// The data plane as users run it: a Stack with the builtin proxy, a static site and app workers,
// driven with real requests while workers are reloaded, scaled, killed and the proxy replaced. What
// every proxy engine must do alike (routing, rolling reloads and killed workers under load, access
// events) is in test/engines/data-plane.test.ts, run against each engine.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_LIMITS } from '../../shared/stack.ts';
import type { AppSpec, ProxySpec, RouteSpec, StackSpec } from '../../shared/stack.ts';
import { StackFileWatcher, type StackFileOutcome } from '../../main/core/reload/stack-file-watcher.ts';
import { Stack } from '../../main/core/stack.ts';
import { startLoad } from '../helpers/load.ts';
import { newMarker, processesWithMarker } from '../helpers/processes.ts';
import { FIXTURES, fixtureApp } from '../helpers/specs.ts';
import { waitFor, waitForEveryProcessReady, waitForState } from '../helpers/wait.ts';

const running: Stack[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.kill()));
});

function route(path: string, to: string, target: RouteSpec['target'] = 'app', extra: Partial<RouteSpec> = {}): RouteSpec {
  return { host: null, path, to, target, stripPrefix: false, timeout: 5000, at: { line: 1, col: 1 }, ...extra };
}

function siteDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-site-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>site</title><h1>hello from the site</h1>');
  return dir;
}

function workerApp(replicas: number, overrides: Partial<AppSpec> = {}): AppSpec {
  return fixtureApp('api', 'http-worker.js', { replicas, stop: { signal: 'SIGTERM', timeout: 3000 }, ...overrides });
}

async function dataPlane(apps: AppSpec[], routes?: RouteSpec[], dir = FIXTURES): Promise<{ stack: Stack; port: number; spec: StackSpec }> {
  const port = await getPort({ host: '127.0.0.1' });
  const proxy: ProxySpec = { listen: { host: '127.0.0.1', port }, routes: routes ?? [route('/api/', 'api'), route('/', 'web', 'static')], ...DEFAULT_CLIENT_LIMITS };
  const spec: StackSpec = {
    name: 'plane',
    file: path.join(dir, 'switchyard.yaml'),
    dir,
    proxy,
    statics: [{ name: 'web', root: siteDir(), spa: true }],
    apps,
    tasks: [],
  };
  const stack = new Stack(spec, { retainedLines: 2000 });
  running.push(stack);
  await stack.start();
  await waitForEveryProcessReady(stack);
  // The proxy is ready once it listens; its members arrive by IPC right after.
  await waitFor(async () => (await get(port, '/api/who')).status === 200, 'the proxy to route to a worker');
  return { stack, port, spec };
}

async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

function pidsOf(stack: Stack, prefix: string): number[] {
  return stack
    .processes()
    .filter((p) => p.name.startsWith(prefix) && p.state === 'ready' && p.pid !== null)
    .map((p) => p.pid as number);
}

describe('the data plane', () => {
  it('serves the static site and the app workers through one proxy port', async () => {
    const { stack, port } = await dataPlane([workerApp(2)]);
    const page = await get(port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('hello from the site');
    const spa = await get(port, '/settings', { accept: 'text/html' });
    expect(spa.body).toContain('hello from the site');

    const workers = new Set<number>();
    for (let i = 0; i < 4; i++) workers.add((JSON.parse((await get(port, '/api/who')).body) as { worker: number }).worker);
    expect([...workers].sort()).toEqual([1, 2]);

    const kinds = Object.fromEntries(stack.processes().map((p) => [p.name, p.kind]));
    expect(kinds).toEqual({ proxy: 'proxy', web: 'static', 'api-1': 'worker', 'api-2': 'worker' });
    expect(stack.processes().find((p) => p.name === 'proxy')?.port).toBe(port);
  });

  it('scales up into rotation and drains removed workers before stopping them', async () => {
    const { stack, port } = await dataPlane([workerApp(2)]);
    await stack.scale('api', 3);
    await waitFor(async () => {
      const seen = new Set<number>();
      for (let i = 0; i < 6; i++) seen.add((JSON.parse((await get(port, '/api/who')).body) as { worker: number }).worker);
      return seen.has(3);
    }, 'the new worker to receive requests');

    // Slow requests land on every worker; scaling down to 1 must let those on api-2 and api-3 finish.
    const slow = Array.from({ length: 6 }, () => get(port, '/api/slow?ms=1500'));
    const started = () => stack.logs.query({ sources: stack.logSources('api'), tail: 1000 }).filter((line) => line.text.startsWith('slow request /api/slow')).length;
    await waitFor(() => started() === 6, 'every slow request in flight');
    const scaled = stack.scale('api', 1);
    const answers = await Promise.all(slow);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const workers = new Set(answers.map((a) => (JSON.parse(a.body) as { worker: number }).worker));
    expect(workers.size).toBeGreaterThan(1);
    expect(await scaled).toEqual(['api-1']);
    for (let i = 0; i < 4; i++) expect((JSON.parse((await get(port, '/api/who')).body) as { worker: number }).worker).toBe(1);
  });

  it('replaces the proxy process without refusing a connection', async () => {
    const { stack, port } = await dataPlane([workerApp(2)]);
    const before = stack.processes().find((p) => p.name === 'proxy')?.pid;
    const load = startLoad(port, '/api/proxy', { concurrency: 6 });
    await waitFor(() => load.count > 50, 'load to be flowing');
    expect(await stack.restart('proxy')).toEqual(['proxy']);
    const countAtSwap = load.count;
    await waitFor(() => load.count > countAtSwap + 200, 'requests through the new proxy');
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    const proxies = stack.processes().filter((p) => p.name === 'proxy');
    expect(proxies).toHaveLength(1);
    expect(proxies[0]?.pid).not.toBe(before);
    expect((await get(port, '/')).status).toBe(200);
  });

  it('serves the static site from the proxy process, which a person can stop and start', async () => {
    const { stack, port } = await dataPlane([workerApp(1)]);
    const rows = Object.fromEntries(stack.processes().map((p) => [p.name, p]));
    // No process of its own: its row is the proxy's pid and port.
    expect(rows.web).toMatchObject({ kind: 'static', state: 'ready', pid: rows.proxy?.pid, port, reason: expect.stringContaining('served by the proxy') });
    expect(stack.processes().filter((p) => p.pid === rows.proxy?.pid)).toHaveLength(2);
    expect((await get(port, '/')).body).toContain('hello from the site');
    const event = await waitFor(() => stack.access.recent().find((e) => e.path === '/' && e.status === 200), 'the access event');
    expect(event.worker).toBe('web');
    expect(() => stack.killWorker('web')).toThrow(/served by the proxy from its folder and has no process of its own/);

    expect(await stack.stopTarget('web')).toEqual(['web']);
    expect(stack.processes().find((p) => p.name === 'web')).toMatchObject({ state: 'stopped', pid: null });
    expect((await get(port, '/')).status).toBe(503);
    expect((await get(port, '/api/who')).status).toBe(200);
    expect(await stack.startTarget('web')).toEqual(['web']);
    expect(stack.processes().find((p) => p.name === 'web')).toMatchObject({ state: 'ready', manualRestarts: 1 });
    expect((await get(port, '/')).body).toContain('hello from the site');
  });

  it('stops and starts the static site with everything else on stop all and start all', async () => {
    const { stack, port } = await dataPlane([workerApp(1)]);
    expect((await stack.stopTarget('all')).sort()).toEqual(['api-1', 'web']);
    await waitForState(stack, 'api-1', 'stopped');
    expect((await get(port, '/')).status).toBe(503);
    expect((await stack.startTarget('all')).sort()).toEqual(['api-1', 'web']);
    await waitForState(stack, 'api-1', 'ready');
    expect((await get(port, '/')).body).toContain('hello from the site');
    expect((await get(port, '/api/who')).status).toBe(200);
  });

  it('restarts a static site without a failed request: there is no process to replace', async () => {
    const { stack, port } = await dataPlane([workerApp(1)]);
    const before = stack.processes().find((p) => p.name === 'web')?.pid;
    const load = startLoad(port, '/', { concurrency: 4 });
    await waitFor(() => load.count > 30, 'load to be flowing');
    expect(await stack.restart('web')).toEqual(['web']);
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(stack.processes().find((p) => p.name === 'web')?.pid).toBe(before);
    const lines = stack.logs.query({ sources: stack.logSources('web'), tail: 20 }).map((line) => line.text);
    expect(lines.some((text) => text.includes('restart requested: served by the proxy'))).toBe(true);
  });
});

describe('stack file changes while running', () => {
  function writeStack(file: string, port: number, extraRoute: string): void {
    writeFileSync(
      file,
      [
        'name: live',
        'proxy:',
        `  listen: ${port}`,
        '  routes:',
        '    - path: /api/',
        '      to: api',
        extraRoute,
        'apps:',
        '  api:',
        `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(FIXTURES, 'http-worker.js'))}]`,
        '    health: { path: /healthz, interval: 200ms }',
        '',
      ].join('\n'),
    );
  }

  it('applies a new route on the running listener and rejects an invalid change, keeping the old routes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-live-'));
    const file = path.join(dir, 'switchyard.yaml');
    const port = await getPort({ host: '127.0.0.1' });
    writeStack(file, port, '');
    const { loadStack } = await import('../../main/core/config/load.ts');
    const { spec } = await loadStack(file);
    if (!spec) throw new Error('the test stack file is invalid');
    const stack = new Stack(spec);
    running.push(stack);
    await stack.start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ask = (p: string) =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const request = http.get({ host: '127.0.0.1', port, path: p, agent }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, reused: request.reusedSocket }));
        });
        request.on('error', reject);
      });
    await waitFor(async () => (await ask('/api/x')).status === 200, 'the api route');
    expect((await ask('/v2/x')).status).toBe(404);

    const outcomes: StackFileOutcome[] = [];
    const watcher = new StackFileWatcher(file, stack, (outcome) => outcomes.push(outcome), 50);
    await watcher.ready;
    try {
      writeStack(file, port, '    - path: /v2/\n      to: api\n      strip_prefix: true');
      await waitFor(() => outcomes.length === 1, 'the change to be applied');
      expect(outcomes[0]).toMatchObject({ applied: true });
      const after = await ask('/v2/x');
      expect(after).toEqual({ status: 200, reused: true });

      writeFileSync(file, readFileSync(file, 'utf8').replace('to: api\n      strip', 'to: nowhere\n      strip'));
      await waitFor(() => outcomes.length === 2, 'the invalid change to be reported');
      expect(outcomes[1]).toMatchObject({ applied: false });
      expect((outcomes[1] as { message: string }).message).toMatch(/nowhere/);
      expect((await ask('/v2/x')).status).toBe(200);
    } finally {
      watcher.dispose();
      agent.destroy();
    }
  });

  it('applies changed client timeouts to the running proxy, and the proxy that replaces it keeps them', async () => {
    const { stack, port, spec } = await dataPlane([workerApp(1)]);
    const silentConnectionCloses = async (what: string) => {
      const socket = net.connect(port, '127.0.0.1');
      let closed = false;
      socket.on('close', () => (closed = true));
      socket.on('error', () => {});
      try {
        await waitFor(() => closed, what);
      } finally {
        socket.destroy();
      }
    };
    const next: StackSpec = { ...spec, proxy: { ...(spec.proxy as ProxySpec), clientHeaderTimeout: 400 } };
    expect(await stack.applySpec(next)).toEqual(['proxy: client_header_timeout 400ms']);
    await silentConnectionCloses('the running proxy to close a connection that sends nothing');
    expect(await stack.restart('proxy')).toEqual(['proxy']);
    await silentConnectionCloses('the new proxy to close a connection that sends nothing');
    expect((await get(port, '/api/after')).status).toBe(200);
  });
});

describe('watch globs', () => {
  it('reloads an app once for a burst of saves to watched files, and ignores other files', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-watch-'));
    writeFileSync(path.join(dir, 'server.js'), readFileSync(path.join(FIXTURES, 'http-worker.js')));
    writeFileSync(path.join(dir, 'notes.txt'), 'not code');
    const port = await getPort({ host: '127.0.0.1' });
    const app = workerApp(2, { argv: [process.execPath, 'server.js'], cwd: dir, watch: ['**/*.js'] });
    const spec: StackSpec = {
      name: 'watched',
      file: path.join(dir, 'switchyard.yaml'),
      dir,
      proxy: { listen: { host: '127.0.0.1', port }, routes: [route('/', 'api')], ...DEFAULT_CLIENT_LIMITS },
      statics: [],
      apps: [app],
      tasks: [],
    };
    const stack = new Stack(spec, { watch: true });
    running.push(stack);
    await stack.start();
    await waitFor(() => stack.processes().every((p) => p.state === 'ready'), 'every process ready');
    await stack.watching();
    const before = pidsOf(stack, 'api-');
    const reloads = () => stack.logs.query({ sources: null, tail: 1000 }).filter((line) => line.text.includes('changed: reloading api')).length;

    writeFileSync(path.join(dir, 'notes.txt'), 'still not code');
    for (let i = 0; i < 3; i++) writeFileSync(path.join(dir, 'server.js'), `${readFileSync(path.join(dir, 'server.js'), 'utf8')}\n// save ${i}\n`);
    await waitFor(() => {
      const now = pidsOf(stack, 'api-');
      return now.length === 2 && now.every((pid) => !before.includes(pid)) && stack.processes().length === 3;
    }, 'both workers replaced', { timeout: 15_000 });
    expect(reloads()).toBe(1);
    const note = stack.logs.query({ sources: null, tail: 1000 }).find((line) => line.text.includes('changed: reloading api'));
    expect(note?.text).toContain('server.js');
    expect(note?.text).not.toContain('notes.txt');
  });
});

describe('reload races', () => {
  it('a scale-down during a reload leaves no process behind and keeps the new size', async () => {
    const marker = newMarker();
    const { stack, port } = await dataPlane([workerApp(3, { env: { [marker.key]: marker.value } })]);
    const reload = stack.reload('api');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await stack.scale('api', 1)).toEqual(['api-1']);
    await reload;
    await waitFor(() => stack.processes().filter((p) => p.app === 'api').length === 1, 'one api worker listed');
    expect((await get(port, '/api/after')).status).toBe(200);
    await stack.stop();
    await waitFor(() => processesWithMarker(marker).length === 0, 'every worker gone after stop');
  });

  it('reloading an app that serves no port does not wait for a drain', async () => {
    const { stack } = await dataPlane([workerApp(1), fixtureApp('jobs', 'ticker.js', { portEnv: null, stop: { signal: 'SIGTERM', timeout: 4000 } })]);
    const before = stack.processes().find((p) => p.name === 'jobs-1')?.pid;
    expect(await stack.reload('jobs')).toEqual(['jobs-1']);
    expect(stack.processes().find((p) => p.name === 'jobs-1')?.pid).not.toBe(before);
    const notes = stack.logs.query({ sources: stack.logSources('jobs'), tail: 100 }).map((line) => line.text);
    expect(notes.some((text) => text.includes('still in flight'))).toBe(false);
  });
});
