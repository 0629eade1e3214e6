// The proxy process's own health check: it must hear from the proxy's event loop over its channel
// (its heartbeat), not only a port that the kernel (for a stopped process) or another program may answer.

import { describe, expect, it, vi } from 'vitest';
import net from 'node:net';
import type { ProxyConfig } from '../../shared/proxy.ts';
import { LogStore } from '../../main/core/logs/log-store.ts';
import { currentNodeRuntime } from '../../main/core/process/node-runtime.ts';
import { PortAllocator } from '../../main/core/process/port-allocator.ts';
import { execaSpawner } from '../../main/core/process/spawner.ts';
import { BuiltinEngine } from '../../main/core/proxy/builtin-engine.ts';
import { HEARTBEAT_HEALTH, HEARTBEAT_INTERVAL_MS, startHeartbeat } from '../../main/core/proxy/builtin/heartbeat.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';
import { app, cleanUpAfterEach, config, member, onCleanup, refusedPort, route, startUpstream } from './helpers.ts';

cleanUpAfterEach();

async function startEngine(port: number, initial: ProxyConfig): Promise<{ engine: BuiltinEngine; lines: () => string[] }> {
  const logs = new LogStore(10_000);
  const engine = new BuiltinEngine({
    listen: { host: '127.0.0.1', port },
    deps: { spawner: execaSpawner, logs, ports: new PortAllocator() },
    cwd: FIXTURES,
    env: { ...(process.env as Record<string, string>) },
    node: currentNodeRuntime(),
  });
  onCleanup(() => engine.kill());
  await engine.start(initial);
  return { engine, lines: () => logs.query({ sources: null }).map((line) => line.text) };
}

function proxyInfo(engine: BuiltinEngine) {
  const [supervisor] = engine.supervisors();
  if (!supervisor) throw new Error('no proxy process');
  return supervisor.info();
}

describe('the proxy health check', () => {
  it('takes a stopped (SIGSTOP) proxy out of ready, and brings it back once it runs again', async () => {
    const upstream = await startUpstream();
    const port = await refusedPort();
    const { engine } = await startEngine(port, config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]));
    await waitFor(() => proxyInfo(engine).state === 'ready', 'the proxy to be ready');
    const pid = proxyInfo(engine).pid as number;
    process.kill(pid, 'SIGSTOP');
    onCleanup(() => void process.kill(pid, 'SIGCONT'));
    // The kernel still accepts on its port, so a port check would keep passing.
    // Its second check after its last heartbeat fails: 10-15 s after it stopped.
    await waitFor(() => proxyInfo(engine).state === 'unhealthy', 'the stopped proxy to be unhealthy', { timeout: 30_000 });
    expect(proxyInfo(engine).health).toBe('failing');
    expect(proxyInfo(engine).reason).toMatch(/sent nothing for \d+\.\ds, its heartbeat is due every 5s/);
    process.kill(pid, 'SIGCONT');
    await waitFor(() => proxyInfo(engine).state === 'ready', 'the proxy to be ready again', { timeout: 20_000 });
    expect(proxyInfo(engine).pid).toBe(pid);
  });

  it('is not passed by another program that holds the proxy port', async () => {
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
    const port = (squatter.address() as net.AddressInfo).port;
    const { engine, lines } = await startEngine(port, config([], []));
    await waitFor(() => lines().some((line) => line.includes(`cannot listen on 127.0.0.1:${port}`)), 'the proxy to report the port taken');
    await waitFor(() => proxyInfo(engine).health === 'failing', 'a failed check');
    expect(proxyInfo(engine).state).toBe('starting');
    expect(proxyInfo(engine).reason ?? '').not.toMatch(/accepts connections/);
  });
});

describe('the heartbeat', () => {
  it('is never further apart than one interval, from the start on, wherever the start falls between beats', () => {
    // The core passes a check while the proxy sent something within interval + timeout, and checks on
    // the same beat, so a check may come just before the beat's heartbeat: the gap the core sees is
    // the heartbeats' own, which must stay within the interval (a proxy ready 2.5-3 s past a beat
    // waited 7-7.5 s for its first heartbeat and failed a check).
    expect(HEARTBEAT_HEALTH.interval).toBe(HEARTBEAT_INTERVAL_MS);
    vi.useFakeTimers();
    try {
      for (const phase of [0, 1, 2499, 2500, 2600, 2999, 4999]) {
        vi.setSystemTime(1_700_000_000_000 + phase);
        const beats: number[] = [Date.now()];
        startHeartbeat(() => beats.push(Date.now()));
        vi.advanceTimersByTime(4 * HEARTBEAT_INTERVAL_MS);
        const gaps = beats.slice(1).map((at, index) => at - (beats[index] as number));
        expect(Math.max(...gaps), `started ${phase} ms past a beat`).toBeLessThanOrEqual(HEARTBEAT_INTERVAL_MS);
        expect(gaps.length, `started ${phase} ms past a beat`).toBeGreaterThanOrEqual(4);
        vi.clearAllTimers();
      }
    } finally {
      vi.useRealTimers();
    }
  });
});
