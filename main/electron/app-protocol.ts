// The page loads from `switchyard://app/`, a privileged scheme of the app's own, rather than from
// file:// (which would let it read any file) or from a local server (which any other page could
// reach). Only the built dashboard is served, with a strict Content-Security-Policy.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { protocol } from 'electron';

export const APP_SCHEME = 'switchyard';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/**
 * The page may run only its own scripts, talk to nothing (the session goes over the preload's
 * MessagePort), and be framed by nothing. Inline styles stay allowed for the UI libraries that set them.
 */
export const APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/**
 * Whether `url` is a page of the app itself. (Node's URL gives a custom scheme the origin "null",
 * so scheme and host are compared instead.)
 */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === 'app' && parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}

/** Serves `dir` (the built dashboard) on the app's scheme. */
export function serveRenderer(dir: string): void {
  protocol.handle(APP_SCHEME, (request) => rendererResponse(dir, request.url));
}

/** The response for one request of the page: a file of `dir`, never anything outside it. */
export async function rendererResponse(dir: string, url: string): Promise<Response> {
  if (!isAppUrl(url)) return plain(404, 'not found');
  const parsed = new URL(url);
  let relative: string;
  try {
    relative = decodeURIComponent(parsed.pathname);
  } catch {
    return plain(400, 'bad path');
  }
  if (relative.includes('\0')) return plain(400, 'bad path');
  const root = path.resolve(dir);
  const file = path.resolve(root, `.${path.posix.normalize(relative === '/' ? '/index.html' : relative)}`);
  if (file !== root && !file.startsWith(root + path.sep)) return plain(404, 'not found');
  try {
    if (!(await stat(file)).isFile()) return plain(404, 'not found');
    const body = await readFile(file);
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-security-policy': APP_CSP,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      },
    });
  } catch {
    return plain(404, 'not found');
  }
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-security-policy': APP_CSP } });
}
