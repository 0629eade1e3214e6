// The builtin engine with real proxy processes: what happens when a proxy refuses its configuration,
// when a restart's new proxy dies before it takes over the listener, and how a member's drain is
// awaited in both proxies while a restart has two of them serving.

import { describe, expect, it } from 'vitest';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProcessState } from '../../shared/process.ts';
import type { ProxyConfig } from '../../shared/proxy.ts';
import { LogStore } from '../../main/core/logs/log-store.ts';
import { currentNodeRuntime, type NodeRuntime } from '../../main/core/process/node-runtime.ts';
import { PortAllocator } from '../../main/core/process/port-allocator.ts';
import { execaSpawner } from '../../main/core/process/spawner.ts';
import { BuiltinEngine, PROXY_MAX_SEMI_SPACE_MIB } from '../../main/core/proxy/builtin-engine.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { quietPeriod, waitFor } from '../helpers/wait.ts';
import { app, cleanUpAfterEach, config, member, onCleanup, rawConnection, refusedPort, route, startUpstream } from './helpers.ts';

cleanUpAfterEach();

interface Running {
  engine: BuiltinEngine;
  logs: LogStore;
  port: number;
  /** Every state the proxy processes went through, in order. */
  states: ProcessState[];
  lines: () => string[];
}

function startEngine(initial: ProxyConfig, extra: { node?: NodeRuntime; env?: Record<string, string> } = {}): Promise<Running> {
  return (async () => {
    const port = await refusedPort();
    const logs = new LogStore(10_000);
    const engine = new BuiltinEngine({
      listen: { host: '127.0.0.1', port },
      deps: { spawner: execaSpawner, logs, ports: new PortAllocator() },
      cwd: FIXTURES,
      env: { ...(process.env as Record<string, string>), ...extra.env },
      node: extra.node ?? currentNodeRuntime(),
    });
    const states: ProcessState[] = [];
    engine.onProcessChange((change) => states.push(change.to));
    onCleanup(() => engine.kill());
    await engine.start(initial);
    const lines = () => logs.query({ sources: null }).map((line) => line.text);
    return { engine, logs, port, states, lines };
  })();
}

/** One GET through the proxy on `port`, on a fresh connection. */
function get(port: number, target = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: target, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

async function answers(port: number, target = '/'): Promise<string | undefined> {
  const reply = await get(port, target).catch(() => undefined);
  return reply?.status === 200 ? reply.body : undefined;
}

describe('BuiltinEngine', () => {
  it('ends a proxy that refuses its configuration instead of leaving it up without routes', async () => {
    const upstream = await startUpstream();
    const bad = config([route('/', 'api', { timeout: 0 })], [app('api', [member('api-1', upstream.port)])]);
    const { port, states, lines } = await startEngine(bad);
    await waitFor(() => lines().some((line) => line.includes('could not configure the proxy')), 'the refusal in the proxy log');
    await waitFor(() => states.includes('crashed') || states.includes('backoff'), 'the refusing proxy to be ended');
    expect(lines().join('\n')).toMatch(/timeout must be a positive number/);
    // Nothing ever listened on the proxy port.
    await expect(get(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('keeps the old proxy serving, with later routes, when the new one dies while taking over', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-engine-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const flag = path.join(dir, 'fail-adopt');
    const a = await startUpstream((_req, res) => res.end('a'));
    const b = await startUpstream((_req, res) => res.end('b'));
    const { engine, port, lines } = await startEngine(config([route('/', 'a')], [app('a', [member('a-1', a.port)])]), {
      node: { argv: [process.execPath, '--import', path.join(FIXTURES, 'proxy-fail-adopt.mjs')], env: {} },
      env: { SWITCHYARD_TEST_FAIL_ADOPT: flag },
    });
    await waitFor(() => answers(port), 'the first proxy to answer');
    const oldPid = engine.supervisors()[0]?.currentPid;

    writeFileSync(flag, '');
    // Requests keep coming while the restart fails; every one must be answered.
    let failures = 0;
    let served = 0;
    let loading = true;
    const load = (async () => {
      for (let i = 0; loading && i < 5000; i++) {
        if ((await answers(port)) === 'a') served++;
        else failures++;
      }
    })();
    await expect(engine.restart()).rejects.toThrow(/before it took over the listener/);
    loading = false;
    await load;
    expect(failures).toBe(0);
    expect(served).toBeGreaterThan(0);
    expect(engine.supervisors().map((s) => s.currentPid)).toEqual([oldPid]);
    expect(lines().join('\n')).toMatch(/handed a copy of the listener over/);

    // The old proxy is the proxy again: a new route reaches it.
    await engine.configure(config([route('/', 'a'), route('/b', 'b')], [app('a', [member('a-1', a.port)]), app('b', [member('b-1', b.port)])]));
    expect(await answers(port, '/b')).toBe('b');
    expect(await answers(port, '/')).toBe('a');
  });

  it('waits for a member to drain in both proxies while a restart has two of them', async () => {
    const held: http.ServerResponse[] = [];
    const slow = await startUpstream((req, res) => {
      if (req.url === '/hold') held.push(res);
      else res.end('quick');
    });
    const x = member('x-1', slow.port);
    const { engine, port, lines } = await startEngine(config([route('/', 'x')], [app('x', [x])]));
    await waitFor(() => answers(port), 'the first proxy to answer');

    // Request A is in flight on the old proxy when the restart begins.
    const first = get(port, '/hold');
    await waitFor(() => held.length === 1, 'request A at the worker');
    const restarting = engine.restart();
    await waitFor(() => lines().some((line) => line.includes('took over the listener')), 'the new proxy to take over');
    // Request B goes to the new proxy (the old one stopped accepting once told to retire).
    await waitFor(() => lines().some((line) => line.includes('the next proxy accepts on the listener')), 'the old proxy to retire');
    const second = get(port, '/hold');
    await waitFor(() => held.length === 2, 'request B at the worker');

    engine.setMembers('x', [{ ...x, state: 'draining' }]);
    let drained: boolean | null = null;
    const waiting = engine.drained(x.id, 10_000).then((value) => (drained = value));

    held[1]!.end('b');
    expect((await second).body).toBe('b');
    // The new proxy has nothing on x-1 any more, but the old one still has request A.
    await quietPeriod(300);
    expect(drained).toBeNull();

    held[0]!.end('a');
    expect((await first).body).toBe('a');
    await waiting;
    expect(drained).toBe(true);
    await restarting;
  });

  it('gives the proxy that takes over the same client timeouts and the same name in Via', async () => {
    const upstream = await startUpstream();
    const apiOnly = config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])], { clientHeaderTimeout: 400 });
    const { engine, port } = await startEngine(apiOnly);
    await waitFor(() => answers(port), 'the first proxy to answer');
    // A route back to the proxy's own address: a loop only the proxy's name in Via can tell.
    await engine.configure({ ...apiOnly, routes: [...apiOnly.routes, route('/loop/', `http://127.0.0.1:${port}/loop/`, { target: 'url' })] });
    expect((await get(port, '/loop/x')).status).toBe(508);

    await engine.restart();
    expect(engine.supervisors()).toHaveLength(1);
    expect((await get(port, '/loop/x')).status).toBe(508);
    const silent = await rawConnection(port);
    await waitFor(() => silent.closed(), 'the new proxy to close a connection that sends nothing');
    expect(await answers(port)).toBe('ok');
  });

  it('runs the proxy with its young generation capped, so a burst of requests leaves no large young generation behind', async () => {
    const upstream = await startUpstream();
    const { port, lines } = await startEngine(config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]), {
      node: { argv: [process.execPath, '--import', path.join(FIXTURES, 'proxy-young-generation.mjs')], env: {} },
    });
    await waitFor(() => answers(port), 'the proxy to answer');
    const line = await waitFor(() => lines().find((text) => text.startsWith('young generation after churn:')), 'the young generation reported in the proxy log');
    const grown = Number(/(\d+) bytes/.exec(line)?.[1]);
    // Two semi-spaces; without the cap this churn grows them to 32 MiB each on Node 24.
    expect(grown).toBeGreaterThan(0);
    expect(grown).toBeLessThanOrEqual(2 * PROXY_MAX_SEMI_SPACE_MIB * 2 ** 20);
  });
});
