// Static sites served by nginx itself, with the builtin static handler's rules: GET and HEAD only,
// dotfiles (but a top-level .well-known) answered 404, Cache-Control by file name (cache-policy.ts),
// the SPA fallback only for navigation requests (HTML accepted, no extension), and the same
// content types (content-type.ts) as an inline `types` block, so the file needs no mime.types.

import { mimes } from 'mrmime';
import { IMMUTABLE, NO_CACHE, NO_STORE, REVALIDATE } from '../../static/cache-policy.ts';
import { contentTypeFor, FALLBACK_TYPE, isCompressible } from '../../static/content-type.ts';
import type { ConfWriter } from './nginx-syntax.ts';
import { quoted, quotedRegex, quotedTemplate } from './nginx-syntax.ts';

/** Extensions content-type.ts corrects or adds on top of mrmime. */
const EXTRA_EXTENSIONS = ['cjs', 'ico', 'eot'];

/** Files smaller than this are sent uncompressed, as by the builtin (MIN_COMPRESS_BYTES). */
const MIN_COMPRESS_BYTES = 1024;

interface TypeTable {
  /** Type → its extensions, both sorted. */
  byType: [string, string[]][];
  /** Types that get `; charset=utf-8`. */
  charsetTypes: string[];
  compressibleTypes: string[];
}

let typeTable: TypeTable | null = null;

function types(): TypeTable {
  if (typeTable !== null) return typeTable;
  const byType = new Map<string, string[]>();
  const charset = new Set<string>();
  for (const extension of [...new Set([...Object.keys(mimes), ...EXTRA_EXTENSIONS])].sort()) {
    const full = contentTypeFor(`file.${extension}`);
    const type = full.split(';', 1)[0] as string;
    if (type === FALLBACK_TYPE) continue;
    if (full !== type) charset.add(type);
    byType.set(type, [...(byType.get(type) ?? []), extension]);
  }
  const sorted = [...byType.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // text/html is always compressed by nginx's gzip and may not be listed again.
  const compressible = sorted.map(([type]) => type).filter((type) => isCompressible(type) && type !== 'text/html');
  // text/html gets its charset without being listed (listing it again is a warning).
  charset.delete('text/html');
  typeTable = { byType: sorted, charsetTypes: [...charset].sort(), compressibleTypes: compressible };
  return typeTable;
}

/** The http-level content type directives: the types block, the default and the charset rule. */
export function writeTypes(out: ConfWriter): void {
  const table = types();
  out.block('types', () => {
    for (const [type, extensions] of table.byType) out.line(`${type} ${extensions.join(' ')}`);
  });
  out.line(`default_type ${FALLBACK_TYPE}`);
  out.line('charset utf-8');
  out.line(`charset_types ${table.charsetTypes.join(' ')}`);
}

/**
 * A hashed file name as cache-policy.ts's isHashedName sees it: the last `.`/`-` piece of the name
 * without its extension, 8+ of `[A-Za-z0-9_]` with a digit or both cases.
 */
const HASHED_NAME = '[.-](?:(?=[A-Za-z0-9_]*[0-9])|(?=[A-Za-z0-9_]*[a-z])(?=[A-Za-z0-9_]*[A-Z]))[A-Za-z0-9_]{8,}\\.[^./]+$';

/** The maps the static locations read; written once at http level when some site is served. */
export function writeStaticMaps(out: ConfWriter): void {
  out.block('map $uri $sy_static_cache', () => {
    out.line(`${quotedRegex('~*\\.html?$')} ${quoted(NO_CACHE)}`);
    out.line(`${quotedRegex(`~${HASHED_NAME}`)} ${quoted(IMMUTABLE)}`);
    out.line(`default ${quoted(REVALIDATE)}`);
  });
  // static-handler.ts isNavigation: the Accept header names text/html, and the last segment has no dot.
  out.block('map $http_accept $sy_accepts_html', () => {
    out.line(`${quotedRegex('~*(^|[\\s,])text/html\\s*(;|,|$)')} 1`);
    out.line('default 0');
  });
  out.block('map $uri $sy_names_file', () => {
    out.line(`${quotedRegex('~\\.[^/]*$')} 1`);
    out.line('default 0');
  });
  out.block('map $sy_accepts_html$sy_names_file $sy_navigation', () => {
    out.line('10 1');
    out.line('default 0');
  });
}

/**
 * A regex on `$uri` that finds a hidden segment in what the site sees once `cutLiteral` (a regex
 * literal, '' when nothing is stripped) is cut off: any segment starting with a dot, except a top-level `.well-known`.
 * The possessive `/?+` keeps the leading slash from being given back to the `.well-known` test.
 */
export function hiddenPathPattern(cutLiteral: string): string {
  return `^${cutLiteral}/?+(?:\\.well-known(?:/.*)?/\\.|(?!\\.well-known(?:/|$))(?:.*/)?\\.)`;
}

/** What one static location needs. */
export interface StaticLocation {
  site: string;
  root: string;
  spa: boolean;
  /** `$uri` regex of a hidden path (hiddenPathPattern). */
  hiddenPattern: string;
  /**
   * The route strips its prefix: `alias` maps the prefix onto the folder. (A rewrite would make
   * nginx's own index and fallback redirects search the locations again without the prefix.)
   */
  strip: boolean;
}

/** The headers every static answer carries (add_header in a location replaces the inherited ones). */
function writeStaticHeaders(out: ConfWriter, cacheControl: string, always: boolean): void {
  const suffix = always ? ' always' : '';
  out.line(`add_header Cache-Control ${cacheControl}${suffix}`);
  out.line(`add_header X-Content-Type-Options nosniff${suffix}`);
  out.line('add_header X-Request-Id $sy_request_id always');
}

/**
 * What the hidden-path `if` returns to reach the 404 page: an `if` cannot set the text content
 * type itself, and a plain 404 would take an SPA site's fallback, which a dotfile must not.
 */
const HIDDEN_STATUS = 418;

/** A text answer of the static handler's kind (`404 Not Found: /x was not found under this site`), from a location. */
function writeStaticText(out: ConfWriter, status: number, body: string): void {
  writeStaticHeaders(out, quoted(NO_STORE), true);
  out.line('default_type "text/plain; charset=utf-8"');
  out.line(`return ${status} ${quotedTemplate(body)}`);
}

const NOT_FOUND_BODY = '404 Not Found: $uri was not found under this site\n';

/** The body of a route's location that serves `location.site` from its folder. */
export function writeStaticLocationBody(out: ConfWriter, location: StaticLocation): void {
  out.block('if ($request_method !~ ^(GET|HEAD)$)', () => out.line('return 405'));
  out.block(`if ($uri ~ ${quotedRegex(location.hiddenPattern)})`, () => out.line(`return ${HIDDEN_STATUS}`));
  out.line(location.strip ? `alias ${quoted(`${location.root.replace(/\/$/, '')}/`)}` : `root ${quoted(location.root)}`);
  out.line('index index.html');
  writeStaticHeaders(out, '$sy_static_cache', false);
  out.line('gzip on');
  out.line('gzip_static on');
  out.line('gzip_vary on');
  out.line(`gzip_min_length ${MIN_COMPRESS_BYTES}`);
  out.line(`gzip_types ${types().compressibleTypes.join(' ')}`);
  out.line('error_page 405 @sy_static_method');
  out.line(`error_page ${HIDDEN_STATUS} =404 @sy_static_missing`);
  // 403 is nginx's answer for a folder without index.html, which the builtin treats as missing
  // (so a file nginx may not read is a 404 here, where the builtin says 403).
  out.line(`error_page 403 404 ${location.spa ? `= ${spaFallbackName(location.site)}` : '=404 @sy_static_missing'}`);
}

function spaFallbackName(site: string): string {
  return `@sy_spa_${site}`;
}

/** The named locations a server's static locations fall back to; `spaSites` are the SPA sites it serves. */
export function writeStaticFallbacks(out: ConfWriter, spaSites: readonly { site: string; root: string }[]): void {
  out.block('location @sy_static_missing', () => writeStaticText(out, 404, NOT_FOUND_BODY));
  out.block('location @sy_static_method', () => {
    out.line('add_header Allow "GET, HEAD" always');
    writeStaticText(out, 405, '405 Method Not Allowed: $request_method is not allowed; a static site answers GET and HEAD only\n');
  });
  for (const { site, root } of spaSites) {
    out.block(`location ${spaFallbackName(site)}`, () => {
      // Only the text answer uses it: index.html has its own type.
      out.line('default_type "text/plain; charset=utf-8"');
      out.block('if ($sy_navigation = 0)', () => {
        writeStaticHeaders(out, quoted(NO_STORE), true);
        out.line(`return 404 ${quotedTemplate(NOT_FOUND_BODY)}`);
      });
      out.line(`root ${quoted(root)}`);
      writeStaticHeaders(out, quoted(NO_CACHE), false);
      out.line('add_header Vary Accept');
      out.line('try_files /index.html @sy_static_missing');
    });
  }
}
