// The request handler of one static site. The disk is looked at once per path per event-loop turn
// (turn-memo.ts), which under load is once for many requests and is still fresh enough that an edit
// on disk shows on the next request; what is cached in memory (file bodies, compressed forms) is
// keyed by the version that look returned and so can never be served stale; so are the header
// values (file-facts.ts), which cost more to build than the look.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { BodyCache } from './body-cache.ts';
import { parseRange } from './byte-range.ts';
import { NO_STORE } from './cache-policy.ts';
import { SIBLING_SUFFIX, acceptedCodings, type ContentCoding } from './content-coding.ts';
import { FileFactsMemo, fileHeaders, type FileFacts } from './file-facts.ts';
import { parseRequestPath } from './request-path.ts';
import { SiteResolver, isAbsent, type Resolution } from './site-resolver.ts';
import { entityTag, ifRangeHolds, isNotModified, isRecentlyModified } from './validators.ts';

/** How a static site is served. */
export interface StaticHandlerOptions {
  /** Absolute path of the folder to serve. */
  root: string;
  /** Answer navigation requests for missing paths with the root index.html. */
  spa: boolean;
  /** Where unexpected failures and refused symlinks are reported; stderr by default. */
  log?: (line: string) => void;
}

/**
 * A node:http request listener. `target` is the path and query to serve, `req.url` by default; the
 * proxy passes the route's forwarded target (a stripped prefix, an absolute-form request).
 */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse, target?: string) => void;

/** Smaller text files are sent as they are: compression would save less than its headers cost. */
export const MIN_COMPRESS_BYTES = 1024;
/** Files up to this size are compressed whole and the result cached; larger ones are compressed as a stream. */
const MAX_BUFFERED_COMPRESS_BYTES = 8 * 1024 * 1024;
const BODY_CACHE_BYTES = 64 * 1024 * 1024;
/**
 * Node has no sendfile: a file read from disk crosses user space twice per request, which cost a
 * 5 MiB file about 40x nginx's CPU. Sent from memory it is copied once, into the socket (about 2x).
 * Idle bodies leave the cache within two minutes (BodyCache), so the memory is not held all day.
 */
export const MAX_CACHED_BODY_BYTES = 8 * 1024 * 1024;
const COMPRESSED_CACHE_BYTES = 32 * 1024 * 1024;
/** Larger files are read in big chunks: each chunk is a thread-pool round trip and a socket write. */
const STREAM_CHUNK_BYTES = 1024 * 1024;
/** Brotli 5 and gzip 6 compress a 1 MiB bundle in a few milliseconds; the result is cached anyway. */
const BROTLI_QUALITY = 5;
const GZIP_LEVEL = 6;
/** Streams are compressed once per request, so they get the faster levels. */
const STREAM_BROTLI_QUALITY = 4;
const STREAM_GZIP_LEVEL = 4;

const brotliCompress = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Creates the request listener that serves `options.root`. */
export function createStaticHandler(options: StaticHandlerOptions): StaticHandler {
  const site = new StaticSite(options);
  return (req, res, target = req.url ?? '/') => {
    // A file already in memory is answered without a single await; only reads and compression go async.
    try {
      site.handle(req, res, target)?.catch((error: unknown) => site.failed(req, res, target, error));
    } catch (error) {
      site.failed(req, res, target, error);
    }
  };
}

type ServedFile = Extract<Resolution, { kind: 'file' }>;

/** How the body of a 200/206 is produced. */
type Body =
  | { kind: 'identity' }
  | { kind: 'range'; start: number; end: number }
  | { kind: 'sibling'; coding: ContentCoding; path: string; stat: fs.Stats }
  | { kind: 'compress'; coding: ContentCoding };

class StaticSite {
  private readonly resolver: SiteResolver;
  private readonly spa: boolean;
  private readonly log: (line: string) => void;
  private readonly bodies = new BodyCache(BODY_CACHE_BYTES, MAX_CACHED_BODY_BYTES);
  private readonly compressedBodies = new BodyCache(COMPRESSED_CACHE_BYTES, MAX_BUFFERED_COMPRESS_BYTES);
  private readonly facts = new FileFactsMemo();
  /** Concurrent requests for a file being compressed share one compression. */
  private readonly compressing = new Map<string, { version: string; done: Promise<Buffer> }>();

  constructor(options: StaticHandlerOptions) {
    this.resolver = new SiteResolver(options.root);
    this.spa = options.spa;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Answers one request; returns a promise only when the answer waits for a read or a compression. */
  handle(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> | undefined {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendText(req, res, 405, `${req.method ?? 'this method'} is not allowed; a static site answers GET and HEAD only`, { Allow: 'GET, HEAD' });
    }
    const target = parseRequestPath(url);
    if (!target.ok) {
      if (target.status === 404) return notFound(req, res, target.pathname);
      return sendText(req, res, 400, `${target.reason} (in ${shown(target.pathname)})`);
    }
    let resolved = this.resolver.resolve(target.segments, target.trailingSlash);
    let fallback = false;
    if (resolved.kind === 'missing' && this.spa && isNavigation(req, target.segments, target.trailingSlash)) {
      const index = this.resolver.resolve([], true);
      if (index.kind === 'file') {
        resolved = index;
        fallback = true;
      }
    }
    switch (resolved.kind) {
      case 'file':
        return this.serveFile(req, res, resolved, fallback);
      case 'redirect': {
        const query = url.indexOf('?');
        const location = resolved.location + (query === -1 ? '' : url.slice(query));
        return sendText(req, res, 301, `moved to ${resolved.location}`, { Location: location });
      }
      case 'forbidden':
        return sendText(req, res, 403, `permission denied reading ${shown(target.pathname)}`);
      case 'refused':
        this.log(`static: refused ${shown(target.pathname)}: ${resolved.why}`);
        return notFound(req, res, target.pathname);
      case 'missing':
        return notFound(req, res, target.pathname);
    }
  }

  /** Reports an unexpected failure and answers 500, or cuts the connection when the response had started; a file gone meanwhile is a 404. */
  failed(req: IncomingMessage, res: ServerResponse, target: string, error: unknown): void {
    // Deleted between the look and the read: the answer the next request gets, not a failure.
    if (isAbsent(error) && !res.headersSent) return void notFound(req, res, target.split('?', 1)[0] as string);
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.log(`static: ${req.method} ${req.url} failed: ${detail}`);
    if (res.headersSent) res.destroy();
    else sendText(req, res, 500, 'the static server failed to read this file; its log has the details');
  }

  private serveFile(req: IncomingMessage, res: ServerResponse, file: ServedFile, fallback: boolean): Promise<void> | undefined {
    const { stat } = file;
    const facts = this.facts.get(file.path, file.publicName, stat);
    const identityTag = facts.tag;
    let range = parseRange(req.headers.range, stat.size);
    if (range.kind !== 'none' && !ifRangeHolds(req.headers['if-range'], identityTag, stat)) range = { kind: 'none' };
    // A range always addresses the identity bytes: compressing would change what the offsets mean.
    const body: Body =
      range.kind === 'range'
        ? { kind: 'range', start: range.start, end: range.end }
        : range.kind === 'unsatisfiable' || !facts.compressible
          ? { kind: 'identity' }
          : this.chooseEncoding(req, file);
    const tag = body.kind === 'sibling' ? entityTag(body.stat) : body.kind === 'compress' ? entityTag(stat, `-${body.coding}`) : identityTag;
    const notModified = isNotModified(req, tag, stat);
    const head = req.method === 'HEAD';
    if (body.kind === 'identity' && range.kind === 'none' && !fallback && !notModified) return this.sendWholeFile(res, file, facts, head);

    const headers = fileHeaders(facts, tag, fallback);
    if (notModified) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    if (range.kind === 'unsatisfiable') {
      return sendText(req, res, 416, `the requested range is outside the file's ${stat.size} bytes`, { 'Content-Range': `bytes */${stat.size}` });
    }
    headers.push('Content-Type', facts.contentType, 'Accept-Ranges', 'bytes');
    switch (body.kind) {
      case 'identity':
        return this.sendFile(res, 200, headers, file.path, stat, identityTag, head);
      case 'range': {
        const length = body.end - body.start + 1;
        headers.push('Content-Range', `bytes ${body.start}-${body.end}/${stat.size}`, 'Content-Length', String(length));
        res.writeHead(206, headers);
        if (head) return void res.end();
        const cached = this.bodies.get(file.path, identityTag);
        if (cached) return void res.end(cached.subarray(body.start, body.end + 1));
        return sendStream(res, fs.createReadStream(file.path, { start: body.start, end: body.end, highWaterMark: STREAM_CHUNK_BYTES }), length);
      }
      case 'sibling':
        headers.push('Content-Encoding', body.coding);
        return this.sendFile(res, 200, headers, body.path, body.stat, tag, head);
      case 'compress':
        headers.push('Content-Encoding', body.coding);
        if (stat.size > MAX_BUFFERED_COMPRESS_BYTES) return this.sendCompressedStream(res, headers, file.path, body.coding, head);
        return this.compressed(file, body.coding, identityTag).then((compressed) => writeBody(res, 200, headers, compressed, head));
    }
  }

  /** The most common answer: the file's bytes as they are, from memory when they are cached, under headers built once per version. */
  private sendWholeFile(res: ServerResponse, file: ServedFile, facts: FileFacts, head: boolean): Promise<void> | undefined {
    const cached = head ? undefined : this.bodies.get(file.path, facts.tag);
    if (head || cached) {
      // A cached body is the version the facts describe, so its length is the Content-Length they carry.
      res.writeHead(200, facts.wholeFileHeaders as string[]);
      res.end(cached);
      return;
    }
    // A copy: sendFile adds the Content-Length of what it reads.
    return this.sendFile(res, 200, [...facts.wholeFileHeadersWithoutLength], file.path, file.stat, facts.tag, head);
  }

  /** A precompressed sibling when one is current, else on-the-fly compression, else identity. */
  private chooseEncoding(req: IncomingMessage, file: ServedFile): Body {
    const codings = acceptedCodings(req.headers['accept-encoding']);
    for (const coding of codings) {
      const sibling = this.resolver.sibling(file.path, SIBLING_SUFFIX[coding]);
      // A sibling older than its source was left behind by an earlier build: serving it would undo the edit.
      if (sibling.kind === 'found' && sibling.stat.isFile() && sibling.stat.mtimeMs >= file.stat.mtimeMs) {
        return { kind: 'sibling', coding, path: sibling.path, stat: sibling.stat };
      }
    }
    const [preferred] = codings;
    if (preferred && file.stat.size >= MIN_COMPRESS_BYTES) return { kind: 'compress', coding: preferred };
    return { kind: 'identity' };
  }

  private sendFile(res: ServerResponse, status: number, headers: string[], file: string, stat: fs.Stats, version: string, head: boolean): Promise<void> | undefined {
    // A large file still being written is streamed: read whole it would not be cached, so each request would hold its own copy.
    if (head || !this.bodies.accepts(stat.size) || (stat.size > STREAM_CHUNK_BYTES && isRecentlyModified(stat))) {
      headers.push('Content-Length', String(stat.size));
      res.writeHead(status, headers);
      if (head) return void res.end();
      return sendStream(res, fs.createReadStream(file, { highWaterMark: STREAM_CHUNK_BYTES }), stat.size);
    }
    const cached = this.bodies.get(file, version);
    if (cached) return writeBody(res, status, headers, cached, false);
    return this.readBody(file, stat).then((body) => writeBody(res, status, headers, body, false));
  }

  /** The whole file, from the cache when it holds this version. */
  private async readBody(file: string, stat: fs.Stats): Promise<Buffer> {
    const version = entityTag(stat);
    const cached = this.bodies.get(file, version);
    if (cached) return cached;
    const body = await fsp.readFile(file);
    if (body.length === stat.size && !isRecentlyModified(stat) && this.bodies.accepts(body.length)) {
      // Only cached when a second stat shows that the bytes read belong to the version looked up.
      const after = await fsp.stat(file).catch(() => null);
      if (after && entityTag(after) === version) this.bodies.set(file, version, body);
    }
    return body;
  }

  private async compressed(file: ServedFile, coding: ContentCoding, version: string): Promise<Buffer> {
    const key = `${coding}:${file.path}`;
    const cached = this.compressedBodies.get(key, version);
    if (cached) return cached;
    const running = this.compressing.get(key);
    if (running?.version === version) return running.done;
    const done = (async () => {
      const source = await this.readBody(file.path, file.stat);
      const output = coding === 'br' ? await brotliCompress(source, brotliOptions(BROTLI_QUALITY, source.length)) : await gzip(source, { level: GZIP_LEVEL });
      if (source.length === file.stat.size && !isRecentlyModified(file.stat)) this.compressedBodies.set(key, version, output);
      return output;
    })();
    this.compressing.set(key, { version, done });
    try {
      return await done;
    } finally {
      if (this.compressing.get(key)?.done === done) this.compressing.delete(key);
    }
  }

  private sendCompressedStream(res: ServerResponse, headers: string[], file: string, coding: ContentCoding, head: boolean): undefined {
    // The compressed length is unknown without compressing, so the body goes chunked and a HEAD answers without Content-Length.
    res.writeHead(200, headers);
    if (head) return void res.end();
    const encoder = coding === 'br' ? zlib.createBrotliCompress(brotliOptions(STREAM_BROTLI_QUALITY, 0)) : zlib.createGzip({ level: STREAM_GZIP_LEVEL });
    pipeline(fs.createReadStream(file, { highWaterMark: STREAM_CHUNK_BYTES }), encoder, res, (error) => {
      if (error && !res.destroyed) res.destroy();
    });
  }
}

function brotliOptions(quality: number, sizeHint: number): zlib.BrotliOptions {
  return {
    params: {
      [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
      [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
      ...(sizeHint > 0 ? { [zlib.constants.BROTLI_PARAM_SIZE_HINT]: sizeHint } : {}),
    },
  };
}

/**
 * Pipes a file into the response and ends it only when exactly `expected` bytes went out: a file
 * truncated mid-send would otherwise leave a keep-alive client waiting for bytes that never come.
 */
function sendStream(res: ServerResponse, stream: fs.ReadStream, expected: number): undefined {
  let sent = 0;
  stream.on('data', (chunk: string | Buffer) => {
    sent += chunk.length;
  });
  stream.pipe(res, { end: false });
  stream.once('end', () => (sent === expected ? res.end() : res.destroy()));
  stream.once('error', () => res.destroy());
  res.once('close', () => stream.destroy());
  return undefined;
}

function writeBody(res: ServerResponse, status: number, headers: string[], body: Buffer, head: boolean): undefined {
  headers.push('Content-Length', String(body.length));
  res.writeHead(status, headers);
  res.end(head ? undefined : body);
  return undefined;
}

/** A navigation is what a browser sends for a URL typed or clicked: it wants HTML and names no file type. */
function isNavigation(req: IncomingMessage, segments: readonly string[], trailingSlash: boolean): boolean {
  const accept = req.headers.accept ?? '';
  if (!/(^|[\s,])text\/html\s*(;|,|$)/i.test(accept)) return false;
  const last = trailingSlash ? '' : (segments.at(-1) ?? '');
  return !last.includes('.');
}

function notFound(req: IncomingMessage, res: ServerResponse, pathname: string): undefined {
  return sendText(req, res, 404, `${shown(pathname)} was not found under this site`);
}

/** Request paths are echoed in error bodies cut to a readable length (nosniff and text/plain keep them inert). */
function shown(pathname: string): string {
  return pathname.length > 200 ? `${pathname.slice(0, 200)}…` : pathname;
}

function sendText(req: IncomingMessage, res: ServerResponse, status: number, message: string, extra: OutgoingHttpHeaders = {}): undefined {
  const body = `${status} ${STATUS_CODES[status] ?? ''}: ${message}\n`;
  res.writeHead(status, {
    ...extra,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': NO_STORE,
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return undefined;
}
