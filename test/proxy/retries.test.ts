import { describe, expect, it } from 'vitest';
import http from 'node:http';
import { accessFor, cleanUpAfterEach, proxyTo, refusedPort, send, startUpstream } from './helpers.ts';

cleanUpAfterEach();

/** An upstream that reads the whole body, then answers with its name and what it read. */
function echo(name: string) {
  return startUpstream((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => res.end(`${name} ${req.method} ${body}`));
  });
}

/** An upstream that reads the whole request, counts it, and dies without answering. */
async function diesAfterReading() {
  let executed = 0;
  const upstream = await startUpstream((req) => {
    req.resume();
    req.on('end', () => {
      executed++;
      req.socket.destroy();
    });
  });
  return { upstream, executed: () => executed };
}

describe('retries', () => {
  it('sends a request whose connection was refused to the next worker, whatever its method', async () => {
    const dead = await refusedPort();
    const good = await echo('api-2');
    const running = await proxyTo([dead, good.port]);
    expect((await send(running.port, '/get')).body).toBe('api-2 GET ');
    const posted = await send(running.port, '/post', { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
    // Nothing reached the dead worker, so the body was still whole for the second one.
    expect(posted.body).toBe('api-2 POST payload');
    expect(await accessFor(running, '/get')).toMatchObject({ attempts: 2, worker: 'api-2', status: 200 });
  });

  it('never runs a POST twice: a worker dying after reading the body gives 502 and the next worker sees nothing', async () => {
    const dying = await diesAfterReading();
    const second = await echo('api-2');
    const running = await proxyTo([dying.upstream.port, second.port]);
    const reply = await send(running.port, '/order', { method: 'POST', body: 'buy one', headers: { 'content-type': 'text/plain' } });
    expect(reply.status).toBe(502);
    expect(reply.body).toMatch(/^502 Bad Gateway: route \/ → api-1 \(127\.0\.0\.1:\d+\): connection (reset|closed) before the response\n$/);
    expect(dying.executed()).toBe(1);
    expect(second.requests).toHaveLength(0);
    expect(await accessFor(running, '/order')).toMatchObject({ attempts: 1, status: 502 });
  });

  it('runs a bodiless idempotent request again on the next worker when the first dies after reading it', async () => {
    const dying = await diesAfterReading();
    const second = await echo('api-2');
    const running = await proxyTo([dying.upstream.port, second.port]);
    const reply = await send(running.port, '/list');
    expect(reply).toMatchObject({ status: 200, body: 'api-2 GET ' });
    expect(dying.executed()).toBe(1);
    expect(await accessFor(running, '/list')).toMatchObject({ attempts: 2, worker: 'api-2' });
  });

  it('does not repeat a PUT whose body was already sent', async () => {
    const dying = await diesAfterReading();
    const second = await echo('api-2');
    const running = await proxyTo([dying.upstream.port, second.port]);
    const reply = await send(running.port, '/doc', { method: 'PUT', body: 'content' });
    expect(reply.status).toBe(502);
    expect(second.requests).toHaveLength(0);
  });

  it('stops after three attempts however many workers there are', async () => {
    const dead = await Promise.all([refusedPort(), refusedPort(), refusedPort(), refusedPort()]);
    const running = await proxyTo(dead);
    const reply = await send(running.port, '/x');
    expect(reply.status).toBe(502);
    expect(reply.body).toMatch(/route \/ → api-3 \(127\.0\.0\.1:\d+\): connection refused/);
    expect(await accessFor(running, '/x')).toMatchObject({ attempts: 3, error: 'connection refused' });
  });

  it('never retries once response headers went to the client', async () => {
    const partial = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const second = await echo('api-2');
    const running = await proxyTo([partial.port, second.port]);
    const outcome = await new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port: running.port, path: '/big', agent: false }, (response) => {
        response.on('data', () => {});
        response.on('end', () => resolve('clean end'));
        response.on('error', () => resolve(`broken ${response.statusCode}`));
      });
    });
    expect(outcome).toBe('broken 200');
    expect(second.requests).toHaveLength(0);
  });
});
