import { describe, expect, it } from 'vitest';
import { accessFor, app, cleanUpAfterEach, config, member, route, send, startProxy, startUpstream } from './helpers.ts';

cleanUpAfterEach();

/** An upstream that answers with its own name and the path it received. */
function named(name: string) {
  return startUpstream((req, res) => res.end(`${name} ${req.url}`));
}

describe('routing', () => {
  it('sends each request to the longest matching prefix', async () => {
    const [web, api, admin] = await Promise.all([named('web'), named('api'), named('admin')]);
    const { port } = await startProxy(
      config(
        [route('/', 'web'), route('/api/', 'api'), route('/api/admin/', 'admin')],
        [app('web', [member('web', web.port)]), app('api', [member('api-1', api.port)]), app('admin', [member('admin-1', admin.port)])],
      ),
    );
    expect((await send(port, '/index.html')).body).toBe('web /index.html');
    expect((await send(port, '/api/users?id=2')).body).toBe('api /api/users?id=2');
    expect((await send(port, '/api/admin/stats')).body).toBe('admin /api/admin/stats');
  });

  it('treats a request for /api as one for the /api/ route', async () => {
    const [web, api] = await Promise.all([named('web'), named('api')]);
    const { port } = await startProxy(config([route('/', 'web'), route('/api/', 'api')], [app('web', [member('web', web.port)]), app('api', [member('api-1', api.port)])]));
    expect((await send(port, '/api')).body).toBe('api /api');
    expect((await send(port, '/apiary')).body).toBe('web /apiary');
  });

  it('matches the Host header without its port, case-insensitively; host routes beat host-less ones', async () => {
    const [web, admin] = await Promise.all([named('web'), named('admin')]);
    const { port } = await startProxy(
      config([route('/', 'web'), route('/', 'admin', { host: 'admin.localhost' })], [app('web', [member('web', web.port)]), app('admin', [member('admin-1', admin.port)])]),
    );
    expect((await send(port, '/', { headers: { host: `ADMIN.localhost:${port}` } })).body).toBe('admin /');
    expect((await send(port, '/', { headers: { host: `localhost:${port}` } })).body).toBe('web /');
    // The upstream sees the Host the client sent.
    expect(admin.requests[0]!.headers.host).toBe(`ADMIN.localhost:${port}`);
  });

  it('strips the prefix when asked, keeping a leading slash', async () => {
    const api = await named('api');
    const { port } = await startProxy(config([route('/api/', 'api', { stripPrefix: true })], [app('api', [member('api-1', api.port)])]));
    expect((await send(port, '/api/users?x=1')).body).toBe('api /users?x=1');
    expect((await send(port, '/api')).body).toBe('api /');
  });

  it('forwards a URL route to that URL with its Host, joining its path with the request path', async () => {
    const external = await named('external');
    const url = `http://127.0.0.1:${external.port}/base/`;
    const running = await startProxy(config([route('/ext/', url, { target: 'url', stripPrefix: true })], []));
    const reply = await send(running.port, '/ext/a/b?c=d', { headers: { host: 'localhost:8080' } });
    expect(reply.body).toBe('external /base/a/b?c=d');
    expect(external.requests[0]!.headers.host).toBe(`127.0.0.1:${external.port}`);
    expect(external.requests[0]!.headers['x-forwarded-host']).toBe('localhost:8080');
    expect(await accessFor(running, '/ext/a/b?c=d')).toMatchObject({ worker: url, route: '/ext/', status: 200 });
  });

  it('answers 404 naming the path when no route matches', async () => {
    const api = await named('api');
    const running = await startProxy(config([route('/api/', 'api')], [app('api', [member('api-1', api.port)])]));
    const reply = await send(running.port, '/nothing/here?x=1');
    expect(reply.status).toBe(404);
    expect(reply.body).toBe('404 Not Found: no route for /nothing/here\n');
    expect(reply.headers['x-request-id']).toBeTruthy();
    expect(api.requests).toHaveLength(0);
    expect(await accessFor(running, '/nothing/here?x=1')).toMatchObject({ status: 404, route: null, worker: null, attempts: 0, error: 'no route' });
  });

  it('answers 503 naming the upstream and the state of each worker when none is ready', async () => {
    const running = await startProxy(config([route('/', 'api')], [app('api', [member('api-1', 4001, 'down'), member('api-2', 4002, 'draining')])]));
    const reply = await send(running.port, '/x');
    expect(reply.status).toBe(503);
    expect(reply.body).toBe('503 Service Unavailable: no ready worker for api: api-1 down, api-2 draining\n');
    expect(await accessFor(running, '/x')).toMatchObject({ status: 503, route: '/', worker: null, attempts: 0, error: 'no ready worker' });
  });

  it('reports an access event per request with its route, worker and size', async () => {
    const api = await startUpstream((_req, res) => res.end('twelve bytes'));
    const running = await startProxy(config([route('/api/', 'api', { host: 'a.test' })], [app('api', [member('api-1', api.port)])]));
    const before = Date.now();
    const reply = await send(running.port, '/api/x?y=1', { method: 'DELETE', headers: { host: 'a.test', 'x-request-id': 'req-77' } });
    const after = Date.now();
    expect(reply.status).toBe(200);
    const event = await accessFor(running, '/api/x?y=1');
    expect(event).toEqual({
      time: expect.any(Number),
      method: 'DELETE',
      path: '/api/x?y=1',
      status: 200,
      bytes: 12,
      duration: expect.any(Number),
      route: 'a.test/api/',
      worker: 'api-1',
      member: `api-1@${api.port}`,
      requestId: 'req-77',
      error: null,
      attempts: 1,
    });
    // Stamped when the request arrived: after it was sent and before its answer came back.
    expect(event.time).toBeGreaterThanOrEqual(before);
    expect(event.time).toBeLessThanOrEqual(after);
    expect(event.duration).toBeGreaterThanOrEqual(0);
  });
});
