// `export nginx`: the exported nginx.conf passes `nginx -t`, and run for real in front of a stack's
// workers it answers as the builtin engine does: routing, strip_prefix, forwarded headers, request
// ids, static files with their cache rules, SPA fallback and dotfiles.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, loadOffline } from './offline-stack.ts';
import { exportNginxConf, parseUpstreamOption } from '../../main/core/export/nginx-export.ts';
import { Stack } from '../../main/core/stack.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const NGINX = '/usr/sbin/nginx';

/**
 * The export writes a production host's paths (pid in /run, logs in /var/log/nginx), which a test may
 * not write to: these three, and only these, are moved under `prefix`.
 */
function hostPathsUnder(conf: string, prefix: string): string {
  const moved = conf
    .replace(/^pid \/run\/nginx\.pid;$/m, `pid ${prefix}/nginx.pid;`)
    .replace(/^error_log \/var\/log\/nginx\/error\.log (\w+);$/m, `error_log ${prefix}/error.log $1;`)
    .replace(/access_log \/var\/log\/nginx\/access\.log /, `access_log ${prefix}/access.log `);
  expect(moved).not.toMatch(/\/run\/|\/var\/log\//);
  return moved;
}

function nginxTest(conf: string, prefix: string): { status: number | null; output: string } {
  const file = path.join(prefix, 'nginx.conf');
  writeFileSync(file, hostPathsUnder(conf, prefix));
  const result = spawnSync(NGINX, ['-t', '-p', prefix, '-c', file], { encoding: 'utf8' });
  return { status: result.status, output: result.stderr };
}


describe('export nginx', () => {
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'sy-export-nginx-'));
  afterAll(() => rmSync(prefix, { recursive: true, force: true }));

  it.each(['demo', 'python'])('the %s example passes nginx -t, with the default upstreams and with given ones', async (example) => {
    const spec = await loadOffline(path.join(EXAMPLES, example, 'switchyard.yaml'));
    const defaults = exportNginxConf(spec, { listen: { host: '0.0.0.0', port: 80 } });
    expect(defaults.untranslated).toEqual([]);
    const conf = defaults.files[0]?.text ?? '';
    // Each app by its service name on the container port; nginx -t resolves names, so those are checked with addresses.
    for (const app of spec.apps) expect(conf).toContain(`server ${app.name}:8000 `);
    const upstreams = Object.fromEntries(spec.apps.map((app, i) => [app.name, parseUpstreamOption(`${app.name}=10.0.0.${i + 5}:8000,10.0.1.${i + 5},[fd00::${i + 5}]:8000`).servers]));
    const given = exportNginxConf(spec, { listen: { host: '0.0.0.0', port: 8081 }, upstreams, staticDir: '/var/www' });
    const text = given.files[0]?.text ?? '';
    expect(text).toContain('server 10.0.0.5:8000 ');
    expect(text).toContain('server 10.0.1.5:8000 ');
    expect(text).toContain('server [fd00::5]:8000 ');
    expect(text).toContain('root "/var/www/web"');
    const checked = nginxTest(text, prefix);
    expect(checked.output).toMatch(/test is successful/);
    expect(checked.status).toBe(0);
    // The same input gives the same bytes.
    expect(exportNginxConf(spec, { listen: { host: '0.0.0.0', port: 8081 }, upstreams, staticDir: '/var/www' }).files).toEqual(given.files);
  });

  it('refuses a malformed --upstream with what it expects', () => {
    expect(() => parseUpstreamOption('api')).toThrow(/APP=HOST:PORT/);
    expect(() => parseUpstreamOption('api=10.0.0.5:99999')).toThrow(/not HOST or HOST:PORT/);
    expect(parseUpstreamOption('api=[::1]:9000,backend.internal')).toEqual({ app: 'api', servers: [{ host: '::1', port: 9000 }, { host: 'backend.internal', port: 8000 }] });
  });
});

describe('the exported nginx.conf, run in front of a running stack, answers as the builtin engine does', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-export-run-'));
  let stack: Stack;
  let nginx: ChildProcess;
  let builtin: string;
  let exported: string;

  beforeAll(async () => {
    // nginx run as root serves files as `nobody`: the site's folders must be readable by anyone.
    chmodSync(dir, 0o755);
    const site = path.join(dir, 'static/web');
    mkdirSync(path.join(site, 'assets'), { recursive: true });
    writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>shop</title>\n');
    writeFileSync(path.join(site, 'assets/app.3f2a9c1b.js'), 'console.log("shop");\n');
    writeFileSync(path.join(site, '.env'), 'SECRET=1\n');
    writeFileSync(
      path.join(dir, 'switchyard.yaml'),
      [
        'name: shop',
        'proxy:',
        '  listen: 8080',
        '  routes:',
        '    - { path: /api/, to: api }',
        '    - { path: /v2/, to: api, strip_prefix: true }',
        '    - { path: /, to: web }',
        'static:',
        '  web: { root: ./static/web, spa: true }',
        'apps:',
        '  api:',
        `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(FIXTURES, 'echo-request.js'))}]`,
        '    replicas: 2',
        '    health: { path: /healthz, interval: 200ms, start_interval: 20ms }',
        '',
      ].join('\n'),
    );
    const spec = await loadOffline(path.join(dir, 'switchyard.yaml'));
    const [builtinPort, nginxPort] = [await getPort({ host: '127.0.0.1' }), await getPort({ host: '127.0.0.1' })];
    stack = new Stack({ ...spec, proxy: spec.proxy && { ...spec.proxy, listen: { host: '127.0.0.1', port: builtinPort } } });
    await stack.start();
    await waitFor(() => stack.processes().every((p) => p.state === 'ready'), 'the stack ready');
    const workers = stack.processes().filter((p) => p.kind === 'worker');
    const { files } = exportNginxConf(spec, {
      listen: { host: '127.0.0.1', port: nginxPort },
      upstreams: { api: workers.map((worker) => ({ host: '127.0.0.1', port: worker.port ?? 0 })) },
      staticDir: path.join(dir, 'static'),
    });
    const prefix = path.join(dir, 'nginx');
    mkdirSync(prefix);
    const checked = nginxTest(files[0]?.text ?? '', prefix);
    expect(checked.status, checked.output).toBe(0);
    nginx = spawn(NGINX, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    builtin = `http://127.0.0.1:${builtinPort}`;
    exported = `http://127.0.0.1:${nginxPort}`;
    await waitFor(async () => (await fetch(`${exported}/api/up`).catch(() => null))?.ok === true, 'the exported nginx to answer');
    await waitFor(async () => (await fetch(`${builtin}/api/up`).catch(() => null))?.ok === true, 'the builtin proxy to answer');
  });

  afterAll(async () => {
    nginx?.kill('SIGTERM');
    await stack?.stop();
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  });

  /** What both must agree on for one request: status, the headers that carry meaning, and the body or what the worker received. */
  async function answer(base: string, target: string, init: RequestInit = {}) {
    const response = await fetch(`${base}${target}`, { redirect: 'manual', ...init });
    const text = await response.text();
    const headers = Object.fromEntries(['cache-control', 'x-content-type-options'].map((name) => [name, response.headers.get(name)]));
    const requestId = response.headers.get('x-request-id');
    if (!response.headers.get('content-type')?.startsWith('application/json')) return { status: response.status, headers, body: text, requestId: requestId !== null };
    const received = JSON.parse(text) as { app: string; method: string; url: string; headers: Record<string, string> };
    const host = new URL(base).host;
    return {
      status: response.status,
      app: received.app,
      method: received.method,
      url: received.url,
      forwarded: {
        for: received.headers['x-forwarded-for'],
        proto: received.headers['x-forwarded-proto'],
        host: received.headers['x-forwarded-host'] === host,
        via: /^1\.1 switchyard-/.test(received.headers.via ?? ''),
        // The id the worker got is the one the client got back.
        requestId: received.headers['x-request-id'] === requestId && requestId !== null,
      },
      requestIdSent: received.headers['x-request-id'] === (init.headers as Record<string, string> | undefined)?.['x-request-id'],
    };
  }

  it.each([
    ['a route by its prefix', '/api/orders?page=2', {}],
    ['strip_prefix', '/v2/orders?page=2', {}],
    ['a client request id, passed through', '/api/orders', { headers: { 'x-request-id': 'order-42' } }],
    ['a POST', '/api/orders', { method: 'POST', body: 'x=1' }],
    ['the index page', '/', {}],
    ['a hashed asset', '/assets/app.3f2a9c1b.js', {}],
    ['a navigation to a deep link (SPA)', '/orders/42', { headers: { accept: 'text/html' } }],
    ['a missing file', '/assets/missing.js', {}],
    ['a dotfile', '/.env', {}],
  ] as const)('%s', async (_what, target, init) => {
    const fromBuiltin = await answer(builtin, target, init as RequestInit);
    const fromNginx = await answer(exported, target, init as RequestInit);
    expect(fromNginx).toEqual(fromBuiltin);
  });
});
