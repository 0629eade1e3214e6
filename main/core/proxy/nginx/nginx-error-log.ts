// nginx's error log (its stderr) read for what the builtin proxy reports as passive marks: a
// failed connection to an upstream server, which nginx then skips for fail_timeout.

/** An upstream failure found in one error log line. */
export interface UpstreamFailure {
  /** `127.0.0.1:4123`, as the configuration names the server. */
  address: string;
  /** `connect() failed (111: Connection refused)`, `upstream timed out (110: Connection timed out)`. */
  reason: string;
}

// `… [error] 41#41: *7 connect() failed (111: Connection refused) while connecting to upstream, client: …, upstream: "http://127.0.0.1:4123/api/x", host: …`
const FAILURE = /\[(?:error|crit)\] [^:]*: (?:\*\d+ )?(.+?) while (?:connecting to|reading response header from) upstream, .*?upstream: "https?:\/\/([^/"]+)/;

/**
 * The failure an error log line reports on an upstream server, or null for any other line. Only
 * failures that take a server out of rotation count: a refused or timed-out connection, or a server
 * that closed before answering. A slow answer past the route's timeout is the route's 504, not a mark.
 */
export function parseUpstreamFailure(line: string): UpstreamFailure | null {
  const match = FAILURE.exec(line);
  if (!match) return null;
  const [, reason = '', address = ''] = match;
  if (/timed out/.test(reason) && !/while connecting/.test(line)) return null;
  return { address, reason };
}
