import { describe, expect, it } from 'vitest';
import net from 'node:net';
import http from 'node:http';
import { accessFor, cleanUpAfterEach, proxyTo, refusedPort, send, startUpstream } from './helpers.ts';

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
