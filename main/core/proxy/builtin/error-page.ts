// The proxy's own answers (400, 404, 502, 503, 504 …): one plain-text line that says what happened,
// which route and which worker, so that the developer reading it in a browser knows where to look.

import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** An error page: its status and its one-line body. */
export interface ErrorPage {
  readonly status: number;
  readonly body: string;
  /** What happened, without the status: the access event's error. */
  readonly reason: string;
  /** Headers the status calls for (`allow` for a 405), as a flat list. */
  readonly headers?: readonly string[];
}

/** `502 Bad Gateway: route /api/ → api-2 (127.0.0.1:41234): connection refused`. */
export function errorPage(status: number, detail: string): ErrorPage {
  return { status, body: `${status} ${STATUS_CODES[status] ?? 'Error'}: ${detail}\n`, reason: detail };
}

/** The page for a request no route matches. */
export function noRoutePage(target: string, host: string | undefined): ErrorPage {
  const path = pathOf(target);
  return errorPage(404, host === undefined ? `no route for ${path}` : `no route for ${path} on host ${host}`);
}

/** The page for an upstream that has no member able to take the request. */
export function unavailablePage(upstream: string, why: string): ErrorPage {
  return errorPage(503, `no ready worker for ${upstream}: ${why}`);
}

/** The page for a failed upstream attempt. */
export function failurePage(status: number, route: string, target: string, reason: string): ErrorPage {
  return errorPage(status, `route ${route} → ${target}: ${reason}`);
}

/** Headers for an error page, as a flat list for `writeHead`. */
export function errorPageHeaders(page: ErrorPage, requestId: string, close: boolean): string[] {
  // nosniff: a browser must show the text as text, whatever the request made it expect.
  const headers = [
    'content-type',
    'text/plain; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(page.body)),
    'x-content-type-options',
    'nosniff',
    'x-request-id',
    requestId,
  ];
  if (page.headers !== undefined) headers.push(...page.headers);
  if (close) headers.push('connection', 'close');
  return headers;
}

/** Writes an error page onto a raw socket (an upgrade request has no ServerResponse) and closes it. */
export function writeRawErrorPage(socket: Duplex, page: ErrorPage, requestId: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const headers = errorPageHeaders(page, requestId, true);
  let head = `HTTP/1.1 ${page.status} ${STATUS_CODES[page.status] ?? 'Error'}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  socket.end(`${head}\r\n${page.body}`);
}

function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}
