// The request target is checked segment by segment before any file system call: a path that could
// name something outside the site root (dot segments, encoded separators, NUL bytes) is refused
// here, so the resolver never has to undo a traversal. Encoded slashes are refused rather than
// decoded because `/a%2fb` and `/a/b` must not both name the same file behind a proxy that routes by
// prefix.

/** A request target reduced to decoded path segments, or why it was refused. */
export type RequestPath =
  | { ok: true; segments: string[]; trailingSlash: boolean; pathname: string }
  | { ok: false; status: 400 | 404; reason: string; pathname: string };

/**
 * The one dot-folder that is served: RFC 8615 `/.well-known/` holds files meant to be public
 * (security.txt, assetlinks.json), and only at the top level.
 */
export const WELL_KNOWN = '.well-known';

/** Parses the request target of an origin-form request (`/path?query`); `platform` decides which characters a file name may not hold. */
export function parseRequestPath(target: string, platform: NodeJS.Platform = process.platform): RequestPath {
  const end = target.search(/[?#]/);
  const pathname = end === -1 ? target : target.slice(0, end);
  if (!pathname.startsWith('/')) return { ok: false, status: 400, reason: 'the request target must start with /', pathname };
  const segments: string[] = [];
  const raw = pathname.split('/');
  for (let i = 1; i < raw.length; i++) {
    const encoded = raw[i] as string;
    let segment: string;
    try {
      segment = decodeURIComponent(encoded);
    } catch {
      return { ok: false, status: 400, reason: 'malformed percent-encoding', pathname };
    }
    if (segment.includes('/') || segment.includes('\\')) return { ok: false, status: 400, reason: 'encoded or backslash path separators are not allowed', pathname };
    if (segment.includes('\0')) return { ok: false, status: 400, reason: 'NUL bytes are not allowed', pathname };
    if (segment === '.' || segment === '..') return { ok: false, status: 400, reason: 'dot segments are not allowed', pathname };
    // On Windows a colon names a drive (`C:`) or an alternate data stream (`index.html::$DATA`).
    if (platform === 'win32' && segment.includes(':')) return { ok: false, status: 400, reason: 'colons are not allowed in paths on Windows', pathname };
    // Empty segments (`//`) are merged, as nginx's merge_slashes does.
    if (segment === '') continue;
    segments.push(segment);
  }
  const hidden = segments.some((segment, i) => isHiddenSegment(segment, i));
  if (hidden) return { ok: false, status: 404, reason: 'hidden', pathname };
  return { ok: true, segments, trailingSlash: pathname.endsWith('/'), pathname };
}

/** Whether the path segment at `depth` (0 = top level) names a dotfile or dot-folder that is never served. */
export function isHiddenSegment(segment: string, depth: number): boolean {
  return segment.startsWith('.') && !(depth === 0 && segment === WELL_KNOWN);
}
