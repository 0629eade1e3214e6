// One HTTP health check on a socket of its own: a GET written as a constant request and the status
// of the response read from its head. A stack at rest checks every worker every few seconds, and
// node:http's client (an agent, a request and a response stream, a parser per check) was most of an
// idle core's CPU; this does what those checks need, and the worker sees the same request.

import net from 'node:net';

/** The most a response head may hold, as node:http allows. */
const MAX_HEAD_BYTES = 16 * 1024;
/** What a request line cannot carry unescaped (node:http refuses such a path too). */
const UNSAFE_PATH = /[^\u0021-\u00ff]/;
const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})(?: |\r\n)/;

/** How a check ended: a status, a socket error's code, a timeout, or a response that is not HTTP. */
export type HttpCheckOutcome =
  | { kind: 'status'; status: number }
  | { kind: 'error'; code: string }
  | { kind: 'timeout' }
  | { kind: 'malformed'; why: string };

/** The request one check writes: a worker sees what it saw from node:http (Host, a user agent, Connection: close). */
export function healthRequest(host: string, port: number, path: string): Buffer {
  const name = host.includes(':') ? `[${host}]` : host;
  const authority = port === 80 ? name : `${name}:${port}`;
  return Buffer.from(`GET ${path} HTTP/1.1\r\nuser-agent: switchyard-health\r\nconnection: close\r\nHost: ${authority}\r\n\r\n`, 'latin1');
}

/**
 * GETs `path` from `host`:`port` and settles with the final status (informational 1xx heads are
 * skipped), within `timeout` ms for connect and head together. The rest of the response is read and
 * dropped until the worker closes, so it never writes into a reset connection.
 */
export function httpCheck(host: string, port: number, path: string, timeout: number): Promise<HttpCheckOutcome> {
  if (UNSAFE_PATH.test(path)) return Promise.resolve({ kind: 'malformed', why: 'the path has characters a request line cannot carry' });
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: HttpCheckOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      settle({ kind: 'timeout' });
    }, timeout);
    let head = '';
    socket.setEncoding('latin1');
    socket.write(healthRequest(host, port, path));
    socket.on('data', (text: string) => {
      if (settled) return;
      head += text;
      for (;;) {
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) {
          if (head.length > MAX_HEAD_BYTES) {
            settle({ kind: 'malformed', why: 'a response head over 16 KiB' });
            socket.destroy();
          }
          return;
        }
        const status = STATUS_LINE.exec(head);
        if (status === null) {
          settle({ kind: 'malformed', why: 'not an HTTP response' });
          socket.destroy();
          return;
        }
        const code = Number(status[1]);
        if (code >= 200 || code === 101) {
          settle({ kind: 'status', status: code });
          head = '';
          return;
        }
        head = head.slice(end + 4);
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => settle({ kind: 'error', code: error.code ?? error.message }));
    socket.once('close', () => {
      clearTimeout(timer);
      // Closed before a head came: what node:http calls a socket hang up.
      settle({ kind: 'error', code: 'ECONNRESET' });
    });
  });
}
