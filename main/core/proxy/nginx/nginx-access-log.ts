// The engine's access log: one JSON object per request on nginx's stdout, carrying what an
// AccessEvent needs, and the parser that turns such a line back into one. Per-location variables
// (set by the generated locations) name the route, a worker that is not an upstream member (a URL
// or a static site served by nginx) and the errors nginx answers itself.

import type { AccessEvent } from '../../../../shared/proxy.ts';

/** The variables locations set for the access log (route label, a worker that is no member, an error, the route timeout). */
export const ACCESS_LOG_VARIABLES = ['sy_route', 'sy_worker', 'sy_error', 'sy_timeout'];

/** The log_format name of the engine's access log. */
export const ACCESS_FORMAT = 'sy_access';

/** The `log_format` directive (escape=json makes each field a valid JSON string). */
export function accessLogFormat(): string {
  const fields = [
    '"msec":$msec',
    '"request_time":$request_time',
    '"method":"$request_method"',
    '"uri":"$request_uri"',
    '"status":$status',
    '"bytes":$body_bytes_sent',
    '"route":"$sy_route"',
    '"worker":"$sy_worker"',
    '"upstream":"$upstream_addr"',
    '"connect":"$upstream_connect_time"',
    '"header":"$upstream_header_time"',
    '"request_id":"$sy_request_id"',
    '"error":"$sy_error"',
    '"timeout":"$sy_timeout"',
    '"completion":"$request_completion"',
  ];
  return `log_format ${ACCESS_FORMAT} escape=json '{${fields.join(',')}}'`;
}

/** What `memberAt` answers for an upstream address (`127.0.0.1:41234`). */
export interface MemberAt {
  worker: string;
  member: string;
}

interface AccessLine {
  msec: number;
  request_time: number;
  method: string;
  uri: string;
  status: number;
  bytes: number;
  route: string;
  worker: string;
  upstream: string;
  connect: string;
  header: string;
  request_id: string;
  error: string;
  timeout: string;
  completion: string;
}

/** The error of a 502 after the connection was made. */
export const NO_RESPONSE_HEAD = 'no valid response head (the connection was closed or reset, or the head was malformed)';

/** nginx's status for a client that closed the connection before the response. */
const CLIENT_CLOSED = 499;

/** Turns one access log line into an AccessEvent; null for a line that is not one (a blank or foreign line). */
export function parseAccessLine(line: string, memberAt: (address: string) => MemberAt | null): AccessEvent | null {
  let fields: AccessLine;
  try {
    fields = JSON.parse(line) as AccessLine;
  } catch {
    return null;
  }
  if (fields === null || typeof fields !== 'object' || typeof fields.msec !== 'number' || typeof fields.status !== 'number') return null;
  const duration = Math.round(fields.request_time * 1000);
  const tried = addressesTried(fields.upstream);
  const last = tried.at(-1);
  const reached = last === undefined ? null : memberAt(last);
  const status = fields.status === CLIENT_CLOSED ? 0 : fields.status;
  return {
    time: Math.round(fields.msec * 1000) - duration,
    method: fields.method,
    path: fields.uri,
    status,
    bytes: fields.bytes,
    duration,
    route: fields.route === '' ? null : fields.route,
    worker: fields.worker !== '' ? fields.worker : (reached?.worker ?? null),
    member: fields.worker !== '' ? null : (reached?.member ?? null),
    requestId: fields.request_id,
    error: errorOf(fields, tried.length),
    attempts: tried.length,
  };
}

/**
 * The addresses in `$upstream_addr`: `, ` separates the attempts of one upstream and ` : ` the
 * upstreams of internal redirects. A group name (`sy_api`, written when no server was live) is no attempt.
 */
function addressesTried(upstream: string): string[] {
  if (upstream === '' || upstream === '-') return [];
  return upstream.split(/, | : /).filter((entry) => /:\d+$/.test(entry));
}

/** The access event's error in the builtin engine's words where nginx's variables tell enough. */
function errorOf(fields: AccessLine, attempts: number): string | null {
  if (fields.error !== '') return fields.error;
  if (fields.status === CLIENT_CLOSED) return 'client aborted';
  // A response head from the last attempt means the worker answered, whatever its status.
  const answered = fields.header.split(/, | : /).at(-1) ?? '-';
  if (attempts > 0 && answered === '-') {
    if (fields.status === 504) return fields.timeout === '' ? 'upstream timeout' : `no response within ${fields.timeout}`;
    // Connected but no head: closed, reset or malformed, which nginx's variables do not tell apart (its error log does).
    if (fields.status === 502) return (fields.connect.split(/, | : /).at(-1) ?? '-') === '-' ? 'connection refused' : NO_RESPONSE_HEAD;
  }
  // nginx closes the connection without an answer on either client timeout, and logs a 408.
  if (fields.status === 408) return fields.route === '' ? 'the request head did not arrive in full (client_header_timeout)' : 'client sent nothing of its body (client_body_timeout)';
  if (fields.status !== 101 && fields.completion !== 'OK' && fields.status < 400) return 'response cut short (the client left or the worker failed mid-response)';
  return null;
}
