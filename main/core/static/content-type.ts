// Content types come from mrmime (mime-db's common web subset); a few extensions browsers meet in
// a front-end build are added or corrected here.
import { lookup } from 'mrmime';

const OVERRIDES: Record<string, string> = {
  cjs: 'text/javascript',
  ico: 'image/x-icon',
  eot: 'application/vnd.ms-fontobject',
};

/** Used when the extension is unknown: browsers download it instead of guessing (with nosniff). */
export const FALLBACK_TYPE = 'application/octet-stream';

function isText(type: string): boolean {
  return (
    type.startsWith('text/') ||
    type.endsWith('+json') ||
    type.endsWith('+xml') ||
    type === 'application/json' ||
    type === 'application/javascript' ||
    type === 'application/xml'
  );
}

/** The Content-Type header for `fileName`, with `charset=utf-8` for text. */
export function contentTypeFor(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  const extension = dot === -1 ? '' : fileName.slice(dot + 1).toLowerCase();
  const type = OVERRIDES[extension] ?? (extension === '' ? undefined : lookup(extension)) ?? FALLBACK_TYPE;
  return isText(type) ? `${type}; charset=utf-8` : type;
}

/** Whether a response of `contentType` is worth compressing (images, fonts in woff2, archives already are compressed). */
export function isCompressible(contentType: string): boolean {
  const type = contentType.split(';', 1)[0] as string;
  return (
    isText(type) ||
    type === 'application/wasm' ||
    type === 'image/x-icon' ||
    type === 'application/vnd.ms-fontobject' ||
    type === 'font/ttf' ||
    type === 'font/otf'
  );
}
