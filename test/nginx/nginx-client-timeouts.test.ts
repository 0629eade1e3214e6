// nginx's client timeouts from the stack's client limits, beside the builtin's
// (test/proxy/client-timeouts.test.ts): the same timeouts, but nginx closes without a 408 page.

import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { app, cleanUpAfterEach, config, member, rawConnection, route, startUpstream } from '../proxy/helpers.ts';
import { hasNginx, startNginx } from './nginx-helpers.ts';

cleanUpAfterEach();

describe.skipIf(!hasNginx)('client timeouts through nginx (skipped without /usr/sbin/nginx)', () => {
  it('closes silent, trickling, stalled and idle connections after the stack’s timeouts', async () => {
    const upstream = await startUpstream((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const limits = { clientHeaderTimeout: 400, clientBodyTimeout: 400, keepaliveTimeout: 500 };
    const nginx = await startNginx(config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])], limits));
    const silent = await rawConnection(nginx.port);
    const trickling = await rawConnection(nginx.port);
    trickling.socket.write('GET /head HTTP/1.1\r\nHost: x\r\n');
    const stalled = await rawConnection(nginx.port);
    stalled.socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    const idle = await rawConnection(nginx.port);
    idle.socket.write('GET /idle HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => [silent, trickling, stalled, idle].every((connection) => connection.closed()), 'nginx to close all four connections');
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    // Where the builtin answers 408 with a line saying which timeout, nginx closes without a word.
    expect([silent, trickling, stalled].map((connection) => connection.received())).toEqual(['', '', '']);
    // nginx reads a body whole before it picks a worker, so the stalled upload never reached one.
    expect(upstream.requests.map((request) => request.url)).toEqual(['/idle']);
    expect(await nginx.accessFor('/head')).toMatchObject({ status: 408, route: null, error: 'the request head did not arrive in full (client_header_timeout)' });
    expect(await nginx.accessFor('/upload')).toMatchObject({ status: 408, route: '/', attempts: 0, error: 'client sent nothing of its body (client_body_timeout)' });
  });
});
