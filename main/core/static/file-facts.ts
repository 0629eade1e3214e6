// What the response headers say about one version of a file: its ETag, Last-Modified, type and
// caching rule. Building them (a date string, a few regexes, a MIME lookup) costs more than the stat
// that tells whether the file changed, so they are kept per path and rebuilt only when the stat's
// inode, size or mtime moves; so is the whole header list of the most common answer, the file's
// bytes as they are, since writeHead reads a prebuilt flat list faster than a fresh object.

import type { Stats } from 'node:fs';
import { NO_CACHE, cacheControlFor } from './cache-policy.ts';
import { contentTypeFor, isCompressible } from './content-type.ts';
import { entityTag } from './validators.ts';

/** The header values of one file version served under one public name. */
export interface FileFacts {
  /** The strong ETag of the identity bytes; also the version key of the body caches. */
  readonly tag: string;
  readonly lastModified: string;
  readonly contentType: string;
  readonly compressible: boolean;
  readonly cacheControl: string;
  /** The headers of a 200 carrying the whole identity body (not as the SPA fallback), but its Content-Length. */
  readonly wholeFileHeadersWithoutLength: readonly string[];
  /** The same with the Content-Length of this version. */
  readonly wholeFileHeaders: readonly string[];
}

/** The headers every 200, 206 and 304 of a file version carries, as writeHead's flat list of names and values. */
export function fileHeaders(facts: Pick<FileFacts, 'lastModified' | 'compressible' | 'cacheControl'>, tag: string, fallback: boolean): string[] {
  const headers = ['Cache-Control', fallback ? NO_CACHE : facts.cacheControl, 'Last-Modified', facts.lastModified, 'X-Content-Type-Options', 'nosniff'];
  if (facts.compressible || fallback) headers.push('Vary', facts.compressible && fallback ? 'Accept-Encoding, Accept' : facts.compressible ? 'Accept-Encoding' : 'Accept');
  headers.push('ETag', tag);
  return headers;
}

interface Entry {
  ino: number;
  size: number;
  mtimeMs: number;
  publicName: string;
  facts: FileFacts;
}

/** Past this many paths the memo starts over: it is a shortcut, never a record of the site. */
const MAX_ENTRIES = 4096;

/** Remembers the FileFacts of the versions last served, per file path. */
export class FileFactsMemo {
  private readonly entries = new Map<string, Entry>();

  /** The facts of `file` at the version `stat` describes, served as `publicName`. */
  get(file: string, publicName: string, stat: Stats): FileFacts {
    const entry = this.entries.get(file);
    if (entry && entry.ino === stat.ino && entry.size === stat.size && entry.mtimeMs === stat.mtimeMs && entry.publicName === publicName) {
      return entry.facts;
    }
    const contentType = contentTypeFor(publicName);
    const tag = entityTag(stat);
    const described = { lastModified: stat.mtime.toUTCString(), compressible: isCompressible(contentType), cacheControl: cacheControlFor(publicName) };
    const withoutLength = [...fileHeaders(described, tag, false), 'Content-Type', contentType, 'Accept-Ranges', 'bytes'];
    const facts: FileFacts = {
      ...described,
      tag,
      contentType,
      wholeFileHeadersWithoutLength: withoutLength,
      wholeFileHeaders: [...withoutLength, 'Content-Length', String(stat.size)],
    };
    if (!entry && this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(file, { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, publicName, facts });
    return facts;
  }
}
