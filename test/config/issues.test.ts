// Each mistake in a stack file gives its own message, pointing at the exact line and column.
import { symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStack } from '../../main/core/config/load.ts';
import { makeStackDir, yaml } from './stack-dir.ts';
import type { StackDir } from './stack-dir.ts';

let stack: StackDir;
beforeEach(async () => {
  stack = await makeStackDir();
});
afterEach(async () => {
  await stack.remove();
});

/** Loads `lines` as switchyard.yaml (no port or PATH checks) and returns its issues without the file name. */
async function issuesOf(...lines: string[]) {
  const file = await stack.write('switchyard.yaml', yaml(...lines));
  const { spec, issues } = await loadStack(file, { checkPorts: false, checkCommands: false });
  for (const issue of issues) expect(issue.file).toBe(file);
  if (issues.some((issue) => issue.severity === 'error')) expect(spec).toBeNull();
  return issues.map(({ line, col, severity, message }) => ({ line, col, severity, message }));
}

const error = (line: number, col: number, message: string) => ({ line, col, severity: 'error', message });

describe('unknown and missing keys', () => {
  it('points at an unknown key, suggests the closest and lists the valid ones', async () => {
    expect(await issuesOf('apps:', '  api:', '    command: node a.js', '    replica: 2')).toEqual([
      error(
        4,
        5,
        "unknown key 'replica' in app 'api'; did you mean 'replicas'? valid keys: command, cwd, replicas, port_env, env, env_file, health, balance, restart, backoff, max_restarts, min_uptime, stop, watch, depends_on, reload, max_requests, max_requests_jitter, image, build",
      ),
    ]);
  });

  it('names nested maps and the top level in unknown-key messages', async () => {
    expect(
      await issuesOf(
        'app:', //                                                  1
        '  x: 1', //                                                2
        'apps:', //                                                 3
        '  api:', //                                                4
        '    command: node a.js', //                                5
        '    health: { path: /h, intervall: 2s }', //               6
      ),
    ).toEqual([
      error(1, 1, "unknown key 'app' at the top level; did you mean 'apps'? valid keys: version, name, proxy, static, apps, tasks"),
      error(6, 25, "unknown key 'intervall' in health of app 'api'; did you mean 'interval'? valid keys: path, interval, start_interval, timeout, healthy_after, unhealthy_after, restart_after"),
    ]);
  });

  it('points at the map that lacks a required key', async () => {
    expect(
      await issuesOf(
        'proxy:', //                    1
        '  routes:', //                 2
        '    - path: /', //             3
        'static:', //                   4
        '  web:', //                    5
        '    spa: true', //             6
        'apps:', //                     7
        '  api:', //                    8
        '    cwd: .', //                9
      ),
    ).toEqual([
      error(2, 3, "proxy has no 'listen'; add a port, like listen: 8080"),
      error(3, 7, "proxy route 1 has no 'to'; add the app, static site or http(s):// URL it goes to"),
      error(6, 5, "static site 'web' has no 'root'; add the folder to serve, like root: ./dist"),
      error(9, 5, "app 'api' has no 'command'; add one, like command: node server.js"),
    ]);
  });
});

describe('values', () => {
  it('lists the valid choices of an enum with the value found', async () => {
    expect(await issuesOf('apps:', '  api:', '    command: node a.js', '    balance: roundrobin', '    stop: { signal: SIGSTOP }', '    reload: { signal: SIGTERM }')).toEqual([
      error(4, 14, "balance must be one of round-robin, least-conn, ip-hash; got 'roundrobin'; did you mean 'round-robin'? (app 'api')"),
      error(5, 21, "stop.signal must be one of SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGKILL; got 'SIGSTOP' (app 'api')"),
      error(6, 23, "reload.signal must be one of SIGHUP, SIGUSR1, SIGUSR2; got 'SIGTERM' (app 'api')"),
    ]);
  });

  it('explains durations, numbers and variable names', async () => {
    expect(
      await issuesOf(
        'apps:', //                                                          1
        '  api:', //                                                         2
        '    command: node a.js', //                                         3
        '    replicas: 300', //                                              4
        '    port_env: 1PORT', //                                            5
        '    min_uptime: 5 sec', //                                          6
        '    health: { interval: 5, timeout: 0s, healthy_after: 1.5 }', //   7
        '  web: { command: node b.js, health: { start_interval: 0s }, reload: { signal: } }', // 8
      ),
    ).toEqual([
      error(4, 15, "replicas must be a whole number from 0 to 256; got 300 (app 'api')"),
      error(5, 15, "port_env must be an environment variable name like PORT, or none for an app that serves no port; got '1PORT' (app 'api')"),
      error(6, 17, "min_uptime: invalid duration '5 sec'; write it like 250ms, 2s or 1m (app 'api')"),
      error(7, 25, "health.interval: invalid duration '5': a number needs a unit, like 5s or 5ms; write it like 250ms, 2s or 1m (app 'api')"),
      error(7, 37, "health.timeout must be longer than 0ms (app 'api')"),
      error(7, 56, "health.healthy_after must be a whole number of at least 1; got 1.5 (app 'api')"),
      error(8, 56, "health.start_interval must be longer than 0ms (app 'web')"),
      error(8, 72, "reload.signal must be one of SIGHUP, SIGUSR1, SIGUSR2; got nothing (app 'web')"),
    ]);
  });

  it('refuses a version other than 1', async () => {
    expect(await issuesOf('version: 2', 'apps:', '  api: { command: node a.js }')).toEqual([
      error(1, 10, 'version must be 1: this Switchyard reads stack file version 1; got 2'),
    ]);
  });

  it('refuses shell syntax in a command at the command node', async () => {
    expect(await issuesOf('apps:', '  api:', '    command: node a.js | tee log')).toEqual([
      error(
        3,
        14,
        `command 'node a.js | tee log' uses the shell syntax '|', but commands run without a shell; quote it if it is a plain argument, write the command as a list, or use command: [sh, -c, "node a.js | tee log"] (app 'api')`,
      ),
    ]);
  });

  it('points at an empty env value rather than the end of its line', async () => {
    expect(await issuesOf('apps:', '  api:', '    command: node a.js', '    env:', '      EMPTY:')).toEqual([
      error(5, 7, `env.EMPTY must be a string, a number or true/false (write "" for an empty value); got nothing (app 'api')`),
    ]);
  });
});

describe('names', () => {
  it('refuses bad, ambiguous, reserved and shared names at their keys', async () => {
    await stack.folder('site');
    expect(
      await issuesOf(
        'static:', //                             1
        '  web: { root: site }', //               2
        '  Admin: { root: site }', //             3
        'apps:', //                               4
        '  api-2: { command: node a.js }', //     5
        '  proxy: { command: node a.js }', //     6
        '  all: { command: node a.js }', //       7
        '  web: { command: node a.js }', //       8
      ),
    ).toEqual([
      error(3, 3, "static site name 'Admin' must use lowercase letters, digits, - and _, starting with a letter or digit, like api or web_2"),
      error(5, 3, "app name 'api-2' cannot end in -<number>: workers are named like api-1, so it would be ambiguous; rename it, like api2 or api-v2"),
      error(6, 3, "app name 'proxy' is reserved by the command line (switchyard restart proxy, switchyard logs all); choose another"),
      error(7, 3, "app name 'all' is reserved by the command line (switchyard restart proxy, switchyard logs all); choose another"),
      error(8, 3, "'web' names both an app and a static site; routes and commands refer to them by name, so rename one"),
    ]);
  });

  it('wants at least one app or static site', async () => {
    expect(await issuesOf('name: shop', 'apps: {}')).toEqual([
      error(2, 7, 'the stack file defines no app and no static site; add one under apps: or static:'),
    ]);
  });
});

describe('proxy', () => {
  it('checks route targets, paths, hosts, URLs and repeats', async () => {
    expect(
      await issuesOf(
        'proxy:', //                                   1
        '  listen: 8080', //                           2
        '  routes:', //                                3
        '    - { path: /api/, to: apii }', //          4
        '    - { path: /jobs/, to: jobs }', //         5
        '    - { path: api/, to: api }', //            6
        '    - { host: "a.localhost:80", to: api }', // 7
        '    - { to: "ftp://files" }', //              8
        '    - { path: /x/, to: api }', //             9
        '    - { path: /x/, to: api }', //             10
        '    - { host: a.localhost, path: /x/, to: api }', // 11
        'apps:', //                                    12
        '  api: { command: node a.js }', //            13
        '  jobs: { command: node j.js, port_env: none }', // 14
      ),
    ).toEqual([
      error(4, 26, "to 'apii' names no app or static site (proxy route 1); did you mean 'api'? apps: api, jobs; static sites: (none); or write an http(s):// URL"),
      error(5, 27, "to 'jobs' is an app with port_env: none, which serves no port (proxy route 2); route to an app that serves one, or give 'jobs' a port_env"),
      error(6, 15, "path must be a path starting with /, like /api/; got 'api/' (proxy route 3)"),
      error(7, 15, "host must be a host name without scheme or port, like admin.localhost; got 'a.localhost:80' (proxy route 4)"),
      error(8, 13, "to 'ftp://files' is not a valid http:// or https:// URL (proxy route 5); write it like http://127.0.0.1:9000"),
      error(10, 15, 'proxy route 7 repeats the path /x/ of route 6, so it would never be used; remove one or change its path'),
    ]);
  });

  it('warns that a reload signal with a TCP check cannot tell when the new workers are up, and still loads', async () => {
    expect(await issuesOf('apps:', '  api:', '    command: gunicorn -w 3 app:app', '    reload: { signal: SIGHUP }')).toEqual([
      {
        line: 4,
        col: 13,
        severity: 'warning',
        message:
          "reload.signal with a TCP health check (app 'api'): a master's socket accepts connections before its new workers are up, so each worker's reload would count as done at once; set health.path to a path the app answers",
      },
    ]);
  });

  it('warns about a listen host other machines can reach, and still loads', async () => {
    const file = await stack.write('switchyard.yaml', yaml('proxy:', '  listen: 0.0.0.0:8080', '  routes: [{ to: api }]', 'apps:', '  api: { command: node a.js }'));
    const { spec, issues } = await loadStack(file, { checkPorts: false, checkCommands: false });
    expect(issues).toEqual([
      { file, line: 2, col: 11, severity: 'warning', message: 'listen binds to 0.0.0.0, reachable from other machines; use 127.0.0.1 unless you mean it' },
    ]);
    expect(spec?.proxy?.listen).toEqual({ host: '0.0.0.0', port: 8080 });
  });

  it('explains a listen value it cannot read', async () => {
    expect(await issuesOf('proxy:', '  listen: 70000', '  routes: [{ to: api }]', 'apps:', '  api: { command: node a.js }')).toEqual([
      error(2, 11, 'listen must be a port from 1 to 65535 or host:port, like 8080, 127.0.0.1:8080 or [::1]:8080; got 70000 (proxy)'),
    ]);
  });
});

describe('files and folders', () => {
  it('reports missing roots, cwds and env files at their nodes, with the path looked for', async () => {
    await stack.write('afile', 'x');
    expect(
      await issuesOf(
        'static:', //                                       1
        '  web: { root: ./dist }', //                       2
        '  docs: { root: afile }', //                       3
        'apps:', //                                         4
        '  api:', //                                        5
        '    command: node a.js', //                        6
        '    cwd: ./backend', //                            7
        '  jobs:', //                                       8
        '    command: node j.js', //                        9
        '    env_file: [afile, missing.env]', //            10
      ),
    ).toEqual([
      error(2, 16, `root './dist' of static site 'web' does not exist (looked for ${path.join(stack.dir, 'dist')}); build the site first or fix the path`),
      error(3, 17, `root 'afile' of static site 'docs' is not a folder (looked for ${path.join(stack.dir, 'afile')}); build the site first or fix the path`),
      error(7, 10, `cwd './backend' of app 'api' does not exist (looked for ${path.join(stack.dir, 'backend')}); create it or fix the path`),
      error(10, 23, `env_file 'missing.env' of app 'jobs' does not exist (looked for ${path.join(stack.dir, 'missing.env')}); create it or remove it from env_file`),
    ]);
  });
});

describe('app cross-checks', () => {
  it('refuses a health path on an app without a port, and a backoff max below its initial', async () => {
    expect(
      await issuesOf(
        'apps:', //                                    1
        '  jobs:', //                                  2
        '    command: node j.js', //                   3
        '    port_env: none', //                       4
        '    health:', //                              5
        '      path: /healthz', //                     6
        '    backoff: { initial: 5s, max: 1s }', //    7
      ),
    ).toEqual([
      error(6, 13, "health.path needs a port, but app 'jobs' has port_env: none; remove health.path or set port_env"),
      error(7, 34, "backoff.max (1s) must be at least backoff.initial (5s) (app 'jobs')"),
    ]);
  });

  it('refuses a request limit that is not a whole number, and warns of a jitter without a limit', async () => {
    expect(
      await issuesOf(
        'apps:', //                                  1
        '  api:', //                                 2
        '    command: node a.js', //                 3
        '    max_requests: 1e3.5', //                4
        '    max_requests_jitter: -1', //            5
        '  web:', //                                 6
        '    command: node w.js', //                 7
        '    max_requests_jitter: 50', //            8
      ),
    ).toEqual([
      error(4, 19, "max_requests must be a whole number of at least 0; got '1e3.5' (app 'api')"),
      error(5, 26, "max_requests_jitter must be a whole number of at least 0; got -1 (app 'api')"),
      {
        line: 8,
        col: 26,
        severity: 'warning',
        message: "max_requests_jitter does nothing without max_requests (app 'web'); set max_requests, like 1000, or remove max_requests_jitter",
      },
    ]);
  });
});

describe('the file as a whole', () => {
  it('reports several mistakes in different sections together, in file order', async () => {
    const issues = await issuesOf(
      'nam: shop', //                                  1
      'proxy:', //                                     2
      '  listen: 8080', //                             3
      '  routes: [{ to: nowhere }]', //                4
      'apps:', //                                      5
      '  api: { command: node a.js, replicas: -1 }', // 6
      '  web: { command: node w.js, restart: sometimes }', // 7
    );
    expect(issues.map(({ line, col }) => [line, col])).toEqual([
      [1, 1],
      [4, 18],
      [6, 40],
      [7, 39],
    ]);
    expect(issues[1]?.message).toBe("to 'nowhere' names no app or static site (proxy route 1); apps: api, web; static sites: (none); or write an http(s):// URL");
  });

  it('reports a YAML syntax error at its position', async () => {
    expect(await issuesOf('apps:', '  api:', '    command: [node, a.js', '  web: {}')).toEqual([
      error(4, 3, 'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]'),
    ]);
  });

  it('reports a duplicate key at the second occurrence and still checks the rest', async () => {
    expect(await issuesOf('apps:', '  api:', '    command: node a.js', '    command: node b.js', '    balance: fastest')).toEqual([
      error(4, 5, "duplicate key 'command'; a key may appear only once in a map, so remove or rename one"),
      error(5, 14, "balance must be one of round-robin, least-conn, ip-hash; got 'fastest' (app 'api')"),
    ]);
  });

  it('refuses an empty file and a top level that is not a map', async () => {
    expect(await issuesOf('# nothing yet')).toEqual([error(1, 1, 'the stack file is empty; define at least one app under apps: or one site under static:')]);
    expect(await issuesOf('- api', '- web')).toEqual([error(1, 1, 'the stack file must be a map of settings (name, proxy, static, apps); got a list')]);
  });

  it('reports a file it cannot read', async () => {
    const missing = path.join(stack.dir, 'none.yaml');
    expect(await loadStack(missing)).toEqual({
      spec: null,
      issues: [{ file: missing, line: 1, col: 1, severity: 'error', message: 'cannot read the stack file: the file does not exist' }],
    });
  });
});

describe('a cwd outside the stack folder', () => {
  it('is a warning at the cwd, naming where it leads, and the stack still loads', async () => {
    const outside = await stack.folder('elsewhere');
    await stack.folder('shop/backend');
    await symlink(outside, path.join(stack.dir, 'shop', 'linked'));
    const file = await stack.write(
      'shop/switchyard.yaml',
      yaml(
        'apps:', //                                     1
        '  api: { command: node a.js, cwd: ../elsewhere }', // 2
        '  web: { command: node w.js, cwd: ./backend }', //   3
        '  jobs: { command: node j.js, cwd: linked }', //     4
        `  abs: { command: node x.js, cwd: ${outside} }`, // 5
      ),
    );
    const { spec, issues } = await loadStack(file, { checkPorts: false, checkCommands: false });
    const shop = path.join(stack.dir, 'shop');
    const warning = (line: number, col: number, written: string, name: string) => ({
      file,
      line,
      col,
      severity: 'warning',
      message: `cwd '${written}' of app '${name}' is outside the stack's folder (it is ${outside}), so the stack works only where that folder exists; move the app inside ${shop}, or leave it if this machine is the only one that runs the stack`,
    });
    expect(issues).toEqual([warning(2, 35, '../elsewhere', 'api'), warning(4, 36, 'linked', 'jobs'), warning(5, 35, outside, 'abs')]);
    expect(spec?.apps.map((app) => [app.name, app.cwd])).toEqual([
      ['api', outside],
      ['web', path.join(shop, 'backend')],
      ['jobs', path.join(shop, 'linked')],
      ['abs', outside],
    ]);
  });
});

describe('a route to the proxy itself', () => {
  /** The issues of a proxy on `listen` with one URL route to each of `urls`, one per line from line 4. */
  async function routeIssues(listen: string, urls: string[]) {
    const routes = urls.map((url, i) => `    - { path: /r${i}/, to: "${url}" }`);
    return issuesOf('proxy:', `  listen: ${listen}`, '  routes:', ...routes, 'apps:', '  api: { command: node a.js }');
  }
  const loop = (line: number, url: string, address: string) =>
    error(
      line,
      25,
      `to '${url}' is the proxy's own address (it listens on ${address}) (proxy route ${line - 3}), so each request would come back to the proxy and loop; route to the server that should answer: an app or static site by name, or a URL on another port`,
    );

  it('is refused through every loopback spelling of the listen address', async () => {
    const urls = [
      'http://127.0.0.1:8080/',
      'http://localhost:8080',
      'http://LOCALHOST.:8080/x',
      'http://[::1]:8080/',
      'http://[::ffff:127.0.0.1]:8080/',
      'http://127.9.8.7:8080/',
      'http://0.0.0.0:8080/',
      'https://127.0.0.1:8080/',
    ];
    expect(await routeIssues('8080', urls)).toEqual(urls.map((url, i) => loop(4 + i, url, '127.0.0.1:8080')));
  });

  it('counts default ports and the listen host as written', async () => {
    expect(await routeIssues('localhost:80', ['http://localhost/', 'https://localhost/', 'http://127.0.0.1:80/'])).toEqual([
      loop(4, 'http://localhost/', 'localhost:80'),
      loop(6, 'http://127.0.0.1:80/', 'localhost:80'),
    ]);
    expect(await routeIssues('"[::1]:443"', ['https://[::1]/', 'http://[::1]/'])).toEqual([loop(4, 'https://[::1]/', '[::1]:443')]);
  });

  it("reaches every address of this machine when the proxy listens on all of them, and only its own otherwise", async () => {
    const own = Object.values(os.networkInterfaces())
      .flatMap((addresses) => addresses ?? [])
      .find((info) => info.family === 'IPv4' && !info.internal)?.address;
    const urls = ['http://127.0.0.1:9000/', 'http://[::]:9000/', ...(own ? [`http://${own}:9000/`] : [])];
    const issues = await routeIssues('0.0.0.0:9000', urls);
    expect(issues.filter((issue) => issue.severity === 'error')).toEqual(urls.map((url, i) => loop(4 + i, url, '0.0.0.0:9000')));
    if (own) expect(await routeIssues('9000', [`http://${own}:9000/`])).toEqual([]);
  });

  it('lets a URL on another port or another machine through', async () => {
    expect(await routeIssues('8080', ['http://127.0.0.1:8081/', 'https://localhost/', 'http://example.com:8080/', 'http://192.0.2.1:8080/'])).toEqual([]);
  });
});
