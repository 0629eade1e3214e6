// The handler on a real HTTP server in this process, against real files in a temp folder.

import { execFileSync } from 'node:child_process';
import { rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_JSON, FROM_BR, FROM_GZ, bundleText, createFixtureSite, get, rawExchange, startHandlerServer, type FixtureSite } from './static-fixture.ts';

let site: FixtureSite;
let port: number;
let logs: string[];
let close: () => Promise<void>;

beforeAll(async () => {
  site = createFixtureSite();
  ({ port, logs, close } = await startHandlerServer(site.root, true));
});

afterAll(async () => {
  await close();
  site.remove();
});

describe('methods and basic headers', () => {
  it('answers other methods than GET and HEAD with 405 and an Allow header', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const reply = await get(port, '/index.html', {}, method);
      expect(reply.status, method).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
    }
  });

  it('serves files with their content type, a utf-8 charset for text, and nosniff', async () => {
    const cases: [string, string][] = [
      ['/index.html', 'text/html; charset=utf-8'],
      ['/plain.txt', 'text/plain; charset=utf-8'],
      ['/assets/app.3f2a9c1b.js', 'text/javascript; charset=utf-8'],
      ['/assets/chunk-AB12CD34.css', 'text/css; charset=utf-8'],
      ['/assets/data.json', 'application/json; charset=utf-8'],
      ['/assets/logo.png', 'image/png'],
    ];
    for (const [target, type] of cases) {
      const reply = await get(port, target);
      expect(reply.status, target).toBe(200);
      expect(reply.headers['content-type'], target).toBe(type);
      expect(reply.headers['x-content-type-options'], target).toBe('nosniff');
    }
    const missing = await get(port, '/nope.txt');
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers HEAD with the headers of GET and no body at all', async () => {
    const getReply = await get(port, '/assets/app.3f2a9c1b.js');
    const answer = await rawExchange(port, 'HEAD /assets/app.3f2a9c1b.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const [head = '', after] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(after).toBe('');
    expect(head).toContain(`Content-Length: ${getReply.body.length}`);
    expect(head).toContain(`ETag: ${getReply.headers.etag}`);
    expect(head).toContain('Content-Type: text/javascript; charset=utf-8');
  });

  it('says which path was not found in a small plain-text 404', async () => {
    const reply = await get(port, '/missing/file.txt');
    expect(reply.status).toBe(404);
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(reply.text).toContain('/missing/file.txt was not found');
    expect(reply.body.length).toBeLessThan(200);
  });
});

describe('validators and 304', () => {
  it('sends ETag and Last-Modified, and answers a matching If-None-Match with 304', async () => {
    const first = await get(port, '/plain.txt');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(first.headers['last-modified']).toBe(statSync(path.join(site.root, 'plain.txt')).mtime.toUTCString());
    const again = await get(port, '/plain.txt', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    const weak = await get(port, '/plain.txt', { 'if-none-match': `"other", W/${etag}` });
    expect(weak.status).toBe(304);
    const other = await get(port, '/plain.txt', { 'if-none-match': '"something-else"' });
    expect(other.status).toBe(200);
  });

  it('answers If-Modified-Since with 304 when the file is not newer, 200 when it is', async () => {
    const first = await get(port, '/plain.txt');
    const lastModified = first.headers['last-modified'] as string;
    expect((await get(port, '/plain.txt', { 'if-modified-since': lastModified })).status).toBe(304);
    const before = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    expect((await get(port, '/plain.txt', { 'if-modified-since': before })).status).toBe(200);
  });

  it('lets If-None-Match win over If-Modified-Since', async () => {
    const first = await get(port, '/plain.txt');
    const reply = await get(port, '/plain.txt', { 'if-none-match': '"stale"', 'if-modified-since': first.headers['last-modified'] as string });
    expect(reply.status).toBe(200);
  });
});

describe('range requests', () => {
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

  it('answers a byte range with 206 and exactly those bytes', async () => {
    const reply = await get(port, '/range.bin', { range: 'bytes=10-19' });
    expect(reply.status).toBe(206);
    expect(reply.headers['content-range']).toBe('bytes 10-19/1000');
    expect(reply.headers['accept-ranges']).toBe('bytes');
    expect(reply.body).toEqual(bytes.subarray(10, 20));
  });

  it('handles suffix and open-ended ranges', async () => {
    const suffix = await get(port, '/range.bin', { range: 'bytes=-5' });
    expect(suffix.status).toBe(206);
    expect(suffix.headers['content-range']).toBe('bytes 995-999/1000');
    expect(suffix.body).toEqual(bytes.subarray(995));
    const open = await get(port, '/range.bin', { range: 'bytes=990-' });
    expect(open.body).toEqual(bytes.subarray(990));
    const clipped = await get(port, '/range.bin', { range: 'bytes=998-5000' });
    expect(clipped.headers['content-range']).toBe('bytes 998-999/1000');
  });

  it('answers an unsatisfiable range with 416 and the real size', async () => {
    const reply = await get(port, '/range.bin', { range: 'bytes=1000-' });
    expect(reply.status).toBe(416);
    expect(reply.headers['content-range']).toBe('bytes */1000');
  });

  it('sends the whole file for multiple ranges or a malformed Range', async () => {
    for (const range of ['bytes=0-1,5-6', 'bytes=abc', 'items=0-1', 'bytes=9-3']) {
      const reply = await get(port, '/range.bin', { range });
      expect(reply.status, range).toBe(200);
      expect(reply.body.length, range).toBe(1000);
    }
  });

  it('honours If-Range only when it matches the current ETag or date', async () => {
    const { headers } = await get(port, '/range.bin');
    const matching = await get(port, '/range.bin', { range: 'bytes=0-9', 'if-range': headers.etag as string });
    expect(matching.status).toBe(206);
    const byDate = await get(port, '/range.bin', { range: 'bytes=0-9', 'if-range': headers['last-modified'] as string });
    expect(byDate.status).toBe(206);
    const stale = await get(port, '/range.bin', { range: 'bytes=0-9', 'if-range': '"an-old-version"' });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(1000);
  });

  it('never compresses a range, even of a compressible file', async () => {
    const reply = await get(port, '/assets/large.js', { range: 'bytes=0-99', 'accept-encoding': 'br, gzip' });
    expect(reply.status).toBe(206);
    expect(reply.headers['content-encoding']).toBeUndefined();
    expect(reply.text).toBe(bundleText(200 * 1024).slice(0, 100));
  });
});

describe('compression', () => {
  it('serves the precompressed sibling the client accepts, with the original content type', async () => {
    const br = await get(port, '/pre/app.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.headers.vary).toContain('Accept-Encoding');
    expect(zlib.brotliDecompressSync(br.body).toString()).toBe(FROM_BR);

    const gz = await get(port, '/pre/app.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.body).toString()).toBe(FROM_GZ);

    const preferGzip = await get(port, '/pre/app.js', { 'accept-encoding': 'br;q=0.5, gzip;q=1' });
    expect(preferGzip.headers['content-encoding']).toBe('gzip');

    const none = await get(port, '/pre/app.js');
    expect(none.headers['content-encoding']).toBeUndefined();
    expect(none.text).toBe('console.log("the original");\n');
    expect(new Set([br.headers.etag, gz.headers.etag, none.headers.etag]).size).toBe(3);
  });

  it('ignores a sibling older than its source', async () => {
    const reply = await get(port, '/pre/stale.js', { 'accept-encoding': 'gzip' });
    expect(reply.headers['content-encoding']).toBeUndefined();
    expect(reply.text).toBe('console.log("edited after the build");\n');
  });

  it('compresses a large script on the fly with gzip or brotli, decoding to the file', async () => {
    const original = bundleText(200 * 1024);
    const gz = await get(port, '/assets/large.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toContain('Accept-Encoding');
    expect(Number(gz.headers['content-length'])).toBe(gz.body.length);
    expect(gz.body.length).toBeLessThan(original.length / 3);
    expect(zlib.gunzipSync(gz.body).toString()).toBe(original);

    const br = await get(port, '/assets/large.js', { 'accept-encoding': 'gzip, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(br.body).toString()).toBe(original);

    const identity = await get(port, '/assets/large.js');
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.text).toBe(original);
    expect(new Set([gz.headers.etag, br.headers.etag, identity.headers.etag]).size).toBe(3);

    const revalidated = await get(port, '/assets/large.js', { 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag as string });
    expect(revalidated.status).toBe(304);
    const head = await get(port, '/assets/large.js', { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(Number(head.headers['content-length'])).toBe(gz.body.length);
  });

  it('gives concurrent requests for a file being compressed the same bytes', async () => {
    const replies = await Promise.all(Array.from({ length: 6 }, () => get(port, '/assets/data.json', { 'accept-encoding': 'br' })));
    for (const reply of replies) {
      expect(reply.headers['content-encoding']).toBe('br');
      expect(zlib.brotliDecompressSync(reply.body).toString()).toBe(DATA_JSON);
    }
  });

  it('does not compress images or files under 1 KiB, and images do not vary on Accept-Encoding', async () => {
    const png = await get(port, '/assets/logo.png', { 'accept-encoding': 'br, gzip' });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.headers.vary).toBeUndefined();
    expect(png.body.length).toBe(4104);
    const small = await get(port, '/assets/small.js', { 'accept-encoding': 'br, gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.text).toBe('export const small = true;\n');
  });

  it('does not compress for a client that refuses every coding', async () => {
    const reply = await get(port, '/assets/large.js', { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(reply.headers['content-encoding']).toBeUndefined();
  });
});

describe('cache headers', () => {
  it('makes HTML revalidate, hashed assets immutable and everything else revalidate', async () => {
    const cases: [string, string][] = [
      ['/', 'no-cache'],
      ['/index.html', 'no-cache'],
      ['/docs/', 'no-cache'],
      ['/assets/app.3f2a9c1b.js', 'public, max-age=31536000, immutable'],
      ['/assets/chunk-AB12CD34.css', 'public, max-age=31536000, immutable'],
      ['/assets/index-DiwrgTda.js', 'public, max-age=31536000, immutable'],
      ['/assets/small.js', 'max-age=0, must-revalidate'],
      ['/plain.txt', 'max-age=0, must-revalidate'],
    ];
    for (const [target, cacheControl] of cases) {
      const reply = await get(port, target);
      expect(reply.status, target).toBe(200);
      expect(reply.headers['cache-control'], target).toBe(cacheControl);
    }
  });

  it('never lets a cache keep an error', async () => {
    expect((await get(port, '/nope.js')).headers['cache-control']).toBe('no-store');
  });
});

describe('directories', () => {
  it('redirects a folder without its slash, keeping the query, and serves its index.html with it', async () => {
    const redirect = await get(port, '/docs?tab=1');
    expect(redirect.status).toBe(301);
    // Relative, so that it stays under a proxy route that strips its prefix.
    expect(redirect.headers.location).toBe('docs/?tab=1');
    const index = await get(port, '/docs/');
    expect(index.status).toBe(200);
    expect(index.text).toContain('<title>docs</title>');
  });

  it('cannot be turned into an open redirect with a doubled slash', async () => {
    const reply = await get(port, '//docs');
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe('docs/');
  });

  it('answers 404 for a folder without index.html and for a file asked for as a folder', async () => {
    expect((await get(port, '/empty-dir/', { accept: 'application/json' })).status).toBe(404);
    expect((await get(port, '/plain.txt/')).status).toBe(404);
  });
});

describe('SPA fallback', () => {
  it('serves index.html, uncached, for a navigation to a missing route', async () => {
    const reply = await get(port, '/settings/profile', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('<p>the index</p>');
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-cache');
    expect(reply.headers.vary).toContain('Accept');
  });

  it('answers 404 when the request does not want HTML', async () => {
    expect((await get(port, '/settings', { accept: 'application/json' })).status).toBe(404);
    expect((await get(port, '/settings', { accept: '*/*' })).status).toBe(404);
    expect((await get(port, '/settings')).status).toBe(404);
  });

  it('answers 404 for a missing asset, even from a browser', async () => {
    const reply = await get(port, '/assets/app.3f2a9c1b.js.missing', { accept: 'text/html' });
    expect(reply.status).toBe(404);
    const hashed = await get(port, '/assets/app.4e5f6a7b.js', { accept: 'text/html' });
    expect(hashed.status).toBe(404);
    expect(hashed.text).not.toContain('the index');
  });

  it('is off when the site is not an SPA', async () => {
    const plain = await startHandlerServer(site.root, false);
    try {
      expect((await get(plain.port, '/settings', { accept: 'text/html' })).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe('files changed on disk', () => {
  it('serves the new content and a new ETag after a rewrite', async () => {
    const file = site.write('live.txt', 'version one\n');
    const first = await get(port, '/live.txt');
    expect(first.text).toBe('version one\n');
    writeFileSync(file, 'version two, longer\n');
    const second = await get(port, '/live.txt');
    expect(second.text).toBe('version two, longer\n');
    expect(second.headers.etag).not.toBe(first.headers.etag);
    expect((await get(port, '/live.txt', { 'if-none-match': first.headers.etag as string })).status).toBe(200);
  });

  it('serves a same-size rewrite with an identical mtime fresh (no cached body is trusted while racy)', async () => {
    const file = site.write('racy.txt', 'AAAA\n');
    const moment = new Date(Date.now() - 500);
    utimesSync(file, moment, moment);
    expect((await get(port, '/racy.txt')).text).toBe('AAAA\n');
    writeFileSync(file, 'BBBB\n');
    utimesSync(file, moment, moment);
    expect((await get(port, '/racy.txt')).text).toBe('BBBB\n');
  });

  it('serves a same-size rewrite with an identical mtime freshly compressed too', async () => {
    const file = site.write('assets/racy.js', bundleText(4000));
    const moment = new Date(Date.now() - 500);
    utimesSync(file, moment, moment);
    const before = await get(port, '/assets/racy.js', { 'accept-encoding': 'gzip' });
    expect(zlib.gunzipSync(before.body).toString()).toBe(bundleText(4000));
    const edited = bundleText(4000).replace('handler0', 'HANDLER0');
    writeFileSync(file, edited);
    utimesSync(file, moment, moment);
    const after = await get(port, '/assets/racy.js', { 'accept-encoding': 'gzip' });
    expect(zlib.gunzipSync(after.body).toString()).toBe(edited);
  });

  it('serves a cached body again only while the file is unchanged, and a new one after an edit', async () => {
    const file = site.write('cached.txt', 'first body\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    expect((await get(port, '/cached.txt')).text).toBe('first body\n');
    expect((await get(port, '/cached.txt')).text).toBe('first body\n');
    writeFileSync(file, 'second body\n');
    expect((await get(port, '/cached.txt')).text).toBe('second body\n');
  });

  it('serves a file created after start and forgets a deleted one', async () => {
    expect((await get(port, '/later.txt')).status).toBe(404);
    const file = site.write('later.txt', 'here now\n');
    expect((await get(port, '/later.txt')).text).toBe('here now\n');
    rmSync(file);
    expect((await get(port, '/later.txt')).status).toBe(404);
  });

  it('recompresses an edited large file instead of serving the old compressed copy', async () => {
    const file = site.write('assets/edited.js', bundleText(5000));
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    const before = await get(port, '/assets/edited.js', { 'accept-encoding': 'gzip' });
    expect(zlib.gunzipSync(before.body).toString()).toBe(bundleText(5000));
    writeFileSync(file, bundleText(6000));
    const after = await get(port, '/assets/edited.js', { 'accept-encoding': 'gzip' });
    expect(zlib.gunzipSync(after.body).toString()).toBe(bundleText(6000));
  });
});

describe('files that are not plain files', () => {
  it.skipIf(process.platform === 'win32')('answers 404 for a FIFO instead of hanging on it', async () => {
    execFileSync('mkfifo', [path.join(site.root, 'pipe.txt')]);
    expect((await get(port, '/pipe.txt')).status).toBe(404);
  });

  it('cuts the connection when a streamed file shrinks mid-send, instead of leaving the client waiting', async () => {
    const file = site.write('shrinking.bin', Buffer.alloc(16 * 1024 * 1024, 1));
    const agent = new http.Agent({ keepAlive: true });
    try {
      const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/shrinking.bin', agent }, resolve).once('error', reject);
      });
      expect(response.headers['content-length']).toBe(String(16 * 1024 * 1024));
      response.pause();
      truncateSync(file, 1024 * 1024);
      const outcome = await new Promise<string>((resolve) => {
        response.once('end', () => resolve('ended'));
        response.once('error', () => resolve('cut'));
        response.once('aborted', () => resolve('cut'));
        response.resume();
      });
      expect(outcome).toBe('cut');
    } finally {
      agent.destroy();
    }
    expect((await get(port, '/plain.txt')).status).toBe(200);
  });
});

describe('symlinks inside the root', () => {
  it('follows links that stay inside the root', async () => {
    expect((await get(port, '/inside-link.txt')).text).toBe('just some plain text\n');
    expect((await get(port, '/assets-link/small.js')).text).toBe('export const small = true;\n');
  });

  it('reports a link that escapes the root in the log', async () => {
    await get(port, '/leak');
    expect(logs.some((line) => line.includes('/leak') && line.includes('outside the site root'))).toBe(true);
  });
});
