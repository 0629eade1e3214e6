// The proxy answers routes to a static site from the site's folder itself, as nginx serves a
// `root`: no member is needed (here there is none at all), a stripped prefix and an absolute-form
// request are served by their forwarded path, and the access event names the site with the body's
// size. A change on disk, or a configuration that changes the folder, is served at once.

import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UpstreamConfig } from '../../shared/proxy.ts';
import { accessFor, app, cleanUpAfterEach, config, onCleanup, rawConnection, route, send, startProxy, startUpstream, member } from './helpers.ts';
import { waitFor } from '../helpers/wait.ts';

cleanUpAfterEach();

/** A folder with index.html and assets/app.js holding `label`. */
function siteFolder(label: string): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'switchyard-proxy-site-'));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'index.html'), `<h1>${label}</h1>`);
  writeFileSync(path.join(root, 'assets/app.js'), `console.log(${JSON.stringify(label)});`);
  onCleanup(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

function site(name: string, root: string, spa = true): UpstreamConfig {
  return { name, kind: 'static', balance: 'round-robin', members: [], site: { root, spa } };
}

describe('static sites in the proxy', () => {
  it('answers from the folder with no member, and logs the site and the body size', async () => {
    const root = siteFolder('one');
    const running = await startProxy(config([route('/', 'web', { target: 'static' })], [site('web', root)]));
    const reply = await send(running.port, '/assets/app.js', { headers: { 'x-request-id': 'static-1' } });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('console.log("one");');
    expect(reply.headers['x-request-id']).toBe('static-1');
    const event = await accessFor(running, '/assets/app.js');
    expect(event).toMatchObject({ status: 200, worker: 'web', member: null, bytes: reply.body.length, requestId: 'static-1', error: null, attempts: 0 });
    // SPA: a navigation request for a missing path gets index.html; a missing asset gets 404.
    expect((await send(running.port, '/some/page', { headers: { accept: 'text/html' } })).body).toBe('<h1>one</h1>');
    expect((await send(running.port, '/assets/missing.js')).status).toBe(404);
    const head = await send(running.port, '/assets/app.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect((await accessFor(running, '/assets/app.js')).bytes).toBe(0);
  });

  it('serves a stripped prefix and an absolute-form request by their forwarded path', async () => {
    const root = siteFolder('two');
    const api = await startUpstream((_req, res) => res.end('api'));
    const running = await startProxy(
      config([route('/static/', 'web', { target: 'static', stripPrefix: true }), route('/', 'api')], [site('web', root), app('api', [member('api-1', api.port)])]),
    );
    expect((await send(running.port, '/static/assets/app.js')).body).toBe('console.log("two");');
    expect((await send(running.port, '/other')).body).toBe('api');
    const connection = await rawConnection(running.port);
    connection.socket.write(`GET http://127.0.0.1:${running.port}/static/assets/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    await waitFor(() => connection.closed(), 'the absolute-form request to be answered');
    expect(connection.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(connection.received()).toContain('console.log("two");');
  });

  it('serves an edit, an atomic replace and a delete on the next request', async () => {
    const root = siteFolder('three');
    const running = await startProxy(config([route('/', 'web', { target: 'static' })], [site('web', root, false)]));
    const file = path.join(root, 'assets/app.js');
    expect((await send(running.port, '/assets/app.js')).body).toBe('console.log("three");');
    writeFileSync(file, 'console.log("edited");');
    expect((await send(running.port, '/assets/app.js')).body).toBe('console.log("edited");');
    writeFileSync(`${file}.tmp`, 'console.log("replaced");');
    renameSync(`${file}.tmp`, file);
    expect((await send(running.port, '/assets/app.js')).body).toBe('console.log("replaced");');
    rmSync(file);
    expect((await send(running.port, '/assets/app.js')).status).toBe(404);
  });

  it('serves a changed folder from the next configuration on', async () => {
    const first = siteFolder('first');
    const second = siteFolder('second');
    const routes = [route('/', 'web', { target: 'static' })];
    const running = await startProxy(config(routes, [site('web', first)]));
    expect((await send(running.port, '/assets/app.js')).body).toBe('console.log("first");');
    running.proxy.apply(config(routes, [site('web', second)]));
    expect((await send(running.port, '/assets/app.js')).body).toBe('console.log("second");');
  });

  it('refuses a site folder that is not absolute, or a site on an app, and keeps serving the old one', async () => {
    const routes = [route('/', 'web', { target: 'static' })];
    const running = await startProxy(config(routes, [site('web', siteFolder('kept'))]));
    expect(() => running.proxy.apply(config(routes, [site('web', 'relative/dir')]))).toThrow(/site root 'relative\/dir' must be an absolute path/);
    expect(() => running.proxy.apply(config([], [{ ...app('api', []), site: { root: '/tmp', spa: false } }]))).toThrow(/is an app and cannot have a site folder/);
    expect((await send(running.port, '/assets/app.js')).body).toBe('console.log("kept");');
  });
});
