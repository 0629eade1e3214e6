// The port in the command, with Debian's own servers: `uvicorn … --port $PORT` and
// `gunicorn -b 127.0.0.1:$PORT …` become ready and answer through the proxy, each worker on its own port.
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, stackDir, startUp } from '../helpers/cli.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

// The python3 first on PATH may be a build without Debian's packages: Debian's is named explicitly.
const PYTHON = '/usr/bin/python3';
const GUNICORN = '/usr/bin/gunicorn';

function missing(check: () => void): string | null {
  try {
    check();
    return null;
  } catch {
    return 'not installed';
  }
}
const noUvicorn = missing(() => execFileSync(PYTHON, ['-c', 'import uvicorn'], { stdio: 'ignore' }));
const noGunicorn = missing(() => execFileSync(GUNICORN, ['--version'], { stdio: 'ignore' }));
if (noUvicorn) console.warn(`skipping the uvicorn test: ${PYTHON} -m uvicorn is ${noUvicorn} (apt-get install python3-uvicorn)`);
if (noGunicorn) console.warn(`skipping the gunicorn test: ${GUNICORN} is ${noGunicorn} (apt-get install gunicorn)`);

const SERVERS_START_MS = 90_000;

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(app: string[]) {
  const port = await getPort({ host: '127.0.0.1' });
  const { dir, cleanup } = stackDir(['name: servers', 'proxy:', `  listen: ${port}`, '  routes: [{ path: /, to: web }]', 'apps:', '  web:', ...app, ''].join('\n'));
  for (const file of ['cli_asgi_app.py', 'cli_wsgi_app.py']) copyFileSync(path.join(FIXTURES, 'python', file), path.join(dir, file));
  return { dir, port, cleanup };
}

async function expectServedThroughProxy(dir: string, port: number, kind: string) {
  const up = startUp(dir);
  cleanups.push(async () => {
    up.child.kill('SIGKILL');
    await up.child;
  });
  await up.waitForOutput('all 3 ready', SERVERS_START_MS);
  const answers = new Set<string>();
  await waitFor(
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/hello`);
      answers.add(await response.text());
      return answers.size === 2;
    },
    'both workers to answer through the proxy',
  );
  // Each worker was started with its own port in its command, the one Switchyard gave it.
  const ports = [...answers].map((text) => new RegExp(`^${kind} ([12]) port (\\d+) /hello\\n$`).exec(text)).map((match) => match && Number(match[2]));
  expect(ports.every((p) => p !== null && p !== port)).toBe(true);
  expect(new Set(ports).size).toBe(2);
  expect((await runCli(['down'], dir)).exitCode).toBe(0);
  expect((await up.child).exitCode).toBe(0);
}

describe('the port in the command', () => {
  it.skipIf(noUvicorn !== null)('runs uvicorn with --port $PORT, each worker on its own port', { timeout: SERVERS_START_MS + 30_000 }, async () => {
    const { dir, port, cleanup } = await serve([`    command: ${PYTHON} -m uvicorn cli_asgi_app:app --host 127.0.0.1 --port $PORT`, '    replicas: 2']);
    cleanups.push(cleanup);
    const checked = await runCli(['check'], dir);
    expect(checked.stdout).toContain(`web  ${PYTHON} -m uvicorn cli_asgi_app:app --host 127.0.0.1 --port <port>  2 workers`);
    await expectServedThroughProxy(dir, port, 'asgi');
  });

  it.skipIf(noGunicorn !== null)('runs gunicorn with -b 127.0.0.1:${PORT}, each worker on its own port', { timeout: SERVERS_START_MS + 30_000 }, async () => {
    const { dir, port, cleanup } = await serve([`    command: ${GUNICORN} -b 127.0.0.1:\${PORT} --workers \${GUNICORN_WORKERS:-1} cli_wsgi_app:app`, '    replicas: 2']);
    cleanups.push(cleanup);
    const checked = await runCli(['check'], dir);
    expect(checked.stdout).toContain(`web  ${GUNICORN} -b 127.0.0.1:<port> --workers 1 cli_wsgi_app:app  2 workers`);
    await expectServedThroughProxy(dir, port, 'wsgi');
  });
});
