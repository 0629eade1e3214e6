// The app servers people run behind nginx, run by `switchyard up` as they are packaged by Debian:
// each becomes ready through its health check, reloads under load without a failed request, and
// leaves nothing running after `down` or after `up` itself is SIGKILLed. A server that is not
// installed is skipped, saying which package provides it.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../../shared/process.ts';
import { psJsonOnceUp, runCli, startUp, type UpProcess } from '../helpers/cli.ts';
import { startLoad } from '../helpers/load.ts';
import { describeProcesses, newMarker, killMarked, processesWithMarker } from '../helpers/processes.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

/** Debian's Python, which has Debian's servers (the `python3` first on PATH may not). */
const PYTHON = '/usr/bin/python3';

interface AppServer {
  name: string;
  /** What to install when it is missing. */
  debian: string;
  /** True when the server can run here. */
  present: () => boolean;
  command: string[];
  /** Extra lines of the app's entry in the stack file. */
  extra?: string[];
  /** The fixture folder the app runs in, relative to test/fixtures/python. */
  cwd?: string;
}

const imports = (module: string) => () => spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
const runs = (program: string, ...args: string[]) => () => spawnSync(program, args, { stdio: 'ignore' }).status === 0;

const SERVERS: AppServer[] = [
  {
    name: 'uvicorn',
    debian: 'python3-uvicorn',
    present: imports('uvicorn'),
    command: [PYTHON, '-m', 'uvicorn', 'matrix_asgi:app', '--host', '127.0.0.1', '--port', '$PORT'],
  },
  {
    name: 'gunicorn (sync workers)',
    debian: 'gunicorn',
    present: imports('gunicorn'),
    command: [PYTHON, '-m', 'gunicorn', '--workers', '2', '--bind', '127.0.0.1:$PORT', 'matrix_wsgi:app'],
  },
  {
    name: 'gunicorn with UvicornWorker',
    debian: 'gunicorn python3-uvicorn',
    present: imports('gunicorn, uvicorn.workers'),
    command: [PYTHON, '-m', 'gunicorn', '--workers', '2', '--worker-class', 'uvicorn.workers.UvicornWorker', '--bind', '127.0.0.1:$PORT', 'matrix_asgi:app'],
  },
  {
    name: 'hypercorn',
    debian: 'python3-hypercorn',
    present: imports('hypercorn'),
    command: [PYTHON, '-m', 'hypercorn', '--bind', '127.0.0.1:$PORT', 'matrix_asgi:app'],
  },
  {
    name: 'daphne',
    debian: 'python3-daphne',
    present: imports('daphne'),
    command: [PYTHON, '-m', 'daphne', '-b', '127.0.0.1', '-p', '$PORT', 'matrix_asgi:app'],
  },
  {
    name: 'waitress',
    debian: 'python3-waitress',
    present: imports('waitress'),
    command: [PYTHON, '-m', 'waitress', '--listen=127.0.0.1:$PORT', 'matrix_wsgi:app'],
  },
  {
    name: 'uWSGI',
    debian: 'uwsgi uwsgi-plugin-python3',
    present: runs('uwsgi', '--plugin', 'python3', '--version'),
    // uWSGI takes SIGTERM as "reload" unless told otherwise; --die-on-term is what its docs advise under a supervisor.
    command: ['uwsgi', '--plugin', 'python3', '--http-socket', '127.0.0.1:$PORT', '--wsgi-file', 'matrix_wsgi.py', '--master', '--processes', '2', '--die-on-term', '--need-app'],
  },
  {
    name: "Django's runserver (with its autoreloader)",
    debian: 'python3-django',
    present: imports('django'),
    command: [PYTHON, 'manage.py', 'runserver', '127.0.0.1:$PORT'],
    cwd: 'matrix_django',
  },
];

function stackFile(server: AppServer, port: number, cwd: string): string {
  return [
    'name: matrix',
    'proxy:',
    `  listen: ${port}`,
    '  routes:',
    '    - { path: /, to: app }',
    'apps:',
    '  app:',
    `    command: ${JSON.stringify(server.command)}`,
    `    cwd: ${JSON.stringify(cwd)}`,
    '    replicas: 2',
    '    health: { path: /healthz, timeout: 2s }',
    '    stop: { timeout: 5s }',
    ...(server.extra ?? []),
    '',
  ].join('\n');
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A stack of two workers of `server` behind a proxy, run by `up` in a fresh folder with a marker of its own. */
async function upWith(server: AppServer): Promise<{ up: UpProcess; dir: string; port: number; marker: { key: string; value: string } }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-servers-'));
  // A copy, so that the servers' bytecode caches never land in the repository.
  cpSync(path.join(FIXTURES, 'python'), path.join(dir, 'app'), { recursive: true });
  const port = await getPort({ host: '127.0.0.1' });
  writeFileSync(path.join(dir, 'switchyard.yaml'), stackFile(server, port, server.cwd ? `./app/${server.cwd}` : './app'));
  const marker = newMarker();
  const up = startUp(dir, [], { [marker.key]: marker.value });
  cleanups.push(async () => {
    up.child.kill('SIGKILL');
    await up.child;
    killMarked(marker);
    rmSync(dir, { recursive: true, force: true });
  });
  return { up, dir, port, marker };
}

async function allReady(dir: string, up: UpProcess): Promise<ProcessInfo[]> {
  let seen: ProcessInfo[] = [];
  try {
    return await waitFor(
      async () => {
        seen = await psJsonOnceUp(dir);
        const workers = seen.filter((p) => p.app === 'app');
        const proxyReady = seen.some((p) => p.kind === 'proxy' && p.role === 'member' && p.state === 'ready');
        return proxyReady && workers.length === 2 && workers.every((p) => p.role === 'member' && p.state === 'ready') ? workers : undefined;
      },
      'the proxy and both workers ready',
      { timeout: 30_000 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- ps ---\n${JSON.stringify(seen, null, 1)}\n--- up ---\n${up.output()}`, { cause: error });
  }
}

async function nothingLeft(marker: { key: string; value: string }, after: string): Promise<void> {
  let left: number[] = [];
  try {
    await waitFor(() => (left = processesWithMarker(marker)).length === 0, `no process left ${after}`, { timeout: 15_000 });
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${describeProcesses(left).join('; ')}`, { cause: error });
  }
}

// Two Python runtimes booting, a reload and a stop each: a bound for a busy machine, not a goal.
const BOUND = 120_000;

describe.each(SERVERS)('$name behind switchyard up', (server) => {
  const missing = server.present() ? null : `not installed (apt-get install ${server.debian})`;

  it.skipIf(missing !== null)(`is ready through its health check, reloads under load with no failed request, and leaves nothing after down${missing ? `: skipped, ${server.name} is ${missing}` : ''}`, async () => {
    const { up, dir, port, marker } = await upWith(server);
    const before = await allReady(dir, up);

    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ pid: expect.any(Number) });

    const load = startLoad(port, '/', { concurrency: 4 });
    const reload = await runCli(['reload', 'app'], dir);
    expect(reload.exitCode, `${String(reload.stdout)}${String(reload.stderr)}\n${up.output()}`).toBe(0);
    const sent = load.count;
    await waitFor(() => load.count > sent + 20, 'requests answered after the reload');
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(20);
    const after = await allReady(dir, up);
    for (const worker of after) expect(before.map((p) => p.pid)).not.toContain(worker.pid);

    const down = await runCli(['down'], dir);
    expect(down.exitCode, String(down.stderr)).toBe(0);
    expect((await up.child).exitCode).toBe(0);
    await nothingLeft(marker, 'after down');
  }, BOUND);

  it.skipIf(missing !== null)(`leaves nothing running when up is SIGKILLed${missing ? `: skipped, ${server.name} is ${missing}` : ''}`, async () => {
    const { up, dir, marker } = await upWith(server);
    await allReady(dir, up);
    expect(processesWithMarker(marker).length).toBeGreaterThan(2);
    up.child.kill('SIGKILL');
    await up.child;
    await nothingLeft(marker, 'after up was SIGKILLed');
  }, BOUND);
});
