// What the response headers say about one version of a file: its ETag, Last-Modified, type and
// caching rule. Building them (a date string, a few regexes, a MIME lookup) costs more than the stat
// that tells whether the file changed, so they are kept per path and rebuilt only when the stat's
// inode, size or mtime moves.

import type { Stats } from 'node:fs';
import { cacheControlFor } from './cache-policy.ts';
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
    const facts: FileFacts = {
      tag: entityTag(stat),
      lastModified: stat.mtime.toUTCString(),
      contentType,
      compressible: isCompressible(contentType),
      cacheControl: cacheControlFor(publicName),
    };
    if (!entry && this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(file, { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, publicName, facts });
    return facts;
  }
}
