import { describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { ProxyServer } from '../../main/core/proxy/builtin/proxy-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { app, cleanUpAfterEach, config, member, onCleanup, route, send, startProxy, startUpstream } from './helpers.ts';

cleanUpAfterEach();

function named(name: string, hold?: { release: Promise<void> }) {
  return startUpstream((req, res) => {
    if (hold !== undefined && req.url === '/hold') void hold.release.then(() => res.end(`${name} ${req.url}`));
    else res.end(`${name} ${req.url}`);
  });
}

function deferred(): { release: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const release = new Promise<void>((r) => (resolve = r));
  return { release, resolve };
}

describe('apply', () => {
  it('rejects an invalid configuration with a clear message and keeps the running one', async () => {
    const one = await named('one');
    const running = await startProxy(config([route('/', 'one')], [app('one', [member('one-1', one.port)])]));
    const broken = config([route('/', 'missing'), route('nope', 'one'), route('/x/', 'ftp://host', { target: 'url' })], [app('one', [member('one-1', one.port)])]);
    expect(() => running.proxy.apply(broken)).toThrow(
      "invalid proxy configuration: route 1 (/): 'missing' names no upstream (known: one); route 2 (nope): path must start with /; route 3 (/x/): 'ftp://host' is not an http:// or https:// URL",
    );
    expect((await send(running.port, '/still')).body).toBe('one /still');
  });

  it('swaps routes without closing the listener or the client connection', async () => {
    const [one, two] = await Promise.all([named('one'), named('two')]);
    const upstreams = [app('one', [member('one-1', one.port)]), app('two', [member('two-1', two.port)])];
    const running = await startProxy(config([route('/', 'one')], upstreams));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    onCleanup(() => agent.destroy());
    const sockets = new Set<net.Socket>();
    const viaAgent = async (path: string) => {
      const reply = await new Promise<string>((resolve, reject) => {
        const request = http.get({ host: '127.0.0.1', port: running.port, path, agent }, (response) => {
          let body = '';
          response.on('data', (chunk) => (body += chunk));
          response.on('end', () => resolve(body));
        });
        request.on('socket', (socket) => sockets.add(socket));
        request.on('error', reject);
      });
      return reply;
    };
    expect(await viaAgent('/a')).toBe('one /a');
    running.proxy.apply(config([route('/', 'two')], upstreams));
    expect(await viaAgent('/b')).toBe('two /b');
    // One keep-alive connection carried both requests across the change.
    expect(sockets.size).toBe(1);
  });

  it('lets a request under way finish on the upstream it started on', async () => {
    const hold = deferred();
    const [one, two] = await Promise.all([named('one', hold), named('two')]);
    const upstreams = [app('one', [member('one-1', one.port)]), app('two', [member('two-1', two.port)])];
    const running = await startProxy(config([route('/', 'one')], upstreams));
    const slow = send(running.port, '/hold');
    await waitFor(() => one.requests.length === 1, 'the slow request to reach one');
    // The new configuration no longer knows `one` at all.
    running.proxy.apply(config([route('/', 'two')], [app('two', [member('two-1', two.port)])]));
    expect((await send(running.port, '/new')).body).toBe('two /new');
    hold.resolve();
    expect(await slow).toMatchObject({ status: 200, body: 'one /hold' });
  });

  it('refuses members for an upstream it does not know, or a malformed member list', async () => {
    const one = await named('one');
    const running = await startProxy(config([route('/', 'one')], [app('one', [member('one-1', one.port)])]));
    expect(() => running.proxy.setMembers('nope', [])).toThrow("no upstream named 'nope' (known: one)");
    expect(() => running.proxy.setMembers('one', [member('one-1', 0)])).toThrow("invalid members: upstream 'one' member 'one-1@0' has port 0; use 1-65535");
    expect((await send(running.port, '/ok')).body).toBe('one /ok');
  });
});

describe('listen', () => {
  it('reports the port it got when asked for port 0', async () => {
    const proxy = new ProxyServer();
    onCleanup(() => proxy.close());
    const address = await proxy.listen({ host: '127.0.0.1', port: 0 });
    expect(address.host).toBe('127.0.0.1');
    expect(address.port).toBeGreaterThan(0);
    expect(proxy.address()).toEqual(address);
  });

  it('fails with EADDRINUSE on a taken port, and can listen elsewhere after', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as net.AddressInfo).port;
    const proxy = new ProxyServer();
    onCleanup(() => proxy.close());
    await expect(proxy.listen({ host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect((await proxy.listen({ host: '127.0.0.1', port: 0 })).port).not.toBe(port);
  });

  it('takes over a listening server handed to it, with connections queued on it', async () => {
    const one = await named('one');
    const handed = net.createServer();
    await new Promise<void>((resolve) => handed.listen(0, '127.0.0.1', resolve));
    const port = (handed.address() as net.AddressInfo).port;
    const proxy = new ProxyServer();
    onCleanup(() => proxy.close());
    proxy.apply(config([route('/', 'one')], [app('one', [member('one-1', one.port)])]));
    expect(await proxy.listen(handed)).toEqual({ host: '127.0.0.1', port });
    expect((await send(port, '/adopted')).body).toBe('one /adopted');
  });
});

describe('drain', () => {
  it('finishes requests under way, closes with Connection: close, and resolves with 0', async () => {
    const hold = deferred();
    const one = await named('one', hold);
    const running = await startProxy(config([route('/', 'one')], [app('one', [member('one-1', one.port)])]));
    const agent = new http.Agent({ keepAlive: true });
    onCleanup(() => agent.destroy());
    // An idle keep-alive connection, and one busy with a slow request.
    await send(running.port, '/warm', { agent });
    const idleSocket = [...Object.values(agent.freeSockets)].flat()[0]!;
    const idleClosed = new Promise((resolve) => idleSocket.once('close', resolve));
    const slow = send(running.port, '/hold');
    await waitFor(() => one.requests.some((r) => r.url === '/hold'), 'the slow request to arrive');

    const drained = running.proxy.drain(5000);
    await idleClosed;
    await expect(send(running.port, '/late')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    hold.resolve();
    const reply = await slow;
    expect(reply.body).toBe('one /hold');
    expect(reply.headers.connection).toBe('close');
    expect(await drained).toBe(0);
  });

  it('gives a connection accepted just before the drain the time to send its request', async () => {
    const one = await named('one');
    const running = await startProxy(config([route('/', 'one')], [app('one', [member('one-1', one.port)])]));
    const socket = net.connect(running.port, '127.0.0.1');
    onCleanup(() => void socket.destroy());
    await new Promise((resolve) => socket.once('connect', resolve));
    await waitFor(() => running.proxy.stats().connections === 1, 'the proxy to accept');
    const drained = running.proxy.drain(5000);
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    setTimeout(() => socket.write('GET /late-start HTTP/1.1\r\nHost: t\r\n\r\n'), 100);
    await closed;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('one /late-start');
    expect(await drained).toBe(0);
  });

  it('cuts what is still running when the grace period ends, and says how many', async () => {
    const never = await startUpstream(() => {});
    const running = await startProxy(config([route('/', 'one')], [app('one', [member('one-1', never.port)])]));
    const stuck = send(running.port, '/stuck').then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    );
    await waitFor(() => never.requests.length === 1, 'the request to arrive');
    const started = Date.now();
    expect(await running.proxy.drain(300)).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await stuck).toBe('ECONNRESET');
  });
});
