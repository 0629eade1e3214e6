// The static server process itself: its settings, its start line, how it survives bad clients and
// how it stops.

import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { createFixtureSite, get, rawExchange, spawnStatic, startStaticProcess, type FixtureSite, type StaticProcess } from './static-fixture.ts';

let site: FixtureSite;
const started: StaticProcess[] = [];

async function start(env: Record<string, string> = {}): Promise<StaticProcess> {
  const server = await startStaticProcess({ SWITCHYARD_STATIC_ROOT: site.root, SWITCHYARD_STATIC_SPA: '0', ...env });
  started.push(server);
  return server;
}

beforeAll(() => {
  site = createFixtureSite();
});

afterAll(async () => {
  await Promise.all(started.map((server) => server.kill()));
  site?.remove();
});

describe('settings', () => {
  const invalid: [string, Record<string, string | undefined>, RegExp][] = [
    ['PORT missing', { PORT: undefined }, /PORT is not set/],
    ['PORT not a number', { PORT: 'eighty' }, /PORT must be an integer/],
    ['PORT out of range', { PORT: '70000' }, /PORT must be an integer/],
    ['root missing', { SWITCHYARD_STATIC_ROOT: undefined }, /SWITCHYARD_STATIC_ROOT is not set/],
    ['root relative', { SWITCHYARD_STATIC_ROOT: 'site' }, /SWITCHYARD_STATIC_ROOT must be an absolute path/],
    ['root absent', { SWITCHYARD_STATIC_ROOT: '/nonexistent/switchyard/site' }, /SWITCHYARD_STATIC_ROOT .* does not exist/],
    ['root a file', { SWITCHYARD_STATIC_ROOT: '<plain.txt>' }, /SWITCHYARD_STATIC_ROOT .* is not a folder/],
    ['SPA not 0 or 1', { SWITCHYARD_STATIC_SPA: 'yes' }, /SWITCHYARD_STATIC_SPA must be 1 or 0/],
    ['host not an address', { SWITCHYARD_STATIC_HOST: 'example.com' }, /SWITCHYARD_STATIC_HOST must be an IP address/],
  ];

  it.each(invalid)('exits 2 with one line naming the variable: %s', async (_, overrides, message) => {
    const env: Record<string, string> = { PORT: '0', SWITCHYARD_STATIC_ROOT: site.root, SWITCHYARD_STATIC_SPA: '1' };
    for (const [key, value] of Object.entries(overrides)) {
      if (value === undefined) delete env[key];
      else env[key] = value === '<plain.txt>' ? path.join(site.root, 'plain.txt') : value;
    }
    const child = spawnStatic(env);
    const { code } = await child.exited;
    expect(code).toBe(2);
    expect(child.stderr()).toMatch(message);
    expect(child.stderr().trim().split('\n')).toHaveLength(1);
  });

  it('prints where it serves and answers there, with a 5 s keep-alive', async () => {
    const server = await start();
    expect(server.stdout()).toBe(`serving ${site.root} on http://127.0.0.1:${server.port}\n`);
    const answer = await rawExchange(server.port, 'GET /plain.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /plain.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(answer.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(answer).toContain('Keep-Alive: timeout=5');
  });

  it('serves an SPA fallback only when SWITCHYARD_STATIC_SPA is 1', async () => {
    const spa = await start({ SWITCHYARD_STATIC_SPA: '1' });
    expect((await get(spa.port, '/settings', { accept: 'text/html' })).status).toBe(200);
    const plain = await start({ SWITCHYARD_STATIC_SPA: '0' });
    expect((await get(plain.port, '/settings', { accept: 'text/html' })).status).toBe(404);
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as net.AddressInfo;
      const child = spawnStatic({ PORT: String(port), SWITCHYARD_STATIC_ROOT: site.root });
      expect((await child.exited).code).toBe(1);
      expect(child.stderr()).toContain(`cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      blocker.close();
    }
  });
});

describe('bad clients', () => {
  it('answers garbage and oversized headers with an error and keeps serving', async () => {
    const server = await start();
    expect(await rawExchange(server.port, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    const huge = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    expect(await rawExchange(server.port, huge)).toMatch(/^HTTP\/1\.1 431 /);
    // A client that disconnects in the middle of a large download.
    await new Promise<void>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: server.port }, () => socket.write('GET /assets/large.js HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.once('data', () => {
        socket.destroy();
        resolve();
      });
    });
    expect((await get(server.port, '/plain.txt')).status).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });
});

describe('stopping', () => {
  it('on SIGTERM, stops accepting, finishes an in-flight download, then exits 0', async () => {
    const large = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < large.length; i += 4096) large.writeUInt32LE(i, i);
    site.write('big.bin', large);
    const server = await start();

    let received = 0;
    const hash = createHash('sha256');
    // Keep-alive, so that the connection would linger after the download unless the server closes it.
    const agent = new http.Agent({ keepAlive: true });
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/big.bin', agent }, resolve).once('error', reject);
    });
    // Stalled by the client, so the response (far larger than the socket buffers) is still being written when the signal comes.
    response.pause();
    server.child.kill('SIGTERM');
    await waitFor(() => server.stdout().includes('SIGTERM'), 'the server to acknowledge SIGTERM');
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: server.port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    expect(server.child.exitCode).toBeNull();

    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
      hash.update(chunk);
    });
    response.resume();
    await new Promise((resolve) => response.once('end', resolve));
    expect(received).toBe(large.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(large).digest('hex'));
    const exit = await server.exited;
    agent.destroy();
    expect(exit).toEqual({ code: 0, signal: null });
    // It closed the kept-alive connection itself rather than wait out the drain deadline.
    expect(server.stderr()).not.toMatch(/still in flight/);
  });

  it('on SIGTERM with only idle keep-alive connections, exits at once', async () => {
    const server = await start();
    const agent = new http.Agent({ keepAlive: true });
    try {
      const reply = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: server.port, path: '/plain.txt', agent }, (response) => {
          response.resume();
          response.once('end', () => resolve(response.statusCode ?? 0));
        }).once('error', reject);
      });
      expect(reply).toBe(200);
      server.child.kill('SIGTERM');
      const exit = await server.exited;
      expect(exit.code).toBe(0);
      expect(server.stderr()).not.toMatch(/still in flight/);
    } finally {
      agent.destroy();
    }
  });
});
