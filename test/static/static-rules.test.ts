// The static server's rules as tables: which names count as hashed, how Accept-Encoding and Range
// are read, and which request paths are refused before the disk is touched.

import { describe, expect, it } from 'vitest';
import { parseRange } from '../../main/core/static/byte-range.ts';
import { cacheControlFor, isHashedName } from '../../main/core/static/cache-policy.ts';
import { acceptedCodings } from '../../main/core/static/content-coding.ts';
import { contentTypeFor, isCompressible } from '../../main/core/static/content-type.ts';
import { parseRequestPath } from '../../main/core/static/request-path.ts';

describe('hashed asset names', () => {
  it.each([
    ['app.3f2a9c1b.js', true],
    ['chunk-AB12CD34.css', true],
    ['index-DiwrgTda.js', true],
    ['vendor.0123456789abcdef.js', true],
    ['font.a1b2c3d4.woff2', true],
    ['app.js', false],
    ['app.3f2a.js', false],
    ['jquery-slimline.js', false],
    ['bundle.min.js', false],
    ['react-dom.production.min.js', false],
    ['app.3f2a9c1b.js.map', false],
    ['ABCDEFGH.js', false],
    ['.3f2a9c1b', false],
  ])('%s → %s', (name, hashed) => {
    expect(isHashedName(name)).toBe(hashed);
  });

  it('never marks HTML immutable, even with a hash in its name', () => {
    expect(cacheControlFor('page.3f2a9c1b.html')).toBe('no-cache');
  });
});

describe('Accept-Encoding', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['gzip', ['gzip']],
    ['gzip, deflate, br, zstd', ['br', 'gzip']],
    ['br;q=0.5, gzip', ['gzip', 'br']],
    ['br;q=0, gzip;q=0.1', ['gzip']],
    ['*', ['br', 'gzip']],
    ['*;q=0.2, br;q=0', ['gzip']],
    ['x-gzip', ['gzip']],
    ['identity', []],
  ])('%j → %j', (header, codings) => {
    expect(acceptedCodings(header)).toEqual(codings);
  });
});

describe('Range', () => {
  it.each([
    [undefined, 100, { kind: 'none' }],
    ['bytes=0-9', 100, { kind: 'range', start: 0, end: 9 }],
    ['bytes=90-', 100, { kind: 'range', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'range', start: 90, end: 99 }],
    ['bytes=-1000', 100, { kind: 'range', start: 0, end: 99 }],
    ['bytes=50-5000', 100, { kind: 'range', start: 50, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=5-1', 100, { kind: 'none' }],
    ['bytes=0-1,3-4', 100, { kind: 'none' }],
    ['lines=0-1', 100, { kind: 'none' }],
    ['bytes=-', 100, { kind: 'none' }],
  ])('%j of %i bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe('request paths', () => {
  it('decodes segments, merges empty ones and remembers the trailing slash', () => {
    expect(parseRequestPath('/a%20b//c/?x=1')).toEqual({ ok: true, segments: ['a b', 'c'], trailingSlash: true, pathname: '/a%20b//c/' });
    expect(parseRequestPath('/')).toMatchObject({ ok: true, segments: [], trailingSlash: true });
    expect(parseRequestPath('/.well-known/x')).toMatchObject({ ok: true, segments: ['.well-known', 'x'] });
  });

  it('refuses drive letters and data streams on Windows only', () => {
    expect(parseRequestPath('/C:/Windows/win.ini', 'win32')).toMatchObject({ ok: false, status: 400 });
    expect(parseRequestPath('/index.html::$DATA', 'win32')).toMatchObject({ ok: false, status: 400 });
    expect(parseRequestPath('/a:b.txt', 'linux')).toMatchObject({ ok: true, segments: ['a:b.txt'] });
  });

  it.each([
    ['http://example.test/x', 400],
    ['*', 400],
    ['/a/%2e/b', 400],
    ['/a%2fb', 400],
    ['/a%5Cb', 400],
    ['/%c0%ae%c0%ae/', 400],
    ['/a/.b', 404],
    ['/x/.well-known/y', 404],
  ])('%s → %i', (target, status) => {
    expect(parseRequestPath(target)).toMatchObject({ ok: false, status });
  });
});

describe('content types', () => {
  it('adds a charset to text and marks only worthwhile types compressible', () => {
    expect(contentTypeFor('a.svg')).toBe('image/svg+xml; charset=utf-8');
    expect(contentTypeFor('a.webmanifest')).toBe('application/manifest+json; charset=utf-8');
    expect(contentTypeFor('a.mjs')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('a.map')).toBe('application/json; charset=utf-8');
    expect(contentTypeFor('LICENSE')).toBe('application/octet-stream');
    expect(isCompressible(contentTypeFor('a.svg'))).toBe(true);
    expect(isCompressible(contentTypeFor('a.wasm'))).toBe(true);
    expect(isCompressible(contentTypeFor('a.woff2'))).toBe(false);
    expect(isCompressible(contentTypeFor('a.jpg'))).toBe(false);
  });
});
