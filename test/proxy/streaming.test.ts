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
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const arrived = new Promise<number>((resolve) => response.once('data', () => resolve(performance.now())));
      const written = performance.now();
      stream!.write(`data: event ${i}\n\n`);
      delays.push((await arrived) - written);
    }
    for (const delay of delays) expect(delay).toBeLessThan(50);
  });

  it('tells the worker within 100 ms when the client goes away', async () => {
    let closedAt = 0;
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: hello\n\n');
      res.on('close', () => (closedAt = performance.now()));
    });
    const running = await proxyTo([upstream.port]);
    const { response } = await open(running.port, '/watch');
    await new Promise((resolve) => response.once('data', resolve));
    const destroyedAt = performance.now();
    response.socket.destroy();
    await waitFor(() => closedAt > 0, 'the worker to see its response close', { timeout: 2000, interval: 5 });
    expect(closedAt - destroyedAt).toBeLessThan(100);
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
    await waitFor(() => closed, 'the worker to see its response close', { timeout: 2000 });
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
    // The worker's writes stall and stay stalled while the client does not read.
    await waitFor(() => blockedSince > 0 && performance.now() - blockedSince > 300, 'the worker to be held back', { timeout: 10_000 });
    const stalledAt = written;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(written).toBe(stalledAt);
    expect(finished).toBe(false);
    // Socket buffers on the way hold a few megabytes at most, far from the 256 MB on offer.
    expect(stalledAt).toBeLessThan(32 * 1024 * 1024);

    // Reading again lets the rest through.
    let received = 0;
    response.on('data', (data: Buffer) => (received += data.length));
    response.resume();
    await new Promise((resolve) => response.once('end', resolve));
    expect(received).toBe(limit);
  });
});
