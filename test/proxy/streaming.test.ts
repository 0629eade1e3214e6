import { describe, expect, it } from 'vitest';
import http from 'node:http';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { waitFor } from '../helpers/wait.ts';
import { accessFor, cleanUpAfterEach, onCleanup, proxyTo, startUpstream } from './helpers.ts';

cleanUpAfterEach();

/** Opens a GET through the proxy and hands back the live response (not read to the end). */
function open(port: number, path: string): Promise<{ request: http.ClientRequest; response: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent: false }, (response) => resolve({ request, response }));
    request.on('error', reject);
    onCleanup(() => void request.destroy());
  });
}

describe('streamed responses', () => {
  it('flushes server-sent events to the client as soon as the worker writes them', async () => {
    let stream: ServerResponse | null = null;
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      stream = res;
    });
    const { port } = await proxyTo([upstream.port]);
    // Headers come through before any event: the proxy does not wait for a body to send them.
    const { response } = await open(port, '/events');
    expect(response.headers['content-type']).toBe('text/event-stream');
    // Each event arrives while the worker writes nothing more and keeps the response open: nothing
    // waits for more data or the end to pass it on.
    let received = '';
    response.on('data', (chunk: Buffer) => (received += chunk.toString()));
    for (let i = 0; i < 3; i++) {
      stream!.write(`data: event ${i}\n\n`);
      await waitFor(() => received.endsWith(`data: event ${i}\n\n`), `event ${i} at the client`);
    }
    expect(received).toBe('data: event 0\n\ndata: event 1\n\ndata: event 2\n\n');
    expect(stream!.writableEnded).toBe(false);
  });

  it('tells the worker when the client goes away', async () => {
    let closed = false;
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: hello\n\n');
      res.on('close', () => (closed = true));
    });
    const running = await proxyTo([upstream.port]);
    const { response } = await open(running.port, '/watch');
    await new Promise((resolve) => response.once('data', resolve));
    response.socket.destroy();
    // The worker writes nothing more, so only the proxy passing the abort on can close its response.
    await waitFor(() => closed, 'the worker to see its response close');
    expect(await accessFor(running, '/watch')).toMatchObject({ status: 200, error: 'client aborted' });
  });

  it('tells the worker when the client leaves before the response headers', async () => {
    let closed = false;
    const upstream = await startUpstream((_req, res) => res.on('close', () => (closed = true)));
    const running = await proxyTo([upstream.port]);
    const request = http.get({ host: '127.0.0.1', port: running.port, path: '/pending', agent: false });
    request.on('error', () => {});
    await waitFor(() => upstream.requests.length === 1, 'the request to reach the worker');
    request.destroy();
    await waitFor(() => closed, 'the worker to see its response close');
    expect(await accessFor(running, '/pending')).toMatchObject({ status: 0, error: 'client aborted', worker: 'api-1' });
  });

  it('stops reading the worker while the client does not read (bounded memory)', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const limit = 256 * 1024 * 1024;
    let written = 0;
    let blockedSince = 0;
    let finished = false;
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = () => {
        while (written < limit) {
          written += chunk.length;
          if (!res.write(chunk)) {
            blockedSince = performance.now();
            res.once('drain', () => {
              blockedSince = 0;
              pump();
            });
            return;
          }
        }
        res.end();
        finished = true;
      };
      pump();
    });
    const { port } = await proxyTo([upstream.port]);
    const { response } = await open(port, '/big');
    response.pause();
    // The worker's writes stall and stay stalled while the client does not read: its count stops
    // changing (a busy machine only makes that take longer), far short of the end.
    let seen = -1;
    let unchangedSince = 0;
    await waitFor(() => {
      if (written !== seen) {
        seen = written;
        unchangedSince = performance.now();
        return false;
      }
      return blockedSince > 0 && performance.now() - unchangedSince > 500;
    }, 'the worker to be held back', { timeout: 20_000 });
    expect(finished).toBe(false);
    // Socket buffers on the way hold a few megabytes at most, far from the 256 MB on offer.
    expect(written).toBeLessThan(32 * 1024 * 1024);

    // Reading again lets the rest through.
    let received = 0;
    response.on('data', (data: Buffer) => (received += data.length));
    response.resume();
    await new Promise((resolve) => response.once('end', resolve));
    expect(received).toBe(limit);
  });
});
