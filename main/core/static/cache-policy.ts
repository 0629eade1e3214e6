// Cache-Control by file name, the way a production CDN in front of a bundler's output would set it:
// HTML is always revalidated (it names the current asset hashes), fingerprinted assets are cached
// for a year, and everything else is revalidated so an edit shows on the next reload.

/** For HTML and the SPA fallback: the browser may keep a copy but must revalidate it every time. */
export const NO_CACHE = 'no-cache';
/** For fingerprinted assets, whose name changes whenever their content does. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** For every other file: revalidated on each use, so a file edited in place is never stale. */
export const REVALIDATE = 'max-age=0, must-revalidate';
/** For error responses, which describe this moment only. */
export const NO_STORE = 'no-store';

/**
 * Whether `fileName` carries a content hash. The rule: take the name without its last extension,
 * split it on `.` and `-`, and look at the last piece. It is a hash when it is 8 or more characters
 * of `[A-Za-z0-9_]` and contains a digit or mixes upper and lower case, so `app.3f2a9c1b.js`,
 * `chunk-AB12CD34.css` and Vite's `index-DiwrgTda.js` are hashed, while `jquery-slimline.js`,
 * `bundle.min.js` and `app.js.map` are not. Misses fall back to revalidation, which is safe; a false
 * hit would pin a stale file for a year, hence the letters-only exclusion.
 */
export function isHashedName(fileName: string): boolean {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return false;
  const stem = fileName.slice(0, dot);
  const cut = Math.max(stem.lastIndexOf('.'), stem.lastIndexOf('-'));
  if (cut === -1) return false;
  const piece = stem.slice(cut + 1);
  if (!/^[A-Za-z0-9_]{8,}$/.test(piece)) return false;
  return /\d/.test(piece) || (/[a-z]/.test(piece) && /[A-Z]/.test(piece));
}

/** The Cache-Control value for a file served under the public name `fileName`. */
export function cacheControlFor(fileName: string): string {
  if (/\.html?$/i.test(fileName)) return NO_CACHE;
  return isHashedName(fileName) ? IMMUTABLE : REVALIDATE;
}
