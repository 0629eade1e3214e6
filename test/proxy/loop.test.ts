// A route to the proxy's own address: every request would come back to the proxy, again and again,
// until the file handles ran out. Each forwarded request names the proxy in Via, and one that comes
// back carrying its name is answered 508 Loop Detected, so the loop is one hop long.

import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { app, cleanUpAfterEach, config, member, route, send, startProxy, startUpstream } from './helpers.ts';

cleanUpAfterEach();

describe('Via and loops', () => {
  it('names itself in Via after what the request already carried', async () => {
    const upstream = await startUpstream();
    const proxyConfig = config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]);
    const { port } = await startProxy(proxyConfig);
    await send(port, '/plain');
    await send(port, '/relayed', { headers: { via: '1.0 corporate-proxy' } });
    expect(upstream.requests.map((request) => request.headers.via)).toEqual([`1.1 switchyard-${proxyConfig.id}`, `1.0 corporate-proxy, 1.1 switchyard-${proxyConfig.id}`]);
  });

  it('answers 508 once for a route to its own address, and the loop stops there', async () => {
    const running = await startProxy(config([route('/', 'api')], [app('api', [])]));
    const loop = config([route('/', `http://127.0.0.1:${running.port}/`, { target: 'url' })], []);
    running.proxy.apply(loop);
    const reply = await send(running.port, '/around');
    expect(reply.status).toBe(508);
    expect(reply.body).toMatch(/^508 Loop Detected: this request came back to the proxy it already passed \(Via: 1\.1 switchyard-[0-9a-f-]+\); a route forwards to the proxy's own address/);
    await waitFor(() => running.access.length >= 2, 'both access events');
    // The client's request and its one trip back through the proxy, nothing more.
    expect(running.access.map((event) => [event.path, event.status, event.error === null ? null : 'error'])).toEqual([
      ['/around', 508, 'error'],
      ['/around', 508, null],
    ]);
  });

  it('lets one proxy forward to another: a chain of two is no loop', async () => {
    const upstream = await startUpstream((req, res) => res.end(`worker saw ${req.headers.via}`));
    const inner = await startProxy(config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]));
    const outerConfig = config([route('/', `http://127.0.0.1:${inner.port}/`, { target: 'url' })], []);
    const outer = await startProxy(outerConfig);
    const reply = await send(outer.port, '/through-both');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatch(/^worker saw 1\.1 switchyard-[0-9a-f-]+, 1\.1 switchyard-[0-9a-f-]+$/);
  });
});
