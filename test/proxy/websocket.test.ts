import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { waitFor } from '../helpers/wait.ts';
import { accessFor, cleanUpAfterEach, onCleanup, proxyTo, refusedPort, send, startUpstream } from './helpers.ts';

cleanUpAfterEach();

/** A WebSocket echo server on 127.0.0.1 (on an HTTP server that answers plain requests too). */
async function echoServer() {
  const upstream = await startUpstream((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server: upstream.server });
  const sockets: WebSocket[] = [];
  const handshakes: Record<string, string | string[] | undefined>[] = [];
  wss.on('connection', (socket, request) => {
    sockets.push(socket);
    handshakes.push(request.headers);
    // The garbage test sends invalid frames on purpose; the worker drops those connections.
    socket.on('error', () => socket.terminate());
    socket.on('message', (data, binary) => socket.send(binary ? data : `echo: ${data.toString()}`));
  });
  onCleanup(() => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  return { port: upstream.port, sockets, handshakes };
}

/** A WebSocket client through the proxy; resolves once open. */
function connect(port: number, path = '/ws'): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    client.once('open', () => resolve(client));
    client.once('error', reject);
    onCleanup(() => client.terminate());
  });
}

function nextMessage(client: WebSocket): Promise<string> {
  return new Promise((resolve) => client.once('message', (data) => resolve(data.toString())));
}

describe('WebSocket', () => {
  it('proxies the upgrade and carries messages both ways, with the forwarding headers', async () => {
    const upstream = await echoServer();
    const running = await proxyTo([upstream.port]);
    const client = await connect(running.port);
    client.send('hi');
    expect(await nextMessage(client)).toBe('echo: hi');
    upstream.sockets[0]!.send('pushed');
    expect(await nextMessage(client)).toBe('pushed');
    expect(upstream.handshakes[0]!['x-forwarded-for']).toBe('127.0.0.1');
    expect(upstream.handshakes[0]!['x-request-id']).toBeTruthy();
    client.close();
    expect(await accessFor(running, '/ws')).toMatchObject({ status: 101, worker: 'api-1', attempts: 1, error: null });
  });

  it('relays any answer but 101 as it is and opens no tunnel', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('no websockets for you');
    });
    // A plain HTTP server ignores Upgrade unless it listens for it; this one refuses.
    upstream.server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 21\r\n\r\nno websockets for you'));
    const running = await proxyTo([upstream.port]);
    const answer = await new Promise<{ status: number; body: string }>((resolve) => {
      const client = new WebSocket(`ws://127.0.0.1:${running.port}/ws`);
      client.on('error', () => {});
      client.on('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
    });
    expect(answer).toEqual({ status: 403, body: 'no websockets for you' });
    expect(await accessFor(running, '/ws')).toMatchObject({ status: 403, worker: 'api-1' });
  });

  it('closes the client side when the worker side goes away', async () => {
    const upstream = await echoServer();
    const { port } = await proxyTo([upstream.port]);
    const client = await connect(port);
    const closed = new Promise((resolve) => client.once('close', resolve));
    upstream.sockets[0]!.terminate();
    await closed;
  });

  it('closes the worker side when the client goes away', async () => {
    const upstream = await echoServer();
    const { port } = await proxyTo([upstream.port]);
    const client = await connect(port);
    await waitFor(() => upstream.sockets.length === 1, 'the worker to accept');
    const closed = new Promise((resolve) => upstream.sockets[0]!.once('close', resolve));
    client.terminate();
    await closed;
  });

  it('answers 502 when the worker refuses, trying the next one first', async () => {
    const upstream = await echoServer();
    const dead = await refusedPort();
    const running = await proxyTo([dead, upstream.port]);
    const client = await connect(running.port, '/retry');
    client.send('through');
    expect(await nextMessage(client)).toBe('echo: through');
    client.close();
    expect(await accessFor(running, '/retry')).toMatchObject({ status: 101, attempts: 2 });

    const alone = await proxyTo([await refusedPort()]);
    const status = await new Promise<number>((resolve) => {
      const failing = new WebSocket(`ws://127.0.0.1:${alone.port}/ws`);
      failing.on('error', () => {});
      failing.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    });
    expect(status).toBe(502);
  });

  it('survives garbage and resets on an upgraded connection, and keeps serving', async () => {
    const upstream = await echoServer();
    const { port } = await proxyTo([upstream.port]);
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(`GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
        });
        socket.on('error', () => {});
        socket.once('data', () => {
          // Not a WebSocket frame: the worker's ws library fails the connection; then reset ours.
          socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01]));
          setTimeout(() => {
            socket.resetAndDestroy();
            resolve();
          }, 20);
        });
      });
    }
    const client = await connect(port);
    client.send('still here');
    expect(await nextMessage(client)).toBe('echo: still here');
    expect((await send(port, '/plain')).body).toBe('plain');
    // The reset tunnels are all gone on the worker side too.
    await waitFor(() => upstream.sockets.filter((s) => s.readyState === WebSocket.OPEN).length === 1, 'the broken tunnels to close');
  });

  it('keeps an open tunnel through a drain until the grace ends, then closes it and counts it', async () => {
    const upstream = await echoServer();
    const running = await proxyTo([upstream.port]);
    const client = await connect(running.port);
    const closed = new Promise((resolve) => client.once('close', resolve));
    const drained = running.proxy.drain(300);
    // Still carrying messages while the drain waits.
    client.send('during');
    expect(await nextMessage(client)).toBe('echo: during');
    expect(await drained).toBe(1);
    await closed;
  });
});
