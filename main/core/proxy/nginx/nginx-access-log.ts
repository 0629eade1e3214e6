// The engine's access log: one line per request on the engine's pipe, carrying what an
// AccessEvent needs, and the parser that turns such a line back into one. Per-location variables
// (set by the generated locations) name the route, a worker that is not an upstream member (a URL
// or a static site served by nginx) and the errors nginx answers itself.

import type { AccessEvent } from '../../../../shared/proxy.ts';

/** The variables locations set for the access log (route label, a worker that is no member, an error, the route timeout). */
export const ACCESS_LOG_VARIABLES = ['sy_route', 'sy_worker', 'sy_error', 'sy_timeout'];

/** The log_format name of the engine's access log. */
export const ACCESS_FORMAT = 'sy_access';

/** The fields of a line: their names in an exported (JSON) log, their variables, and whether they are numbers (never quoted). */
const FIELDS = [
  ['msec', '$msec', true],
  ['request_time', '$request_time', true],
  ['method', '$request_method', false],
  ['uri', '$request_uri', false],
  ['status', '$status', true],
  ['bytes', '$body_bytes_sent', true],
  ['route', '$sy_route', false],
  ['worker', '$sy_worker', false],
  ['upstream', '$upstream_addr', false],
  ['connect', '$upstream_connect_time', false],
  ['header', '$upstream_header_time', false],
  ['request_id', '$sy_request_id', false],
  ['error', '$sy_error', false],
  ['timeout', '$sy_timeout', false],
  ['completion', '$request_completion', false],
] as const;

type FieldName = (typeof FIELDS)[number][0];

/** Each field's place in a line. */
const AT = Object.fromEntries(FIELDS.map(([name], index) => [name, index])) as Record<FieldName, number>;

/**
 * The `log_format` directive. The engine's lines are the values alone, tab-separated: about a third
 * of a JSON object's bytes, so nginx writes less and each 4 KiB block carries more requests, and
 * the core cuts fields out with indexOf instead of building an object per line. escape=json writes
 * a tab, a newline and every other control byte as an escape (\t, \n, \u001f), so neither appears
 * inside a value; bytes above 0x7f pass as they are (the client's UTF-8), and a variable nginx
 * has no value for is empty. An exported log is read by people and log shippers: JSON with names.
 */
export function accessLogFormat(mode: 'engine' | 'export'): string {
  if (mode === 'engine') return `log_format ${ACCESS_FORMAT} escape=json '${FIELDS.map(([, variable]) => variable).join('\\t')}'`;
  const fields = FIELDS.map(([name, variable, number]) => (number ? `"${name}":${variable}` : `"${name}":"${variable}"`));
  return `log_format ${ACCESS_FORMAT} escape=json '{${fields.join(',')}}'`;
}

/** What `memberAt` answers for an upstream address (`127.0.0.1:41234`). */
export interface MemberAt {
  worker: string;
  member: string;
}

/** The error of a 502 after the connection was made. */
export const NO_RESPONSE_HEAD = 'no valid response head (the connection was closed or reset, or the head was malformed)';

/** nginx's status for a client that closed the connection before the response. */
const CLIENT_CLOSED = 499;
const TAB = '\t';
const DOT = 0x2e;
const ZERO = 0x30;
/** A value nginx escaped (a backslash) or that has bytes of UTF-8 (read as latin1 text, one character a byte). */
const NEEDS_DECODING = /[\\\x80-\xff]/;
/** An address with its port; a group name (`sy_api`, written when no server was live) is no attempt. */
const ADDRESS = /:\d+$/;
/** Between the attempts of one upstream (`, `) and the upstreams of internal redirects (` : `). */
const ATTEMPTS = /, | : /;
const NO_ADDRESSES: readonly string[] = [];

/**
 * Turns access log lines into AccessEvents. A line is given as read from the pipe, its bytes as
 * latin1 text (one character per byte): only the values that hold escapes or UTF-8 are decoded.
 */
export class AccessLineParser {
  private readonly memberAt: (address: string) => MemberAt | null;
  /** Where each field of the line being parsed starts; the last entry is one past the line's end. */
  private readonly starts = new Int32Array(FIELDS.length + 1);
  private line = '';

  constructor(memberAt: (address: string) => MemberAt | null) {
    this.memberAt = memberAt;
  }

  /** The event of one line (without its newline); null for a line that is not one (a blank or foreign line). */
  parse(line: string): AccessEvent | null {
    if (!this.split(line)) return null;
    const end = this.number(AT.msec);
    const duration = this.number(AT.request_time);
    const logged = this.number(AT.status);
    const bytes = this.number(AT.bytes);
    if (Number.isNaN(end + duration + logged + bytes)) return null;
    const worker = this.text(AT.worker);
    const tried = addressesTried(this.raw(AT.upstream));
    const last = tried.at(-1);
    const reached = last === undefined || worker !== '' ? null : this.memberAt(last);
    const route = this.text(AT.route);
    return {
      time: end - duration,
      method: this.text(AT.method),
      path: this.text(AT.uri),
      status: logged === CLIENT_CLOSED ? 0 : logged,
      bytes,
      duration,
      route: route === '' ? null : route,
      worker: worker !== '' ? worker : (reached?.worker ?? null),
      member: reached?.member ?? null,
      requestId: this.text(AT.request_id),
      error: this.error(logged, route, tried.length),
      attempts: tried.length,
    };
  }

  /** Finds the fields' starts; false unless the line has exactly as many fields as the format. */
  private split(line: string): boolean {
    this.line = line;
    let from = 0;
    for (let field = 1; field < FIELDS.length; field++) {
      const tab = line.indexOf(TAB, from);
      if (tab < 0) return false;
      from = tab + 1;
      this.starts[field] = from;
    }
    this.starts[FIELDS.length] = line.length + 1;
    return line.indexOf(TAB, from) < 0;
  }

  private raw(field: number): string {
    return this.line.slice(this.starts[field], (this.starts[field + 1] as number) - 1);
  }

  /** A value as nginx had it: its UTF-8 decoded (invalid bytes become U+FFFD), its JSON escapes undone. */
  private text(field: number): string {
    const raw = this.raw(field);
    if (!NEEDS_DECODING.test(raw)) return raw;
    const decoded = Buffer.from(raw, 'latin1').toString('utf8');
    if (!decoded.includes('\\')) return decoded;
    try {
      return JSON.parse(`"${decoded}"`) as string;
    } catch {
      return decoded;
    }
  }

  /** An integer, or thousandths of a `$msec`/`$request_time` (which nginx writes with 3 decimals); NaN if it is not a number. */
  private number(field: number): number {
    const start = this.starts[field] as number;
    const end = (this.starts[field + 1] as number) - 1;
    let whole = 0;
    let fraction = -1;
    let places = 0;
    for (let at = start; at < end; at++) {
      const code = this.line.charCodeAt(at);
      if (code === DOT && fraction < 0) {
        fraction = 0;
        continue;
      }
      const digit = code - ZERO;
      if (digit < 0 || digit > 9) return Number.NaN;
      if (fraction < 0) whole = whole * 10 + digit;
      else if (places < 3) {
        fraction = fraction * 10 + digit;
        places++;
      }
    }
    if (end <= start) return Number.NaN;
    if (fraction < 0) return whole;
    return whole * 1000 + fraction * 10 ** (3 - places);
  }

  /** The access event's error in the builtin engine's words where nginx's variables tell enough. */
  private error(status: number, route: string, attempts: number): string | null {
    const error = this.text(AT.error);
    if (error !== '') return error;
    if (status === CLIENT_CLOSED) return 'client aborted';
    if (attempts > 0 && (status === 504 || status === 502) && lastOf(this.raw(AT.header)) === '-') {
      // No response head from the last attempt (with one, the worker answered, whatever its status).
      if (status === 504) {
        const timeout = this.text(AT.timeout);
        return timeout === '' ? 'upstream timeout' : `no response within ${timeout}`;
      }
      // Connected but no head: closed, reset or malformed, which nginx's variables do not tell apart (its error log does).
      return lastOf(this.raw(AT.connect)) === '-' ? 'connection refused' : NO_RESPONSE_HEAD;
    }
    // nginx closes the connection without an answer on either client timeout, and logs a 408.
    if (status === 408) return route === '' ? 'the request head did not arrive in full (client_header_timeout)' : 'client sent nothing of its body (client_body_timeout)';
    if (status !== 101 && status < 400 && this.raw(AT.completion) !== 'OK') return 'response cut short (the client left or the worker failed mid-response)';
    return null;
  }
}

/** Turns one access log line (its bytes as latin1 text) into an AccessEvent; null for a line that is not one. */
export function parseAccessLine(line: string, memberAt: (address: string) => MemberAt | null): AccessEvent | null {
  return new AccessLineParser(memberAt).parse(line);
}

/** The addresses in `$upstream_addr`, one per attempt. */
function addressesTried(upstream: string): readonly string[] {
  if (upstream === '' || upstream === '-') return NO_ADDRESSES;
  // One attempt, the usual case, without a split.
  if (!upstream.includes(',') && !upstream.includes(' : ')) return ADDRESS.test(upstream) ? [upstream] : NO_ADDRESSES;
  return upstream.split(ATTEMPTS).filter((entry) => ADDRESS.test(entry));
}

/** The last attempt's entry of a per-attempt variable (`-` for an attempt without one). */
function lastOf(values: string): string {
  return values.split(ATTEMPTS).at(-1) ?? '-';
}
