// A worker's response head, read strictly: the status line and header lines up to the blank line,
// and what they say about the body's framing and the connection's reuse. Anything a strict parser
// (llhttp, nginx) refuses is refused here too, with llhttp's words, because a lenient reading of a
// head is how responses get smuggled past a proxy.

/** The largest response head accepted (Node's and undici's default maxHeaderSize). */
export const MAX_HEAD_BYTES = 16 * 1024;

/** How the body that follows a head is delimited: `none` for HEAD, 1xx, 204, 304 and Content-Length: 0; `until-close` runs until the worker closes the connection. */
export type Framing = 'none' | 'length' | 'chunked' | 'until-close';

/** A parsed response head. */
export interface ResponseHead {
  readonly status: number;
  readonly statusText: string;
  /** Flat `[name, value, …]` as sent. */
  readonly headers: string[];
  readonly framing: Framing;
  /** Body bytes for `length` framing. */
  readonly length: number;
  /** The connection may carry another request once this response is over. */
  readonly keepAlive: boolean;
  /** The worker's `Keep-Alive: timeout=N` hint in ms, or -1. */
  readonly keepAliveHintMs: number;
}

/** A head the worker sent that is not valid HTTP/1.1, in llhttp's terms (classifyFailure reads `code` and the words in parentheses). */
export class ResponseParseError extends Error {
  override readonly name = 'HTTPParserError';
  readonly code: string;

  constructor(code: string, detail: string) {
    super(`Response does not match the HTTP/1.1 protocol (${detail})`);
    this.code = code;
  }
}

// tchar (RFC 9110 §5.6.2), by char code.
const TOKEN = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[char.charCodeAt(0)] = 1;

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;

/**
 * Parses the head in `text` (latin1, without the final CRLF CRLF). `bodiless` is true for a response
 * to HEAD, which has no body whatever its headers say.
 */
export function parseResponseHead(text: string, bodiless: boolean): ResponseHead {
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd === -1) lineEnd = text.length;
  const statusMatch = STATUS_LINE.exec(text.slice(0, lineEnd));
  if (statusMatch === null) throw new ResponseParseError('HPE_INVALID_CONSTANT', 'Expected HTTP/1.x status line');
  const minor = statusMatch[1];
  const status = Number(statusMatch[2]);
  if (status < 100) throw new ResponseParseError('HPE_INVALID_STATUS', 'Invalid status code');
  const headers: string[] = [];
  let length = -1;
  let chunked = false;
  let transferEncoding = false;
  let close = minor === '0';
  let keepAliveHintMs = -1;
  let start = lineEnd + 2;
  while (start < text.length) {
    let end = text.indexOf('\r\n', start);
    if (end === -1) end = text.length;
    const colon = text.indexOf(':', start);
    if (colon === -1 || colon > end || colon === start) throw new ResponseParseError('HPE_INVALID_HEADER_TOKEN', 'Invalid header token');
    for (let i = start; i < colon; i++) {
      const code = text.charCodeAt(i);
      if (code > 127 || TOKEN[code] === 0) throw new ResponseParseError('HPE_INVALID_HEADER_TOKEN', 'Invalid header token');
    }
    const name = text.slice(start, colon);
    const value = trimValue(text, colon + 1, end);
    headers.push(name, value);
    // Only these four names matter for framing and reuse; their lengths sort them out cheaply.
    const size = colon - start;
    if (size === 14 && name.toLowerCase() === 'content-length') {
      if (length !== -1) throw new ResponseParseError('HPE_UNEXPECTED_CONTENT_LENGTH', 'Duplicate Content-Length');
      if (!/^\d{1,15}$/.test(value)) throw new ResponseParseError('HPE_INVALID_CONTENT_LENGTH', 'Invalid character in Content-Length');
      length = Number(value);
    } else if (size === 17 && name.toLowerCase() === 'transfer-encoding') {
      transferEncoding = true;
      // Only a final `chunked` frames the body; any other coding runs until the connection closes.
      chunked = /(?:^|,)[ \t]*chunked[ \t]*$/i.test(value);
    } else if (size === 10 && name.toLowerCase() === 'connection') {
      const tokens = value.toLowerCase();
      if (/(?:^|,)[ \t]*close[ \t]*(?:,|$)/.test(tokens)) close = true;
      else if (minor === '0' && /(?:^|,)[ \t]*keep-alive[ \t]*(?:,|$)/.test(tokens)) close = false;
    } else if (size === 10 && name.toLowerCase() === 'keep-alive') {
      const hint = /(?:^|[,; \t])timeout[ \t]*=[ \t]*(\d+)/i.exec(value);
      if (hint !== null) keepAliveHintMs = Number(hint[1]) * 1000;
    }
    start = end + 2;
  }
  if (transferEncoding && length !== -1) throw new ResponseParseError('HPE_UNEXPECTED_CONTENT_LENGTH', 'Content-Length can\'t be present with Transfer-Encoding');
  let framing: Framing;
  if (bodiless || status < 200 || status === 204 || status === 304) framing = 'none';
  else if (chunked) framing = 'chunked';
  else if (transferEncoding) framing = 'until-close';
  else if (length > 0) framing = 'length';
  else if (length === 0) framing = 'none';
  else framing = 'until-close';
  return {
    status,
    statusText: statusMatch[3] ?? '',
    headers,
    framing,
    length,
    keepAlive: !close && framing !== 'until-close',
    keepAliveHintMs,
  };
}

// Optional whitespace around a field value goes; a control character inside it (bare CR or LF
// included) makes the head invalid, as in llhttp.
function trimValue(text: string, from: number, to: number): string {
  let start = from;
  let end = to;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) throw new ResponseParseError('HPE_INVALID_HEADER_TOKEN', 'Invalid header value char');
  }
  return text.slice(start, end);
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}
