// `export compose`: a compose.yaml Debian's docker-compose accepts, with nginx in front, the same
// bytes every time, and every setting Compose has no place for named on its own line.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import type { StackSpec } from '../../shared/stack.ts';
import { EXAMPLES, loadOffline } from './offline-stack.ts';
import { exportCompose, healthcheckCommand } from '../../main/core/export/compose.ts';
import { formatUntranslated } from '../../main/core/export/untranslated.ts';
import { makeStackDir, yaml } from '../config/stack-dir.ts';
import type { StackDir } from '../config/stack-dir.ts';



// Parsed YAML whose shape each test asserts on, after docker-compose has checked it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Services = Record<string, any>;

/**
 * Writes the export to `outDir` and has `docker-compose config` check it there (env files, build
 * folders and the file's shape). Debian's docker-compose is 1.29, older than two keys the export
 * writes for today's Compose: the top-level `name` and healthcheck `start_interval`. The copy it
 * checks leaves those two out, and nothing else.
 */
function exportAndCheck(spec: StackSpec, outDir: string): { services: Services; notes: string[]; text: string; conf: string } {
  const { files, untranslated } = exportCompose(spec, outDir);
  expect(files.map((file) => file.name)).toEqual(['compose.yaml', 'nginx.conf']);
  mkdirSync(outDir, { recursive: true });
  for (const file of files) writeFileSync(path.join(outDir, file.name), file.text);
  const text = files[0]?.text ?? '';
  const doc = parseDocument(text, { version: '1.1' });
  expect(doc.errors).toEqual([]);
  doc.delete('name');
  for (const service of Object.keys(doc.toJS().services)) {
    if (doc.hasIn(['services', service, 'healthcheck'])) doc.deleteIn(['services', service, 'healthcheck', 'start_interval']);
  }
  writeFileSync(path.join(outDir, 'compose-1.29.yaml'), doc.toString());
  const checked = execFileSync('docker-compose', ['-f', 'compose-1.29.yaml', 'config'], { cwd: outDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(parse(checked)).toHaveProperty('services');
  return { services: (parse(text, { version: '1.1' }) as { services: Services }).services, notes: untranslated.map(formatUntranslated), text, conf: files[1]?.text ?? '' };
}

describe('export compose', () => {
  let stack: StackDir;
  beforeEach(async () => {
    stack = await makeStackDir();
  });
  afterEach(async () => {
    await stack.remove();
  });

  it('the demo: the app with replicas and its healthcheck, nginx in front with the conf and the site mounted read-only', async () => {
    const spec = await loadOffline(path.join(EXAMPLES, 'demo/switchyard.yaml'));
    const outDir = path.join(stack.dir, 'out');
    const { services, notes, conf } = exportAndCheck(spec, outDir);
    expect(Object.keys(services)).toEqual(['api', 'proxy']);
    const web = path.relative(outDir, path.join(EXAMPLES, 'demo/web'));
    expect(services.proxy).toEqual({
      image: 'nginx:1.28',
      ports: ['8080:80'],
      volumes: ['./nginx.conf:/etc/nginx/nginx.conf:ro', `${web}:/srv/static/web:ro`],
      restart: 'always',
      depends_on: { api: { condition: 'service_healthy' } },
    });
    expect(services.api).toMatchObject({
      image: 'REPLACE-ME',
      command: ['node', 'server.js'],
      environment: { GREETING: 'hello from switchyard', PORT: '8000', SWITCHYARD_APP: 'api' },
      expose: ['8000'],
      deploy: { replicas: 4 },
      restart: 'on-failure',
      stop_signal: 'SIGTERM',
      stop_grace_period: '5s',
      healthcheck: { interval: '5s', timeout: '1s', retries: 3, start_period: '1m', start_interval: '250ms' },
    });
    expect(services.api.healthcheck.test[1]).toContain('http://127.0.0.1:8000/healthz');
    expect(conf).toMatch(/server api:8000/);
    expect(conf).toMatch(/\/srv\/static\/web/);
    expect(notes).toEqual([
      `app 'api': image: neither image: nor build: is given, so 'REPLACE-ME' stands in; add image: NAME or build: FOLDER to it in the stack file`,
      `app 'api': cwd: the command runs in the image's WORKDIR, not in ./backend: make the WORKDIR hold what ./backend does`,
      `app 'api': watch: a file change does not redeploy; build and roll out a new image instead`,
      `app 'api': health.restart_after: Docker marks a container unhealthy but does not restart it; only an exit restarts it`,
    ]);
  });

  it('depends_on conditions, env files, build folders, and $ kept from Compose\'s own substitution', async () => {
    await stack.folder('backend');
    await stack.write('backend/.env', 'DATABASE_URL=postgres://db/shop\n');
    const spec = await loadOffline(
      await stack.write(
        'switchyard.yaml',
        yaml(
          'name: shop',
          'proxy:',
          '  listen: 9000',
          '  routes: [{ path: /, to: api }]',
          'tasks:',
          '  migrate: { command: python3 manage.py migrate, build: ./backend, env_file: backend/.env }',
          'apps:',
          '  cache:',
          '    command: redis-server --port $PORT',
          '    image: redis:7',
          '  worker:',
          '    command: python3 worker.py',
          '    image: shop/api:1.4',
          '    port_env: none',
          '  api:',
          '    command: [sh, -c, "exec gunicorn -b 0.0.0.0:$$PORT app:app"]',
          '    build: ./backend',
          '    env_file: backend/.env',
          '    env: { PRICE: "$5" }',
          '    restart: never',
          '    depends_on: { migrate: completed, cache: healthy, worker: healthy }',
        ),
      ),
    );
    const { services, notes } = exportAndCheck(spec, path.join(stack.dir, 'deploy/compose'));
    expect(Object.keys(services)).toEqual(['migrate', 'cache', 'worker', 'api', 'proxy']);
    expect(services.migrate).toMatchObject({ build: '../../backend', env_file: ['../../backend/.env'], restart: 'no' });
    expect(services.cache.command).toEqual(['redis-server', '--port', '8000']);
    expect(services.cache.healthcheck.test[1]).toMatch(/^nc -z 127.0.0.1 8000/);
    expect(services.worker).not.toHaveProperty('healthcheck');
    expect(services.api).toMatchObject({
      build: '../../backend',
      command: ['sh', '-c', 'exec gunicorn -b 0.0.0.0:$$PORT app:app'],
      environment: { PRICE: '$$5', PORT: '8000', SWITCHYARD_APP: 'api' },
      env_file: ['../../backend/.env'],
      restart: 'no',
      // worker serves no port, so it has no healthcheck: it counts as healthy once started, as in Switchyard.
      depends_on: { migrate: { condition: 'service_completed_successfully' }, cache: { condition: 'service_healthy' }, worker: { condition: 'service_started' } },
    });
    expect(notes.filter((note) => note.includes('image'))).toEqual([]);
  });

  it('writes the same bytes for the same stack file', async () => {
    const outDir = path.join(stack.dir, 'out');
    const first = exportCompose(await loadOffline(path.join(EXAMPLES, 'python/switchyard.yaml')), outDir);
    const second = exportCompose(await loadOffline(path.join(EXAMPLES, 'python/switchyard.yaml')), outDir);
    expect(second.files).toEqual(first.files);
  });
});

describe('the healthcheck command, run by sh against a real server', () => {
  const seen: string[] = [];
  const server = http.createServer((request, response) => {
    seen.push(request.url ?? '');
    response.statusCode = request.url?.startsWith('/ok') ? 200 : 503;
    response.end();
  });
  // An image without wget: only the programs the bash fallback runs.
  const bare = mkdtempSync(path.join(os.tmpdir(), 'sy-healthcheck-'));
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    for (const program of ['bash', 'head', 'grep']) symlinkSync(execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim(), path.join(bare, program));
  });
  afterAll(() => {
    server.close();
    rmSync(bare, { recursive: true, force: true });
  });

  async function check(healthPath: string | null, pathEnv: string | undefined): Promise<number | undefined> {
    const result = await execa('/bin/sh', ['-c', healthcheckCommand(healthPath, port)], { env: pathEnv === undefined ? {} : { PATH: pathEnv }, reject: false, timeout: 10_000 });
    return result.exitCode;
  }

  it.each([
    ['with wget', undefined],
    ['with bash alone', 'bare'],
  ])('%s: passes on a 2xx, with the path as written, and fails on a 503', async (_what, pathEnv) => {
    const env = pathEnv === 'bare' ? bare : undefined;
    seen.length = 0;
    expect(await check("/ok?a=1&b=%41'x", env)).toBe(0);
    expect(seen).toEqual(["/ok?a=1&b=%41'x"]);
    expect(await check('/down', env)).not.toBe(0);
  });

  it('without a path, passes while the port takes connections', async () => {
    expect(await check(null, undefined)).toBe(0);
    expect(await check(null, bare)).toBe(0);
  });
});
