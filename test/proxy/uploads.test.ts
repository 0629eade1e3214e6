// A worker may answer an upload before reading it (a 413, a redirect, an auth failure, or simply
// not caring about the body). The answer must reach the client at once, and the rest of the upload
// must go somewhere: read and dropped, so that the client is not left pushing into a connection
// that nobody reads until a timeout resets it.

import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { accessFor, cleanUpAfterEach, proxyTo, rawConnection, startUpstream } from './helpers.ts';

cleanUpAfterEach();

/** Far more than the socket buffers between client, proxy and worker hold. */
const UPLOAD_BYTES = 32 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'u');

describe('an early answer to an upload', () => {
  it('reaches the client at once; the rest of the upload is read and dropped, and the connection carries the next request', async () => {
    let bodyBytesRead = 0;
    const upstream = await startUpstream((req, res) => {
      if (req.method === 'POST') {
        // Answers without reading the body, as a worker refusing an upload does.
        setTimeout(() => res.end('early answer'), 100);
        return;
      }
      req.on('data', (chunk: Buffer) => (bodyBytesRead += chunk.length));
      req.on('end', () => res.end(`next ${req.url}`));
    });
    const running = await proxyTo([upstream.port]);
    // A raw client: Node's own http client stops uploading once the answer is in, which would hide the stall.
    const connection = await rawConnection(running.port);
    connection.socket.write(`POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: ${UPLOAD_BYTES}\r\n\r\n`);
    let sent = 0;
    const pump = () => {
      while (sent < UPLOAD_BYTES && !connection.closed()) {
        sent += CHUNK.length;
        if (!connection.socket.write(CHUNK)) {
          connection.socket.once('drain', pump);
          return;
        }
      }
    };
    pump();

    await waitFor(() => connection.received().endsWith('early answer'), 'the early answer');
    expect(connection.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    await waitFor(() => sent === UPLOAD_BYTES && connection.socket.writableLength === 0, `the whole upload to go out (${sent} of ${UPLOAD_BYTES} bytes so far)`, {
      timeout: 15_000,
    });
    expect(await accessFor(running, '/upload')).toMatchObject({ status: 200, error: null, worker: 'api-1' });

    connection.socket.write('GET /next HTTP/1.1\r\nHost: t\r\n\r\n');
    await waitFor(() => connection.received().endsWith('next /next'), 'the next request’s answer on the same connection');
    expect(connection.closed()).toBe(false);
    // Nothing of the dropped upload reached the next request.
    expect(bodyBytesRead).toBe(0);
  });
});
