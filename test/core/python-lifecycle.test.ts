// Debian's own Python servers through a worker's life (issue 14): gunicorn -w 2 stopped as its
// master expects, reloaded by its own SIGHUP, its print() seen at once; uvicorn's failed start
// fixed by a changed command. Each test skips, saying why, where its server is not installed.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execaSync } from 'execa';
import type { AppSpec } from '../../shared/stack.ts';
import { descendantsOf } from '../../main/core/process/process-tree.ts';
import { Stack } from '../../main/core/stack.ts';
import { newMarker, processesWithMarker } from '../helpers/processes.ts';
import { FIXTURES, fixtureApp, fixtureStack } from '../helpers/specs.ts';
import { waitFor, waitForState } from '../helpers/wait.ts';

const PYTHON = '/usr/bin/python3';
const GUNICORN = '/usr/bin/gunicorn';
const APPS = path.join(FIXTURES, 'python');

/** Why a Python module cannot be used here, or null when it can. */
function missing(module: string): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed`;
  const found = execaSync(PYTHON, ['-c', `import ${module}`], { reject: false });
  return found.exitCode === 0 ? null : `${PYTHON} has no ${module} module (Debian: apt install python3-${module})`;
}

const noGunicorn = existsSync(GUNICORN) ? missing('gunicorn') : `${GUNICORN} is not installed (Debian: apt install gunicorn)`;
const noUvicorn = missing('uvicorn');

const stacks: Stack[] = [];

afterEach(async () => {
  await Promise.all(stacks.splice(0).map((stack) => stack.kill()));
});

async function startStack(apps: AppSpec[]): Promise<Stack> {
  const stack = new Stack(fixtureStack(apps, APPS));
  stacks.push(stack);
  await stack.start();
  return stack;
}

function lines(stack: Stack, source: string): string[] {
  return stack.logs.query({ sources: new Set([source]) }).map((line) => line.text);
}

/** A gunicorn master with two sync workers, loopback only (life_gunicorn.conf.py), on $PORT. */
function gunicornApp(overrides: Partial<AppSpec> = {}): AppSpec {
  return fixtureApp('wsgi', 'unused', {
    argv: [GUNICORN, '-c', 'life_gunicorn.conf.py', '-w', '2', 'life_wsgi:app'],
    cwd: APPS,
    // gunicorn takes a moment to import on a busy machine; its stop is its own graceful one.
    health: { path: '/healthz', interval: 500, startInterval: 100, timeout: 3000, healthyAfter: 1, unhealthyAfter: 3, restartAfter: 10 },
    stop: { signal: 'SIGTERM', timeout: 15_000 },
    minUptime: 1000,
    ...overrides,
  });
}

describe.skipIf(noGunicorn)(`gunicorn -w 2 (${noGunicorn ?? 'installed'})`, () => {
  it('stops as its master expects: no worker "terminated due to signal 15", nothing left behind, print() seen at once', async () => {
    const marker = newMarker();
    const stack = await startStack([gunicornApp({ env: { [marker.key]: marker.value } })]);
    await waitForState(stack, 'wsgi-1', 'ready', 20_000);
    // The app's print() at import is in the log while it runs: stdout is unbuffered by default.
    await waitFor(() => lines(stack, 'wsgi-1').filter((line) => line.startsWith('life_wsgi loaded in pid')).length === 2, 'both workers to say they loaded the app');
    expect(processesWithMarker(marker)).toHaveLength(3);

    await stack.stop();
    const said = lines(stack, 'wsgi-1');
    expect(said.filter((line) => line.includes('Worker exiting'))).toHaveLength(2);
    expect(said.some((line) => line.includes('Shutting down: Master'))).toBe(true);
    expect(said.filter((line) => line.includes('terminated due to signal'))).toEqual([]);
    expect(said.filter((line) => line.includes('killing its process tree'))).toEqual([]);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('reloads by its own SIGHUP: the master stays, its workers are new, and the reload ends once it passes a check', async () => {
    const stack = await startStack([gunicornApp({ reload: { signal: 'SIGHUP' } })]);
    await waitForState(stack, 'wsgi-1', 'ready', 20_000);
    const master = stack.processes()[0]!.pid as number;
    const before = await waitFor(async () => {
      const children = await descendantsOf(master);
      return children.length === 2 ? children : null;
    }, 'two gunicorn workers');

    expect(await stack.reload('wsgi')).toEqual(['wsgi-1']);
    expect(stack.processes()[0]).toMatchObject({ pid: master, state: 'ready', role: 'member' });
    expect(lines(stack, 'wsgi-1').some((line) => line.includes('Handling signal: hup'))).toBe(true);
    const after = await waitFor(async () => {
      const children = await descendantsOf(master);
      return children.length === 2 && children.every((pid) => !before.includes(pid)) ? children : null;
    }, 'two new gunicorn workers');
    expect(after).toHaveLength(2);
  });
});

describe.skipIf(noUvicorn)(`uvicorn (${noUvicorn ?? 'installed'})`, () => {
  it('an app that failed on a missing module runs once the command names the right one', async () => {
    const uvicorn = (module: string) => [PYTHON, '-m', 'uvicorn', `${module}:app`, '--host', '127.0.0.1', '--lifespan', 'off'];
    const broken = fixtureApp('api', 'unused', {
      argv: uvicorn('nosuchmodule'),
      cwd: APPS,
      // uvicorn reads its port from UVICORN_PORT, as from --port.
      portEnv: 'UVICORN_PORT',
      maxRestarts: 3,
      minUptime: 5000,
      health: { path: '/healthz', interval: 500, startInterval: 100, timeout: 3000, healthyAfter: 1, unhealthyAfter: 3, restartAfter: 10 },
    });
    const stack = await startStack([broken]);
    await waitForState(stack, 'api-1', 'failed', 30_000);
    const failed = stack.processes()[0]!;
    expect(failed.restarts).toBe(3);
    expect(failed.lastStderr.join('\n')).toMatch(/nosuchmodule/);

    const changes = await stack.applySpec(fixtureStack([{ ...broken, argv: uvicorn('life_asgi') }], APPS));
    expect(changes).toEqual(['reloaded api with its new settings']);
    // The fix's start is asked for, not a crash: the crash count stays where the crash loop left it.
    expect(stack.processes()[0]).toMatchObject({ state: 'ready', restarts: 3, manualRestarts: 1 });
  });
});
