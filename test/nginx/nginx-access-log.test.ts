// The access log as nginx writes it and the engine reads it back: request lines with odd bytes
// (quotes, backslashes, UTF-8, bytes that are not UTF-8, percent escapes) must come back as the
// path, id, route and worker they were, and the requests nginx refuses must still be logged.

import { describe, expect, it } from 'vitest';
import type { AccessEvent } from '../../shared/proxy.ts';
import { NginxOutputReader } from '../../main/core/proxy/nginx/nginx-access.ts';
import { waitFor } from '../helpers/wait.ts';
import { app, cleanUpAfterEach, config, member, rawConnection, route, startUpstream } from '../proxy/helpers.ts';
import { hasNginx, startNginx, type RunningNginx } from './nginx-helpers.ts';

cleanUpAfterEach();

/** Sends one request line (bytes as given) with an X-Request-Id to find its event by. */
async function sendRaw(nginx: RunningNginx, target: Buffer | string, id: string): Promise<string> {
  const connection = await rawConnection(nginx.port);
  const head = Buffer.concat([Buffer.from('GET '), Buffer.from(target), Buffer.from(` HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n`)]);
  connection.socket.write(head);
  await waitFor(() => connection.closed(), `the answer to ${id}`);
  return connection.received().split('\r\n')[0] ?? '';
}

describe.skipIf(!hasNginx)('the access log read back (skipped without /usr/sbin/nginx)', () => {
  it('gives back paths, request ids, routes and workers with quotes, backslashes, UTF-8 and bytes that are not UTF-8', async () => {
    const upstream = await startUpstream((req, res) => res.end('ok'));
    const nginx = await startNginx(config([route('/', 'api'), route('/café"x"/', 'api')], [app('api', [member('api-1', upstream.port)])]));
    // Node's HTTP parser answers 400 to bytes above 0x7f in the path: the status is the worker's.
    const sent: [id: string, target: Buffer | string, path: string][] = [
      ['quotes', '/q/"a"/b\\c?x="y"&z=\\', '/q/"a"/b\\c?x="y"&z=\\'],
      ['utf8', Buffer.from('/café/€?q=😀', 'utf8'), '/café/€?q=😀'],
      ['latin1', Buffer.from([0x2f, 0x62, 0xff, 0xfe, 0x2f, 0xe9]), '/b\ufffd\ufffd/\ufffd'],
      // Cut short, overlong and surrogate sequences: one U+FFFD per maximal piece, as TextDecoder gives.
      ['broken', Buffer.from([0x2f, 0xe2, 0x82, 0x2f, 0xf0, 0x9f, 0x98, 0x2f, 0xc0, 0xaf, 0xed, 0xa0, 0x80]), '/\ufffd/\ufffd/\ufffd\ufffd\ufffd\ufffd\ufffd'],
      ['percent', '/p%22%5C%E2%82%AC%0A%09', '/p%22%5C%E2%82%AC%0A%09'],
      ['route', Buffer.from('/café"x"/y', 'utf8'), '/café"x"/y'],
    ];
    for (const [id, target, path] of sent) {
      const status = Number((await sendRaw(nginx, target, id)).split(' ')[1]);
      const event = await waitFor(() => nginx.events().find((each) => each.requestId === id), `the access event of ${id}`);
      expect(event).toMatchObject({ path, status, worker: 'api-1', attempts: 1, error: null });
    }
    expect(nginx.events().find((each) => each.requestId === 'route')?.route).toBe('/café"x"/');
    // A client's id of printable ASCII is kept, quotes and backslashes too.
    expect(await sendRaw(nginx, '/id', 'a"b\\c{}')).toBe('HTTP/1.1 200 OK');
    expect(await waitFor(() => nginx.events().find((each) => each.path === '/id'), 'the event of /id')).toMatchObject({ requestId: 'a"b\\c{}' });
  });

  it('logs the requests nginx refuses before routing (spaces and control bytes in the request line)', async () => {
    const upstream = await startUpstream((req, res) => res.end('ok'));
    const nginx = await startNginx(config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])]));
    for (const [count, target] of ['/a b', '/a\tb', '/a\x7fb'].entries()) {
      expect(await sendRaw(nginx, target, 'refused')).toBe('HTTP/1.1 400 Bad Request');
      await waitFor(() => nginx.events().length > count, `the access event of ${JSON.stringify(target)}`);
    }
    expect(nginx.events()).toEqual(Array(3).fill(expect.objectContaining({ method: '', path: '', status: 400, route: null, worker: null, attempts: 0, error: null })));
  });
});

describe('the access pipe reader', () => {
  it('joins a line cut between reads (also inside a UTF-8 character), from a read buffer the pipe reuses', () => {
    const batches: AccessEvent[][] = [];
    const output = new NginxOutputReader({ access: (events) => batches.push([...events]), passive: () => {}, recycle: () => {} });
    output.learn(config([route('/', 'api')], [app('api', [member('api-1', 41001)])]));
    const line = (path: string, id: string) => ['1700000000.500', '0.250', 'GET', path, '200', '12', '/', '', '127.0.0.1:41001', '0.000', '0.001', id, '', '60s', 'OK'].join('\t');
    const bytes = Buffer.from(`${line('/a', 'one')}\n${line('/é€', 'two')}\n${line('/last', 'three')}`, 'utf8');
    const reader = output.accessReader();
    const buffer = Buffer.alloc(bytes.length);
    const cut = bytes.indexOf('€') + 1;
    for (const [start, end] of [[0, cut], [cut, bytes.length]] as const) {
      buffer.fill(0);
      bytes.copy(buffer, 0, start, end);
      reader.data(buffer, end - start);
    }
    reader.end();
    expect(batches.map((batch) => batch.map((event) => event.path))).toEqual([['/a'], ['/é€'], ['/last']]);
    expect(batches.flat().map((event) => [event.requestId, event.worker, event.time, event.duration])).toEqual([
      ['one', 'api-1', 1700000000250, 250],
      ['two', 'api-1', 1700000000250, 250],
      ['three', 'api-1', 1700000000250, 250],
    ]);
  });
});
