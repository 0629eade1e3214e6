import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStack } from '../../main/core/config/load.ts';
import { formatIssues, formatPlan } from '../../main/core/config/plan.ts';
import type { StackIssue } from '../../shared/stack.ts';
import { makeStackDir, yaml } from './stack-dir.ts';
import type { StackDir } from './stack-dir.ts';

let stack: StackDir;
beforeEach(async () => {
  stack = await makeStackDir();
});
afterEach(async () => {
  await stack.remove();
});

describe('formatPlan', () => {
  it('lists the proxy routes, static sites and apps in aligned columns', async () => {
    await stack.folder('web/dist');
    await stack.folder('backend');
    const file = await stack.write(
      'switchyard.yaml',
      yaml(
        'name: shop',
        'proxy:',
        '  listen: "[::1]:8080"',
        '  routes:',
        '    - { path: /api/, to: api, strip_prefix: true, timeout: 30s }',
        '    - { path: /, to: web }',
        '    - { host: admin.localhost, to: http://127.0.0.1:9000 }',
        'static:',
        '  web: { root: ./web/dist, spa: true }',
        'apps:',
        '  api:',
        '    command: node server.js --name "my app"',
        '    cwd: backend',
        '    replicas: 3',
        '    health: { path: /healthz, interval: 2s }',
        '    reload: { signal: SIGHUP }',
        '  jobs: { command: [node, jobs.js], port_env: none, restart: always }',
        '  tcp: { command: node tcp.js }',
      ),
    );
    const { spec, issues } = await loadStack(file, { checkPorts: false, checkCommands: false });
    expect(issues).toEqual([]);
    expect(formatPlan(spec!)).toBe(
      [
        `Stack shop (${file})`,
        '',
        'Proxy http://[::1]:8080',
        '  /api/             ->  app api                    strip prefix, timeout 30s',
        '  /                 ->  static web',
        '  admin.localhost/  ->  url http://127.0.0.1:9000',
        '',
        'Static sites',
        `  web  ${path.join('web', 'dist')}  spa`,
        '',
        'Apps',
        "  api   node server.js --name 'my app'  in backend  3 workers  port in $PORT  GET /healthz every 2s  restart on-failure  reload by SIGHUP",
        '  jobs  node jobs.js                                1 worker   no port        no health check        restart always',
        '  tcp   node tcp.js                                 1 worker   port in $PORT  TCP check every 5s     restart on-failure',
      ].join('\n'),
    );
  });

  it('leaves out the proxy and static sections when there are none', async () => {
    const file = await stack.write('switchyard.yaml', yaml('apps:', '  api: { command: node a.js }'));
    const { spec } = await loadStack(file, { checkPorts: false, checkCommands: false });
    expect(formatPlan(spec!)).toBe(
      [`Stack ${path.basename(stack.dir)} (${file})`, '', 'Apps', '  api  node a.js  1 worker  port in $PORT  TCP check every 5s  restart on-failure'].join('\n'),
    );
  });

  it('lists tasks and says what each app and task starts after', async () => {
    await stack.folder('backend');
    const file = await stack.write(
      'switchyard.yaml',
      yaml(
        'tasks:',
        '  migrate: { command: python3 manage.py migrate, cwd: backend, depends_on: { db: healthy } }',
        '  assets: { command: npm run build }',
        'apps:',
        '  db: { command: node db.js }',
        '  api: { command: node a.js, depends_on: { migrate: completed, db: started } }',
      ),
    );
    const { spec, issues } = await loadStack(file, { checkPorts: false, checkCommands: false });
    expect(issues).toEqual([]);
    expect(formatPlan(spec!).split('\n').slice(2)).toEqual([
      'Tasks (run to completion)',
      '  migrate  python3 manage.py migrate  in backend  after db healthy',
      '  assets   npm run build',
      '',
      'Apps',
      '  db   node db.js  1 worker  port in $PORT  TCP check every 5s  restart on-failure',
      '  api  node a.js   1 worker  port in $PORT  TCP check every 5s  restart on-failure  after migrate completed, db started',
    ]);
  });
});

describe('formatIssues', () => {
  const at = (line: number, severity: StackIssue['severity'], message: string): StackIssue => ({
    file: '/stacks/shop/switchyard.yaml',
    line,
    col: 5,
    severity,
    message,
  });

  it('writes compiler-style lines and counts errors and warnings', () => {
    const text = formatIssues([at(3, 'error', 'first'), at(7, 'warning', 'second'), at(9, 'error', 'third')]);
    expect(text).toBe(
      [
        '/stacks/shop/switchyard.yaml:3:5: error: first',
        '/stacks/shop/switchyard.yaml:7:5: warning: second',
        '/stacks/shop/switchyard.yaml:9:5: error: third',
        '2 errors, 1 warning',
      ].join('\n'),
    );
  });

  it('shows the file relative to a folder when given one, and nothing for no issues', () => {
    expect(formatIssues([at(1, 'warning', 'only')], '/stacks')).toBe(`${path.join('shop', 'switchyard.yaml')}:1:5: warning: only\n1 warning`);
    expect(formatIssues([])).toBe('');
  });
});
