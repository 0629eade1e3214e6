// ETags and the conditional-request rules of RFC 9110 §13 that a static server needs.

import type { Stats } from 'node:fs';
import type { IncomingMessage } from 'node:http';

/**
 * A strong ETag from inode, size and mtime (microseconds). Like nginx's, it cannot tell apart two
 * same-size writes within one file system timestamp tick; content caches guard against that
 * separately (see isRecentlyModified).
 */
export function entityTag(stat: Stats, suffix = ''): string {
  // Decimal, because number-to-string in any other radix is several times slower, on every request.
  return `"${stat.ino}-${stat.size}-${Math.round(stat.mtimeMs * 1000)}${suffix}"`;
}

/** How long after its mtime a file counts as possibly still being written. */
export const RECENT_WRITE_MS = 2000;

/**
 * Whether the file changed so recently that a second write in the same timestamp tick (Linux file
 * times are often jiffy-grained) could leave size and mtime unchanged: git's "racily clean" problem.
 * Such files are served from disk and never cached.
 */
export function isRecentlyModified(stat: Stats, now = Date.now()): boolean {
  return now - stat.mtimeMs < RECENT_WRITE_MS;
}

/** Whether the request's validators say the client's copy (tagged `tag`) is current: answer 304. */
export function isNotModified(req: IncomingMessage, tag: string, stat: Stats): boolean {
  const noneMatch = req.headers['if-none-match'];
  // If-None-Match wins over If-Modified-Since when both are present (RFC 9110 §13.2.2).
  if (noneMatch !== undefined) {
    if (noneMatch.trim() === '*') return true;
    return noneMatch.split(',').some((candidate) => withoutWeakPrefix(candidate.trim()) === tag);
  }
  const modifiedSince = req.headers['if-modified-since'];
  if (modifiedSince === undefined) return false;
  const since = Date.parse(modifiedSince);
  return !Number.isNaN(since) && wholeSeconds(stat.mtimeMs) <= since;
}

/** Whether an If-Range precondition holds, so the Range may be honoured (RFC 9110 §13.1.5). */
export function ifRangeHolds(ifRange: string | string[] | undefined, tag: string, stat: Stats): boolean {
  if (ifRange === undefined) return true;
  // Repeated, it cannot be evaluated, so the whole file is sent rather than a range of the wrong one.
  if (Array.isArray(ifRange)) return false;
  const value = ifRange.trim();
  // If-Range needs a strong match: a weak tag never matches.
  if (value.startsWith('W/')) return false;
  if (value.startsWith('"')) return value === tag;
  return Date.parse(value) === wholeSeconds(stat.mtimeMs);
}

function withoutWeakPrefix(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** HTTP dates have one-second resolution, so mtimes are compared truncated to the second. */
function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
