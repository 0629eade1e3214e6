// The generated nginx.conf run by the real nginx in front of in-process upstreams: it must answer
// as the builtin engine does (test/proxy/*) wherever nginx can.

import { describe, expect, it } from 'vitest';
import http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { waitFor } from '../helpers/wait.ts';
import { app, cleanUpAfterEach, config, member, onCleanup, refusedPort, route, send, startUpstream } from '../proxy/helpers.ts';
import { NO_RESPONSE_HEAD } from '../../main/core/proxy/nginx/nginx-access-log.ts';
import { hasNginx, startNginx } from './nginx-helpers.ts';

cleanUpAfterEach();

/** An upstream that answers its name and the path it got. */
function named(name: string) {
  return startUpstream((req, res) => res.end(`${name} ${req.url}`));
}

describe.skipIf(!hasNginx)('nginx from the generated configuration (skipped without /usr/sbin/nginx)', () => {
  it('routes by longest prefix and host as the route table does, strips prefixes, and logs the route', async () => {
    const [api, web, admin, strip, ext] = await Promise.all([named('api'), named('web'), named('admin'), named('strip'), named('ext')]);
    const cfg = config(
      [
        route('/api/', 'api'),
        route('/', 'web'),
        route('/', 'admin', { host: 'admin.test' }),
        route('/strip/', 'strip', { stripPrefix: true }),
        route('/raw', 'strip', { stripPrefix: true }),
        route('/ext/', `http://127.0.0.1:${ext.port}/base/`, { target: 'url', stripPrefix: true }),
      ],
      [app('api', [member('api-1', api.port)]), app('web', [member('web-1', web.port)]), app('admin', [member('admin-1', admin.port)]), app('strip', [member('strip-1', strip.port)])],
    );
    const nginx = await startNginx(cfg);
    const body = async (path: string, host?: string) => (await send(nginx.port, path, host === undefined ? {} : { headers: { host } })).body;
    expect(await body('/api/x?q=1')).toBe('api /api/x?q=1');
    // `/api/` also takes the whole path `/api`, but not `/apix`.
    expect(await body('/api')).toBe('api /api');
    expect(await body('/api?q=1')).toBe('api /api?q=1');
    expect(await body('/apix')).toBe('web /apix');
    expect(await body('/x', 'admin.test')).toBe('admin /x');
    expect(await body('/x', 'ADMIN.test:8080')).toBe('admin /x');
    // A longer host-less prefix still beats the host's `/`.
    expect(await body('/api/y', 'admin.test')).toBe('api /api/y');
    expect(await body('/x', 'other.test')).toBe('web /x');
    expect(await body('/strip/a/b?c=d')).toBe('strip /a/b?c=d');
    expect(await body('/strip')).toBe('strip /');
    // A prefix without a trailing slash matches as a string prefix, as route-table.ts does.
    expect(await body('/rawfile')).toBe('strip /file');
    // A URL route: its base path before the rest, its own Host.
    expect(await body('/ext/a?b=1')).toBe('ext /base/a?b=1');
    expect(ext.requests[0]!.headers.host).toBe(`127.0.0.1:${ext.port}`);
    expect(await nginx.accessFor('/ext/a?b=1')).toMatchObject({ route: '/ext/', worker: `http://127.0.0.1:${ext.port}/base/`, member: null, attempts: 1 });
    expect(await nginx.accessFor('/api/x?q=1')).toMatchObject({ method: 'GET', status: 200, route: '/api/', worker: 'api-1', member: `api-1@${api.port}`, attempts: 1, error: null });
    expect(await nginx.accessFor('/x')).toMatchObject({ route: '/', worker: 'web-1' });
    expect(nginx.events().find((event) => event.route === 'admin.test/')).toMatchObject({ worker: 'admin-1', status: 200 });
  });

  it('balances round-robin, keeps a client on its member with ip-hash, and sends nothing to a member not ready', async () => {
    const rr = await Promise.all(['a-1', 'a-2', 'a-3'].map((name) => named(name)));
    const hash = await Promise.all(['h-1', 'h-2', 'h-3'].map((name) => named(name)));
    const nginx = await startNginx(
      config(
        [route('/rr/', 'rr'), route('/hash/', 'hash')],
        [
          app('rr', rr.map((upstream, i) => member(`a-${i + 1}`, upstream.port, i === 2 ? 'draining' : 'ready'))),
          app('hash', hash.map((upstream, i) => member(`h-${i + 1}`, upstream.port)), 'ip-hash'),
        ],
      ),
    );
    const bodies: (string | undefined)[] = [];
    for (let i = 0; i < 6; i++) bodies.push((await send(nginx.port, `/rr/${i}`)).body.split(' ')[0]);
    expect(bodies.filter((name) => name === 'a-1')).toHaveLength(3);
    expect(bodies.filter((name) => name === 'a-2')).toHaveLength(3);
    expect(rr[2]!.requests).toHaveLength(0);
    const hashed = new Set<string>();
    for (let i = 0; i < 6; i++) hashed.add((await send(nginx.port, `/hash/${i}`)).body.split(' ')[0]!);
    expect(hashed.size).toBe(1);
  });

  it('takes a new configuration with a graceful reload, finishing the request under way on the old one', async () => {
    let release: (() => void) | undefined;
    const old = await startUpstream((req, res) => {
      if (req.url === '/slow') release = () => res.end('old slow');
      else res.end('old');
    });
    const next = await named('new');
    const nginx = await startNginx(config([route('/', 'api')], [app('api', [member('api-1', old.port)])]));
    const slow = send(nginx.port, '/slow');
    await waitFor(() => release, 'the slow request at the old member');
    const cfg = config([route('/', 'api')], [app('api', [member('api-1', old.port, 'draining'), member('api-2', next.port)])]);
    nginx.reload(cfg);
    await waitFor(async () => (await send(nginx.port, '/probe')).body === 'new /probe', 'requests to reach the new member');
    release!();
    expect(await slow).toMatchObject({ status: 200, body: 'old slow' });
    expect(await nginx.accessFor('/slow')).toMatchObject({ status: 200, worker: 'api-1' });
    expect(nginx.events().filter((event) => event.path === '/probe').every((event) => event.status === 200)).toBe(true);
  });

  it('sends the forwarded headers, Via and the request id upstream, and the id back', async () => {
    const upstream = await startUpstream((req, res) => {
      if (req.url === '/echo-id') res.setHeader('x-request-id', 'from-worker');
      res.end('ok');
    });
    const cfg = config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]);
    const nginx = await startNginx(cfg);
    const own = await send(nginx.port, '/', { headers: { 'x-request-id': 'client-id-1', 'x-forwarded-for': '10.0.0.9', host: 'example.test:8443', via: '1.0 corp-proxy' } });
    const seen = upstream.requests[0]!.headers;
    expect(seen['x-request-id']).toBe('client-id-1');
    expect(own.headers['x-request-id']).toBe('client-id-1');
    expect(seen['x-forwarded-for']).toBe('10.0.0.9, 127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('example.test:8443');
    expect(seen['x-forwarded-port']).toBe(String(nginx.port));
    expect(seen.host).toBe('example.test:8443');
    expect(seen.via).toBe(`1.0 corp-proxy, 1.1 switchyard-${cfg.id.toLowerCase()}`);
    expect(seen.connection).toBeUndefined();

    const fresh = await send(nginx.port, '/fresh', { headers: { 'x-request-id': 'has space' } });
    const freshId = upstream.requests[1]!.headers['x-request-id'];
    expect(freshId).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.headers['x-request-id']).toBe(freshId);
    expect(await nginx.accessFor('/fresh')).toMatchObject({ requestId: freshId });

    const echoed = await send(nginx.port, '/echo-id');
    expect(echoed.headers['x-request-id']).toBe('from-worker');
    // The worker's own headers pass as they are, Server included.
    expect(echoed.headers.server).toBeUndefined();

    const loop = await send(nginx.port, '/loop', { headers: { via: `1.1 switchyard-${cfg.id}` } });
    expect(loop.status).toBe(508);
    expect(loop.body).toContain('came back to the proxy');
    expect(upstream.requests).toHaveLength(3);
    expect(await nginx.accessFor('/loop')).toMatchObject({ status: 508, attempts: 0, error: expect.stringContaining(`came back to the proxy it already passed (Via: 1.1 switchyard-${cfg.id})`) });
  });

  it('carries a WebSocket both ways', async () => {
    const upstream = await startUpstream((_req, res) => res.end('plain'));
    const wss = new WebSocketServer({ server: upstream.server });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo: ${data.toString()}`)));
    onCleanup(() => {
      for (const client of wss.clients) client.terminate();
      wss.close();
    });
    const nginx = await startNginx(config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]));
    const client = new WebSocket(`ws://127.0.0.1:${nginx.port}/ws`);
    onCleanup(() => client.terminate());
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const reply = new Promise<string>((resolve) => client.once('message', (data) => resolve(data.toString())));
    client.send('hi');
    expect(await reply).toBe('echo: hi');
    client.close();
    expect(await nginx.accessFor('/ws')).toMatchObject({ status: 101, worker: 'api-1', attempts: 1, error: null });
  });

  it('keeps a quiet WebSocket open past the route timeout, as the builtin has no idle timeout on tunnels', async () => {
    const upstream = await startUpstream((_req, res) => res.end('plain'));
    const wss = new WebSocketServer({ server: upstream.server });
    // The worker's own pacing: it speaks once, three route timeouts after the upgrade.
    wss.on('connection', (socket) => setTimeout(() => socket.send('late'), 900).unref());
    onCleanup(() => {
      for (const client of wss.clients) client.terminate();
      wss.close();
    });
    const nginx = await startNginx(config([route('/', 'api', { timeout: 300, stripPrefix: true })], [app('api', [member('api-1', upstream.port)])]));
    const client = new WebSocket(`ws://127.0.0.1:${nginx.port}/ws`);
    onCleanup(() => client.terminate());
    const first = new Promise<string>((resolve) => {
      client.once('message', (data) => resolve(data.toString()));
      client.once('close', () => resolve('closed'));
    });
    expect(await first).toBe('late');
  });

  it('passes server-sent events on as they come', async () => {
    let stream: http.ServerResponse | undefined;
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      stream = res;
    });
    const nginx = await startNginx(config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]));
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port: nginx.port, path: '/events', agent: false }, resolve);
      request.on('error', reject);
      onCleanup(() => void request.destroy());
    });
    expect(response.headers['content-type']).toBe('text/event-stream');
    // Each event reaches the client while the worker keeps the response open.
    for (const event of ['data: one\n\n', 'event: tick\ndata: two\n\n']) {
      const arrived = new Promise<string>((resolve) => response.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      stream!.write(event);
      expect(await arrived).toBe(event);
    }
    expect(stream!.writableEnded).toBe(false);
  });

  it('logs a client that leaves before or during the response, and tells the worker', async () => {
    const closed: string[] = [];
    const upstream = await startUpstream((req, res) => {
      res.on('close', () => closed.push(req.url ?? ''));
      if (req.url === '/during') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first\n\n');
      }
    });
    const nginx = await startNginx(config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]));
    for (const path of ['/before', '/during']) {
      const request = http.get({ host: '127.0.0.1', port: nginx.port, path, agent: false });
      request.on('error', () => {});
      if (path === '/during') await new Promise((resolve) => request.once('response', (response) => response.once('data', resolve)));
      else await waitFor(() => upstream.requests.some((seen) => seen.url === path), 'the worker to get the request');
      request.destroy();
      await waitFor(() => closed.includes(path), `the worker to see ${path} close`);
    }
    expect(await nginx.accessFor('/before')).toMatchObject({ status: 0, worker: 'api-1', error: 'client aborted' });
    expect(await nginx.accessFor('/during')).toMatchObject({ status: 200, worker: 'api-1', error: expect.stringContaining('cut short') });
  });

  it('retries a GET on another member after a refused connection, and never sends a POST twice', async () => {
    const ok = await named('ok');
    const refused = await refusedPort();
    const nginx = await startNginx(config([route('/', 'api')], [app('api', [member('api-1', refused), member('api-2', ok.port)])]));
    for (let i = 0; i < 4; i++) expect((await send(nginx.port, `/get-${i}`)).body).toBe(`ok /get-${i}`);
    // A refused connection sent nothing, so even a POST goes on to the next member.
    expect((await send(nginx.port, '/post', { method: 'POST', body: 'x' })).status).toBe(200);
    await waitFor(() => nginx.events().length >= 5, 'five access events');
    const retried = nginx.events().find((event) => event.attempts === 2);
    expect(retried).toMatchObject({ status: 200, worker: 'api-2', error: null });

    // Workers that drop the connection after reading the request: a GET goes on to the other
    // member, a POST does not. Separate pairs, as nginx counts a drop as a failure (max_fails).
    const dropping = await Promise.all([0, 1, 2, 3].map(() => startUpstream((req) => req.socket.destroy())));
    const [getPair, postPair] = [dropping.slice(0, 2), dropping.slice(2)];
    const dropNginx = await startNginx(
      config(
        [route('/get', 'get'), route('/post', 'post')],
        [app('get', getPair.map((upstream, i) => member(`get-${i + 1}`, upstream.port))), app('post', postPair.map((upstream, i) => member(`post-${i + 1}`, upstream.port)))],
      ),
    );
    expect((await send(dropNginx.port, '/get')).status).toBe(502);
    expect(getPair.map((upstream) => upstream.requests.length)).toEqual([1, 1]);
    expect((await send(dropNginx.port, '/post', { method: 'POST', body: 'once' })).status).toBe(502);
    expect(postPair[0]!.requests.length + postPair[1]!.requests.length).toBe(1);
    expect(await dropNginx.accessFor('/get')).toMatchObject({ status: 502, attempts: 2, error: NO_RESPONSE_HEAD });
    expect(await dropNginx.accessFor('/post')).toMatchObject({ status: 502, attempts: 1, error: NO_RESPONSE_HEAD });
  });

  it('answers 502 for a refused worker, 504 past the route timeout and 503 without a ready worker, with the builtin pages', async () => {
    const slow = await startUpstream((req, res) => {
      if (req.url !== '/slow/own-502') return;
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('the worker’s own 502');
    });
    const [refused, alsoRefused, dead1, dead2] = await Promise.all([refusedPort(), refusedPort(), refusedPort(), refusedPort()]);
    const cfg = config(
      [
        route('/refused/', 'gone'),
        route('/slow/', 'slow', { timeout: 300 }),
        route('/none/', 'none'),
        route('/dead/', 'dead'),
        route('/url/', `http://127.0.0.1:${refused}/base/`, { target: 'url' }),
      ],
      [app('gone', [member('gone-1', refused)]), app('slow', [member('slow-1', slow.port)]), app('none', [member('none-1', 0, 'down'), member('none-2', alsoRefused, 'draining')]), app('dead', [member('dead-1', dead1), member('dead-2', dead2)])],
    );
    const nginx = await startNginx(cfg);
    const bad = await send(nginx.port, '/refused/x', { headers: { 'x-request-id': 'r-502' } });
    expect(bad.status).toBe(502);
    expect(bad.body).toBe(`502 Bad Gateway: route /refused/ → gone-1 (127.0.0.1:${refused}): no valid response (the connection was refused, closed or reset, or the head was malformed)\n`);
    expect(bad.headers['x-request-id']).toBe('r-502');
    expect(bad.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(await nginx.accessFor('/refused/x')).toMatchObject({ status: 502, worker: 'gone-1', attempts: 1, error: 'connection refused' });

    const url = await send(nginx.port, '/url/x');
    expect(url.body).toBe(`502 Bad Gateway: route /url/ → http://127.0.0.1:${refused}/base/: no valid response (the connection was refused, closed or reset, or the head was malformed)\n`);
    expect(await nginx.accessFor('/url/x')).toMatchObject({ status: 502, worker: `http://127.0.0.1:${refused}/base/`, member: null, error: 'connection refused' });

    const late = await send(nginx.port, '/slow/x');
    expect(late.status).toBe(504);
    expect(late.body).toBe(`504 Gateway Timeout: route /slow/ → slow-1 (127.0.0.1:${slow.port}): no response within 300ms\n`);
    expect(await nginx.accessFor('/slow/x')).toMatchObject({ status: 504, route: '/slow/', worker: 'slow-1', attempts: 1, error: 'no response within 300ms' });
    // A timeout is not retried: the slow worker got the request once.
    expect(slow.requests).toHaveLength(1);
    // A worker's own error status passes as it is.
    const own = await send(nginx.port, '/slow/own-502');
    expect(own).toMatchObject({ status: 502, body: 'the worker’s own 502' });
    expect(await nginx.accessFor('/slow/own-502')).toMatchObject({ status: 502, worker: 'slow-1', error: null });

    const none = await send(nginx.port, '/none/x');
    expect(none.status).toBe(503);
    expect(none.body).toBe('503 Service Unavailable: no ready worker for none: none-1 down, none-2 draining\n');
    expect(await nginx.accessFor('/none/x')).toMatchObject({ status: 503, attempts: 0, error: 'no ready worker' });

    // Both members refused: both out for fail_timeout, so the next request finds no server to try.
    expect((await send(nginx.port, '/dead/1')).status).toBe(502);
    const out = await send(nginx.port, '/dead/2');
    expect(out).toMatchObject({ status: 503, body: '503 Service Unavailable: no ready worker for dead: every ready worker is out after a connection failure\n' });
    expect(out.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(await nginx.accessFor('/dead/2')).toMatchObject({ status: 503, attempts: 0, worker: null, error: 'no ready worker' });

    const nowhere = await send(nginx.port, '/nowhere');
    expect(nowhere.status).toBe(404);
    expect(nowhere.body).toBe('404 Not Found: no route for /nowhere\n');
    expect(await nginx.accessFor('/nowhere')).toMatchObject({ status: 404, route: null, worker: null, error: 'no route' });
  });
});
