// Where a request goes, read the way RFC 9112 §3 tells a server to: an HTTP/1.x request line, exactly
// one valid Host, and a target in origin-form (`/path?query`) or absolute-form (`http://host/path`),
// whose authority then stands in for the Host header. Anything else is refused before routing, and
// a request Node cannot even parse is answered here too.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorPage, writeRawErrorPage } from './error-page.ts';
import type { ErrorPage } from './error-page.ts';
import type { RequestHead } from './forward-headers.ts';
import { formatMillis } from './upstream-failure.ts';

/** The host a request names (with its port, as sent) and its target in origin-form, or why it is refused. */
export interface Destination {
  readonly host: string | undefined;
  /** The target as sent when the request is refused. */
  readonly target: string;
  /** The page that refuses the request before routing (400, or 505 for HTTP/2 and later on an HTTP/1 connection), or null. */
  readonly refusal: ErrorPage | null;
}

// RFC 3986 host (an IP literal, or reg-name characters) and an optional port; empty is allowed.
const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9\-._~!$&'()*+,;=%]*)(?::\d*)?$/i;
const ABSOLUTE = /^https?:\/\//i;
const SLASH = 47;
const SHOWN_LENGTH = 100;

/** Where the request goes, unless it is refused. */
export function destinationOf(req: IncomingMessage, head: RequestHead): Destination {
  const target = req.url ?? '';
  const refused = (refusal: ErrorPage): Destination => ({ host: head.host, target, refusal });
  if (req.httpVersionMajor !== 1) {
    if (req.httpVersionMajor === 0) return refused(errorPage(400, 'the request line has no HTTP version; send it like GET / HTTP/1.1'));
    return refused(errorPage(505, `this proxy speaks HTTP/1.1, not HTTP/${req.httpVersion}`));
  }
  if (head.hostLines > 1) return refused(errorPage(400, `the request has ${head.hostLines} Host headers; send exactly one`));
  if (head.host !== undefined && !HOST.test(head.host)) return refused(errorPage(400, `the Host header ${shown(head.host)} is not a host name or address with an optional :port`));
  if (head.host === undefined && req.httpVersionMinor >= 1) return refused(errorPage(400, 'an HTTP/1.1 request needs a Host header'));
  if (target.charCodeAt(0) === SLASH) return { host: head.host, target, refusal: null };
  if (!ABSOLUTE.test(target)) return refused(errorPage(400, `the request target ${shown(target)} is neither a path like /index.html nor an http:// URL`));
  const absolute = absoluteForm(target);
  return 'status' in absolute ? refused(absolute) : { ...absolute, refusal: null };
}

// `http://host:port/path?query`: routed by its authority, forwarded as `/path?query`.
function absoluteForm(target: string): { host: string; target: string } | ErrorPage {
  const start = target.indexOf('//') + 2;
  let end = start;
  while (end < target.length && !'/?#'.includes(target[end] as string)) end++;
  const authority = target.slice(start, end);
  if (authority === '' || authority.includes('@') || !HOST.test(authority)) {
    return errorPage(400, `the request target ${shown(target)} has no valid host; send it like http://host:port/path`);
  }
  const rest = target.slice(end);
  if (rest.startsWith('#')) return errorPage(400, `the request target ${shown(target)} holds a fragment (#), which is never sent`);
  return { host: authority, target: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest };
}

function shown(text: string): string {
  return `'${text.length > SHOWN_LENGTH ? `${text.slice(0, SHOWN_LENGTH)}…` : text}'`;
}

/**
 * A request Node could not parse never reaches a handler: answers 400 (431 for oversized headers, 408
 * for a head that took longer than `headerTimeout`) unless a response is already under way on that
 * connection, and never lets the error escape.
 */
export function answerUnreadableRequest(error: NodeJS.ErrnoException, socket: Duplex, headerTimeout: number): void {
  const current = (socket as Duplex & { _httpMessage?: { headersSent: boolean } | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || (current && current.headersSent)) {
    socket.destroy();
    return;
  }
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  // nginx closes a connection that sent nothing at all without a word; a partial head gets its 408.
  if (timedOut && (socket as Socket).bytesRead === 0) {
    socket.destroy();
    return;
  }
  const page = timedOut
    ? errorPage(408, `the request head did not arrive in full within ${formatMillis(headerTimeout)} (client_header_timeout)`)
    : errorPage(error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400, `the proxy could not read this request (${error.code ?? error.message})`);
  writeRawErrorPage(socket, page, randomUUID());
}
