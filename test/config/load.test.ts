import { execFileSync } from 'node:child_process';
import { symlink, truncate } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ALIAS_EXPANSION, MAX_FLOW_DEPTH } from '../../main/core/config/document-index.ts';
import { findStackFile, loadStack, MAX_STACK_FILE_BYTES, MAX_WORKERS } from '../../main/core/config/load.ts';
import { makeStackDir, yaml } from './stack-dir.ts';
import type { StackDir } from './stack-dir.ts';

const offline = { checkPorts: false, checkCommands: false };

let stack: StackDir;
beforeEach(async () => {
  stack = await makeStackDir();
});
afterEach(async () => {
  await stack.remove();
});

describe('loadStack defaults', () => {
  it('fills every default and resolves paths to the stack folder', async () => {
    const file = await stack.write('shop/switchyard.yaml', yaml('apps:', '  api:', '    command: node server.js'));
    const { spec, issues } = await loadStack(file, offline);
    expect(issues).toEqual([]);
    expect(spec).toEqual({
      name: 'shop',
      file,
      dir: path.join(stack.dir, 'shop'),
      proxy: null,
      statics: [],
      apps: [
        {
          name: 'api',
          argv: ['node', 'server.js'],
          cwd: path.join(stack.dir, 'shop'),
          replicas: 1,
          portEnv: 'PORT',
          env: {},
          health: { path: null, interval: 5000, startInterval: 250, timeout: 1000, healthyAfter: 1, unhealthyAfter: 3, restartAfter: 10 },
          balance: 'round-robin',
          restart: 'on-failure',
          backoff: { initial: 500, max: 30_000 },
          maxRestarts: 10,
          minUptime: 5000,
          stop: { signal: 'SIGTERM', timeout: 10_000 },
          watch: [],
          dependsOn: [],
          reload: null,
          maxRequests: 0,
          maxRequestsJitter: 0,
        },
      ],
      tasks: [],
    });
  });

  it('fills route defaults, the loopback host and each route position', async () => {
    await stack.folder('dist');
    const file = await stack.write(
      'switchyard.yaml',
      yaml(
        'name: shop', //                            1
        'proxy:', //                                2
        '  listen: 8080', //                        3
        '  routes:', //                             4
        '    - to: web', //                         5
        '    - path: /api/', //                     6
        '      host: Admin.Localhost', //           7
        '      to: http://127.0.0.1:9000', //       8
        '      strip_prefix: true', //              9
        '      timeout: 1m30s', //                  10
        'static:', //                               11
        '  web: { root: dist, spa: true }', //      12
      ),
    );
    const { spec, issues } = await loadStack(file, offline);
    expect(issues).toEqual([]);
    expect(spec?.proxy).toEqual({
      listen: { host: '127.0.0.1', port: 8080 },
      engine: 'builtin',
      routes: [
        { host: null, path: '/', to: 'web', target: 'static', stripPrefix: false, timeout: 60_000, at: { line: 5, col: 7 } },
        { host: 'admin.localhost', path: '/api/', to: 'http://127.0.0.1:9000', target: 'url', stripPrefix: true, timeout: 90_000, at: { line: 6, col: 7 } },
      ],
      clientHeaderTimeout: 60_000,
      clientBodyTimeout: 60_000,
      keepaliveTimeout: 75_000,
      maxConnections: 1024,
    });
    expect(spec?.statics).toEqual([{ name: 'web', root: path.join(stack.dir, 'dist'), spa: true }]);
  });

  it('reads every field that is written', async () => {
    await stack.folder('backend');
    const file = await stack.write(
      'switchyard.yaml',
      yaml(
        'version: 1',
        'name: custom',
        'apps:',
        '  api:',
        '    command: [node, server.js, 8000]',
        '    cwd: backend',
        '    replicas: 0',
        '    port_env: HTTP_PORT',
        '    health: { path: /healthz, interval: 250ms, start_interval: 50ms, timeout: 2s, healthy_after: 2, unhealthy_after: 4, restart_after: 5 }',
        '    balance: least-conn',
        '    restart: always',
        '    backoff: { initial: 1s, max: 1m }',
        '    max_restarts: 0',
        '    min_uptime: 1.5s',
        '    stop: { signal: SIGINT, timeout: 3s }',
        '    watch: ["**/*.js"]',
        '    reload: { signal: SIGHUP }',
        '    max_requests: 1000',
        '    max_requests_jitter: 100',
        '  jobs:',
        '    command: node jobs.js',
        '    port_env: none',
      ),
    );
    const { spec, issues } = await loadStack(file, offline);
    expect(issues).toEqual([]);
    expect(spec?.name).toBe('custom');
    expect(spec?.apps[0]).toMatchObject({
      argv: ['node', 'server.js', '8000'],
      cwd: path.join(stack.dir, 'backend'),
      replicas: 0,
      portEnv: 'HTTP_PORT',
      health: { path: '/healthz', interval: 250, startInterval: 50, timeout: 2000, healthyAfter: 2, unhealthyAfter: 4, restartAfter: 5 },
      balance: 'least-conn',
      restart: 'always',
      backoff: { initial: 1000, max: 60_000 },
      maxRestarts: 0,
      minUptime: 1500,
      stop: { signal: 'SIGINT', timeout: 3000 },
      watch: ['**/*.js'],
      reload: { signal: 'SIGHUP' },
      maxRequests: 1000,
      maxRequestsJitter: 100,
    });
    expect(spec?.apps[1]?.portEnv).toBeNull();
  });

  it('resolves relative paths against the stack file folder, not the process cwd', async () => {
    await stack.folder('project/backend');
    await stack.folder('project/web/dist');
    const file = await stack.write(
      'project/switchyard.yaml',
      yaml('static:', '  web: { root: ./web/dist }', 'apps:', '  api: { command: node a.js, cwd: ./backend, env_file: ../shared.env }'),
    );
    await stack.write('shared.env', 'FROM_FILE=1\n');
    expect(process.cwd()).not.toBe(path.join(stack.dir, 'project'));
    const { spec, issues } = await loadStack(path.relative(process.cwd(), file), offline);
    expect(issues).toEqual([]);
    expect(spec?.file).toBe(file);
    expect(spec?.statics[0]?.root).toBe(path.join(stack.dir, 'project/web/dist'));
    expect(spec?.apps[0]?.cwd).toBe(path.join(stack.dir, 'project/backend'));
    expect(spec?.apps[0]?.env).toEqual({ FROM_FILE: '1' });
  });

  it('merges env files in order and lets env override them, keeping numbers as written', async () => {
    await stack.write('base.env', yaml('A=from-base', 'B=from-base', '# a comment', 'QUOTED="two words"'));
    await stack.write('local.env', yaml('B=from-local', 'C=from-local'));
    const file = await stack.write(
      'switchyard.yaml',
      yaml('apps:', '  api:', '    command: node a.js', '    env_file: [base.env, local.env]', '    env: { C: inline, VERSION: 1.10, DEBUG: true, N: 8 }'),
    );
    const { spec, issues } = await loadStack(file, offline);
    expect(issues).toEqual([]);
    expect(spec?.apps[0]?.env).toEqual({
      A: 'from-base',
      B: 'from-local',
      QUOTED: 'two words',
      C: 'inline',
      VERSION: '1.10',
      DEBUG: 'true',
      N: '8',
    });
  });
  it('applies YAML merge keys, with the keys written beside them winning', async () => {
    const file = await stack.write(
      'switchyard.yaml',
      yaml('apps:', '  base: &base { command: node a.js, restart: always, replicas: 2 }', '  api:', '    <<: *base', '    replicas: 3'),
    );
    const { spec, issues } = await loadStack(file, offline);
    expect(issues).toEqual([]);
    expect(spec?.apps.map((app) => [app.name, app.argv, app.restart, app.replicas])).toEqual([
      ['base', ['node', 'a.js'], 'always', 2],
      ['api', ['node', 'a.js'], 'always', 3],
    ]);
  });
});

describe('loadStack machine checks', () => {
  it('reports a listen port that another program holds, at the listen node', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const file = await stack.write(
        'switchyard.yaml',
        yaml('proxy:', `  listen: ${port}`, '  routes: [{ to: https://example.com }]', 'apps:', '  api: { command: node a.js }'),
      );
      const { spec, issues } = await loadStack(file, { checkCommands: false });
      expect(spec).toBeNull();
      expect(issues).toEqual([
        {
          file,
          line: 2,
          col: 11,
          severity: 'error',
          // The holder is named where the OS shows it (issue 14); here it is this test's own process.
          message: process.platform === 'linux'
            ? expect.stringMatching(new RegExp(`^port ${port} on 127\\.0\\.0\\.1 is in use by another program \\(pid ${process.pid}, .+\\); stop it or choose another \`listen\` port$`))
            : `port ${port} on 127.0.0.1 is in use by another program; stop it or choose another \`listen\` port`,
        },
      ]);
      const unchecked = await loadStack(file, { checkCommands: false, checkPorts: false });
      expect(unchecked.issues).toEqual([]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('accepts a free listen port', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const file = await stack.write('switchyard.yaml', yaml('proxy:', `  listen: 127.0.0.1:${port}`, '  routes: [{ to: api }]', 'apps:', '  api: { command: node a.js }'));
    const { spec, issues } = await loadStack(file, { checkCommands: false });
    expect(issues).toEqual([]);
    expect(spec?.proxy?.listen).toEqual({ host: '127.0.0.1', port });
  });

  it('finds a present program and reports a missing one at its command node', async () => {
    const file = await stack.write(
      'switchyard.yaml',
      yaml(
        'apps:', //                                           1
        '  api:', //                                          2
        '    command: node server.js', //                     3
        `    env: { PATH: ${JSON.stringify(path.dirname(process.execPath))} }`, // 4
        '  worker:', //                                       5
        '    command: pythn3-not-installed jobs.py', //       6
        '  local:', //                                        7
        '    command: [./run.sh]', //                         8
      ),
    );
    const { spec, issues } = await loadStack(file, { checkPorts: false });
    expect(spec).toBeNull();
    expect(issues.map(({ line, col, message }) => ({ line, col, message }))).toEqual([
      {
        line: 6,
        col: 14,
        message: `command 'pythn3-not-installed' not found on PATH (app 'worker'): looked in ${process.env.PATH?.split(path.delimiter).filter(Boolean).join(', ')}; install it, fix the name, or give its path relative to the app's cwd, like ./venv/bin/pythn3-not-installed`,
      },
      {
        line: 8,
        col: 14,
        message: `command './run.sh' not found (app 'local'): looked for ${path.join(stack.dir, 'run.sh')}, as a program path is relative to the app's cwd '.' (as in a shell started there); fix the path`,
      },
    ]);
  });

  it.skipIf(process.platform === 'win32')('accepts an executable script given by a relative path', async () => {
    await stack.write('bin/run.sh', '#!/bin/sh\n', { executable: true });
    const file = await stack.write('switchyard.yaml', yaml('apps:', '  local: { command: ./bin/run.sh }'));
    const { spec, issues } = await loadStack(file, { checkPorts: false });
    expect(issues).toEqual([]);
    expect(spec?.apps[0]?.argv).toEqual(['./bin/run.sh']);
  });
});

describe('findStackFile', () => {
  it('prefers switchyard.yaml, then switchyard.yml', async () => {
    const yml = await stack.write('switchyard.yml', 'apps: {}\n');
    expect(findStackFile(stack.dir)).toBe(yml);
    const yamlFile = await stack.write('switchyard.yaml', 'apps: {}\n');
    expect(findStackFile(stack.dir)).toBe(yamlFile);
  });

  it('uses an explicit file relative to cwd, or a folder that holds one', async () => {
    const other = await stack.write('conf/other.yaml', 'apps: {}\n');
    const inFolder = await stack.write('conf/switchyard.yaml', 'apps: {}\n');
    expect(findStackFile(stack.dir, 'conf/other.yaml')).toBe(other);
    expect(findStackFile(stack.dir, 'conf')).toBe(inFolder);
    expect(() => findStackFile(stack.dir, 'nope.yaml')).toThrow(`stack file ${path.join(stack.dir, 'nope.yaml')} does not exist`);
  });

  it('names both file names and -f FILE when there is none', () => {
    expect(() => findStackFile(stack.dir)).toThrow(
      `no switchyard.yaml or switchyard.yml in ${stack.dir}; create one, or name another file with -f FILE`,
    );
  });
});

// Stack files built to hurt: too large, not files at all, alias bombs and loops, deep nesting, odd keys
// and tags. Each gets an error at its line and column (or a warning), never a crash or a hang.

/** Loads `text` offline; its issues without the file name, and its spec. */
async function loadText(text: string) {
  const file = await stack.write('switchyard.yaml', text);
  const { spec, issues } = await loadStack(file, offline);
  return { spec, issues: issues.map(({ line, col, severity, message }) => ({ line, col, severity, message })) };
}

const error = (line: number, col: number, message: string) => ({ line, col, severity: 'error', message });

const TOO_LARGE = error(
  1,
  1,
  'the stack file is larger than 1 MiB, the most a stack file may be; check that this is the stack file, and move large values into env_file files',
);

/** A valid stack padded with comment lines to exactly `bytes`. */
function paddedTo(bytes: number): string {
  const head = yaml('apps:', '  api: { command: node a.js }');
  const line = `#${'x'.repeat(99)}\n`;
  const body = line.repeat(Math.floor((bytes - head.length) / line.length));
  return `${head}${body}${'#'.padEnd(bytes - head.length - body.length, 'x')}`;
}

describe('the size of a stack file', () => {
  it('reads a file of exactly the limit, and refuses one byte more at 1:1', async () => {
    const atLimit = await loadText(paddedTo(MAX_STACK_FILE_BYTES));
    expect(atLimit.issues).toEqual([]);
    expect(atLimit.spec?.apps.map((app) => app.name)).toEqual(['api']);
    expect(await loadText(paddedTo(MAX_STACK_FILE_BYTES + 1))).toEqual({ spec: null, issues: [TOO_LARGE] });
  });

  it('refuses a 64 GiB file after reading just past the limit', async () => {
    const file = await stack.write('switchyard.yaml', paddedTo(1000));
    // Sparse: it takes no disk, and reading it whole would take minutes and all the memory there is.
    await truncate(file, 64 * 1024 ** 3);
    const { spec, issues } = await loadStack(file, offline);
    expect(spec).toBeNull();
    expect(issues).toEqual([{ file, ...TOO_LARGE }]);
  });

  it('refuses what is not a regular file instead of reading forever or hanging', async () => {
    const device = path.join(stack.dir, 'zero.yaml');
    await symlink('/dev/zero', device);
    const fifo = path.join(stack.dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    for (const file of [device, fifo]) {
      expect(await loadStack(file, offline)).toEqual({
        spec: null,
        issues: [{ file, line: 1, col: 1, severity: 'error', message: 'cannot read the stack file: it is not a regular file; name the YAML file itself' }],
      });
    }
  });
});

describe('aliases', () => {
  it('stops a billion laughs at the alias that takes the expansion past the limit', async () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const lines = levels.map((name, i) => {
      const items = i === 0 ? Array(9).fill('lol') : Array(9).fill(`*${levels[i - 1]}`);
      return `  x${name}: &${name} [${items.join(', ')}]`;
    });
    // Values added: 9*10, 9*91, 9*820, 9*7381 (74 718 in all), then the first *e of line 7 adds 66 430.
    expect(await loadText(yaml('apps:', ...lines))).toEqual({
      spec: null,
      issues: [
        error(
          7,
          11,
          `this alias makes the aliases of the file expand to more than ${MAX_ALIAS_EXPANSION} values (an alias bomb); a stack file needs far fewer, so write the repeated settings out or share them through one <<: *anchor`,
        ),
      ],
    });
  });

  it('lets 300 apps share one anchor, far past the 100 aliases YAML allows by default', async () => {
    const apps = Array.from({ length: 300 }, (_, i) => `  app${i}: { <<: *defaults, command: node a${i}.js }`);
    const { spec, issues } = await loadText(yaml('apps:', '  base: &defaults { command: node base.js, replicas: 2, restart: always }', ...apps));
    expect(issues).toEqual([]);
    expect(spec?.apps).toHaveLength(301);
    expect(spec?.apps.at(-1)).toMatchObject({ name: 'app299', argv: ['node', 'a299.js'], replicas: 2, restart: 'always' });
  });

  it('refuses an alias inside the anchor it refers to, and one whose anchor is missing', async () => {
    expect(await loadText(yaml('apps: &all', '  api: *all'))).toEqual({
      spec: null,
      issues: [error(2, 8, 'alias *all is inside the &all it refers to, so it would repeat without end; write the settings out instead')],
    });
    expect(await loadText(yaml('apps:', '  api:', '    command: *nope'))).toEqual({
      spec: null,
      issues: [error(3, 14, 'alias *nope refers to no anchor; define &nope before it is used, on the map or value to repeat')],
    });
  });

  it('merges maps with <<, and refuses a merge of anything else at its value', async () => {
    const merged = await loadText(yaml('apps:', '  api: &base { command: node a.js, replicas: 2 }', '  web: { <<: [*base], replicas: 3 }'));
    expect(merged.issues).toEqual([]);
    expect(merged.spec?.apps.map((app) => [app.name, app.argv.join(' '), app.replicas])).toEqual([
      ['api', 'node a.js', 2],
      ['web', 'node a.js', 3],
    ]);
    const message = '<< merges the settings of a map into this one, like <<: *defaults or <<: [*a, *b]; give it an alias of a map';
    expect(await loadText(yaml('apps:', '  x: &text hello', '  api:', '    <<: 5', '    command: node a.js', '  web: { <<: [*text], command: node w.js }'))).toEqual({
      spec: null,
      issues: [error(4, 9, message), error(6, 14, message)],
    });
  });
});

describe('structure', () => {
  it('refuses inline lists nested deeper than the limit, at the first bracket too deep', async () => {
    const depth = MAX_FLOW_DEPTH + 1;
    const text = yaml('apps:', '  api:', '    command: node a.js', `    watch: ${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(await loadText(text)).toEqual({
      spec: null,
      issues: [error(4, 12 + MAX_FLOW_DEPTH, `lists and maps are nested more than ${MAX_FLOW_DEPTH} deep here; a stack file needs a few levels, so flatten what is written here`)],
    });
    // A whole megabyte of brackets is refused the same way.
    const half = Math.floor((MAX_STACK_FILE_BYTES - 100) / 2);
    const huge = await loadText(yaml('apps:', `  api: ${'['.repeat(half)}${']'.repeat(half)}`));
    expect(huge.issues.map(({ line, col }) => [line, col])).toEqual([[2, 8 + MAX_FLOW_DEPTH]]);
  });

  it('refuses a list or a map as a key', async () => {
    const message = 'a key must be a name or a text, not a list or a map';
    expect(await loadText(yaml('apps:', '  ? [a, b]', '  : { command: node a.js }', '  ? { c: 1 }', '  : x'))).toEqual({
      spec: null,
      issues: [error(2, 5, message), error(4, 5, message)],
    });
  });

  it('keeps tags outside the core schema as text, with a warning each', async () => {
    const { spec, issues } = await loadText(
      yaml('apps:', '  api:', '    command: !!js/function node', '    env: { A: !!binary aGVsbG8=, B: !!timestamp 2001-12-14, C: !custom x }'),
    );
    expect(issues).toEqual([
      { line: 3, col: 14, severity: 'warning', message: 'YAML warning: Unresolved tag: tag:yaml.org,2002:js/function' },
      { line: 4, col: 15, severity: 'warning', message: 'YAML warning: Unresolved tag: tag:yaml.org,2002:binary' },
      { line: 4, col: 37, severity: 'warning', message: 'YAML warning: Unresolved tag: tag:yaml.org,2002:timestamp' },
      { line: 4, col: 64, severity: 'warning', message: 'YAML warning: Unresolved tag: !custom' },
    ]);
    expect(spec?.apps[0]?.argv).toEqual(['node']);
    expect(spec?.apps[0]?.env).toEqual({ A: 'aGVsbG8=', B: '2001-12-14', C: 'x' });
  });

  it('points at a mistake in the last of thousands of apps', async () => {
    const apps = Array.from({ length: 2000 }, (_, i) => `  app${i}: { command: node a.js, replicas: 0, env: { N: ${i} } }`);
    const { issues } = await loadText(yaml('apps:', ...apps, '  last: { command: node a.js, replica: 2 }'));
    expect(issues.map(({ line, col }) => [line, col])).toEqual([[2002, 31]]);
  });

  it('refuses a stack that would start more workers than one stack may run, at its apps key', async () => {
    const apps = (replicas: number[]) => replicas.map((n, i) => `  app${i}: { command: node a.js, replicas: ${n} }`);
    expect((await loadText(yaml('apps:', ...apps([256, 256, 256, 232])))).issues).toEqual([]);
    expect(await loadText(yaml('name: many', 'apps:', ...apps([256, 256, 256, 233])))).toEqual({
      spec: null,
      issues: [error(2, 1, `the stack would start ${MAX_WORKERS + 1} worker processes, more than the ${MAX_WORKERS} one stack may run; lower replicas or split the stack`)],
    });
  });

  it.skipIf(process.platform !== 'linux')('refuses an argument or a variable longer than Linux passes to a program', async () => {
    const big = 'x'.repeat(128 * 1024);
    await stack.write('big.env', `FROM_FILE=${big}\n`);
    const why = 'Linux passes at most 128 KiB in one argument or variable, so the worker could not start; put the data in a file and pass its path';
    const text = yaml(
      'apps:', //                                            1
      '  api:', //                                           2
      `    command: [node, a.js, ${big}]`, //               3
      `    env: { SMALL: ${'y'.repeat(1000)}, BIG: ${big} }`, // 4
      '    env_file: big.env', //                            5
      `  web: { command: node ${big} }`, //                  6
    );
    expect((await loadText(text)).issues).toEqual([
      error(3, 27, `argument 3 of the command of app 'api' is ${big.length} bytes long; ${why}`),
      error(4, 1026, `variable BIG of app 'api' is ${big.length + 4} bytes long with its name; ${why}`),
      error(5, 15, `variable FROM_FILE of app 'api' is ${big.length + 10} bytes long with its name; ${why}`),
      error(6, 19, `argument 2 of the command of app 'web' is ${big.length} bytes long; ${why}`),
    ]);
  });

  it('says once what two checks find at the same place', async () => {
    // Too large for an exact whole number and above any limit: zod finds both, the user reads it once.
    expect((await loadText(yaml('apps:', '  api: { command: node a.js, max_restarts: 99999999999999999999999 }'))).issues).toEqual([
      error(2, 44, "max_restarts must be a whole number of at least 0; got 1e+23 (app 'api')"),
    ]);
  });
});
