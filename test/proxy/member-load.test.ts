// What the proxy knows of each member for the core: the requests it has under way there (asked when
// a health check times out: busy or dead?) and when a member reached its request limit (recycling).

import { describe, expect, it } from 'vitest';
import { app, cleanUpAfterEach, config, member, route, send, startProxy, startUpstream } from './helpers.ts';
import { waitFor } from '../helpers/wait.ts';

cleanUpAfterEach();

describe('member load', () => {
  it('counts requests in flight on a member, how long they waited without an answer, and the longest route timeout to it', async () => {
    const held: (() => void)[] = [];
    const upstream = await startUpstream((req, res) => {
      if (req.url === '/slow') held.push(() => res.end('late'));
      else res.end('ok');
    });
    const api = member('api-1', upstream.port);
    const running = await startProxy(config([route('/', 'api', { timeout: 4000 }), route('/admin/', 'api', { timeout: 9000 })], [app('api', [api])]));
    expect(running.proxy.memberLoad(api.id)).toEqual({ inFlight: 0, silentFor: 0, patience: 9000 });
    expect(running.proxy.memberLoad('nobody@1')).toBeNull();

    const slow = [send(running.port, '/slow'), send(running.port, '/slow')];
    await waitFor(() => held.length === 2, 'both slow requests to reach the worker');
    const load = running.proxy.memberLoad(api.id);
    expect(load?.inFlight).toBe(2);
    expect(load?.silentFor).toBeGreaterThanOrEqual(0);
    for (const release of held) release();
    expect((await Promise.all(slow)).map((reply) => reply.status)).toEqual([200, 200]);
    expect(running.proxy.memberLoad(api.id)).toMatchObject({ inFlight: 0, silentFor: 0 });
  });
});

describe('request limits', () => {
  it('reports a ready member once when it reaches its maxRequests, and a member without a limit never', async () => {
    const first = await startUpstream();
    const second = await startUpstream();
    const limited = { ...member('api-1', first.port), maxRequests: 3 };
    const running = await startProxy(config([route('/', 'api')], [app('api', [limited, member('api-2', second.port)])]));
    const due: [string, number][] = [];
    running.proxy.onRecycle((record) => due.push([record.member.id, record.requests]));
    // Round-robin: ten requests, five to each member; api-1 reaches 3 on its third.
    for (let i = 0; i < 10; i++) expect((await send(running.port, '/')).status).toBe(200);
    expect(due).toEqual([[limited.id, 3]]);

    // A limit lowered below what a member has served is reported at once.
    running.proxy.setMembers('api', [limited, { ...member('api-2', second.port), maxRequests: 2 }]);
    expect(due).toEqual([
      [limited.id, 3],
      [`api-2@${second.port}`, 5],
    ]);
  });
});
