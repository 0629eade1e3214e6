// Headers on the way through: hop-by-hop ones (RFC 9110 §7.6.1) stay on their own connection, the
// X-Forwarded-* set says where the request came from, X-Request-Id follows it end to end, and Via
// names each proxy it passed (RFC 9110 §7.6.3), which is how a proxy sees a request come back to it.
// One pass over rawHeaders each way; header lists stay flat `[name, value, name, value …]`.

import { randomUUID } from 'node:crypto';

const HOST = 1;
const CONNECTION = 2;
const HOP = 3;
const FORWARDED_FOR = 4;
const REPLACED = 5;
const REQUEST_ID = 6;
const CONTENT_LENGTH = 7;
const TRANSFER_ENCODING = 8;
const UPGRADE = 9;
const VIA = 10;

// `expect` is answered by the proxy itself (Node sends 100 Continue), so it goes no further.
const REQUEST_HEADERS = new Map<string, number>([
  ['host', HOST],
  ['connection', CONNECTION],
  ['keep-alive', HOP],
  ['proxy-connection', HOP],
  ['te', HOP],
  ['trailer', HOP],
  ['transfer-encoding', TRANSFER_ENCODING],
  ['upgrade', UPGRADE],
  ['expect', HOP],
  ['x-forwarded-for', FORWARDED_FOR],
  ['x-forwarded-proto', REPLACED],
  ['x-forwarded-host', REPLACED],
  ['x-request-id', REQUEST_ID],
  ['content-length', CONTENT_LENGTH],
  ['via', VIA],
]);

const RESPONSE_HEADERS = new Map<string, number>([
  ['connection', CONNECTION],
  ['keep-alive', HOP],
  ['proxy-connection', HOP],
  ['te', HOP],
  ['trailer', HOP],
  ['transfer-encoding', HOP],
  ['upgrade', HOP],
  ['x-request-id', REQUEST_ID],
]);

// Only names this long can be special, so most headers skip the lowercasing.
const SPECIAL_LENGTHS = new Set([...REQUEST_HEADERS.keys(), ...RESPONSE_HEADERS.keys()].map((name) => name.length));

/** What the proxy needs from a client request's headers. */
export interface RequestHead {
  /** The (first) Host header as sent (with its port), or undefined. */
  readonly host: string | undefined;
  /** How many Host header lines came; more than one makes the request invalid. */
  readonly hostLines: number;
  /** End-to-end headers to forward, without Host, X-Forwarded-*, X-Request-Id and hop-by-hop ones. */
  readonly forward: string[];
  readonly forwardedFor: string | undefined;
  /** The client's X-Request-Id when it is sane, else a new one. */
  readonly requestId: string;
  /** True when a body follows (a non-zero Content-Length, or Transfer-Encoding). */
  readonly hasBody: boolean;
  /** The Upgrade header, for WebSocket handshakes. */
  readonly upgrade: string | undefined;
  /** The Via headers, joined; forwarded with this proxy added. */
  readonly via: string | undefined;
}

/** Reads a client request's raw headers once. */
export function readRequestHead(raw: readonly string[]): RequestHead {
  const forward: string[] = [];
  let host: string | undefined;
  let hostLines = 0;
  let connection: string | undefined;
  let forwardedFor: string | undefined;
  let requestId: string | undefined;
  let hasBody = false;
  let upgrade: string | undefined;
  let via: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const kind = SPECIAL_LENGTHS.has(name.length) ? REQUEST_HEADERS.get(name.toLowerCase()) : undefined;
    if (kind === undefined) {
      forward.push(name, value);
      continue;
    }
    switch (kind) {
      case HOST:
        host ??= value;
        hostLines++;
        break;
      case CONNECTION:
        connection = connection === undefined ? value : `${connection}, ${value}`;
        break;
      case FORWARDED_FOR:
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        break;
      case REQUEST_ID:
        requestId ??= value;
        break;
      case CONTENT_LENGTH:
        if (value !== '0') hasBody = true;
        forward.push(name, value);
        break;
      case TRANSFER_ENCODING:
        hasBody = true;
        break;
      case UPGRADE:
        upgrade = value;
        break;
      case VIA:
        via = via === undefined ? value : `${via}, ${value}`;
        break;
      // HOP and REPLACED headers are dropped.
    }
  }
  return {
    host,
    hostLines,
    forward: connection === undefined ? forward : withoutConnectionTokens(forward, connection),
    forwardedFor,
    requestId: requestId !== undefined && isSaneRequestId(requestId) ? requestId : randomUUID(),
    hasBody,
    upgrade,
    via,
  };
}

/**
 * Adds Host, X-Forwarded-For/-Proto/-Host, X-Request-Id and Via to `head.forward`, which it then
 * returns; `via` is this proxy's own entry, like `1.1 switchyard-1f2e3d`.
 */
export function finishRequestHeaders(head: RequestHead, host: string | undefined, clientIp: string, via: string): string[] {
  const headers = head.forward;
  if (host !== undefined) headers.push('host', host);
  headers.push('x-forwarded-for', head.forwardedFor === undefined ? clientIp : `${head.forwardedFor}, ${clientIp}`);
  headers.push('x-forwarded-proto', 'http');
  if (head.host !== undefined) headers.push('x-forwarded-host', head.host);
  headers.push('x-request-id', head.requestId);
  headers.push('via', head.via === undefined ? via : `${head.via}, ${via}`);
  return headers;
}

/** True when a Via header names `pseudonym` (`switchyard-1f2e3d`) as one of the proxies the request passed. */
export function viaNames(via: string, pseudonym: string): boolean {
  for (const entry of via.split(',')) {
    // `1.1 name (comment)`: the received-by part is the second word.
    const receivedBy = entry.trim().split(/\s+/)[1];
    if (receivedBy !== undefined && receivedBy.toLowerCase() === pseudonym) return true;
  }
  return false;
}

/**
 * An upstream response's raw headers as a flat list for `writeHead`, without hop-by-hop ones, with
 * the request id when the upstream did not echo it, and with `Connection: close` when asked.
 */
export function responseHeaders(raw: readonly (string | Buffer)[], requestId: string, close: boolean): string[] {
  const headers: string[] = [];
  let connection: string | undefined;
  let hasRequestId = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = text(raw[i] as string | Buffer);
    const kind = SPECIAL_LENGTHS.has(name.length) ? RESPONSE_HEADERS.get(name.toLowerCase()) : undefined;
    if (kind === undefined || kind === REQUEST_ID) {
      if (kind === REQUEST_ID) hasRequestId = true;
      headers.push(name, text(raw[i + 1] as string | Buffer));
    } else if (kind === CONNECTION) {
      const value = text(raw[i + 1] as string | Buffer);
      connection = connection === undefined ? value : `${connection}, ${value}`;
    }
  }
  const filtered = connection === undefined ? headers : withoutConnectionTokens(headers, connection);
  if (!hasRequestId) filtered.push('x-request-id', requestId);
  if (close) filtered.push('connection', 'close');
  return filtered;
}

function text(field: string | Buffer): string {
  return typeof field === 'string' ? field : field.toString('latin1');
}

/** A client's own request id is kept when it is short printable ASCII; anything else is replaced. */
export function isSaneRequestId(id: string): boolean {
  if (id.length === 0 || id.length > 200) return false;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

// Headers named in Connection are hop-by-hop too; the usual values name none, so this rarely copies.
function withoutConnectionTokens(headers: string[], connection: string): string[] {
  const named = new Set<string>();
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive' && name !== 'upgrade') named.add(name);
  }
  if (named.size === 0) return headers;
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!named.has((headers[i] as string).toLowerCase())) kept.push(headers[i] as string, headers[i + 1] as string);
  }
  return kept;
}
