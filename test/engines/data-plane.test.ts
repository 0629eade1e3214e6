// The data plane as users run it, once per proxy engine: the same Stack, stack file and requests
// through the builtin Node proxy and through the system's nginx, which must answer alike.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_CLIENT_LIMITS } from '../../shared/stack.ts';
import type { AppSpec, ProxyEngineName, ProxySpec, RouteSpec, StackSpec } from '../../shared/stack.ts';
import { builtinEngine } from '../../main/core/proxy/builtin-engine.ts';
import type { EngineFactory } from '../../main/core/proxy/engine.ts';
import { NGINX_PREFIX, NginxEngine } from '../../main/core/proxy/nginx/nginx-engine.ts';
import { buildProxyConfig } from '../../main/core/proxy/proxy-config.ts';
import { workerPids } from '../../main/core/proxy/nginx/nginx-workers.ts';
import { isAlive } from '../../main/core/process/process-tree.ts';
import { Stack } from '../../main/core/stack.ts';
import { startLoad } from '../helpers/load.ts';
import { FIXTURE_HEALTH, fixtureApp } from '../helpers/specs.ts';
import { waitFor, waitForEveryProcessReady, waitForState } from '../helpers/wait.ts';

const running: Stack[] = [];
const folders: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.kill()));
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function route(at: string, to: string, target: RouteSpec['target'] = 'app', extra: Partial<RouteSpec> = {}): RouteSpec {
  return { host: null, path: at, to, target, stripPrefix: false, timeout: 5000, at: { line: 1, col: 1 }, ...extra };
}

function api(replicas: number, overrides: Partial<AppSpec> = {}): AppSpec {
  return fixtureApp('api', 'engine-worker.js', { replicas, stop: { signal: 'SIGTERM', timeout: 3000 }, ...overrides });
}

/** A static site with an index, a hashed asset and a dotfile. */
function siteDir(dir: string): string {
  const root = path.join(dir, 'site');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>site</title><h1>hello from the site</h1>');
  writeFileSync(path.join(root, 'assets', 'app.3f2a9c1b.js'), 'export {};\n');
  writeFileSync(path.join(root, '.env'), 'SECRET=1\n');
  return root;
}

interface Plane {
  stack: Stack;
  port: number;
  spec: StackSpec;
  /** The nginx engine, when it is the one under test. */
  nginx: NginxEngine | null;
}

const DEFAULT_ROUTES = [route('/api/', 'api'), route('/v2/', 'api', 'app', { stripPrefix: true }), route('/', 'web', 'static')];

async function dataPlane(engine: ProxyEngineName, apps: AppSpec[], routes: RouteSpec[] = DEFAULT_ROUTES): Promise<Plane> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `switchyard-${engine}-`));
  folders.push(dir);
  const port = await getPort({ host: '127.0.0.1' });
  const proxy: ProxySpec = { listen: { host: '127.0.0.1', port }, routes, engine, ...DEFAULT_CLIENT_LIMITS };
  const spec: StackSpec = { name: 'plane', file: path.join(dir, 'switchyard.yaml'), dir, proxy, statics: [{ name: 'web', root: siteDir(dir), spa: true }], apps, tasks: [] };
  let nginx: NginxEngine | null = null;
  const factory: EngineFactory = engine === 'nginx' ? (context) => (nginx = new NginxEngine(context)) : builtinEngine;
  const stack = new Stack(spec, { retainedLines: 2000, engine: factory });
  running.push(stack);
  await stack.start();
  await waitForEveryProcessReady(stack);
  let last = '';
  await waitFor(async () => {
    const answer = await get(port, '/api/who');
    last = `${answer.status} ${answer.body.slice(0, 200)}`;
    return answer.status === 200;
  }, 'the proxy to route to a worker').catch((error: Error) => {
    const logs = stack.logs.query({ sources: null, tail: 30 }).map((line) => `${line.source}: ${line.text}`);
    throw new Error(`${error.message}; last answer ${last}\n${logs.join('\n')}`);
  });
  return { stack, port, spec, nginx };
}

function readyPids(stack: Stack): number[] {
  return stack
    .processes()
    .filter((p) => p.app === 'api' && p.state === 'ready' && p.pid !== null)
    .map((p) => p.pid as number);
}

interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

async function get(port: number, at: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${at}`, { headers });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** What the worker saw of a request. */
interface Echo {
  worker: number;
  pid: number;
  path: string;
  headers: Record<string, string>;
}

async function echo(port: number, at: string, headers: Record<string, string> = {}): Promise<Echo> {
  const answer = await get(port, at, headers);
  expect(answer.status, `${at}: ${answer.body}`).toBe(200);
  return JSON.parse(answer.body) as Echo;
}

/** Opens an upgraded connection through the proxy and sends `text`; resolves with what came back, and the connection, still open. */
function tunnel(port: number, text: string): Promise<{ head: string; echoed: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let head: string | null = null;
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`GET /api/socket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (head === null) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = received.slice(0, end);
        received = received.slice(end + 4);
        socket.write(text);
      }
      if (received.length >= text.length) resolve({ head, echoed: received, socket });
    });
  });
}

describe.each(['builtin', 'nginx'] as const)('the %s engine', (engine) => {
  it('routes by longest prefix, strips prefixes, forwards headers and serves the static site with its rules', async () => {
    const { stack, port } = await dataPlane(engine, [api(2)]);
    // What the diagnostics show: the engine, and nginx's generated configuration.
    const info = await stack.proxyEngine();
    expect(info?.engine).toBe(engine);
    const ports = stack.processes().filter((p) => p.app === 'api').map((p) => p.port);
    if (engine === 'nginx') for (const port of ports) expect(info?.config?.text).toContain(`server 127.0.0.1:${port}`);
    else expect(info?.config).toBeNull();
    // nginx learns of the second worker by a reload a moment after it is ready.
    const workers = new Set<number>();
    await waitFor(async () => workers.add((await echo(port, '/api/who')).worker).size === 2, 'both workers to answer');
    expect((await echo(port, '/v2/users?x=1')).path).toBe('/users?x=1');

    const seen = await echo(port, '/api/headers', { 'x-request-id': 'trace-me-42' });
    expect(seen.headers).toMatchObject({ host: `127.0.0.1:${port}`, 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': `127.0.0.1:${port}`, 'x-request-id': 'trace-me-42' });
    const minted = await get(port, '/api/minted');
    expect(minted.headers.get('x-request-id')).toMatch(/^\S{8,}$/);
    expect((JSON.parse(minted.body) as Echo).headers['x-request-id']).toBe(minted.headers.get('x-request-id'));

    expect((await get(port, '/')).body).toContain('hello from the site');
    expect((await get(port, '/settings/profile', { accept: 'text/html' })).body).toContain('hello from the site');
    expect((await get(port, '/missing.js')).status).toBe(404);
    expect((await get(port, '/.env')).status).toBe(404);
    expect((await get(port, '/assets/app.3f2a9c1b.js')).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('tunnels WebSocket upgrades and streams server-sent events as they come', async () => {
    const { port } = await dataPlane(engine, [api(1)]);
    const { head, echoed, socket } = await tunnel(port, 'ping through the proxy');
    socket.destroy();
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    expect(echoed).toBe('ping through the proxy');

    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}/api/events`, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('data: first');
    controller.abort();
  });

  it('answers 502 for a refused upstream and 504 past the route timeout', async () => {
    const closed = await getPort({ host: '127.0.0.1' });
    const { port } = await dataPlane(engine, [api(1)], [route('/api/', 'api', 'app', { timeout: 300 }), route('/gone/', `http://127.0.0.1:${closed}`, 'url'), route('/', 'web', 'static')]);
    expect((await get(port, '/gone/x')).status).toBe(502);
    expect((await get(port, '/api/slow?ms=3000')).status).toBe(504);
  });

  it('records an access event per request, with the worker that answered', async () => {
    const { stack, port } = await dataPlane(engine, [api(1)]);
    await get(port, '/api/logged?x=1', { 'x-request-id': 'trace-me-7' });
    const event = await waitFor(() => stack.access.recent().find((e) => e.requestId === 'trace-me-7'), 'the access event');
    expect(event).toMatchObject({ method: 'GET', path: '/api/logged?x=1', status: 200, route: '/api/', worker: 'api-1', app: 'api', attempts: 1 });
    expect(event.bytes).toBeGreaterThan(0);
    const lines = stack.logs.query({ sources: stack.logSources('proxy'), tail: 50 }).map((line) => line.text);
    expect(lines.some((text) => text.includes('GET /api/logged?x=1') && text.includes('api-1') && text.includes('trace-me-7'))).toBe(true);
  });

  it('names the worker that answered over IPv6 loopback', async () => {
    const { stack, port } = await dataPlane(engine, [api(1, { env: { LISTEN_HOST: '::1' } })]);
    expect(stack.find('api-1')?.endpoint?.host).toBe('::1');
    await get(port, '/api/six', { 'x-request-id': 'over-ipv6' });
    const event = await waitFor(() => stack.access.recent().find((e) => e.requestId === 'over-ipv6'), 'the access event');
    expect(event).toMatchObject({ status: 200, worker: 'api-1', app: 'api' });
  });

  it('reloads 4 workers under load with zero failed requests and never fewer than 4 in rotation', async () => {
    const { stack, port, nginx } = await dataPlane(engine, [api(4)]);
    // Counted from when nginx routes to all four: their becoming ready one by one is no part of the reload.
    const answering = new Set<number>();
    await waitFor(async () => answering.add((await echo(port, '/api/who')).worker).size === 4, 'all four workers to answer');
    const before = readyPids(stack);
    let lowest = Infinity;
    const watch = stack.onProcessChange(() => {
      lowest = Math.min(lowest, stack.members('api').filter((m) => m.state === 'ready').length);
    });
    const reloadsBefore = nginx?.reloads ?? 0;
    const load = startLoad(port, '/api/load', { concurrency: 6, retryResets: true });
    await waitFor(() => load.count > 50, 'load to be flowing');
    const atReload = load.count;
    expect(await stack.reload('api')).toEqual(['api-1', 'api-2', 'api-3', 'api-4']);
    const result = await load.stop();
    watch.dispose();
    console.log(`${engine}: rolling reload of 4 workers under load: ${result.ok} answered, ${result.failed} failed, ${result.retried} sent again after a reset`);
    expect(result.failures).toEqual([]);
    // The builtin engine never resets a client connection for a change of members; nginx's reloads do.
    if (engine === 'builtin') expect(result.retried).toBe(0);
    expect(result.ok).toBeGreaterThan(atReload);
    expect(lowest).toBeGreaterThanOrEqual(4);
    const after = readyPids(stack);
    expect(after).toHaveLength(4);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    for (const pid of before) expect(isAlive(pid), `old worker ${pid}`).toBe(false);
    if (nginx) {
      const reloads = nginx.reloads - reloadsBefore;
      console.log(`nginx: ${reloads} reloads during the rolling reload of 4 workers`);
      // One per worker replaced (its successor in, itself out), with a little room for a late removal.
      expect(reloads).toBeLessThanOrEqual(6);
    }
  });

  it('drains a worker scaled away: its requests in flight finish before it stops', async () => {
    const { stack, port } = await dataPlane(engine, [api(2, { env: { ABRUPT_STOP: '1' } })]);
    const workers = new Set<number>();
    await waitFor(async () => workers.add((await echo(port, '/api/who')).worker).size === 2, 'both workers to answer');
    const slow = Array.from({ length: 4 }, () => get(port, '/api/slow?ms=1000'));
    const inFlight = () => stack.logs.query({ sources: stack.logSources('api'), tail: 100 }).filter((line) => line.text.startsWith('slow request')).length;
    await waitFor(() => inFlight() === 4, 'every slow request in flight');
    expect(await stack.scale('api', 1)).toEqual(['api-1']);
    const answers = await Promise.all(slow);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => (JSON.parse(answer.body) as Echo).worker))).toEqual(new Set([1, 2]));
  });

  it('a WebSocket open on one worker during a rolling reload holds up no other worker\'s drain', async () => {
    const { stack, port } = await dataPlane(engine, [api(2, { stop: { signal: 'SIGTERM', timeout: 1500 } })]);
    const workers = new Set<number>();
    await waitFor(async () => workers.add((await echo(port, '/api/who')).worker).size === 2, 'both workers to answer');
    // On the worker reloaded last: a drain that waited for old nginx workers to exit would wait for it on api-1's turn too.
    const socket = await waitFor(async () => {
      const opened = await tunnel(port, 'held open');
      if (/^x-worker: 2$/im.test(opened.head)) return opened.socket;
      opened.socket.destroy();
      return null;
    }, 'a tunnel to api-2');
    onTestFinished(() => void socket.destroy());
    expect(await stack.reload('api')).toEqual(['api-1', 'api-2']);
    // nginx waits for the tunnel on its worker's drain (the builtin lets a tunnel go with its worker).
    const notes = stack.logs.query({ sources: null, tail: 500 }).filter((line) => line.text.includes('still in flight after'));
    expect(notes.length).toBeLessThanOrEqual(1);
  });

  it('loses no GET when a worker is SIGKILLed under load', async () => {
    const { stack, port } = await dataPlane(engine, [api(3, { restart: 'always' })]);
    const load = startLoad(port, '/api/kill', { concurrency: 6, retryResets: true });
    await waitFor(() => load.count > 50, 'load to be flowing');
    const victim = stack.processes().find((p) => p.name === 'api-2')?.pid as number;
    process.kill(victim, 'SIGKILL');
    const countAtKill = load.count;
    await waitFor(() => load.count > countAtKill + 300, 'more requests after the kill');
    await waitForState(stack, 'api-2', 'ready');
    expect(stack.processes().find((p) => p.name === 'api-2')?.pid).not.toBe(victim);
    const result = await load.stop();
    console.log(`${engine}: SIGKILL of a worker under load: ${result.ok} answered, ${result.failed} failed, ${result.retried} sent again after a reset`);
    expect(result.failures).toEqual([]);
    if (engine === 'builtin') expect(result.retried).toBe(0);
  });

  it('restarts a proxy that was SIGKILLed (the nginx master), with its routes and members', async () => {
    const { stack, port } = await dataPlane(engine, [api(1)]);
    const pid = stack.processes().find((p) => p.name === 'proxy')?.pid as number;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => {
      const proxy = stack.processes().find((p) => p.name === 'proxy');
      return proxy?.state === 'ready' && proxy.pid !== pid;
    }, 'a new proxy process');
    await waitFor(async () => (await get(port, '/api/again')).status === 200, 'the new proxy to route');
    expect((await get(port, '/')).body).toContain('hello from the site');
  });

  it('restarts the proxy under load without a failed request', async () => {
    const { stack, port } = await dataPlane(engine, [api(2)]);
    const load = startLoad(port, '/api/restart', { concurrency: 6, retryResets: true });
    await waitFor(() => load.count > 50, 'load to be flowing');
    expect(await stack.restart('proxy')).toEqual(['proxy']);
    const countAtSwap = load.count;
    await waitFor(() => load.count > countAtSwap + 200, 'requests after the restart');
    const result = await load.stop();
    console.log(`${engine}: proxy restart under load: ${result.ok} answered, ${result.failed} failed, ${result.retried} sent again after a reset`);
    expect(result.failures).toEqual([]);
  });
});

describe('the nginx engine only', () => {
  it('refuses a configuration nginx -t rejects, with its message, and keeps serving the running one', async () => {
    const { stack, port, spec } = await dataPlane('nginx', [api(1)]);
    const proxy = spec.proxy as ProxySpec;
    const next: StackSpec = { ...spec, proxy: { ...proxy, routes: [route('/elsewhere/', 'http://no-such-host.invalid:9000', 'url'), ...proxy.routes] } };
    const refusal = await stack.applySpec(next).then(() => null, (error: Error) => error.message);
    expect(refusal).toMatch(/nginx -t refused the configuration: .*host not found in upstream "no-such-host\.invalid:9000"/);
    // The line nginx names is there to read.
    const [, file = '', line = ''] = /in (\S+):(\d+)$/.exec(refusal ?? '') ?? [];
    expect(file).toBe(path.join(spec.dir, NGINX_PREFIX, 'nginx.conf.refused'));
    expect(readFileSync(file, 'utf8').split('\n')[Number(line) - 1]).toContain('no-such-host.invalid:9000');
    expect((await echo(port, '/api/still')).path).toBe('/api/still');
    expect((await get(port, '/')).body).toContain('hello from the site');
  });

  it('stops gracefully: a request in flight is answered, then no nginx process is left', async () => {
    const { stack, port } = await dataPlane('nginx', [api(1)]);
    const master = stack.processes().find((p) => p.name === 'proxy')?.pid as number;
    const workers = await workerPids(master);
    expect(workers.length).toBeGreaterThan(0);
    const slow = get(port, '/api/slow?ms=800');
    await waitFor(() => stack.logs.query({ sources: stack.logSources('api'), tail: 50 }).some((line) => line.text.startsWith('slow request')), 'the request in flight');
    await stack.stop();
    expect((await slow).status).toBe(200);
    for (const pid of [master, ...workers]) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  });

  it.each(['stop', 'kill'] as const)('checks, installs and signals nothing after %s, even with a check under way', async (how) => {
    const { stack, spec, nginx } = await dataPlane('nginx', [api(1)]);
    const prefix = path.join(spec.dir, NGINX_PREFIX);
    const running = readFileSync(path.join(prefix, 'nginx.conf'), 'utf8');
    const proxy = spec.proxy as ProxySpec;
    const next = buildProxyConfig({ ...spec, proxy: { ...proxy, routes: [route('/after-stop/', 'api'), ...proxy.routes] } }, 'after-stop', (name) => stack.members(name));
    const checking = (nginx as NginxEngine).configure(next);
    // Its `nginx -t` is spawned once the queue has taken the job.
    await new Promise((resolve) => setImmediate(resolve));
    expect(existsSync(path.join(prefix, 'nginx.conf.next'))).toBe(true);
    await stack[how]();
    await checking;
    expect(readFileSync(path.join(prefix, 'nginx.conf'), 'utf8')).toBe(running);
    expect(readdirSync(prefix).filter((name) => name.includes('access') || name.includes('.next'))).toEqual([]);
  });

  it("recycles a worker past max_requests by the access log's count, and marks a worker that refuses connections out of rotation from the error log", async () => {
    const { stack, port } = await dataPlane('nginx', [api(2, { maxRequests: 10, restart: 'never', health: { ...FIXTURE_HEALTH, interval: 60_000 } })]);
    const first = new Set(stack.processes().map((p) => p.pid));
    // 30 requests take at least one of the two workers past its 10 (both, once nginx's reload that
    // puts the second one in rotation has landed: the first requests may all go to one).
    for (let i = 0; i < 30; i++) await get(port, '/api/count');
    await waitFor(() => stack.processes().some((p) => p.app === 'api' && p.state === 'ready' && !first.has(p.pid)), 'a worker replaced after its max_requests');

    // One worker stays alive and ready (its checks are a minute apart) but refuses connections.
    const { worker } = await echo(port, '/api/stop-listening');
    // A request that meets the refused port goes on to the other worker.
    for (let i = 0; i < 4; i++) expect((await get(port, '/api/after-refusal')).status).toBe(200);
    const proxyLines = () => stack.logs.query({ sources: stack.logSources('proxy'), tail: 200 }).map((line) => line.text);
    const marked = await waitFor(() => proxyLines().find((text) => text.includes('out of rotation')), 'a passive mark from the error log');
    expect(marked).toMatch(new RegExp(`^api-${worker}\\S* out of rotation for [\\d.]+s: connect\\(\\) failed \\(111: Connection refused\\)$`));
  });
});
