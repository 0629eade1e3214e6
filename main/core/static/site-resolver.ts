// Maps decoded path segments to a file under the site root, looking at the disk once per path per
// turn of the event loop (turn-memo.ts says why that is as fresh as a look per request).
//
// Each component below the root is lstat'ed in turn. When none is a symlink the file is, by
// construction, inside the root, and the last lstat doubles as the file's stat: a file at the top
// of the site costs one system call, against three or more for realpath + stat. Only when a
// component is a symlink is the path resolved with realpath, and then the real path must stay
// inside the root and must not pass through a dotfile, so a link cannot expose what the URL check
// refused. The calls are synchronous on purpose: on a local disk an lstat takes a microsecond or
// two, less than a round trip through libuv's thread pool.

import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { isHiddenSegment } from './request-path.ts';
import { TurnMemo } from './turn-memo.ts';

/** What a request path names under the site root. */
export type Resolution =
  | { kind: 'file'; path: string; stat: Stats; publicName: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'missing' }
  | { kind: 'refused'; why: string }
  | { kind: 'forbidden' };

/** A path that exists inside the root, with the stat of what it names (symlinks followed). */
export type Located = { kind: 'found'; path: string; stat: Stats } | Extract<Resolution, { kind: 'missing' | 'refused' | 'forbidden' }>;

/** The index file served for a directory. */
export const INDEX_FILE = 'index.html';

/** Errors that mean "nothing servable there", as opposed to a failing disk. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG', 'EISDIR']);
const DENIED = new Set(['EACCES', 'EPERM']);

/** Resolves request paths to files under one site root. */
export class SiteResolver {
  private readonly root: string;
  /** Only consulted when a symlink is met, and looked up again whenever a path seems to fall outside it. */
  private rootReal: string;
  private readonly resolved = new TurnMemo<Resolution>();
  private readonly siblings = new TurnMemo<Located>();

  constructor(root: string) {
    this.root = path.resolve(root);
    this.rootReal = realpathOr(this.root);
  }

  /** Resolves `segments` (already decoded and checked by parseRequestPath). */
  resolve(segments: readonly string[], trailingSlash: boolean): Resolution {
    // Segments hold no `/` and are never empty, so the key names one request path.
    const key = (trailingSlash ? '/' : '') + segments.join('/');
    let resolution = this.resolved.get(key);
    if (resolution === undefined) {
      resolution = this.resolveNow(segments, trailingSlash);
      this.resolved.set(key, resolution);
    }
    return resolution;
  }

  /** The file next to `file` (a path `resolve` returned) whose name adds `suffix`, as a precompressed `.br` or `.gz`. */
  sibling(file: string, suffix: string): Located {
    const key = file + suffix;
    let located = this.siblings.get(key);
    if (located === undefined) {
      located = this.locate(path.dirname(file), [path.basename(file) + suffix]);
      this.siblings.set(key, located);
    }
    return located;
  }

  private resolveNow(segments: readonly string[], trailingSlash: boolean): Resolution {
    const found = this.locate(this.root, segments);
    if (found.kind !== 'found') return found;
    if (found.stat.isDirectory()) {
      // As nginx does: `/docs` → `/docs/`, so relative links inside docs/index.html resolve. The
      // Location is relative (`docs/`): behind a proxy route that strips its prefix, an absolute one
      // would leave the route. Built from the checked last segment, it cannot name another host.
      if (!trailingSlash) return { kind: 'redirect', location: `${encodeURIComponent(segments.at(-1) ?? '')}/` };
      const index = this.locate(found.path, [INDEX_FILE]);
      if (index.kind !== 'found') return index;
      return index.stat.isFile() ? { kind: 'file', path: index.path, stat: index.stat, publicName: INDEX_FILE } : { kind: 'missing' };
    }
    // FIFOs, sockets and devices are never read: a FIFO would hang the response forever.
    if (!found.stat.isFile() || trailingSlash) return { kind: 'missing' };
    return { kind: 'file', path: found.path, stat: found.stat, publicName: segments.at(-1) ?? INDEX_FILE };
  }

  /** Finds `segments` below `base`, a folder already known to be inside the root. */
  private locate(base: string, segments: readonly string[]): Located {
    if (segments.length === 0) {
      const stat = statOrProblem(base, statSync);
      return 'kind' in stat ? stat : { kind: 'found', path: base, stat };
    }
    let current = base;
    let stat: Stats | undefined;
    for (let i = 0; i < segments.length; i++) {
      current = path.join(current, segments[i] as string);
      const found = statOrProblem(current, lstatSync);
      if ('kind' in found) return found;
      if (found.isSymbolicLink()) return this.locateReal(path.join(current, ...segments.slice(i + 1)));
      if (i < segments.length - 1 && !found.isDirectory()) return { kind: 'missing' };
      stat = found;
    }
    return { kind: 'found', path: current, stat: stat as Stats };
  }

  /** The slow path, for a path through a symlink: where it really leads, if that is inside the root and not hidden. */
  private locateReal(candidate: string): Located {
    let real: string;
    try {
      real = realpathSync.native(candidate);
    } catch (error) {
      return problemFor(error);
    }
    let relative = this.relativeToRoot(real);
    if (relative === null) {
      // The root may itself be a symlink that was pointed elsewhere since the last look.
      this.rootReal = realpathOr(this.root);
      relative = this.relativeToRoot(real);
      if (relative === null) return { kind: 'refused', why: `it resolves to ${real}, outside the site root ${this.rootReal}` };
    }
    if (relative !== '' && relative.split(path.sep).some(isHiddenSegment)) return { kind: 'refused', why: `it resolves to the hidden path ${relative}` };
    const stat = statOrProblem(real, statSync);
    return 'kind' in stat ? stat : { kind: 'found', path: real, stat };
  }

  private relativeToRoot(real: string): string | null {
    if (real === this.rootReal) return '';
    const prefix = this.rootReal.endsWith(path.sep) ? this.rootReal : this.rootReal + path.sep;
    return real.startsWith(prefix) ? real.slice(prefix.length) : null;
  }
}

function statOrProblem(file: string, stat: (file: string) => Stats): Stats | Exclude<Located, { kind: 'found' }> {
  try {
    return stat(file);
  } catch (error) {
    return problemFor(error);
  }
}

/** Whether `error` from a file system call means that nothing is there (any more). */
export function isAbsent(error: unknown): boolean {
  return ABSENT.has((error as NodeJS.ErrnoException).code ?? '');
}

function problemFor(error: unknown): Exclude<Located, { kind: 'found' | 'refused' }> {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (ABSENT.has(code)) return { kind: 'missing' };
  if (DENIED.has(code)) return { kind: 'forbidden' };
  throw error;
}

function realpathOr(dir: string): string {
  try {
    return realpathSync.native(dir);
  } catch {
    return dir;
  }
}
