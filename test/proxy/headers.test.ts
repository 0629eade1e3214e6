import { describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { cleanUpAfterEach, proxyTo, refusedPort, send, startUpstream } from './helpers.ts';

cleanUpAfterEach();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Sends raw request bytes and returns the raw response text (the connection closes after it). */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('hop-by-hop headers', () => {
  it('strips hop-by-hop request headers before the worker sees them', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyTo([upstream.port]);
    await rawExchange(
      port,
      'GET /h HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n' +
        'Trailer: X-Sum\r\nUpgrade: h2c\r\nX-Kept: yes\r\n\r\n',
    );
    const names = upstream.requests[0]!.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    for (const hop of ['keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']) expect(names).not.toContain(hop);
    // The proxy's own connection header (keep-alive to the pool) is all that remains of Connection.
    expect(upstream.requests[0]!.headers.connection).toBe('keep-alive');
    expect(upstream.requests[0]!.headers['x-kept']).toBe('yes');
  });

  it('strips a request header named in Connection', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyTo([upstream.port]);
    await send(port, '/c', { headers: { connection: 'keep-alive, X-Secret, x-other', 'x-secret': 'token', 'X-Other': '1', 'x-public': 'p' } });
    const headers = upstream.requests[0]!.headers;
    expect(headers['x-secret']).toBeUndefined();
    expect(headers['x-other']).toBeUndefined();
    expect(headers['x-public']).toBe('p');
  });

  it('strips hop-by-hop response headers, including those named in Connection', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { Connection: 'X-Internal', 'X-Internal': 'debug', 'Keep-Alive': 'timeout=99', Trailer: 'X-Sum', 'X-Visible': 'v' });
      res.end('body');
    });
    const { port } = await proxyTo([upstream.port]);
    const reply = await send(port, '/r');
    expect(reply.body).toBe('body');
    expect(reply.headers['x-internal']).toBeUndefined();
    expect(reply.headers.trailer).toBeUndefined();
    expect(reply.headers['keep-alive']).not.toBe('timeout=99');
    expect(reply.headers['x-visible']).toBe('v');
  });
});

describe('forwarding headers', () => {
  it('appends the client address to X-Forwarded-For and sets X-Forwarded-Proto and -Host; Host passes through', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyTo([upstream.port]);
    await send(port, '/f', { headers: { host: 'shop.localhost:8080', 'x-forwarded-for': '10.1.2.3', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'spoofed' } });
    const headers = upstream.requests[0]!.headers;
    expect(headers['x-forwarded-for']).toBe('10.1.2.3, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe('shop.localhost:8080');
    expect(headers.host).toBe('shop.localhost:8080');
  });

  it('sets X-Forwarded-For to the client address when there was none', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyTo([upstream.port]);
    await send(port, '/f', { localAddress: '127.0.0.7' });
    expect(upstream.requests[0]!.headers['x-forwarded-for']).toBe('127.0.0.7');
  });
});

describe('Expect: 100-continue', () => {
  it('answers it itself and forwards the body without the header', async () => {
    const upstream = await startUpstream((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => res.end(`got ${body}`));
    });
    const { port } = await proxyTo([upstream.port]);
    const reply = await new Promise<string>((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/upload', agent: false, headers: { expect: '100-continue', 'content-length': '4' } }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(body));
      });
      // The body goes only after the proxy said to continue.
      request.on('continue', () => request.end('data'));
      request.on('error', reject);
    });
    expect(reply).toBe('got data');
    expect(upstream.requests[0]!.headers.expect).toBeUndefined();
  });
});

describe('X-Request-Id', () => {
  it('generates one when absent, sends it to the worker and returns it to the client', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyTo([upstream.port]);
    const reply = await send(port, '/id');
    const id = reply.headers['x-request-id'];
    expect(id).toMatch(UUID);
    expect(upstream.requests[0]!.headers['x-request-id']).toBe(id);
  });

  it('keeps a sane incoming id and replaces one that is too long or has spaces', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyTo([upstream.port]);
    expect((await send(port, '/a', { headers: { 'x-request-id': 'trace-abc.123' } })).headers['x-request-id']).toBe('trace-abc.123');
    const long = await send(port, '/b', { headers: { 'x-request-id': 'x'.repeat(201) } });
    expect(long.headers['x-request-id']).toMatch(UUID);
    const spaced = await send(port, '/c', { headers: { 'x-request-id': 'two words' } });
    expect(spaced.headers['x-request-id']).toMatch(UUID);
    expect(upstream.requests.map((r) => r.headers['x-request-id'])).toEqual(['trace-abc.123', long.headers['x-request-id'], spaced.headers['x-request-id']]);
  });

  it('does not add a second id when the worker returns its own', async () => {
    const upstream = await startUpstream((req, res) => {
      res.setHeader('X-Request-Id', `${req.headers['x-request-id']}-seen`);
      res.end();
    });
    const { port } = await proxyTo([upstream.port]);
    const text = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: t\r\nX-Request-Id: abc\r\nConnection: close\r\n\r\n');
    expect(text.match(/x-request-id/gi)).toHaveLength(1);
    expect(text).toContain('X-Request-Id: abc-seen');
  });

  it('carries the id on the proxy’s own error pages', async () => {
    const { port } = await proxyTo([await refusedPort()]);
    const reply = await send(port, '/', { headers: { 'x-request-id': 'err-1' } });
    expect(reply.status).toBe(502);
    expect(reply.headers['x-request-id']).toBe('err-1');
  });
});
