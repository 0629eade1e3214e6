// The upstream keep-alive pool and its best-known pitfall (nodejs/node #47130): a request written
// onto a pooled socket that the upstream is closing at that very moment.

import { describe, expect, it } from 'vitest';
import http from 'node:http';
import type { Socket } from 'node:net';
import { DEFAULT_IDLE_MS, IDLE_MAX_MS, KEEP_ALIVE_MARGIN_MS, MAX_IDLE_PER_ORIGIN } from '../../main/core/proxy/builtin/upstream-limits.ts';
import { waitFor } from '../helpers/wait.ts';
import { accessFor, cleanUpAfterEach, closesAfterOneAnswer, onCleanup, pause, proxyTo, send, startUpstream } from './helpers.ts';

cleanUpAfterEach();

/** An upstream that notes, per connection, when its last response ended and when the proxy closed it. */
async function observedUpstream(keepAliveTimeout: number) {
  const closedByProxy: number[] = [];
  let lastResponseEnd = 0;
  const upstream = await startUpstream(
    (_req, res) => {
      res.on('finish', () => (lastResponseEnd = Date.now()));
      res.end('ok');
    },
    { keepAliveTimeout },
  );
  // Node waits a second past the advertised timeout by default; the pitfall needs it to close on time.
  upstream.server.keepAliveTimeoutBuffer = 0;
  let connections = 0;
  upstream.server.on('connection', (socket: Socket) => {
    connections++;
    socket.on('end', () => closedByProxy.push(Date.now() - lastResponseEnd));
  });
  return { upstream, closedByProxy, connections: () => connections };
}

describe('upstream keep-alive', () => {
  it('gives no 5xx when requests arrive just as the upstream closes idle connections (nodejs/node #47130)', async () => {
    const { upstream } = await observedUpstream(1000);
    const { port } = await proxyTo([upstream.port]);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await send(port, `/tick/${i}`)).status);
      await pause(1000 + Math.random() * 100);
    }
    expect(statuses).toEqual(Array(8).fill(200));
  });

  it('repeats a GET on a new connection when its reused one is dropped before any response', async () => {
    // The upstream drops any request that arrives on a connection idle for 200 ms or more, which is
    // what the race looks like from the proxy: a reused socket closed as the request crossed it.
    const lastUse = new WeakMap<Socket, number>();
    let dropped = 0;
    const upstream = await startUpstream((req, res) => {
      const idleSince = lastUse.get(req.socket);
      if (idleSince !== undefined && Date.now() - idleSince >= 200) {
        dropped++;
        req.socket.destroy();
        return;
      }
      res.on('finish', () => lastUse.set(req.socket, Date.now()));
      res.end('ok');
    });
    const { port } = await proxyTo([upstream.port]);
    expect((await send(port, '/one')).status).toBe(200);
    await pause(300);
    expect(await send(port, '/two')).toMatchObject({ status: 200, body: 'ok' });
    expect(dropped).toBe(1);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/one', '/two', '/two']);
  });

  it.each([
    ['closing', (socket: Socket) => socket.end()],
    ['resetting', (socket: Socket) => socket.resetAndDestroy()],
  ])('gives no 502 behind workers %s every connection after one response without saying so (hypercorn 0.13, uWSGI --http-socket)', async (_what, close) => {
    // Every member does it, so a retry that took another pooled socket would meet the same close.
    const workers = await Promise.all([0, 1].map(() => closesAfterOneAnswer(close)));
    const running = await proxyTo(workers.map((worker) => worker.port));
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push(await send(running.port, `/r${i}`));
    expect(replies.map((reply) => `${reply.status} ${reply.body}`)).toEqual(Array(6).fill('200 ok'));
    // Each request after the first on a member met its pooled socket's close and went out again on
    // a new one, to the same member, as one attempt.
    expect(await accessFor(running, '/r5')).toMatchObject({ attempts: 1, status: 200 });
  });

  it('closes idle upstream connections a margin before the Keep-Alive timeout the upstream advertises', async () => {
    const { upstream, closedByProxy } = await observedUpstream(3000);
    const { port } = await proxyTo([upstream.port]);
    expect((await send(port, '/')).status).toBe(200);
    // The proxy's close shows as an end at the upstream; had the upstream timed the connection out
    // first, it would have destroyed it without one, and this would never come.
    await waitFor(() => closedByProxy.length === 1, 'the proxy to close its idle connection');
    expect(closedByProxy[0]).toBeGreaterThanOrEqual(3000 - KEEP_ALIVE_MARGIN_MS - 100);
  });

  it('keeps idle upstream connections for a short default when the upstream advertises no timeout', async () => {
    // keepAliveTimeout 0: Node keeps the connection open forever and sends no Keep-Alive hint.
    const { upstream, closedByProxy, connections } = await observedUpstream(0);
    const { port } = await proxyTo([upstream.port]);
    await send(port, '/');
    await send(port, '/');
    // Both requests went over one connection.
    expect(connections()).toBe(1);
    await waitFor(() => closedByProxy.length === 1, 'the proxy to close its idle connection', { timeout: DEFAULT_IDLE_MS + 10_000 });
    expect(closedByProxy[0]).toBeGreaterThanOrEqual(DEFAULT_IDLE_MS - 100);
  });

  it('keeps at most MAX_IDLE_PER_ORIGIN idle upstream connections after a burst, and none past IDLE_MAX_MS, whatever the upstream advertises', async () => {
    // The upstream holds every request until the whole burst has arrived, so each takes a connection of its own.
    const burst = MAX_IDLE_PER_ORIGIN + 8;
    const held: (() => void)[] = [];
    const upstream = await startUpstream(
      (_req, res) => {
        if (held.length === burst) return res.end('ok');
        held.push(() => res.end('ok'));
        if (held.length === burst) for (const answer of held) answer();
      },
      { keepAliveTimeout: 120_000 },
    );
    let open = 0;
    upstream.server.on('connection', (socket: Socket) => {
      open++;
      socket.on('close', () => open--);
    });
    const { port } = await proxyTo([upstream.port]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: burst });
    onCleanup(() => agent.destroy());
    const replies = await Promise.all(Array.from({ length: burst }, (_, i) => send(port, `/burst/${i}`, { agent })));
    expect(replies.map((reply) => reply.status)).toEqual(Array(burst).fill(200));
    expect(upstream.requests).toHaveLength(burst);
    await waitFor(() => open <= MAX_IDLE_PER_ORIGIN, 'the proxy to close the idle connections past its cap');
    // The upstream's 120 s hint is not taken at its word.
    await waitFor(() => open === 0, 'the proxy to close its idle upstream connections', { timeout: IDLE_MAX_MS + 5000 });
    expect((await send(port, '/after')).status).toBe(200);
  });
});
