// What went wrong with an upstream, in the terms that decide what happens next: a retry on another
// member, a passive mark, and the status and words of the error page.

/** How an upstream attempt failed. */
export interface UpstreamFailure {
  /** 502 for a refused or broken connection, 504 for a timeout, 400 for a request that cannot be sent. */
  readonly status: 400 | 502 | 504;
  /** Words for the error page and the access event: `connection refused`. */
  readonly reason: string;
  /** The worker could not be reached at all: passive checks take it out for a while. */
  readonly unreachable: boolean;
  /** Another attempt may work (the request itself is not at fault). */
  readonly retryable: boolean;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ECONNABORTED']);

/** Classifies an error from an upstream connection (upstream-connection.ts) or node:http; `timeout` is the route's read timeout, for the words. */
export function classifyFailure(error: unknown, timeout: number): UpstreamFailure {
  const code = errorCode(error);
  if (UNREACHABLE.has(code)) {
    const reason = code === 'ECONNREFUSED' ? 'connection refused' : code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect timeout' : `cannot connect (${code})`;
    return { status: 502, reason, unreachable: true, retryable: true };
  }
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'ETIMEDOUT':
      return { status: 504, reason: `no response within ${formatMillis(timeout)}`, unreachable: false, retryable: false };
    case 'UND_ERR_BODY_TIMEOUT':
      return { status: 504, reason: `response stalled for ${formatMillis(timeout)}`, unreachable: false, retryable: false };
    case 'ECONNRESET':
    case 'EPIPE':
      return { status: 502, reason: 'connection reset before the response', unreachable: false, retryable: true };
    case 'UND_ERR_SOCKET':
      return { status: 502, reason: 'connection closed before the response', unreachable: false, retryable: true };
    // The pool was closed by a configuration change between the pick and the send.
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return { status: 502, reason: 'worker left the configuration', unreachable: false, retryable: true };
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return { status: 400, reason: `cannot forward this request: ${messageOf(error)}`, unreachable: false, retryable: false };
    default:
      if (code.startsWith('HPE_') || (error instanceof Error && error.name === 'HTTPParserError')) return { status: 502, reason: parseFailure(messageOf(error)), unreachable: false, retryable: false };
      return { status: 502, reason: messageOf(error), unreachable: false, retryable: false };
  }
}

/** `60s`, `1.5s`, `250ms`: how the stack file writes durations. */
export function formatMillis(ms: number): string {
  if (ms >= 1000 && ms % 100 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

// `Response does not match the HTTP/1.1 protocol (Invalid header token)`: a header at fault is named as one.
function parseFailure(message: string): string {
  const detail = /\(([^)]*)\)$/.exec(message)?.[1];
  if (detail !== undefined && /header|content-length|transfer-encoding/i.test(detail)) return `invalid header from the worker: ${detail}`;
  return `invalid response: ${message}`;
}

function errorCode(error: unknown): string {
  if (error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return error.code;
  return '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
