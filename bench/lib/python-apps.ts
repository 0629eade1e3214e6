// Debian's Python app servers as benchmark subjects: the small apps of test/fixtures/python under
// `gunicorn -w N` (sync workers, Flask) or uvicorn (a bare ASGI app), each as a Switchyard app
// behind the proxy. Debian's own /usr/bin/python3, never a pyenv build first on PATH.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppSpec, StackSpec } from '../../shared/stack.ts';
import { LOOPBACK } from './net.ts';
import { rootRouteStack } from './stack.ts';

const APPS = fileURLToPath(new URL('../../test/fixtures/python/', import.meta.url));
const PYTHON = '/usr/bin/python3';
const GUNICORN = '/usr/bin/gunicorn';

/** Which Debian package a server needs, and what tells that it is there. */
const NEEDS = {
  gunicorn: { module: 'flask', packages: 'gunicorn python3-flask', program: GUNICORN },
  uvicorn: { module: 'uvicorn', packages: 'python3-uvicorn', program: PYTHON },
} as const;

/** Why `server` cannot run here (with the Debian packages to install), or null. */
export function missingServer(server: keyof typeof NEEDS): string | null {
  const { module, packages, program } = NEEDS[server];
  const found = existsSync(program) && spawnSync(PYTHON, ['-c', `import ${module}`]).status === 0;
  return found ? null : `${server} is not installed (apt-get install ${packages})`;
}

function pythonApp(name: string, replicas: number, overrides: Partial<AppSpec>): AppSpec {
  return {
    name,
    argv: [],
    cwd: APPS,
    replicas,
    portEnv: 'PORT',
    env: {},
    health: { path: '/healthz', interval: 1000, startInterval: 50, timeout: 2000, healthyAfter: 1, unhealthyAfter: 3, restartAfter: 10 },
    balance: 'round-robin',
    restart: 'on-failure',
    backoff: { initial: 200, max: 2000 },
    maxRestarts: 3,
    minUptime: 1000,
    stop: { signal: 'SIGTERM', timeout: 10_000 },
    watch: [],
    maxRequests: 0,
    maxRequestsJitter: 0,
    reload: null,
    dependsOn: [],
    ...overrides,
  };
}

/** `gunicorn -w <workers>` (sync) serving the Flask app, bound to loopback on $PORT by its config file. */
export function gunicornApp(name: string, workers: number, replicas = 1): AppSpec {
  return pythonApp(name, replicas, { argv: [GUNICORN, '-w', String(workers), '-c', 'proxy_gunicorn.conf.py', 'proxy_busy_flask:app'] });
}

/** uvicorn serving the bare ASGI app; it reads its port from UVICORN_PORT. */
export function uvicornApp(name: string, replicas: number): AppSpec {
  return pythonApp(name, replicas, {
    argv: [PYTHON, '-m', 'uvicorn', 'matrix_asgi:app', '--host', LOOPBACK, '--no-access-log'],
    portEnv: 'UVICORN_PORT',
  });
}

/** One app behind the proxy on `port`, routed at /. */
export function appStack(app: AppSpec, port: number): StackSpec {
  return rootRouteStack(`bench-${app.name}`, APPS, port, app.name, { apps: [app] });
}
