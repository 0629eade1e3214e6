// Static sites served by nginx from the generated configuration, with the builtin static handler's
// rules (test/static/*, test/proxy/static-sites.test.ts).

import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { UpstreamConfig } from '../../shared/proxy.ts';
import { cleanUpAfterEach, config, route, send } from '../proxy/helpers.ts';
import { hasNginx, startNginx, tempPrefix } from './nginx-helpers.ts';

cleanUpAfterEach();

/** A site folder with an index, a hashed and a plain asset, a dotfile and a .well-known file. */
function siteFolder(): string {
  const root = path.join(tempPrefix(), 'site');
  for (const [file, body] of Object.entries({
    'index.html': '<h1>index</h1>',
    'about.html': '<h1>about</h1>',
    'assets/app-DiwrgTda.js': 'console.log(1)',
    'assets/app.js': 'console.log(2)',
    'docs/index.html': '<h1>docs</h1>',
    '.env': 'SECRET=1',
    'assets/.cache/x.js': 'hidden',
    '.well-known/security.txt': 'contact',
  })) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), body);
  }
  return root;
}

function site(name: string, root: string, spa: boolean): UpstreamConfig {
  return { name, kind: 'static', balance: 'round-robin', members: [], site: { root, spa } };
}

const HTML = { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' };

describe.skipIf(!hasNginx)('static sites served by nginx (skipped without /usr/sbin/nginx)', () => {
  it('serves files with the builtin cache rules, denies dotfiles and answers only GET and HEAD', async () => {
    const root = siteFolder();
    const nginx = await startNginx(config([route('/', 'web', { target: 'static' })], [site('web', root, false)]));
    const index = await send(nginx.port, '/');
    expect(index).toMatchObject({ status: 200, body: '<h1>index</h1>' });
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const hashed = await send(nginx.port, '/assets/app-DiwrgTda.js');
    expect(hashed.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(hashed.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await send(nginx.port, '/assets/app.js')).headers['cache-control']).toBe('max-age=0, must-revalidate');
    expect((await send(nginx.port, '/docs/')).body).toBe('<h1>docs</h1>');
    const redirect = await send(nginx.port, '/docs?x=1');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/docs/?x=1');

    for (const hidden of ['/.env', '/assets/.cache/x.js', '/.well-known/../.env']) {
      const denied = await send(nginx.port, hidden);
      expect(denied.status, hidden).toBe(404);
      expect(denied.headers['cache-control']).toBe('no-store');
    }
    expect((await send(nginx.port, '/.env')).body).toBe('404 Not Found: /.env was not found under this site\n');
    expect((await send(nginx.port, '/.well-known/security.txt')).body).toBe('contact');
    expect((await send(nginx.port, '/missing')).status).toBe(404);
    // A folder without index.html is missing too (nginx itself would say 403).
    expect(await send(nginx.port, '/assets/')).toMatchObject({ status: 404, body: '404 Not Found: /assets/ was not found under this site\n' });

    const post = await send(nginx.port, '/index.html', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(await nginx.accessFor('/assets/app.js')).toMatchObject({ status: 200, route: '/', worker: 'web', member: null, attempts: 0, error: null });
  });

  it('falls back to index.html only for navigation requests, and strips a prefix', async () => {
    const root = siteFolder();
    const nginx = await startNginx(config([route('/app/', 'spa', { target: 'static', stripPrefix: true })], [site('spa', root, true)]));
    const page = await send(nginx.port, '/app/some/page', { headers: HTML });
    expect(page).toMatchObject({ status: 200, body: '<h1>index</h1>' });
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers.vary).toContain('Accept');
    // Not a navigation: a file name, or no HTML in Accept.
    expect((await send(nginx.port, '/app/missing.js', { headers: HTML })).status).toBe(404);
    expect((await send(nginx.port, '/app/some/page', { headers: { accept: '*/*' } })).status).toBe(404);
    // A dotfile is not a missing page: no fallback.
    expect((await send(nginx.port, '/app/.env', { headers: HTML })).status).toBe(404);
    expect((await send(nginx.port, '/app/about.html')).body).toBe('<h1>about</h1>');
    expect((await send(nginx.port, '/app/assets/', { headers: HTML })).body).toBe('<h1>index</h1>');
    expect((await send(nginx.port, '/app')).body).toBe('<h1>index</h1>');
    expect(await nginx.accessFor('/app/about.html')).toMatchObject({ status: 200, route: '/app/', worker: 'spa' });
    expect(nginx.events().filter((event) => event.path === '/app/some/page').map((event) => event.status)).toEqual([200, 404]);
  });

  // Started by a non-root user, nginx runs its workers as that user and needs no `user`
  // directive; engineTarget writes one only when Switchyard runs as root (as here, in CI).
  it.skipIf(process.getuid?.() !== 0)('runs as an unprivileged user with the engine target it gets there', async () => {
    const root = siteFolder();
    for (let dir = root; dir !== os.tmpdir(); dir = path.dirname(dir)) fs.chmodSync(dir, 0o755);
    const nobody = { uid: 65534, gid: 65534 };
    const nginx = await startNginx(config([route('/', 'web', { target: 'static' })], [site('web', root, false)]), {
      adjust: ({ user: _root, ...target }) => target,
      runAs: nobody,
    });
    expect(nginx.conf).not.toMatch(/^user /m);
    expect((await send(nginx.port, '/about.html')).body).toBe('<h1>about</h1>');
    expect(await nginx.accessFor('/about.html')).toMatchObject({ status: 200, worker: 'web' });
    expect(nginx.stderr()).toBe('');
  });
});
