import { describe, expect, it } from 'vitest';
import net from 'node:net';
import http from 'node:http';
import { accessFor, cleanUpAfterEach, onCleanup, proxyTo, refusedPort, send, startUpstream } from './helpers.ts';

cleanUpAfterEach();

/** Reads a whole response through a raw socket, so a broken body shows as such instead of being hidden. */
function rawGet(port: number, path: string): Promise<{ text: string; error: string | null; ended: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let error: string | null = null;
    let ended = false;
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('end', () => (ended = true));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => resolve({ text, error, ended }));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
  });
}

describe('upstream failures', () => {
  it('answers 502 naming the route and worker when the connection is refused', async () => {
    const dead = await refusedPort();
    const running = await proxyTo([dead]);
    const reply = await send(running.port, '/a');
    expect(reply.status).toBe(502);
    expect(reply.body).toBe(`502 Bad Gateway: route / → api-1 (127.0.0.1:${dead}): connection refused\n`);
    expect(await accessFor(running, '/a')).toMatchObject({ status: 502, error: 'connection refused', attempts: 1, worker: null });
  });

  it('answers 502 when the worker resets the connection before answering', async () => {
    const upstream = await startUpstream((req) => req.socket.destroy());
    const running = await proxyTo([upstream.port]);
    const reply = await send(running.port, '/reset');
    expect(reply.status).toBe(502);
    expect(reply.body).toMatch(new RegExp(`^502 Bad Gateway: route / → api-1 \\(127\\.0\\.0\\.1:${upstream.port}\\): connection (reset|closed) before the response\\n$`));
  });

  it('answers 502 for a response the proxy cannot parse', async () => {
    const garbage = net.createServer((socket) => socket.end('NOT HTTP AT ALL\r\n\r\n'));
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    const port = (garbage.address() as net.AddressInfo).port;
    try {
      const running = await proxyTo([port]);
      const reply = await send(running.port, '/garbage');
      expect(reply.status).toBe(502);
      expect(reply.body).toContain('invalid response');
    } finally {
      garbage.close();
    }
  });

  it('answers 504 after the route timeout when no response comes', async () => {
    const upstream = await startUpstream(() => {});
    const running = await proxyTo([upstream.port], 'round-robin', { timeout: 200 });
    const started = Date.now();
    const reply = await send(running.port, '/slow');
    const took = Date.now() - started;
    expect(reply.status).toBe(504);
    // The route's own timeout, not a default one: the answer names it, and it never comes early.
    expect(reply.body).toBe(`504 Gateway Timeout: route / → api-1 (127.0.0.1:${upstream.port}): no response within 200ms\n`);
    expect(took).toBeGreaterThanOrEqual(190);
    expect(await accessFor(running, '/slow')).toMatchObject({ status: 504, error: 'no response within 200ms', worker: 'api-1' });
  });

  it('times out between two reads, not over the whole response', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200);
      let sent = 0;
      const timer = setInterval(() => {
        res.write(`chunk${sent} `);
        if (++sent === 5) {
          clearInterval(timer);
          res.end();
        }
      }, 100);
    });
    const running = await proxyTo([upstream.port], 'round-robin', { timeout: 300 });
    const reply = await send(running.port, '/steady');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('chunk0 chunk1 chunk2 chunk3 chunk4 ');
  });

  it('does not count a slow upload against the read timeout', async () => {
    const upstream = await startUpstream((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => res.end(`got ${body.length}`));
    });
    const running = await proxyTo([upstream.port], 'round-robin', { timeout: 200 });
    const reply = await new Promise<string>((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port: running.port, method: 'POST', path: '/upload', agent: false, headers: { 'content-length': '6' } }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(`${response.statusCode} ${body}`));
      });
      request.on('error', reject);
      // The upload takes three times the timeout; only time spent waiting on the worker counts.
      request.write('ab');
      setTimeout(() => request.write('cd'), 300);
      setTimeout(() => request.end('ef'), 600);
    });
    expect(reply).toBe('200 got 6');
  });

  it('cuts the client connection when the worker stalls mid-body past the timeout', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part of it');
    });
    const running = await proxyTo([upstream.port], 'round-robin', { timeout: 200 });
    const result = await rawGet(running.port, '/stall');
    expect(result.text).toContain('only part of it');
    // Fewer bytes than Content-Length and a closed connection: the client knows the body is broken.
    expect(result.text.split('\r\n\r\n')[1]).toBe('only part of it');
    expect(await accessFor(running, '/stall')).toMatchObject({ status: 200, error: 'upstream failed mid-response: stalled past the read timeout' });
  });

  it('aborts a chunked response when the worker resets mid-body, without a clean end', async () => {
    const upstream = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part');
      setTimeout(() => req.socket.resetAndDestroy(), 50);
    });
    const running = await proxyTo([upstream.port]);
    const result = await rawGet(running.port, '/cut');
    expect(result.text).toContain('first part');
    // A clean end of a chunked body is the zero-length chunk; it must not be there.
    expect(result.text).not.toContain('\r\n0\r\n\r\n');
    const outcome = await new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port: running.port, path: '/cut', agent: false }, (response) => {
        response.on('data', () => {});
        response.on('end', () => resolve('clean end'));
        response.on('error', (error) => resolve(`error: ${error.message}`));
      });
    });
    expect(outcome).toMatch(/^error: /);
    expect(await accessFor(running, '/cut')).toMatchObject({ status: 200, error: 'upstream failed mid-response: connection reset' });
  });
});

describe('client errors', () => {
  it('answers a malformed request line with 400 and keeps serving', async () => {
    const upstream = await startUpstream();
    const running = await proxyTo([upstream.port]);
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(running.port, '127.0.0.1', () => socket.write('THIS IS NOT HTTP\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', () => {});
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('400 Bad Request: the proxy could not read this request');
    expect((await send(running.port, '/after')).status).toBe(200);
  });

  it('survives clients that reset their connection mid-request and mid-response', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200);
      res.write('x'.repeat(1024));
      setTimeout(() => res.end('done'), 50);
    });
    const running = await proxyTo([upstream.port]);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(running.port, '127.0.0.1', () => {
          // Half a request, then a reset.
          socket.write(i % 2 === 0 ? 'POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc' : 'GET /read HTTP/1.1\r\nHost: t\r\n\r\n');
          setTimeout(() => {
            socket.resetAndDestroy();
            resolve();
          }, 20);
        });
        socket.on('error', () => {});
      });
    }
    expect((await send(running.port, '/after')).status).toBe(200);
  });
});

/** A worker that writes `response` raw to each connection, then does `then` to the socket. */
async function rawWorker(response: string, then: (socket: net.Socket) => void = (socket) => socket.end()): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.write(response);
      then(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

describe('bodies without length framing', () => {
  it('aborts the client’s response when the worker resets a body that runs until close', async () => {
    const port = await rawWorker(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n${'x'.repeat(500)}`, (socket) => setTimeout(() => socket.resetAndDestroy(), 50));
    const running = await proxyTo([port]);
    const result = await rawGet(running.port, '/reset-unframed');
    expect(result.text).toContain('x'.repeat(500));
    // No zero-length chunk: the client sees a broken body, as it would directly from the worker.
    expect(result.text).not.toContain('\r\n0\r\n\r\n');
    expect(await accessFor(running, '/reset-unframed')).toMatchObject({ status: 200, error: 'upstream failed mid-response: connection reset' });
  });

  it('still ends a body that runs until a clean close as a whole one', async () => {
    const port = await rawWorker(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n${'y'.repeat(500)}`);
    const running = await proxyTo([port]);
    const reply = await send(running.port, '/closed-unframed');
    expect(reply).toMatchObject({ status: 200, body: 'y'.repeat(500) });
    expect(await accessFor(running, '/closed-unframed')).toMatchObject({ status: 200, error: null });
  });
});

describe('invalid headers from the worker', () => {
  it('names the invalid header, not the body length, when one follows a Content-Length', async () => {
    const repeated = await rawWorker('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok');
    const broken = await rawWorker('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header: x\r\n\r\nok');
    for (const port of [repeated, broken]) {
      const reply = await send((await proxyTo([port])).port, '/bad-head');
      expect(reply.status).toBe(502);
      expect(reply.body).toContain('invalid header from the worker');
      expect(reply.body).not.toMatch(/body length/i);
    }
  });

  it('names the invalid header when the parser says which one', async () => {
    const port = await rawWorker('HTTP/1.1 200 OK\r\nX-Fine: yes\r\nBad Header: x\r\n\r\n');
    const reply = await send((await proxyTo([port])).port, '/bad-token');
    expect(reply.status).toBe(502);
    expect(reply.body).toMatch(/: invalid header from the worker: Invalid header token\n$/);
  });
});
