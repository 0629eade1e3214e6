// `switchyard export` as a person runs it: where files go, what is printed where, and exit codes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, stackDir } from '../helpers/cli.ts';

const STACK = [
  'name: shop',
  'proxy:',
  '  listen: 8080',
  '  routes: [{ path: /api/, to: api }, { path: /, to: web }]',
  'static:',
  '  web: { root: . }',
  'apps:',
  '  api:',
  '    command: gunicorn -b 127.0.0.1:$PORT app:app',
  '    image: shop/api:1.4',
  '    replicas: 3',
  '    watch: ["*.py"]',
  '  worker:',
  '    command: python3 worker.py',
  '    port_env: none',
  '',
].join('\n');

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function stack(yaml = STACK): string {
  const made = stackDir(yaml);
  cleanup = made.cleanup;
  return made.dir;
}

describe('switchyard export', () => {
  it('writes compose.yaml and nginx.conf under deploy/compose/, prints their paths, and says what it could not translate', async () => {
    const dir = stack(STACK.replace("    port_env: none\n", "    port_env: none\n    image: shop/worker:1.4\n"));
    const result = await runCli(['export', 'compose'], dir);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout).split('\n')).toEqual([path.join('deploy', 'compose', 'compose.yaml'), path.join('deploy', 'compose', 'nginx.conf')]);
    expect(readFileSync(path.join(dir, 'deploy/compose/compose.yaml'), 'utf8')).toContain('image: shop/api:1.4');
    expect(String(result.stderr).split('\n')).toEqual([
      `not translated: app 'api': command: '127.0.0.1:8000' binds loopback, which nothing outside the container reaches; written as '0.0.0.0:8000'`,
      `not translated: app 'api': watch: a file change does not redeploy; build and roll out a new image instead`,
      `not translated: app 'api': health.restart_after: Docker marks a container unhealthy but does not restart it; only an exit restarts it`,
    ]);
  });

  it('writes the files with a placeholder image, and exits 1 naming the app and the key to add', async () => {
    const dir = stack();
    const result = await runCli(['export', 'k8s', '-o', 'out/cluster'], dir);
    expect(result.exitCode).toBe(1);
    expect(existsSync(path.join(dir, 'out/cluster/manifests.yaml'))).toBe(true);
    expect(String(result.stderr)).toContain(`not translated: app 'worker': image: neither image: nor build: is given, so 'REPLACE-ME' stands in; add image: NAME to it in the stack file`);
    expect(String(result.stderr)).toMatch(/switchyard: written with the placeholder image 'REPLACE-ME' for app 'worker': give each an image: in switchyard.yaml and export again$/);
  });

  it('export nginx takes where it listens, the upstreams and the static folder', async () => {
    const dir = stack();
    const result = await runCli(['export', 'nginx', '--listen', '8081', '--upstream', 'api=10.0.0.5:8000,10.0.0.6', '--static-dir', '/var/www', '-o', 'nginx'], dir);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toBe(path.join('nginx', 'nginx.conf'));
    const conf = readFileSync(path.join(dir, 'nginx/nginx.conf'), 'utf8');
    expect(conf).toContain('listen 0.0.0.0:8081');
    expect(conf).toContain('server 10.0.0.5:8000 ');
    expect(conf).toContain('server 10.0.0.6:8000 ');
    expect(conf).toContain('root "/var/www/web"');
  });

  it.each([
    [['export'], /export needs a target: nginx, compose or k8s/],
    [['export', 'helm'], /unknown export target 'helm'; choose nginx, compose or k8s/],
    [['export', 'compose', '--upstream', 'api=10.0.0.5'], /--listen, --upstream and --static-dir are for export nginx only/],
    [['export', 'nginx', '--upstream', 'cache=10.0.0.5'], /--upstream cache: the stack has no app 'cache' that serves a port; apps: api/],
    [['export', 'nginx', '--upstream', 'api'], /--upstream takes APP=HOST:PORT/],
    [['export', 'nginx', '--static-dir', 'www'], /--static-dir takes an absolute path/],
    [['export', 'nginx', '--listen', 'nowhere:port'], /--listen: /],
  ])('exits 2 for bad usage: %j', async (args, message) => {
    const result = await runCli(args, stack());
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(message);
  });

  it('exits 2 for an invalid stack file, with its errors', async () => {
    const result = await runCli(['export', 'compose'], stack(STACK.replace('    image: shop/api:1.4', '    image: shop/api:1.4\n    build: .')));
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/switchyard.yaml:11:12: error: app 'api' gives both image and build/);
  });

  it('--help prints the options, exit 0', async () => {
    const result = await runCli(['export', '--help'], stack());
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toMatch(/--upstream APP=HOST:PORT/);
    expect(String(result.stdout)).toMatch(/default: deploy\/<target>\/ beside the stack file/);
  });
});
