// Requests the proxy refuses before routing, as RFC 9112 asks of a server, and the request forms it
// must understand: a repeated or invalid Host, a request line without a version, absolute-form
// targets, CONNECT, and Upgrade headers other than WebSocket's.

import { describe, expect, it } from 'vitest';
import { accessFor, cleanUpAfterEach, proxyTo, rawConnection, send, startUpstream } from './helpers.ts';
import { waitFor } from '../helpers/wait.ts';

cleanUpAfterEach();

/** Sends raw bytes on a fresh connection and waits for the proxy to close it; returns what came back. */
async function exchange(port: number, request: string): Promise<string> {
  const connection = await rawConnection(port);
  connection.socket.write(request);
  await waitFor(() => connection.closed(), 'the proxy to close the connection');
  return connection.received();
}

describe('Host', () => {
  it('refuses a request with two Host headers with 400, before any worker sees it', async () => {
    const upstream = await startUpstream();
    const running = await proxyTo([upstream.port]);
    const text = await exchange(running.port, 'GET /twice HTTP/1.1\r\nHost: a.localhost\r\nHost: b.localhost\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('400 Bad Request: the request has 2 Host headers; send exactly one');
    expect(upstream.requests).toEqual([]);
    expect(await accessFor(running, '/twice')).toMatchObject({ status: 400, error: 'the request has 2 Host headers; send exactly one', worker: null });
  });

  it('refuses an invalid Host, and an HTTP/1.1 request without one, with 400', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyTo([upstream.port]);
    expect(await exchange(port, 'GET / HTTP/1.1\r\nHost: a b/c\r\n\r\n')).toContain("400 Bad Request: the Host header 'a b/c' is not a host name or address with an optional :port");
    expect(await exchange(port, 'GET / HTTP/1.1\r\n\r\n')).toContain('400 Bad Request: an HTTP/1.1 request needs a Host header');
    expect(upstream.requests).toEqual([]);
    // HTTP/1.0 has no Host requirement, and IPv6 literals with ports are valid hosts.
    expect(await exchange(port, 'GET /old HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(await exchange(port, 'GET /v6 HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK/);
  });
});

describe('the request line', () => {
  it('refuses a request line without a version with 400 instead of forwarding it', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyTo([upstream.port]);
    const text = await exchange(port, 'GET /\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('the request line has no HTTP version');
    expect(upstream.requests).toEqual([]);
  });

  it('routes an absolute-form request by its authority and forwards it in origin-form', async () => {
    const upstream = await startUpstream((req, res) => res.end(`${req.url} for ${req.headers.host}`));
    const running = await proxyTo([upstream.port]);
    const text = await exchange(running.port, 'GET http://shop.localhost:8080/cart?item=1 HTTP/1.1\r\nHost: ignored.localhost\r\nConnection: close\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('/cart?item=1 for shop.localhost:8080');
    expect(upstream.requests[0]!.headers['x-forwarded-host']).toBe('shop.localhost:8080');
  });

  it('refuses a target that is neither a path nor an http URL with 400', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyTo([upstream.port]);
    expect(await exchange(port, 'GET ftp://files/x HTTP/1.1\r\nHost: t\r\n\r\n')).toContain("400 Bad Request: the request target 'ftp://files/x' is neither a path like /index.html nor an http:// URL");
    expect(upstream.requests).toEqual([]);
  });

  it('answers CONNECT with 405 and the methods to use', async () => {
    const upstream = await startUpstream();
    const running = await proxyTo([upstream.port]);
    const text = await exchange(running.port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(text).toMatch(/\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n/);
    expect(text).toContain('CONNECT is not supported');
    expect(await accessFor(running, '127.0.0.1:22')).toMatchObject({ method: 'CONNECT', status: 405 });
  });
});

describe('Upgrade', () => {
  it('handles an Upgrade other than websocket as an ordinary request: routed, logged, Upgrade stripped', async () => {
    const upstream = await startUpstream((req, res) => res.end(`plain answer to ${req.url}`));
    const running = await proxyTo([upstream.port]);
    const text = await exchange(
      running.port,
      'GET /h2c HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
    );
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('plain answer to /h2c');
    const headers = upstream.requests[0]!.headers;
    expect(headers.upgrade).toBeUndefined();
    expect(headers['http2-settings']).toBeUndefined();
    expect(await accessFor(running, '/h2c')).toMatchObject({ status: 200, worker: 'api-1', route: '/' });
  });
});

describe('the proxy’s own pages', () => {
  it('carry X-Content-Type-Options: nosniff', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyTo([upstream.port]);
    const reply = await send(port, '/', { headers: { host: 'a b' } });
    expect(reply.status).toBe(400);
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(await exchange(port, 'NOT HTTP\r\n\r\n')).toMatch(/\r\nx-content-type-options: nosniff\r\n/);
  });
});
