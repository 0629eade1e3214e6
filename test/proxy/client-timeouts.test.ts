// The client side of nginx's timeouts: client_header_timeout, client_body_timeout and
// keepalive_timeout, set small here so that each one can be watched running out. What they must not
// touch: long waits on a worker, and streams (SSE, WebSocket) that are quiet for a while.

import { describe, expect, it } from 'vitest';
import http from 'node:http';
import type { ServerResponse } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import type { ClientLimits } from '../../shared/stack.ts';
import { waitFor } from '../helpers/wait.ts';
import { accessFor, app, cleanUpAfterEach, config, member, onCleanup, pause, rawConnection, route, send, startProxy, startUpstream } from './helpers.ts';
import type { RunningProxy } from './helpers.ts';

cleanUpAfterEach();

/** Short enough to watch run out, long enough for a busy machine to send a request within it. */
const SHORT = 400;
const ALL_SHORT: Partial<ClientLimits> = { clientHeaderTimeout: SHORT, clientBodyTimeout: SHORT, keepaliveTimeout: SHORT };

function proxyWith(port: number, clients: Partial<ClientLimits>): Promise<RunningProxy> {
  return startProxy(config([route('/', 'api')], [app('api', [member('api-1', port)])], clients));
}

/** Sends `head`, then one more byte of a header every 100 ms until the proxy closes (at most 100). */
async function trickle(port: number, head: string) {
  const connection = await rawConnection(port);
  connection.socket.write(head);
  for (let i = 0; i < 100 && !connection.closed(); i++) {
    await pause(100);
    if (!connection.closed()) connection.socket.write('a');
  }
  return connection;
}

describe('client_header_timeout', () => {
  it('closes a connection that sends nothing, without a word', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyWith(upstream.port, { clientHeaderTimeout: SHORT });
    const silent = await rawConnection(port);
    await waitFor(() => silent.closed(), 'the proxy to close the silent connection');
    expect(silent.received()).toBe('');
  });

  it('answers 408 and closes when a request head trickles in (slowloris)', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyWith(upstream.port, { clientHeaderTimeout: SHORT });
    const slow = await trickle(port, 'GET /slow HTTP/1.1\r\nHost: t\r\nX-Padding: ');
    await waitFor(() => slow.closed(), 'the proxy to close the slow connection');
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(slow.received()).toContain('408 Request Timeout: the request head did not arrive in full within 400ms (client_header_timeout)');
    expect(upstream.requests).toEqual([]);
  });

  it('times the next request head on a keep-alive connection too', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyWith(upstream.port, { clientHeaderTimeout: SHORT });
    const connection = await rawConnection(port);
    connection.socket.write('GET /first HTTP/1.1\r\nHost: t\r\n\r\nGET /second HTTP/1.1\r\nHost: t\r\nX-Padding: ');
    for (let i = 0; i < 100 && !connection.closed(); i++) {
      await pause(100);
      if (!connection.closed()) connection.socket.write('a');
    }
    await waitFor(() => connection.closed(), 'the proxy to close the connection');
    expect(connection.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 408 Request Timeout/);
    expect(upstream.requests.map((request) => request.url)).toEqual(['/first']);
  });
});

describe('keepalive_timeout', () => {
  it('closes an idle keep-alive connection', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyWith(upstream.port, { keepaliveTimeout: SHORT });
    const connection = await rawConnection(port);
    connection.socket.write('GET /once HTTP/1.1\r\nHost: t\r\n\r\n');
    await waitFor(() => connection.received().endsWith('ok'), 'the answer');
    expect(connection.received()).toMatch(/\r\nConnection: keep-alive\r\n/i);
    await waitFor(() => connection.closed(), 'the proxy to close the idle connection');
  });
});

describe('client_body_timeout', () => {
  it('answers 408, closes and aborts the worker’s request when an upload stalls', async () => {
    let workerSaw: string | null = null;
    const upstream = await startUpstream((req, res) => {
      req.on('data', () => {});
      req.on('close', () => (workerSaw = req.complete ? 'the whole body' : 'an aborted request'));
      req.on('end', () => res.end('got it'));
    });
    const running = await proxyWith(upstream.port, { clientBodyTimeout: SHORT });
    const connection = await rawConnection(running.port);
    connection.socket.write('POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(10));
    await waitFor(() => connection.closed(), 'the proxy to close the stalled upload');
    expect(connection.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(connection.received()).toContain('client sent nothing of its body for 400ms');
    await waitFor(() => workerSaw, 'the worker to see its request end');
    expect(workerSaw).toBe('an aborted request');
    expect(await accessFor(running, '/upload')).toMatchObject({ status: 408, error: 'client sent nothing of its body for 400ms', worker: 'api-1' });
  });

  it('cuts the connection when the upload stalls after the worker began answering', async () => {
    let answer: ServerResponse | null = null;
    const upstream = await startUpstream((req, res) => {
      req.on('data', () => {});
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started');
      answer = res;
    });
    const running = await proxyWith(upstream.port, { clientBodyTimeout: SHORT });
    const connection = await rawConnection(running.port);
    connection.socket.write('POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(10));
    await waitFor(() => answer !== null && connection.received().includes('started'), 'the answer to begin');
    await waitFor(() => connection.closed(), 'the proxy to cut the stalled upload');
    // A chunked body without its last chunk: the client knows the answer is broken.
    expect(connection.received()).not.toContain('\r\n0\r\n\r\n');
    expect(await accessFor(running, '/echo')).toMatchObject({ status: 200, error: 'client sent nothing of its body for 400ms' });
  });

  it('does not count the time a worker spends not reading the body', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024, 'b');
    const upstream = await startUpstream((req, res) => {
      // The worker reads nothing for three times the timeout, so the upload backs up into the client.
      setTimeout(() => {
        let received = 0;
        req.on('data', (chunk: Buffer) => (received += chunk.length));
        req.on('end', () => res.end(`got ${received}`));
      }, 3 * SHORT);
    });
    const { port } = await proxyWith(upstream.port, ALL_SHORT);
    const reply = await send(port, '/late-reader', { method: 'POST', body });
    expect(reply).toMatchObject({ status: 200, body: `got ${body.length}` });
  });

  it('lets a slow but steady upload through', async () => {
    const upstream = await startUpstream((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => res.end(`got ${body}`));
    });
    const { port } = await proxyWith(upstream.port, ALL_SHORT);
    const reply = await new Promise<string>((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/steady', agent: false, headers: { 'content-length': '5' } }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve(`${response.statusCode} ${text}`));
      });
      request.on('error', reject);
      // Five bytes over about three times the timeout, none of the pauses as long as it.
      void (async () => {
        for (const byte of 'abcde') {
          request.write(byte);
          await pause(SHORT / 2);
        }
        request.end();
      })();
    });
    expect(reply).toBe('200 got abcde');
  });
});

describe('what the client timeouts leave alone', () => {
  it('waits on a slow worker longer than every client timeout', async () => {
    const upstream = await startUpstream((_req, res) => setTimeout(() => res.end('late but fine'), 4 * SHORT));
    const { port } = await proxyWith(upstream.port, ALL_SHORT);
    expect(await send(port, '/slow-worker', { method: 'POST', body: 'small' })).toMatchObject({ status: 200, body: 'late but fine' });
  });

  it('keeps a streamed response that is quiet for longer than every client timeout', async () => {
    const upstream = await startUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      setTimeout(() => res.end('data: second\n\n'), 4 * SHORT);
    });
    const { port } = await proxyWith(upstream.port, ALL_SHORT);
    // A POST, so that a body timer would have run had it outlived the body.
    const reply = await send(port, '/events', { method: 'POST', body: 'subscribe' });
    expect(reply).toMatchObject({ status: 200, body: 'data: first\n\ndata: second\n\n' });
  });

  it('keeps a WebSocket that is quiet for longer than every client timeout', async () => {
    const upstream = await startUpstream();
    const wss = new WebSocketServer({ server: upstream.server });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo: ${data.toString()}`)));
    onCleanup(() => wss.close());
    const { port } = await proxyWith(upstream.port, ALL_SHORT);
    const client = await new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
      onCleanup(() => socket.terminate());
    });
    await pause(4 * SHORT);
    const echoed = new Promise<string>((resolve) => client.once('message', (data) => resolve(data.toString())));
    client.send('still here');
    expect(await echoed).toBe('echo: still here');
  });
});

describe('changing the client limits', () => {
  it('applies new timeouts to a running proxy at once', async () => {
    const upstream = await startUpstream();
    const running = await proxyWith(upstream.port, {});
    running.proxy.apply(config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])], { clientHeaderTimeout: SHORT }));
    const silent = await rawConnection(running.port);
    await waitFor(() => silent.closed(), 'the proxy to close the silent connection under the new timeout');
    expect((await send(running.port, '/after')).status).toBe(200);
  });
});
