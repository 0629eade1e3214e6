// The proxy process as the core drives it: forked with an IPC channel and spoken to in the
// ToProxy/FromProxy messages only. The listener handover passes through this test process, as it
// will pass through the core.

import { describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { AccessEvent, FromProxy, ListenerHandle, ProxyConfig, ToProxy } from '../../shared/proxy.ts';
import { fromAccessTuple } from '../../main/core/proxy/access-wire.ts';
import { SUBSIDED_AFTER_MS, SUBSIDED_MIN_PEAK } from '../../main/core/proxy/builtin/client-connections.ts';
import { waitFor } from '../helpers/wait.ts';
import { app, cleanUpAfterEach, config, member, onCleanup, route, send, startUpstream } from './helpers.ts';

cleanUpAfterEach();

const PROXY_MAIN = fileURLToPath(new URL('../../main/core/proxy/builtin/proxy-main.ts', import.meta.url));

/** A forked proxy process with everything it said, by message and on stdout. */
interface ProxyProcess {
  readonly child: ChildProcess;
  readonly messages: FromProxy[];
  readonly handles: Map<FromProxy, unknown>;
  stdout(): string;
  send(message: ToProxy, handle?: ListenerHandle): Promise<void>;
  /** The next message of `type` not yet waited for. */
  next<T extends FromProxy['type']>(type: T): Promise<Extract<FromProxy, { type: T }>>;
  exited(): Promise<number | null>;
}

function startProxyProcess(): ProxyProcess {
  const child = fork(PROXY_MAIN, [], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  onCleanup(() => void child.kill('SIGKILL'));
  const messages: FromProxy[] = [];
  const handles = new Map<FromProxy, unknown>();
  const taken = new Set<FromProxy>();
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.on('message', (message: FromProxy, handle: unknown) => {
    messages.push(message);
    if (handle !== undefined) handles.set(message, handle);
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    messages,
    handles,
    stdout: () => stdout,
    // The handle is Node's native TCP handle, which child.send carries though its types do not say so.
    send: (message, handle) => new Promise((resolve, reject) => child.send(message, handle as net.Server | undefined, undefined, (error) => (error ? reject(error) : resolve()))),
    next: async (type) => {
      const found = await waitFor(() => messages.find((m) => m.type === type && !taken.has(m)), `a '${type}' message from the proxy`, { interval: 5 });
      taken.add(found);
      return found as never;
    },
    exited: () => exit,
  };
}

async function configured(proxy: ProxyProcess, version: number, proxyConfig: ProxyConfig): Promise<void> {
  await proxy.send({ type: 'configure', version, config: proxyConfig });
  expect(await proxy.next('applied')).toEqual({ type: 'applied', version });
}

describe('proxy-main', () => {
  it('follows the message protocol: hello, configure, listen, access, rejected configure', async () => {
    const upstream = await startUpstream((req, res) => res.end(`old ${req.url}`));
    const proxy = startProxyProcess();
    expect(await proxy.next('hello')).toEqual({ type: 'hello', pid: proxy.child.pid });
    await configured(proxy, 1, config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]));
    await proxy.send({ type: 'listen', host: '127.0.0.1', port: 0 });
    const { port } = await proxy.next('listening');
    expect(port).toBeGreaterThan(0);

    expect((await send(port, '/hello?x=1')).body).toBe('old /hello?x=1');
    const batch = await proxy.next('access');
    // Each event crosses the channel as a tuple.
    expect(batch.events.map(fromAccessTuple)).toEqual([expect.objectContaining<Partial<AccessEvent>>({ path: '/hello?x=1', status: 200, worker: 'api-1', route: '/' })]);

    await proxy.send({ type: 'configure', version: 2, config: config([route('/', 'nothing')], []) });
    expect(await proxy.next('rejected')).toEqual({ type: 'rejected', version: 2, message: "invalid proxy configuration: route 1 (/): 'nothing' names no upstream (known: none)" });
    expect((await send(port, '/still')).body).toBe('old /still');

    expect(proxy.stdout()).toContain(`listening on http://127.0.0.1:${port}`);
    expect(proxy.stdout()).toContain('configuration 1 applied: 1 route, 1 upstream');
    expect(proxy.stdout()).toContain("configuration 2 rejected, the previous one stays: invalid proxy configuration: route 1 (/): 'nothing' names no upstream");

    proxy.child.kill('SIGTERM');
    expect(await proxy.next('idle')).toEqual({ type: 'idle', unfinished: 0 });
    expect(await proxy.exited()).toBe(0);
  });

  it('finishes and exits when the core goes away without a word', async () => {
    const upstream = await startUpstream();
    const proxy = startProxyProcess();
    await proxy.next('hello');
    await configured(proxy, 1, config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]));
    await proxy.send({ type: 'listen', host: '127.0.0.1', port: 0 });
    const { port } = await proxy.next('listening');
    proxy.child.disconnect();
    expect(await proxy.exited()).toBe(0);
    await expect(send(port, '/gone')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('gives memory back once a peak of client connections has passed, and says so in its log', async () => {
    const upstream = await startUpstream((_req, res) => res.end('ok'));
    const proxy = startProxyProcess();
    await proxy.next('hello');
    await configured(proxy, 1, config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]));
    await proxy.send({ type: 'listen', host: '127.0.0.1', port: 0 });
    const { port } = await proxy.next('listening');

    // Idle keep-alive clients, as browsers leave theirs: each with one answered request, all open at once.
    const clients = await Promise.all(
      Array.from({ length: SUBSIDED_MIN_PEAK }, () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
          onCleanup(() => void socket.destroy());
          socket.once('error', reject);
          socket.once('data', () => resolve(socket));
        }),
      ),
    );
    expect(proxy.stdout()).not.toContain('memory reclaim');
    for (const socket of clients) socket.destroy();

    await waitFor(() => proxy.stdout().includes('memory reclaim 1:'), 'the proxy to reclaim memory after the peak', { timeout: SUBSIDED_AFTER_MS + 10_000 });
    expect(proxy.stdout()).toMatch(new RegExp(`memory reclaim 1: client connections fell from a peak of ${SUBSIDED_MIN_PEAK} to \\d+; after a full garbage collection RSS`));
    expect(await send(port, '/after')).toMatchObject({ status: 200 });
  });

  it('reports a taken port with a message that names it and says what to do', async () => {
    const first = startProxyProcess();
    await first.next('hello');
    await first.send({ type: 'listen', host: '127.0.0.1', port: 0 });
    const { port } = await first.next('listening');
    const second = startProxyProcess();
    await second.next('hello');
    await second.send({ type: 'listen', host: '127.0.0.1', port });
    expect(await second.next('listen-failed')).toEqual({
      type: 'listen-failed',
      code: 'EADDRINUSE',
      message: `port ${port} on 127.0.0.1 is in use by another program; stop it or choose another \`listen\` port`,
    });
  });

  it('hands the listener over to a new proxy with zero failed requests under continuous load', async () => {
    const [oldUpstream, newUpstream] = await Promise.all([
      startUpstream((_req, res) => res.end('old')),
      startUpstream((_req, res) => res.end('new')),
    ]);
    const before = startProxyProcess();
    const after = startProxyProcess();
    await Promise.all([before.next('hello'), after.next('hello')]);
    await configured(before, 1, config([route('/', 'api')], [app('api', [member('api-1', oldUpstream.port)])]));
    await configured(after, 1, config([route('/', 'api')], [app('api', [member('api-1', newUpstream.port)])]));
    await before.send({ type: 'listen', host: '127.0.0.1', port: 0 });
    const { port } = await before.next('listening');

    const answers: string[] = [];
    const failures: string[] = [];
    let loading = true;
    const client = async () => {
      // Bounded: until stopped, 5000 requests at most.
      for (let i = 0; i < 5000 && loading; i++) {
        try {
          const reply = await send(port, '/load');
          if (reply.status === 200) answers.push(reply.body);
          else failures.push(`${reply.status} ${reply.body}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const load = Promise.all([client(), client(), client(), client()]);
    await waitFor(() => answers.length >= 50, 'traffic through the first proxy');

    await before.send({ type: 'hand-over' });
    const listener = await before.next('listener');
    const handle = before.handles.get(listener) as ListenerHandle;
    expect(handle).toBeDefined();
    // What the core does: pass the handle on, and close its own copy once it is sent.
    await after.send({ type: 'adopt' }, handle);
    handle.close();
    expect(await after.next('listening')).toEqual({ type: 'listening', host: '127.0.0.1', port });
    // Both accept for a moment; only now does the old one stop.
    await before.send({ type: 'retire', grace: 3000 });
    expect(await before.next('idle')).toEqual({ type: 'idle', unfinished: 0 });
    expect(await before.exited()).toBe(0);
    // The old proxy finished everything it took before it exited: what comes after is the new one's.
    const atExit = answers.length;
    await waitFor(() => answers.length >= atExit + 50, 'traffic through the new proxy alone').finally(() => (loading = false));
    await load;

    expect(failures).toEqual([]);
    expect(answers).toContain('old');
    expect(new Set(answers.slice(atExit))).toEqual(new Set(['new']));
    expect(after.stdout()).toContain(`took over the listener on http://127.0.0.1:${port}`);
    expect(before.stdout()).toContain('handed a copy of the listener over');
    expect(before.stdout()).toContain('finishing requests under way');
  });
});
