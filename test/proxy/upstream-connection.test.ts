// The proxy's own HTTP/1.1 upstream client against raw sockets that answer byte for byte: each body
// framing, 1xx and bodiless answers, bad heads, keep-alive reuse and its refusal, read timeouts,
// back-pressure and aborts.

import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { ChunkedBody } from '../../main/core/proxy/builtin/chunked-body.ts';
import { parseResponseHead } from '../../main/core/proxy/builtin/response-head.ts';
import { UpstreamConnection, upstreamOrigin } from '../../main/core/proxy/builtin/upstream-connection.ts';
import type { UpstreamHandler, UpstreamRequest } from '../../main/core/proxy/builtin/upstream-connection.ts';
import { classifyFailure } from '../../main/core/proxy/builtin/upstream-failure.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanUpAfterEach, closesAfterOneAnswer, onCleanup, rawWorker, startUpstream } from './helpers.ts';

cleanUpAfterEach();

/** What one request's handler heard. */
class Recorder implements UpstreamHandler {
  status = 0;
  headers: string[] = [];
  chunks: Buffer[] = [];
  sent = false;
  error: (Error & { code?: string }) | null = null;
  completed = false;
  /** Return value of onData: false asks for a pause. */
  accept = true;
  resume: (() => void) | null = null;
  abort: ((error?: Error) => void) | null = null;

  get body(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
  get done(): boolean {
    return this.completed || this.error !== null;
  }
  onConnect(abort: (error?: Error) => void): void {
    this.abort = abort;
  }
  onRequestSent(): void {
    this.sent = true;
  }
  onHeaders(status: number, headers: string[], resume: () => void): void {
    expect(this.status).toBe(0);
    this.status = status;
    this.headers = headers;
    this.resume = resume;
  }
  onData(chunk: Buffer): boolean {
    this.chunks.push(Buffer.from(chunk));
    return this.accept;
  }
  onComplete(): void {
    this.completed = true;
  }
  onError(error: Error): void {
    this.error = error;
  }
}

function connectionTo(port: number): UpstreamConnection {
  const connection = new UpstreamConnection(upstreamOrigin(`http://127.0.0.1:${port}`), () => {});
  onCleanup(() => connection.destroy());
  return connection;
}

function get(path = '/', method = 'GET', timeout = 0): UpstreamRequest {
  return { method, path, headers: ['x-test', '1'], body: null, timeout };
}

async function exchange(connection: UpstreamConnection, request: UpstreamRequest = get()): Promise<Recorder> {
  const recorder = new Recorder();
  connection.dispatch(request, recorder);
  await waitFor(() => recorder.done, 'the exchange to end');
  return recorder;
}

/** Writes `text` a few bytes at a time, each piece its own read at the other end as far as the socket allows. */
function trickle(socket: Socket, text: string, size = 3): void {
  for (let i = 0; i < text.length; i += size) socket.write(text.slice(i, i + size));
}

describe('upstream connection', () => {
  it('reads a Content-Length body split anywhere, and carries the next request on the same socket', async () => {
    const worker = await rawWorker((socket) => trickle(socket, 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: b\r\n\r\nhello world'));
    const connection = connectionTo(worker.port);
    const first = await exchange(connection);
    expect(first).toMatchObject({ status: 200, completed: true, error: null, sent: true, body: 'hello world' });
    expect(first.headers).toEqual(['Content-Length', '11', 'X-A', 'b']);
    expect(connection.reusable).toBe(true);
    expect((await exchange(connection)).body).toBe('hello world');
    expect(worker.sockets).toHaveLength(1);
  });

  it('unframes a chunked body with extensions and trailers, fed a byte at a time', async () => {
    const response = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';
    const worker = await rawWorker((socket) => trickle(socket, response, 1));
    const connection = connectionTo(worker.port);
    expect(await exchange(connection)).toMatchObject({ completed: true, body: 'hello 0123456789' });
    expect(connection.reusable).toBe(true);
  });

  it('reads a body without framing until the worker closes, and does not reuse that socket', async () => {
    const worker = await rawWorker((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end'));
    const connection = connectionTo(worker.port);
    expect(await exchange(connection)).toMatchObject({ completed: true, body: 'until the end' });
    expect(connection.reusable).toBe(false);
  });

  it('reports a reset during a body without framing as an error, not as its end', async () => {
    const worker = await rawWorker((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n\r\npart');
      setImmediate(() => socket.resetAndDestroy());
    });
    const recorder = await exchange(connectionTo(worker.port));
    expect(recorder.completed).toBe(false);
    expect(recorder.error?.code).toBe('ECONNRESET');
  });

  it('reads no body after HEAD, 204 and 304, whatever their headers say', async () => {
    const worker = await rawWorker((socket, head) => {
      const path = head.split(' ')[1];
      if (path === '/204') socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n');
      else if (path === '/304') socket.write('HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n');
    });
    const connection = connectionTo(worker.port);
    for (const request of [get('/', 'HEAD'), get('/204'), get('/304')]) {
      expect(await exchange(connection, request)).toMatchObject({ completed: true, body: '' });
    }
    expect(worker.sockets).toHaveLength(1);
  });

  it('skips 1xx answers and hands on the final head only', async () => {
    const worker = await rawWorker((socket) =>
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'),
    );
    expect(await exchange(connectionTo(worker.port))).toMatchObject({ status: 201, completed: true, body: 'ok' });
  });

  it.each([
    ['a repeated Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok', 'invalid header from the worker: Duplicate Content-Length'],
    ['a space in a header name', 'HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n', 'invalid header from the worker: Invalid header token'],
    ['a folded header line', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n', 'invalid header from the worker: Invalid header token'],
    ['a bare LF in a value', 'HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\n\r\n', 'invalid header from the worker: Invalid header value char'],
    ['Content-Length beside Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n', 'invalid header from the worker'],
    ['a Content-Length that is no number', 'HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok', 'invalid header from the worker'],
    ['no status line', 'NOT HTTP AT ALL\r\n\r\n', 'invalid response'],
    ['a head over 16 KiB', `HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`, 'invalid header from the worker: Header overflow'],
  ])('refuses %s as a 502 naming what is wrong', async (_what, response, reason) => {
    const worker = await rawWorker((socket) => socket.write(response));
    const connection = connectionTo(worker.port);
    const recorder = await exchange(connection);
    expect(recorder.status).toBe(0);
    expect(classifyFailure(recorder.error, 1000)).toMatchObject({ status: 502, retryable: false });
    expect(classifyFailure(recorder.error, 1000).reason).toContain(reason);
    expect(connection.reusable).toBe(false);
  });

  it('completes a response followed by bytes nobody asked for, then drops that socket (no pipelining)', async () => {
    const worker = await rawWorker((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n'));
    const connection = connectionTo(worker.port);
    expect(await exchange(connection)).toMatchObject({ completed: true, body: 'ok' });
    expect(connection.reusable).toBe(false);
  });

  it.each([
    ['Connection: close', 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'],
    ['HTTP/1.0 without keep-alive', 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'],
    ['a Keep-Alive timeout within the margin', 'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok'],
  ])('does not keep a socket after %s', async (_what, response) => {
    const worker = await rawWorker((socket) => socket.write(response));
    const connection = connectionTo(worker.port);
    expect(await exchange(connection)).toMatchObject({ completed: true, body: 'ok' });
    expect(connection.reusable).toBe(false);
  });

  it('keeps an HTTP/1.0 socket that says keep-alive', async () => {
    const worker = await rawWorker((socket) => socket.write('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok'));
    const connection = connectionTo(worker.port);
    await exchange(connection);
    expect(connection.reusable).toBe(true);
  });

  it.each([
    ['closes it (FIN)', (socket: Socket) => socket.end()],
    ['resets it (RST)', (socket: Socket) => socket.resetAndDestroy()],
  ])('sends a bodiless GET again on a new socket when the worker %s as the request reuses it', async (_what, close) => {
    const worker = await closesAfterOneAnswer(close);
    const connection = connectionTo(worker.port);
    await exchange(connection);
    expect(connection.reusable).toBe(true);
    expect(await exchange(connection)).toMatchObject({ status: 200, completed: true, error: null, body: 'ok' });
    expect(worker.sockets).toHaveLength(2);
  });

  it.each([
    ['a POST', get('/', 'POST')],
    ['a GET with a body', { ...get(), body: new PassThrough() }],
  ])('never sends %s again: a reused socket closed under it is reported, as retryable', async (_what, request) => {
    const worker = await closesAfterOneAnswer((socket) => socket.destroy());
    const connection = connectionTo(worker.port);
    await exchange(connection);
    if (request.body !== null) (request.body as PassThrough).end('x');
    const second = await exchange(connection, request);
    expect(second.completed).toBe(false);
    expect(classifyFailure(second.error, 1000)).toMatchObject({ status: 502, retryable: true });
    expect(worker.sockets).toHaveLength(1);
  });

  it('sends a request again only once, and never after a fresh socket failed it', async () => {
    const worker = await rawWorker((socket, _head, index) => {
      if (index === 0 && worker.sockets.length === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else socket.destroy();
    });
    const connection = connectionTo(worker.port);
    await exchange(connection);
    const second = await exchange(connection);
    expect(classifyFailure(second.error, 1000)).toMatchObject({ status: 502, retryable: true });
    // The reused socket and one new one.
    expect(worker.sockets).toHaveLength(2);
    const fresh = await exchange(connectionTo(worker.port));
    expect(fresh.completed).toBe(false);
    expect(worker.sockets).toHaveLength(3);
  });

  it('times out a worker that stays silent, before and after its head', async () => {
    const silent = await rawWorker(() => {});
    expect((await exchange(connectionTo(silent.port), get('/', 'GET', 300))).error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    const stalled = await rawWorker((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart'));
    const recorder = await exchange(connectionTo(stalled.port), get('/', 'GET', 300));
    expect(recorder).toMatchObject({ status: 200, body: 'part' });
    expect(recorder.error?.code).toBe('UND_ERR_BODY_TIMEOUT');
  });

  it('stops reading the worker while the handler asks for a pause, and goes on when resumed', async () => {
    const size = 8 * 1024 * 1024;
    let workerSocket: Socket | null = null;
    const worker = await rawWorker((socket) => {
      workerSocket = socket;
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      socket.write(Buffer.alloc(size, 'x'));
    });
    const connection = connectionTo(worker.port);
    const recorder = new Recorder();
    recorder.accept = false;
    connection.dispatch(get(), recorder);
    await waitFor(() => recorder.chunks.length > 0, 'the first body bytes');
    // The worker's socket backs up: nothing is read while the pause lasts.
    await waitFor(() => (workerSocket as Socket | null)?.writableNeedDrain === true, 'the worker to be held back');
    const received = recorder.chunks.length;
    expect(received).toBe(1);
    recorder.accept = true;
    (recorder.resume as () => void)();
    await waitFor(() => recorder.done, 'the body to end');
    expect(recorder.completed).toBe(true);
    expect(Buffer.concat(recorder.chunks).length).toBe(size);
  });

  it('closes the socket and reports the reason when aborted mid-body', async () => {
    let closed = false;
    const worker = await rawWorker((socket) => {
      socket.on('close', () => (closed = true));
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart');
    });
    const connection = connectionTo(worker.port);
    const recorder = new Recorder();
    connection.dispatch(get(), recorder);
    await waitFor(() => recorder.chunks.length > 0, 'the first body bytes');
    const reason = Object.assign(new Error('client aborted'), { code: 'SWITCHYARD_CLIENT_ABORTED' });
    (recorder.abort as (error?: Error) => void)(reason);
    expect(recorder.error).toBe(reason);
    await waitFor(() => closed, 'the worker to see the socket close');
  });

  it('sends a body without length as chunks, and one with a Content-Length as is', async () => {
    const uploads: { headers: string[]; body: string }[] = [];
    const upstream = await startUpstream((req, res) => {
      let body = '';
      req.setEncoding('latin1');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        uploads.push({ headers: req.rawHeaders, body });
        res.end();
      });
    });
    const connection = connectionTo(upstream.port);
    for (const headers of [['x-a', '1'], ['content-length', '5']]) {
      const body = new PassThrough();
      const recorder = new Recorder();
      connection.dispatch({ method: 'POST', path: '/up', headers, body, timeout: 0 }, recorder);
      body.write('hel');
      body.end('lo');
      await waitFor(() => recorder.done, 'the upload to be answered');
      expect(recorder).toMatchObject({ completed: true, sent: true });
    }
    expect(uploads).toEqual([
      { headers: ['x-a', '1', 'host', `127.0.0.1:${upstream.port}`, 'transfer-encoding', 'chunked', 'connection', 'keep-alive'], body: 'hello' },
      { headers: ['content-length', '5', 'host', `127.0.0.1:${upstream.port}`, 'connection', 'keep-alive'], body: 'hello' },
    ]);
    expect(connection.reusable).toBe(true);
  });
  it('does not reuse a socket whose upload was cut short by an early answer', async () => {
    const worker = await rawWorker((socket) => socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n'));
    const connection = connectionTo(worker.port);
    const body = new PassThrough();
    body.write('the first part of a long upload');
    const recorder = new Recorder();
    connection.dispatch({ method: 'POST', path: '/up', headers: [], body, timeout: 0 }, recorder);
    await waitFor(() => recorder.done, 'the early answer');
    expect(recorder).toMatchObject({ status: 413, completed: true, sent: false });
    expect(connection.reusable).toBe(false);
  });
});

describe('response head and chunked body', () => {
  it('reads the framing and the Keep-Alive hint', () => {
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 3', false)).toMatchObject({
      status: 200,
      statusText: 'OK',
      framing: 'length',
      length: 3,
      keepAlive: true,
      keepAliveHintMs: 5000,
    });
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked', false)).toMatchObject({ framing: 'chunked', keepAlive: true });
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip', false)).toMatchObject({ framing: 'until-close', keepAlive: false });
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 3', true)).toMatchObject({ framing: 'none', keepAlive: true });
  });

  it('refuses a chunk size that is not hex and a chunk without its CRLF', () => {
    expect(() => new ChunkedBody().read(Buffer.from('zz\r\n'), 0)).toThrow(/chunk size/);
    const body = new ChunkedBody();
    expect(() => {
      let at = body.read(Buffer.from('2\r\nokX\r\n'), 0);
      while (at < 8) at = body.read(Buffer.from('2\r\nokX\r\n'), at);
    }).toThrow(/CRLF/);
  });
});
